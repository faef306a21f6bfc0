//! A reseller's tickets (`/support/tickets`): the list, a new ticket, a ticket's page with its
//! conversation, a reply, closing and reopening. Every user of the reseller sees its tickets;
//! nobody else's.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::ResellerUser;
use crate::support::attachments;
use crate::support::rules::{self, Category, Link, TicketForm, TicketStatus};
use crate::support::store::{self, Filter, Refused};
use crate::support::view::{self, MessageView, TicketView};
use crate::web::client_ip::ClientIp;
use crate::web::forms::FormWithFiles;
use crate::web::paging::{Page, Pager};
use crate::web::path::Path;
use crate::web::{PageCtx, flash, page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/support/tickets", get(list))
        .route(
            "/support/tickets/new",
            get(new_form).post(create).layer(upload_limit()),
        )
        .route("/support/tickets/{id}", get(show))
        .route(
            "/support/tickets/{id}/reply",
            post(reply).layer(upload_limit()),
        )
        .route("/support/tickets/{id}/files/{file}", get(download))
        .route("/support/tickets/{id}/close", post(close))
        .route("/support/tickets/{id}/reopen", post(reopen))
}

/// A message's files may be as large as [`attachments::MOST_MESSAGE_BYTES`] (a plain form's
/// limit is lower).
pub(super) fn upload_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(attachments::MOST_MESSAGE_BYTES + 256 * 1024)
}

/// The files of a form's `files` field, checked.
pub(super) fn checked_files(
    files: Vec<(String, String, bytes::Bytes)>,
) -> Result<Vec<attachments::File>, &'static str> {
    attachments::check_all(
        files
            .into_iter()
            .filter(|(field, _, _)| field == "files")
            .map(|(_, name, bytes)| (name, bytes))
            .collect(),
    )
}

#[derive(Deserialize, Default)]
struct ListParams {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
}

#[derive(Template)]
#[template(path = "support/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<TicketView>,
    statuses: Vec<crate::web::forms::Choice>,
    q: String,
    total: String,
    pager: Pager,
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let status = TicketStatus::from_code(p.status.trim());
    let f = Filter {
        status,
        q: p.q.trim().chars().take(60).collect(),
        ..Filter::default()
    };
    let at = Page::of_table(Some(&p.page));
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let (rows, total) = store::list(&mut tx, &f, false, at.offset(), at.size).await?;
    tx.commit().await?;
    let now = time::OffsetDateTime::now_utc();
    let link = |n: i64| {
        let mut qs = url::form_urlencoded::Serializer::new(String::new());
        qs.append_pair("status", status.map_or("", TicketStatus::code))
            .append_pair("q", &f.q)
            .append_pair("page", &n.to_string());
        format!("/support/tickets?{}", qs.finish())
    };
    let page = ListPage {
        rows: rows
            .iter()
            .map(|t| view::ticket(&ctx, t, now, false))
            .collect(),
        statuses: crate::web::forms::Choice::list(
            TicketStatus::ALL,
            status,
            TicketStatus::code,
            |s| ctx.t(s.key()),
        ),
        total: ctx.t_count("support.tickets_many", "support.tickets_one", total),
        pager: at.links(total, link),
        q: f.q.clone(),
        ctx,
    };
    Ok(page::ok(&page))
}

#[derive(Template)]
#[template(path = "support/new.html")]
struct NewPage {
    ctx: PageCtx,
    form: TicketForm,
    errors: FieldErrors,
    categories: Vec<crate::web::forms::Choice>,
    links: Vec<(String, String)>,
    public_id: String,
    show_public_id: bool,
}

/// The new ticket's form, with what was typed and the messages of what could not be taken.
async fn new_page(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    form: TicketForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let wanted = Link::parse(&form.link).ok().flatten();
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let links = store::link_choices(&mut tx, wanted, ctx.locale).await?;
    let public_id = crate::partners::store::public_id(&mut *tx, me.reseller_id).await?;
    tx.commit().await?;
    let category = Category::from_code(form.category.trim());
    let page = NewPage {
        categories: crate::web::forms::Choice::list(Category::ALL, category, Category::code, |c| {
            ctx.t(c.key())
        }),
        links: links
            .into_iter()
            .map(|(l, label)| (l.code(), label))
            .collect(),
        public_id,
        show_public_id: category == Some(Category::PublicId),
        form,
        errors: errors.clone(),
        ctx,
    };
    Ok(page::render(page::form_status(&errors), &page))
}

async fn new_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(form): Query<TicketForm>,
) -> AppResult<Response> {
    new_page(&state, ctx, &me, form, FieldErrors::new()).await
}

async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    FormWithFiles { form, files }: FormWithFiles<TicketForm>,
) -> AppResult<Response> {
    let (ticket, files) = match (form.parse(), checked_files(files)) {
        (Ok(t), Ok(files)) => (t, files),
        (parsed, checked) => {
            let mut errors = parsed.err().unwrap_or_default();
            if let Err(key) = checked {
                errors.add("files", key);
            }
            return new_page(&state, ctx, &me, form, errors).await;
        }
    };
    let now = time::OffsetDateTime::now_utc();
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let opened = store::open(&mut tx, me.reseller_id, me.user.id, &ticket, &files, now).await?;
    let opened = match opened {
        Ok(o) => o,
        Err(key) => {
            drop(tx);
            return new_page(&state, ctx, &me, form, FieldErrors::one("link", key)).await;
        }
    };
    let saved = store::ticket(&mut tx, opened.id)
        .await?
        .ok_or(AppError::NotFound)?;
    state
        .mailer
        .queue(
            &mut *tx,
            &crate::support::mail::opened(&state.config, &saved)?,
        )
        .await?;
    let number = rules::ticket_number(opened.number);
    let due = ctx.date(opened.due_on);
    let entry = entry(Action::TicketOpened, &me, opened.id, ip);
    flash::done(
        tx,
        &session,
        entry,
        "support.opened",
        &[("number", &number), ("due", &due)],
        &format!("/support/tickets/{}", opened.id),
    )
    .await
}

/// The audit entry of a reseller user's action on a ticket.
fn entry(
    action: Action,
    me: &ResellerUser,
    ticket: Uuid,
    ip: std::net::IpAddr,
) -> audit::Entry<'static> {
    audit::Entry {
        reseller_id: Some(me.reseller_id),
        actor: Some(me.user.id),
        subject_type: Some("ticket"),
        subject_id: Some(ticket.to_string()),
        ip: Some(ip),
        ..audit::Entry::new(action)
    }
}

#[derive(Template)]
#[template(path = "support/show.html")]
struct ShowPage {
    ctx: PageCtx,
    t: TicketView,
    link: Option<(String, String)>,
    messages: Vec<MessageView>,
    closed: bool,
    can_reopen: bool,
    body: String,
    errors: FieldErrors,
}

/// A ticket's page, with a reply being written (and its error) when there is one.
async fn ticket_page(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    id: Uuid,
    body: String,
    errors: FieldErrors,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let t = store::ticket(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let messages = store::messages(&mut tx, id, false).await?;
    let files = store::attachments(&mut tx, id, false).await?;
    let link = match t.link() {
        Some(l) => store::link_label(&mut tx, l, ctx.locale)
            .await?
            .map(|label| (l.href(), label)),
        None => None,
    };
    tx.commit().await?;
    let now = time::OffsetDateTime::now_utc();
    let page = ShowPage {
        t: view::ticket(&ctx, &t, now, false),
        link,
        messages: view::messages(&ctx, &messages, &files, &format!("/support/tickets/{id}")),
        closed: t.status == TicketStatus::Closed,
        can_reopen: t.status == TicketStatus::Closed && rules::can_reopen(t.closed_at, now),
        body,
        errors: errors.clone(),
        ctx,
    };
    Ok(page::render(page::form_status(&errors), &page))
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    ticket_page(&state, ctx, &me, id, String::new(), FieldErrors::new()).await
}

#[derive(Deserialize, Default)]
struct ReplyForm {
    #[serde(default)]
    body: String,
}

async fn reply(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
    FormWithFiles { form, files }: FormWithFiles<ReplyForm>,
) -> AppResult<Response> {
    let (body, files) = match (rules::body(&form.body), checked_files(files)) {
        (Ok(b), Ok(f)) => (b, f),
        (Err(key), _) => {
            let errors = FieldErrors::one("body", key);
            return ticket_page(&state, ctx, &me, id, form.body, errors).await;
        }
        (_, Err(key)) => {
            let errors = FieldErrors::one("files", key);
            return ticket_page(&state, ctx, &me, id, form.body, errors).await;
        }
    };
    let now = time::OffsetDateTime::now_utc();
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let said = store::Said {
        body: &body,
        files: &files,
    };
    match store::reply(&mut tx, id, me.user.id, &said, now).await? {
        Ok(()) => {}
        Err(Refused::Closed) => {
            drop(tx);
            let errors = FieldErrors::one("body", "support.closed_no_reply");
            return ticket_page(&state, ctx, &me, id, form.body, errors).await;
        }
        Err(_) => return Err(AppError::NotFound),
    }
    let entry = entry(Action::TicketReplied, &me, id, ip);
    let to = format!("/support/tickets/{id}");
    flash::done(tx, &session, entry, "support.replied", &[], &to).await
}

/// Closes or reopens the ticket.
async fn set_open(
    state: &AppState,
    session: &Session,
    me: &ResellerUser,
    ip: std::net::IpAddr,
    id: Uuid,
    open: bool,
) -> AppResult<Response> {
    let now = time::OffsetDateTime::now_utc();
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let (done, action, message) = if open {
        (
            store::reopen(&mut tx, id, now).await?,
            Action::TicketReopened,
            "support.reopened",
        )
    } else {
        (
            store::close(&mut tx, id, now).await?,
            Action::TicketClosed,
            "support.closed",
        )
    };
    let to = format!("/support/tickets/{id}");
    match done {
        Ok(()) => flash::done(tx, session, entry(action, me, id, ip), message, &[], &to).await,
        Err(Refused::NotFound) => Err(AppError::NotFound),
        Err(_) => {
            drop(tx);
            let key = if open {
                "support.cannot_reopen"
            } else {
                "support.already_closed"
            };
            flash::push(session, flash::Level::Error, key, &[]).await;
            Ok(page::see_other(&to))
        }
    }
}

async fn close(
    State(state): State<AppState>,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    set_open(&state, &session, &me, ip, id, false).await
}

async fn reopen(
    State(state): State<AppState>,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    set_open(&state, &session, &me, ip, id, true).await
}

/// A file of one of the reseller's tickets (never of a staff note), as a download.
async fn download(
    State(state): State<AppState>,
    me: ResellerUser,
    Path((id, file)): Path<(Uuid, Uuid)>,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let found = store::attachment(&mut tx, id, file, false).await?;
    tx.commit().await?;
    let (name, kind, data) = found.ok_or(AppError::NotFound)?;
    Ok(crate::web::download::named_attachment(
        &name,
        kind.content_type(),
        data,
    ))
}
