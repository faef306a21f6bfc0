//! `/staff/access-requests`: the queue of companies asking for an account. Approving creates the
//! reseller and its owner (invited by e-mail); rejecting needs a reason, which the applicant
//! receives. Each decision is taken once (the row is locked) and recorded in the audit log.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::auth::emails;
use crate::countries;
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::i18n::Locale;
use crate::identity::StaffUser;
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::forms::Form;
use crate::web::page::{self, PageCtx};

const PAGE_SIZE: i64 = 25;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/access-requests", get(queue))
        .route("/staff/access-requests/{id}", get(detail))
        .route("/staff/access-requests/{id}/approve", post(approve))
        .route("/staff/access-requests/{id}/reject", post(reject))
}

#[derive(Debug, sqlx::FromRow)]
pub struct Request {
    pub id: Uuid,
    pub legal_name: String,
    pub tax_id: String,
    pub country: String,
    pub contact_name: String,
    pub email: String,
    pub phone: String,
    pub partner_id: Option<String>,
    pub locale: String,
    pub status: String,
    pub rejection_reason: Option<String>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<time::OffsetDateTime>,
    pub reseller_id: Option<Uuid>,
    pub created_at: time::OffsetDateTime,
}

const SELECT: &str =
    "SELECT r.id, r.legal_name, r.tax_id, r.country::text AS country, r.contact_name,
        r.email::text AS email, r.phone, r.partner_id, r.locale, r.status, r.rejection_reason,
        u.name AS decided_by_name, r.decided_at, r.reseller_id, r.created_at
    FROM access_requests r LEFT JOIN users u ON u.id = r.decided_by";

#[derive(Deserialize, Default)]
struct Filters {
    status: Option<String>,
    country: Option<String>,
    q: Option<String>,
    page: Option<i64>,
}

pub struct Row {
    pub request: Request,
    pub country_name: String,
    pub status_label: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "staff/access_requests.html")]
struct QueuePage {
    ctx: PageCtx,
    rows: Vec<Row>,
    status: String,
    country: String,
    q: String,
    countries: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, String)>,
    page: i64,
    pages: i64,
    total_text: String,
    prev_link: Option<String>,
    next_link: Option<String>,
}

fn row(ctx: &PageCtx, request: Request) -> Row {
    Row {
        country_name: countries::by_code(&request.country)
            .map(|c| c.name(ctx.locale).to_string())
            .unwrap_or_else(|| request.country.clone()),
        status_label: ctx.t(&format!("access.status_{}", request.status)),
        created: ctx.moment(request.created_at),
        request,
    }
}

async fn queue(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Query(f): Query<Filters>,
) -> AppResult<Response> {
    let status = match f.status.as_deref() {
        Some(s @ ("pending" | "approved" | "rejected" | "all")) => s.to_string(),
        _ => "pending".to_string(),
    };
    let country = f
        .country
        .as_deref()
        .and_then(countries::by_code)
        .map(|c| c.code.to_string())
        .unwrap_or_default();
    let q: String = f.q.unwrap_or_default().trim().chars().take(100).collect();
    let page = f.page.unwrap_or(1).clamp(1, 10_000);
    let pattern = format!(
        "%{}%",
        q.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let filter = "WHERE ($1 = 'all' OR r.status = $1) AND ($2 = '' OR r.country = $2)
          AND ($3 = '%%' OR r.legal_name ILIKE $3 OR r.email::text ILIKE $3 OR r.tax_id ILIKE $3
               OR r.contact_name ILIKE $3)";
    let total: i64 =
        sqlx::query_scalar(&format!("SELECT count(*) FROM access_requests r {filter}"))
            .bind(&status)
            .bind(&country)
            .bind(&pattern)
            .fetch_one(&state.db)
            .await?;
    // The oldest pending request first; decided ones newest first.
    let order = if status == "pending" {
        "r.created_at ASC"
    } else {
        "r.created_at DESC"
    };
    let requests: Vec<Request> = sqlx::query_as(&format!(
        "{SELECT} {filter} ORDER BY {order}, r.id LIMIT {PAGE_SIZE} OFFSET $4"
    ))
    .bind(&status)
    .bind(&country)
    .bind(&pattern)
    .bind((page - 1) * PAGE_SIZE)
    .fetch_all(&state.db)
    .await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let link = |p: i64| {
        let qs: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("status", &status)
            .append_pair("country", &country)
            .append_pair("q", &q)
            .append_pair("page", &p.to_string())
            .finish();
        format!("/staff/access-requests?{qs}")
    };
    let rows = requests.into_iter().map(|r| row(&ctx, r)).collect();
    let countries = countries::sorted(ctx.locale)
        .into_iter()
        .map(|c| (c.code, c.name(ctx.locale)))
        .collect();
    let statuses = ["pending", "approved", "rejected", "all"]
        .into_iter()
        .map(|s| (s, ctx.t(&format!("access.status_{s}"))))
        .collect();
    Ok(page::ok(&QueuePage {
        statuses,
        rows,
        prev_link: (page > 1).then(|| link(page - 1)),
        next_link: (page < pages).then(|| link(page + 1)),
        status,
        country,
        q,
        countries,
        page,
        pages,
        total_text: ctx.t_with("pager.total", &[("count", &total.to_string())]),
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

async fn load(db: impl sqlx::PgExecutor<'_>, id: &str) -> AppResult<Request> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    sqlx::query_as(&format!("{SELECT} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or(AppError::NotFound)
}

fn detail_page(ctx: PageCtx, request: Request, reason: String, errors: FieldErrors) -> Response {
    let decided = request
        .decided_at
        .map(|at| ctx.moment(at))
        .unwrap_or_default();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let row = row(&ctx, request);
    page::render(
        status,
        &DetailPage {
            ctx,
            row,
            decided,
            reason,
            errors,
        },
    )
}

async fn detail(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let request = load(&state.db, &id).await?;
    Ok(detail_page(ctx, request, String::new(), FieldErrors::new()))
}

/// Locks a pending request for a decision; `None` when someone already decided it.
async fn lock_pending(tx: &mut sqlx::PgConnection, id: Uuid) -> AppResult<Option<Request>> {
    let found: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM access_requests WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    if found.is_none() {
        return Err(AppError::NotFound);
    }
    let request = load(&mut *tx, &id.to_string()).await?;
    Ok((request.status == "pending").then_some(request))
}

async fn approve(
    State(state): State<AppState>,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let back = format!("/staff/access-requests/{id}");
    let mut tx = state.db.begin().await?;
    let Some(request) = lock_pending(&mut tx, id).await? else {
        flash::push(&session, Level::Error, "access.already_decided", &[]).await;
        return Ok(page::see_other(&back));
    };
    let country = countries::by_code(&request.country).ok_or(AppError::BadRequest)?;
    let locale = Locale::from_code(&request.locale).unwrap_or(country.locale);

    let reseller_id: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO resellers (legal_name, tax_id, country, billing_currency, time_zone, default_locale)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (country, tax_id) DO NOTHING
         RETURNING id",
    )
    .bind(&request.legal_name)
    .bind(&request.tax_id)
    .bind(country.code)
    .bind(country.billing_currency)
    .bind(country.time_zone)
    .bind(locale.code())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(reseller_id) = reseller_id else {
        flash::push(&session, Level::Error, "access.tax_id_taken", &[]).await;
        return Ok(page::see_other(&back));
    };
    let owner_id: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO users (reseller_id, email, name, role, status, locale, invited_by)
         VALUES ($1, $2::text, $3, 'owner', 'invited', $4, $5)
         ON CONFLICT (email) DO NOTHING
         RETURNING id",
    )
    .bind(reseller_id)
    .bind(&request.email)
    .bind(&request.contact_name)
    .bind(locale.code())
    .bind(staff.id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(owner_id) = owner_id else {
        // Rolled back: nothing of the reseller stays.
        flash::push(&session, Level::Error, "access.email_taken", &[]).await;
        return Ok(page::see_other(&back));
    };
    let token = crate::auth::store::create_token(
        &mut *tx,
        owner_id,
        crate::auth::store::TokenPurpose::Invitation,
        time::Duration::days(crate::partners::users::INVITATION_VALID_DAYS),
    )
    .await?;
    let link = state.config.link(&format!("/invitation/{token}"));
    crate::mail::queue(
        &mut *tx,
        &emails::invitation(
            locale,
            &request.email,
            &request.contact_name,
            &request.legal_name,
            None,
            &link,
        )?,
    )
    .await?;
    sqlx::query(
        "UPDATE access_requests SET status = 'approved', decided_by = $2, decided_at = now(),
                reseller_id = $3
         WHERE id = $1",
    )
    .bind(id)
    .bind(staff.id)
    .bind(reseller_id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        audit::Entry {
            reseller_id: Some(reseller_id),
            actor: Some(staff.id),
            subject_type: Some("access_request"),
            subject_id: Some(id.to_string()),
            details: serde_json::json!({ "legal_name": request.legal_name, "owner": request.email }),
            ip: Some(ip),
            ..audit::Entry::new(Action::AccessRequestApproved)
        },
    )
    .await?;
    tx.commit().await?;
    flash::push(
        &session,
        Level::Success,
        "access.approved_flash",
        &[("company", &request.legal_name)],
    )
    .await;
    Ok(page::see_other(&back))
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
    Path(id): Path<String>,
    Form(form): Form<RejectForm>,
) -> AppResult<Response> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let back = format!("/staff/access-requests/{id}");
    let reason = form.reason.trim().to_string();
    let mut errors = FieldErrors::new();
    if reason.is_empty() {
        errors.add("reason", "access.reason_required");
    } else if reason.chars().count() > 1000 {
        errors.add("reason", "form.too_long");
    }
    if !errors.is_empty() {
        let request = load(&state.db, &id.to_string()).await?;
        return Ok(detail_page(
            ctx,
            request,
            form.reason.chars().take(1000).collect(),
            errors,
        ));
    }
    let mut tx = state.db.begin().await?;
    let Some(request) = lock_pending(&mut tx, id).await? else {
        flash::push(&session, Level::Error, "access.already_decided", &[]).await;
        return Ok(page::see_other(&back));
    };
    sqlx::query(
        "UPDATE access_requests SET status = 'rejected', decided_by = $2, decided_at = now(),
                rejection_reason = $3
         WHERE id = $1",
    )
    .bind(id)
    .bind(staff.id)
    .bind(&reason)
    .execute(&mut *tx)
    .await?;
    let locale = Locale::from_code(&request.locale).unwrap_or_default();
    crate::mail::queue(
        &mut *tx,
        &emails::access_request_rejected(
            locale,
            &request.email,
            &request.contact_name,
            &request.legal_name,
            &reason,
        )?,
    )
    .await?;
    audit::record(
        &mut *tx,
        audit::Entry {
            actor: Some(staff.id),
            subject_type: Some("access_request"),
            subject_id: Some(id.to_string()),
            details: serde_json::json!({ "reason": reason }),
            ip: Some(ip),
            ..audit::Entry::new(Action::AccessRequestRejected)
        },
    )
    .await?;
    tx.commit().await?;
    flash::push(
        &session,
        Level::Success,
        "access.rejected_flash",
        &[("company", &request.legal_name)],
    )
    .await;
    Ok(page::see_other(&back))
}
