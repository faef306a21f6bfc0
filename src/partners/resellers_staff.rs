//! `/staff/resellers`: every reseller, with search and filters, a detail page with programs,
//! users and recent activity, and suspension (its users can still sign in, cannot order, and
//! see why) or reactivation.

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
use crate::countries;
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::StaffUser;
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::forms::Form;
use crate::web::page::{self, PageCtx};

const PAGE_SIZE: i64 = 25;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/resellers", get(list))
        .route("/staff/resellers/{id}", get(detail))
        .route("/staff/resellers/{id}/status", post(set_status))
}

#[derive(Debug, sqlx::FromRow)]
pub struct ResellerRow {
    pub id: Uuid,
    pub legal_name: String,
    pub tax_id: String,
    pub country: String,
    pub public_id: String,
    pub status: String,
    pub users: i64,
    pub programs: i64,
}

#[derive(Deserialize, Default)]
struct Filters {
    #[serde(default)]
    q: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    program: String,
    #[serde(default)]
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/resellers.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<(ResellerRow, String, String)>,
    q: String,
    country: String,
    status: String,
    program: String,
    countries: Vec<(&'static str, &'static str)>,
    programs: Vec<crate::catalog::store::Choice>,
    summary: String,
    prev_link: Option<String>,
    next_link: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Query(f): Query<Filters>,
) -> AppResult<Response> {
    let q: String = f.q.trim().chars().take(100).collect();
    let country = countries::by_code(&f.country)
        .map(|c| c.code.to_string())
        .unwrap_or_default();
    let status = if matches!(f.status.as_str(), "active" | "suspended") {
        f.status.clone()
    } else {
        String::new()
    };
    let program = if f.program.len() <= 60 {
        f.program.clone()
    } else {
        String::new()
    };
    let page_no = f
        .page
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 100_000);
    let pattern = format!(
        "%{}%",
        q.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let filter = "FROM resellers r WHERE ($1 = '%%' OR r.legal_name ILIKE $1 OR r.tax_id ILIKE $1 OR r.public_id ILIKE $1)
          AND ($2 = '' OR r.country = $2) AND ($3 = '' OR r.status = $3)
          AND ($4 = '' OR EXISTS (SELECT 1 FROM program_enrollments e JOIN programs pr ON pr.id = e.program_id
                                  WHERE e.reseller_id = r.id AND pr.code = $4 AND e.status = 'approved'))";
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) {filter}"))
        .bind(&pattern)
        .bind(&country)
        .bind(&status)
        .bind(&program)
        .fetch_one(&state.db)
        .await?;
    let rows: Vec<ResellerRow> = sqlx::query_as(&format!(
        "SELECT r.id, r.legal_name, r.tax_id, r.country::text AS country, r.public_id, r.status,
                (SELECT count(*) FROM users u WHERE u.reseller_id = r.id AND u.status <> 'deactivated') AS users,
                (SELECT count(*) FROM program_enrollments e WHERE e.reseller_id = r.id AND e.status = 'approved') AS programs
         {filter} ORDER BY r.legal_name, r.id LIMIT {PAGE_SIZE} OFFSET $5"
    ))
    .bind(&pattern)
    .bind(&country)
    .bind(&status)
    .bind(&program)
    .bind((page_no - 1) * PAGE_SIZE)
    .fetch_all(&state.db)
    .await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let link = |p: i64| {
        let qs: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &q)
            .append_pair("country", &country)
            .append_pair("status", &status)
            .append_pair("program", &program)
            .append_pair("page", &p.to_string())
            .finish();
        format!("/staff/resellers?{qs}")
    };
    let rows = rows
        .into_iter()
        .map(|r| {
            let c = countries::by_code(&r.country)
                .map(|c| c.name(ctx.locale).to_string())
                .unwrap_or_default();
            let s = ctx.t(&format!("resellers.status_{}", r.status));
            (r, c, s)
        })
        .collect();
    Ok(page::ok(&ListPage {
        summary: ctx.t_count("resellers.count", total),
        prev_link: (page_no > 1).then(|| link(page_no - 1)),
        next_link: (page_no < pages).then(|| link(page_no + 1)),
        countries: countries::sorted(ctx.locale)
            .into_iter()
            .map(|c| (c.code, c.name(ctx.locale)))
            .collect(),
        programs: crate::catalog::store::programs(&state.db).await?,
        rows,
        q,
        country,
        status,
        program,
        ctx,
    }))
}

#[derive(Debug, sqlx::FromRow)]
pub struct Detail {
    pub id: Uuid,
    pub legal_name: String,
    pub tax_id: String,
    pub country: String,
    pub public_id: String,
    pub status: String,
    pub suspended_reason: Option<String>,
    pub billing_currency: String,
    pub markup_percent: rust_decimal::Decimal,
    pub phone: Option<String>,
    pub contact_email: Option<String>,
    pub partner_id: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/reseller.html")]
struct DetailPage {
    ctx: PageCtx,
    reseller: Detail,
    country_name: String,
    programs: Vec<(String, String, String)>,
    users: Vec<(String, String, String, String)>,
    activity: Vec<(String, String, String)>,
    reason: String,
    errors: FieldErrors,
}

async fn detail_view(
    state: &AppState,
    ctx: PageCtx,
    id: Uuid,
    reason: String,
    errors: FieldErrors,
) -> AppResult<Response> {
    let reseller: Detail = sqlx::query_as(
        "SELECT id, legal_name, tax_id, country::text AS country, public_id, status, suspended_reason,
                billing_currency::text AS billing_currency, markup_percent, phone,
                contact_email::text AS contact_email, partner_id
         FROM resellers WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&state.db)
    .await?
    .ok_or(AppError::NotFound)?;
    let programs: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT pr.name, e.status, pr.code FROM program_enrollments e JOIN programs pr ON pr.id = e.program_id
         WHERE e.reseller_id = $1 ORDER BY pr.name",
    )
    .bind(id)
    .fetch_all(&state.db)
    .await?;
    let programs = programs
        .into_iter()
        .map(|(name, status, code)| (name, ctx.t(&format!("programs.status_{status}")), code))
        .collect();
    let users: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT name, email::text, role, status FROM users WHERE reseller_id = $1 ORDER BY role = 'owner' DESC, name",
    )
    .bind(id)
    .fetch_all(&state.db)
    .await?;
    let users = users
        .into_iter()
        .map(|(n, e, r, s)| {
            (
                n,
                e,
                ctx.t(&format!("role.{r}")),
                ctx.t(&format!("users.status_{s}")),
            )
        })
        .collect();
    let activity: Vec<(time::OffsetDateTime, String, Option<String>)> = sqlx::query_as(
        "SELECT a.at, a.action, u.name FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id
         WHERE a.reseller_id = $1 ORDER BY a.at DESC LIMIT 20",
    )
    .bind(id)
    .fetch_all(&state.db)
    .await?;
    let activity = activity
        .into_iter()
        .map(|(at, action, who)| {
            (
                ctx.moment(at),
                ctx.t(&format!("audit.{action}")),
                who.unwrap_or_default(),
            )
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page::render(
        status,
        &DetailPage {
            country_name: countries::by_code(&reseller.country)
                .map(|c| c.name(ctx.locale).to_string())
                .unwrap_or_default(),
            reseller,
            programs,
            users,
            activity,
            reason,
            errors,
            ctx,
        },
    ))
}

async fn detail(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    detail_view(&state, ctx, id, String::new(), FieldErrors::new()).await
}

#[derive(Deserialize)]
struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
}

async fn set_status(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let status = match form.status.as_str() {
        s @ ("active" | "suspended") => s,
        _ => return Err(AppError::BadRequest),
    };
    let reason = form.reason.trim().to_string();
    if status == "suspended" && (reason.is_empty() || reason.chars().count() > 1000) {
        let errors = FieldErrors::one(
            "reason",
            if reason.is_empty() {
                "resellers.reason_required"
            } else {
                "form.too_long"
            },
        );
        return detail_view(
            &state,
            ctx,
            id,
            form.reason.chars().take(1000).collect(),
            errors,
        )
        .await;
    }
    let mut tx = state.db.begin().await?;
    let done = sqlx::query(
        "UPDATE resellers SET status = $2, suspended_reason = CASE WHEN $2 = 'suspended' THEN $3 END,
                updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(&reason)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    audit::record(
        &mut *tx,
        audit::Entry {
            reseller_id: Some(id),
            actor: Some(staff.id),
            subject_type: Some("reseller"),
            subject_id: Some(id.to_string()),
            details: serde_json::json!({ "reason": reason }),
            ip: Some(ip),
            ..audit::Entry::new(if status == "suspended" {
                Action::ResellerSuspended
            } else {
                Action::ResellerReactivated
            })
        },
    )
    .await?;
    tx.commit().await?;
    let key = if status == "suspended" {
        "resellers.suspended_flash"
    } else {
        "resellers.reactivated_flash"
    };
    flash::push(&session, Level::Success, key, &[]).await;
    Ok(page::see_other(&format!("/staff/resellers/{id}")))
}
