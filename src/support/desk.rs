//! Staff's help desk (`/staff/tickets`): the queue with its filters and due badges, a ticket with
//! its internal notes, answering, assigning and changing its status. Every action is audited;
//! an answer (never a note) e-mails whoever opened the ticket.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::StaffUser;
use crate::support::rules::{self, Category, TicketStatus};
use crate::support::store::{self, Filter, Refused};
use crate::support::view::{self, MessageView, TicketView};
use crate::web::client_ip::ClientIp;
use crate::web::forms::{Choice, Form, FormWithFiles};
use crate::web::paging::{Page, Pager};
use crate::web::path::Path;
use crate::web::{PageCtx, flash, page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/tickets", get(queue))
        .route("/staff/tickets/{id}", get(show))
        .route(
            "/staff/tickets/{id}/answer",
            post(answer).layer(crate::support::routes::upload_limit()),
        )
        .route("/staff/tickets/{id}/files/{file}", get(download))
        .route("/staff/tickets/{id}/assign", post(assign))
        .route("/staff/tickets/{id}/status", post(status))
}

#[derive(Deserialize, Default)]
struct QueueParams {
    #[serde(default)]
    status: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    reseller: String,
    /// `me`, `none` or a staff user's id.
    #[serde(default)]
    assignee: String,
    /// `overdue` or `today`.
    #[serde(default)]
    due: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
}

#[derive(Template)]
#[template(path = "staff/tickets.html")]
struct QueuePage {
    ctx: PageCtx,
    rows: Vec<TicketView>,
    statuses: Vec<Choice>,
    categories: Vec<Choice>,
    assignees: Vec<(String, String, bool)>,
    resellers: Vec<(String, String, bool)>,
    due: String,
    q: String,
    total: String,
    pager: Pager,
}

/// The end of today in UTC: what "due today" means on the console (a ticket's own badge counts
/// in its reseller's zone).
fn end_of_today(now: time::OffsetDateTime) -> time::OffsetDateTime {
    let tomorrow = now.date().next_day().unwrap_or(now.date());
    tomorrow.midnight().assume_utc()
}

async fn queue(
    State(state): State<AppState>,
    ctx: PageCtx,
    StaffUser(me): StaffUser,
    Query(p): Query<QueueParams>,
) -> AppResult<Response> {
    let now = time::OffsetDateTime::now_utc();
    let assignee = match p.assignee.trim() {
        "me" => Some(me.id),
        other => Uuid::parse_str(other).ok(),
    };
    let f = Filter {
        status: TicketStatus::from_code(p.status.trim()),
        category: Category::from_code(p.category.trim()),
        reseller: Uuid::parse_str(p.reseller.trim()).ok(),
        assignee,
        unassigned: p.assignee.trim() == "none",
        overdue: p.due == "overdue",
        due_by: (p.due == "today").then(|| end_of_today(now)),
        q: p.q.trim().chars().take(60).collect(),
    };
    let at = Page::of_table(Some(&p.page));
    let mut conn = state.db.acquire().await?;
    let (rows, total) = store::list(&mut conn, &f, true, at.offset(), at.size).await?;
    let staff = store::staff_users(&mut conn).await?;
    let resellers = store::resellers_with_tickets(&mut conn).await?;
    drop(conn);
    let link = |n: i64| {
        let mut qs = url::form_urlencoded::Serializer::new(String::new());
        qs.append_pair("status", &p.status)
            .append_pair("category", &p.category)
            .append_pair("reseller", &p.reseller)
            .append_pair("assignee", &p.assignee)
            .append_pair("due", &p.due)
            .append_pair("q", &f.q)
            .append_pair("page", &n.to_string());
        format!("/staff/tickets?{}", qs.finish())
    };
    let mut assignees = vec![
        (
            "me".to_string(),
            ctx.t("support.assigned_to_me"),
            p.assignee == "me",
        ),
        (
            "none".to_string(),
            ctx.t("support.unassigned"),
            p.assignee == "none",
        ),
    ];
    assignees.extend(
        staff
            .into_iter()
            .map(|(id, name)| (id.to_string(), name, p.assignee == id.to_string())),
    );
    let page = QueuePage {
        rows: rows
            .iter()
            .map(|t| view::ticket(&ctx, t, now, true))
            .collect(),
        statuses: Choice::list(TicketStatus::ALL, f.status, TicketStatus::code, |s| {
            ctx.t(s.key())
        }),
        categories: Choice::list(Category::ALL, f.category, Category::code, |c| {
            ctx.t(c.key())
        }),
        assignees,
        resellers: resellers
            .into_iter()
            .map(|(id, name)| (id.to_string(), name, f.reseller == Some(id)))
            .collect(),
        due: p.due.clone(),
        q: f.q.clone(),
        total: ctx.t_count("support.tickets_many", "support.tickets_one", total),
        pager: at.links(total, link),
        ctx,
    };
    Ok(page::ok(&page))
}

#[derive(Template)]
#[template(path = "staff/ticket.html")]
struct TicketPage {
    ctx: PageCtx,
    t: TicketView,
    reseller_id: Uuid,
    link: Option<(String, String)>,
    messages: Vec<MessageView>,
    staff: Vec<(String, String, bool)>,
    statuses: Vec<Choice>,
    body: String,
    errors: FieldErrors,
}

async fn ticket_page(
    state: &AppState,
    ctx: PageCtx,
    id: Uuid,
    body: String,
    errors: FieldErrors,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let t = store::ticket(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let messages = store::messages(&mut conn, id, true).await?;
    let files = store::attachments(&mut conn, id, true).await?;
    let link = match t.link() {
        Some(l) => store::link_label(&mut conn, l, ctx.locale)
            .await?
            .map(|label| (staff_href(l, t.reseller_id), label)),
        None => None,
    };
    let staff = store::staff_users(&mut conn).await?;
    drop(conn);
    let now = time::OffsetDateTime::now_utc();
    let page = TicketPage {
        staff: staff
            .into_iter()
            .map(|(sid, name)| (sid.to_string(), name, Some(sid) == t.assignee_id))
            .collect(),
        statuses: Choice::list(TicketStatus::ALL, Some(t.status), TicketStatus::code, |s| {
            ctx.t(s.desk_key())
        }),
        t: view::ticket(&ctx, &t, now, true),
        reseller_id: t.reseller_id,
        link,
        messages: view::messages(&ctx, &messages, &files, &format!("/staff/tickets/{id}")),
        body,
        errors: errors.clone(),
        ctx,
    };
    Ok(page::render(page::form_status(&errors), &page))
}

/// Where staff see what a ticket is linked to.
fn staff_href(link: rules::Link, reseller: Uuid) -> String {
    match link {
        rules::Link::Order(id) => format!("/staff/orders/{reseller}/{id}"),
        rules::Link::Invoice(id) => format!("/staff/billing/invoices/{id}"),
        rules::Link::Subscription(_) | rules::Link::Customer(_) => {
            format!("/staff/resellers/{reseller}")
        }
    }
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    ticket_page(&state, ctx, id, String::new(), FieldErrors::new()).await
}

/// The audit entry of a staff action on a ticket.
fn entry(action: Action, staff: Uuid, id: Uuid, ip: std::net::IpAddr) -> audit::Entry<'static> {
    audit::Entry {
        actor: Some(staff),
        subject_type: Some("ticket"),
        subject_id: Some(id.to_string()),
        ip: Some(ip),
        ..audit::Entry::new(action)
    }
}

#[derive(Deserialize, Default)]
struct AnswerForm {
    #[serde(default)]
    body: String,
    /// An internal note (the reseller never reads it).
    #[serde(default)]
    internal: String,
    /// The status it leaves the ticket in (empty: waiting on the reseller after an answer).
    #[serde(default)]
    status: String,
}

async fn answer(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(me): StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
    FormWithFiles { form, files }: FormWithFiles<AnswerForm>,
) -> AppResult<Response> {
    let checked = crate::support::routes::checked_files(files);
    let (body, files) = match (rules::body(&form.body), checked) {
        (Ok(b), Ok(f)) => (b, f),
        (Err(key), _) => {
            return ticket_page(&state, ctx, id, form.body, FieldErrors::one("body", key)).await;
        }
        (_, Err(key)) => {
            return ticket_page(&state, ctx, id, form.body, FieldErrors::one("files", key)).await;
        }
    };
    let internal = form.internal == "on" || form.internal == "1";
    let status = TicketStatus::from_code(form.status.trim());
    let now = time::OffsetDateTime::now_utc();
    let mut tx = state.db.begin().await?;
    let said = store::Said {
        body: &body,
        files: &files,
    };
    match store::answer(&mut tx, id, me.id, &said, internal, status, now).await? {
        Ok(()) => {}
        Err(_) => return Err(AppError::NotFound),
    }
    let t = store::ticket(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !internal {
        let mail = crate::support::mail::answered(&state.config, &t)?;
        state.mailer.queue(&mut *tx, &mail).await?;
    }
    let (action, message) = if internal {
        (Action::TicketNoteAdded, "support.note_added")
    } else {
        (Action::TicketAnswered, "support.answered")
    };
    let entry = audit::Entry {
        reseller_id: Some(t.reseller_id),
        ..entry(action, me.id, id, ip)
    };
    let to = format!("/staff/tickets/{id}");
    flash::done(tx, &session, entry, message, &[], &to).await
}

#[derive(Deserialize, Default)]
struct AssignForm {
    /// A staff user's id, `me`, or empty for nobody.
    #[serde(default)]
    assignee: String,
}

async fn assign(
    State(state): State<AppState>,
    session: Session,
    StaffUser(me): StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
    Form(form): Form<AssignForm>,
) -> AppResult<Response> {
    let assignee = match form.assignee.trim() {
        "" => None,
        "me" => Some(me.id),
        other => Some(Uuid::parse_str(other).map_err(|_| AppError::Unprocessable)?),
    };
    let mut tx = state.db.begin().await?;
    let now = time::OffsetDateTime::now_utc();
    match store::assign(&mut tx, id, assignee, now).await? {
        Ok(()) => {}
        Err(Refused::NotFound) if assignee.is_some() => return Err(AppError::Unprocessable),
        Err(_) => return Err(AppError::NotFound),
    }
    let entry = audit::Entry {
        details: serde_json::json!({ "assignee": assignee }),
        ..entry(Action::TicketAssigned, me.id, id, ip)
    };
    let to = format!("/staff/tickets/{id}");
    flash::done(tx, &session, entry, "support.assigned", &[], &to).await
}

#[derive(Deserialize, Default)]
struct StatusForm {
    #[serde(default)]
    status: String,
}

async fn status(
    State(state): State<AppState>,
    session: Session,
    StaffUser(me): StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    let status = TicketStatus::from_code(form.status.trim()).ok_or(AppError::Unprocessable)?;
    let mut tx = state.db.begin().await?;
    let now = time::OffsetDateTime::now_utc();
    let before = match store::change_status(&mut tx, id, status, now).await? {
        Ok(b) => b,
        Err(_) => return Err(AppError::NotFound),
    };
    let entry = audit::Entry {
        details: serde_json::json!({ "from": before.code(), "to": status.code() }),
        ..entry(Action::TicketStatusChanged, me.id, id, ip)
    };
    let to = format!("/staff/tickets/{id}");
    flash::done(tx, &session, entry, "support.status_changed", &[], &to).await
}

/// A file of a ticket (internal notes' too), as a download.
async fn download(
    State(state): State<AppState>,
    _staff: StaffUser,
    Path((id, file)): Path<(Uuid, Uuid)>,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let (name, kind, data) = store::attachment(&mut conn, id, file, true)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(crate::web::download::named_attachment(
        &name,
        kind.content_type(),
        data,
    ))
}
