//! `/staff/access-requests`: the queue of companies asking for an account. Approving creates the
//! reseller and its owner (invited by e-mail); rejecting needs a reason, which the applicant
//! receives. Each decision is taken once (the row is locked) and recorded in the audit log.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use sqlx::PgConnection;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::auth::emails;
use crate::countries;
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::{Role, StaffUser};
use crate::partners::rules::{self, AccessRequestStatus};
use crate::partners::staff_store::{self, AccessFilter, AccessRequest};
use crate::partners::users::Invitation;
use crate::partners::{store, view};
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::{Choice, Form};
use crate::web::page::{self, PageCtx};
use crate::web::paging::{Page, Pager};
use crate::web::path::Path;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/access-requests", get(queue))
        .route("/staff/access-requests/{id}", get(detail))
        .route("/staff/access-requests/{id}/approve", post(approve))
        .route("/staff/access-requests/{id}/reject", post(reject))
}

#[derive(Deserialize, Default)]
struct Filters {
    #[serde(default)]
    status: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<String>,
}

impl Filters {
    fn filter(&self) -> AccessFilter {
        AccessFilter {
            status: rules::queue_filter(
                &self.status,
                AccessRequestStatus::from_code,
                AccessRequestStatus::Pending,
            ),
            country: view::country_filter(&self.country),
            q: self.q.trim().chars().take(100).collect(),
        }
    }
}

/// The queue with `f`'s filters, at page `n`.
fn link(f: &AccessFilter, n: i64) -> String {
    let qs: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("status", f.status.map_or("all", AccessRequestStatus::code))
        .append_pair("country", &f.country)
        .append_pair("q", &f.q)
        .append_pair("page", &n.to_string())
        .finish();
    format!("/staff/access-requests?{qs}")
}

/// A request as the queue and its page show it.
pub struct Row {
    pub request: AccessRequest,
    pub country_name: String,
    pub status_label: String,
    pub created: String,
    /// Still waiting for a decision.
    pub pending: bool,
}

fn row(ctx: &PageCtx, request: AccessRequest) -> Row {
    Row {
        country_name: view::country_name(ctx, &request.country),
        status_label: ctx.t(request.status.key()),
        created: ctx.moment(request.created_at),
        pending: request.status == AccessRequestStatus::Pending,
        request,
    }
}

#[derive(Template)]
#[template(path = "staff/access_requests.html")]
struct QueuePage {
    ctx: PageCtx,
    rows: Vec<Row>,
    q: String,
    countries: Vec<Choice>,
    statuses: Vec<Choice>,
    summary: String,
    pager: Pager,
}

async fn queue(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Query(f): Query<Filters>,
) -> AppResult<Response> {
    let (filter, page) = (f.filter(), Page::of_table(f.page.as_deref()));
    let (requests, total) = staff_store::access_requests(&state.db, &filter, page).await?;
    let pager = page.links(total, |n| link(&filter, n));
    let label = format!("{} {} / {}", ctx.t("pager.page"), page.number, pager.pages);
    Ok(page::ok(&QueuePage {
        rows: requests.into_iter().map(|r| row(&ctx, r)).collect(),
        countries: view::country_choices(&ctx, &filter.country),
        statuses: view::status_choices(
            &ctx,
            AccessRequestStatus::ALL,
            filter.status,
            AccessRequestStatus::code,
            AccessRequestStatus::key,
            "access.status_all",
        ),
        summary: ctx.t_with("pager.total", &[("count", &total.to_string())]),
        pager: pager.labelled(label),
        q: filter.q,
        ctx,
    }))
}

#[derive(Template)]
#[template(path = "staff/access_request.html")]
struct DetailPage {
    ctx: PageCtx,
    row: Row,
    decided: String,
    reason: String,
    errors: FieldErrors,
}

async fn load(db: impl sqlx::PgExecutor<'_>, id: Uuid) -> AppResult<AccessRequest> {
    staff_store::access_request(db, id)
        .await?
        .ok_or(AppError::NotFound)
}

fn detail_page(
    ctx: PageCtx,
    request: AccessRequest,
    reason: String,
    errors: FieldErrors,
) -> Response {
    let decided = request
        .decided_at
        .map(|at| ctx.moment(at))
        .unwrap_or_default();
    let page = DetailPage {
        row: row(&ctx, request),
        ctx,
        decided,
        reason,
        errors,
    };
    page::render(page::form_status(&page.errors), &page)
}

async fn detail(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    let request = load(&state.db, id).await?;
    Ok(detail_page(ctx, request, String::new(), FieldErrors::new()))
}

/// Locks a pending request for a decision; `None` when someone already decided it.
async fn lock_pending(tx: &mut PgConnection, id: Uuid) -> AppResult<Option<AccessRequest>> {
    let status = staff_store::lock_access_request(tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if status != AccessRequestStatus::Pending {
        return Ok(None);
    }
    Ok(Some(load(&mut *tx, id).await?))
}

/// Creates the reseller of an approved request and its owner, and invites the owner by e-mail;
/// refused (the message says why) when the tax id or the e-mail has an account already.
async fn open_account(
    state: &AppState,
    tx: &mut PgConnection,
    request: &AccessRequest,
    staff_id: Uuid,
) -> AppResult<Result<Uuid, &'static str>> {
    let country = countries::by_code(&request.country).ok_or(AppError::BadRequest)?;
    let locale = request.locale;
    let reseller = staff_store::create_reseller(tx, request, country, locale).await?;
    let Some(reseller_id) = reseller else {
        return Ok(Err("access.tax_id_taken"));
    };
    let (email, name) = (request.email.as_str(), request.contact_name.as_str());
    let owner = store::invite(tx, reseller_id, email, name, Role::Owner, staff_id, locale);
    let Some(owner_id) = owner.await? else {
        return Ok(Err("access.email_taken"));
    };
    let invitation = Invitation {
        user_id: owner_id,
        locale,
        email,
        name,
        company: &request.legal_name,
        inviter: None,
    };
    invitation.send(tx, state).await?;
    Ok(Ok(reseller_id))
}

async fn approve(
    State(state): State<AppState>,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    let back = format!("/staff/access-requests/{id}");
    let mut tx = state.db.begin().await?;
    let Some(request) = lock_pending(&mut tx, id).await? else {
        return view::refused(&session, "access.already_decided", &back).await;
    };
    let reseller_id = match open_account(&state, &mut tx, &request, staff.id).await? {
        Ok(reseller_id) => reseller_id,
        // Rolled back: nothing of the reseller stays.
        Err(refusal) => return view::refused(&session, refusal, &back).await,
    };
    let approved = AccessRequestStatus::Approved;
    staff_store::record_decision(&mut tx, id, approved, staff.id, Some(reseller_id), None).await?;
    let entry = audit::Entry {
        reseller_id: Some(reseller_id),
        actor: Some(staff.id),
        subject_type: Some("access_request"),
        subject_id: Some(id.to_string()),
        details: serde_json::json!({ "legal_name": request.legal_name, "owner": request.email }),
        ip: Some(ip),
        ..audit::Entry::new(Action::AccessRequestApproved)
    };
    let company = [("company", request.legal_name.as_str())];
    flash::done(
        tx,
        &session,
        entry,
        "access.approved_flash",
        &company,
        &back,
    )
    .await
}

#[derive(Deserialize)]
struct RejectForm {
    #[serde(default)]
    reason: String,
}

async fn reject(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
    Form(form): Form<RejectForm>,
) -> AppResult<Response> {
    let back = format!("/staff/access-requests/{id}");
    let reason = match rules::reason(&form.reason, Some("access.reason_required")) {
        Ok(reason) => reason,
        Err(key) => {
            let request = load(&state.db, id).await?;
            let typed = rules::typed_reason(&form.reason);
            return Ok(detail_page(
                ctx,
                request,
                typed,
                FieldErrors::one("reason", key),
            ));
        }
    };
    let mut tx = state.db.begin().await?;
    let Some(request) = lock_pending(&mut tx, id).await? else {
        return view::refused(&session, "access.already_decided", &back).await;
    };
    let rejected = AccessRequestStatus::Rejected;
    staff_store::record_decision(&mut tx, id, rejected, staff.id, None, Some(&reason)).await?;
    let (email, name) = (request.email.as_str(), request.contact_name.as_str());
    let company = request.legal_name.as_str();
    let message = emails::access_request_rejected(request.locale, email, name, company, &reason)?;
    state.mailer.queue(&mut *tx, &message).await?;
    let entry = audit::Entry {
        actor: Some(staff.id),
        subject_type: Some("access_request"),
        subject_id: Some(id.to_string()),
        details: serde_json::json!({ "reason": reason }),
        ip: Some(ip),
        ..audit::Entry::new(Action::AccessRequestRejected)
    };
    let company = [("company", company)];
    flash::done(
        tx,
        &session,
        entry,
        "access.rejected_flash",
        &company,
        &back,
    )
    .await
}
