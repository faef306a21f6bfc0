//! `/staff/program-requests`: the queue of program requests (oldest first), each with the
//! reseller's data and history; staff approve or reject (a reason is required), and later
//! suspend or reinstate. The reseller's owners and admins and the requester are told by e-mail.

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

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/program-requests", get(queue))
        .route("/staff/program-requests/{reseller}/{program}", get(detail))
        .route(
            "/staff/program-requests/{reseller}/{program}/decide",
            post(decide),
        )
}

#[derive(Debug, sqlx::FromRow)]
pub struct Request {
    pub reseller_id: Uuid,
    pub legal_name: String,
    pub tax_id: String,
    pub country: String,
    pub public_id: String,
    pub reseller_status: String,
    pub program_code: String,
    pub program: String,
    pub status: String,
    pub domain: Option<String>,
    pub partner_id: Option<String>,
    pub reason: Option<String>,
    pub requested_at: time::OffsetDateTime,
    pub requested_by: Option<String>,
    pub accepted_version: Option<i32>,
}

const SELECT: &str = "SELECT e.reseller_id, r.legal_name, r.tax_id, r.country::text AS country,
        r.public_id, r.status AS reseller_status, pr.code AS program_code, pr.name AS program,
        e.status, e.domain, e.partner_id, e.reason, e.requested_at, u.name AS requested_by,
        (SELECT max(a.version) FROM program_terms_acceptances a
         WHERE a.reseller_id = e.reseller_id AND a.program_id = e.program_id) AS accepted_version
    FROM program_enrollments e
    JOIN resellers r ON r.id = e.reseller_id
    JOIN programs pr ON pr.id = e.program_id
    LEFT JOIN users u ON u.id = e.requested_by";

#[derive(Deserialize, Default)]
struct Filters {
    #[serde(default)]
    status: String,
    #[serde(default)]
    program: String,
    #[serde(default)]
    country: String,
}

pub struct Row {
    pub request: Request,
    pub country_name: String,
    pub status_label: String,
    pub requested: String,
}

#[derive(Template)]
#[template(path = "staff/program_requests.html")]
struct QueuePage {
    ctx: PageCtx,
    rows: Vec<Row>,
    status: String,
    program: String,
    country: String,
    statuses: Vec<(&'static str, String)>,
    programs: Vec<crate::catalog::store::Choice>,
    countries: Vec<(&'static str, &'static str)>,
}

fn row(ctx: &PageCtx, request: Request) -> Row {
    Row {
        country_name: countries::by_code(&request.country)
            .map(|c| c.name(ctx.locale).to_string())
            .unwrap_or_else(|| request.country.clone()),
        status_label: ctx.t(&format!("programs.status_{}", request.status)),
        requested: ctx.moment(request.requested_at),
        request,
    }
}

async fn queue(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Query(f): Query<Filters>,
) -> AppResult<Response> {
    let status = match f.status.as_str() {
        s @ ("pending" | "approved" | "rejected" | "suspended" | "all") => s.to_string(),
        _ => "pending".into(),
    };
    let country = countries::by_code(&f.country)
        .map(|c| c.code.to_string())
        .unwrap_or_default();
    let program = if f.program.len() <= 60 {
        f.program.clone()
    } else {
        String::new()
    };
    let requests: Vec<Request> = sqlx::query_as(&format!(
        "{SELECT} WHERE ($1 = 'all' OR e.status = $1) AND ($2 = '' OR pr.code = $2)
           AND ($3 = '' OR r.country = $3)
         ORDER BY e.requested_at, r.legal_name LIMIT 200"
    ))
    .bind(&status)
    .bind(&program)
    .bind(&country)
    .fetch_all(&state.db)
    .await?;
    let rows = requests.into_iter().map(|r| row(&ctx, r)).collect();
    let statuses = ["pending", "approved", "rejected", "suspended", "all"]
        .into_iter()
        .map(|s| (s, ctx.t(&format!("programs.status_{s}"))))
        .collect();
    let programs = crate::catalog::store::programs(&state.db).await?;
    let countries = countries::sorted(ctx.locale)
        .into_iter()
        .map(|c| (c.code, c.name(ctx.locale)))
        .collect();
    Ok(page::ok(&QueuePage {
        ctx,
        rows,
        status,
        program,
        country,
        statuses,
        programs,
        countries,
    }))
}

pub struct HistoryLine {
    pub at: String,
    pub action: String,
    pub actor: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "staff/program_request.html")]
struct DetailPage {
    ctx: PageCtx,
    row: Row,
    history: Vec<HistoryLine>,
    reason: String,
    errors: FieldErrors,
}

async fn load(db: &sqlx::PgPool, reseller: &str, program: &str) -> AppResult<Request> {
    let reseller = Uuid::parse_str(reseller).map_err(|_| AppError::NotFound)?;
    sqlx::query_as(&format!(
        "{SELECT} WHERE e.reseller_id = $1 AND pr.code = $2"
    ))
    .bind(reseller)
    .bind(program)
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound)
}

async fn detail_view(
    state: &AppState,
    ctx: PageCtx,
    request: Request,
    reason: String,
    errors: FieldErrors,
) -> AppResult<Response> {
    let subject = format!("{}:{}", request.reseller_id, request.program_code);
    let entries: Vec<(time::OffsetDateTime, String, Option<String>, serde_json::Value)> = sqlx::query_as(
        "SELECT a.at, a.action, u.name, a.details FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id
         WHERE a.subject_type = 'program_enrollment' AND a.subject_id = $1 ORDER BY a.at DESC LIMIT 50",
    )
    .bind(&subject)
    .fetch_all(&state.db)
    .await?;
    let history = entries
        .into_iter()
        .map(|(at, action, actor, details)| HistoryLine {
            at: ctx.moment(at),
            action: ctx.t(&format!("audit.{action}")),
            actor: actor.unwrap_or_default(),
            details: details
                .get("reason")
                .and_then(|r| r.as_str())
                .map(str::to_string)
                .unwrap_or_default(),
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let row = row(&ctx, request);
    Ok(page::render(
        status,
        &DetailPage {
            ctx,
            row,
            history,
            reason,
            errors,
        },
    ))
}

async fn detail(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Path((reseller, program)): Path<(String, String)>,
) -> AppResult<Response> {
    let request = load(&state.db, &reseller, &program).await?;
    detail_view(&state, ctx, request, String::new(), FieldErrors::new()).await
}

#[derive(Deserialize)]
struct DecideForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

/// Which decisions are possible from which status, and what they lead to.
pub fn transition(from: &str, decision: &str) -> Option<&'static str> {
    match (from, decision) {
        ("pending", "approve") => Some("approved"),
        ("pending", "reject") => Some("rejected"),
        ("approved", "suspend") => Some("suspended"),
        ("suspended", "reinstate") => Some("approved"),
        _ => None,
    }
}

async fn decide(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Path((reseller, program)): Path<(String, String)>,
    Form(form): Form<DecideForm>,
) -> AppResult<Response> {
    let request = load(&state.db, &reseller, &program).await?;
    let back = format!(
        "/staff/program-requests/{}/{}",
        request.reseller_id, request.program_code
    );
    let reason = form.reason.trim().to_string();
    let needs_reason = matches!(form.decision.as_str(), "reject" | "suspend");
    let mut errors = FieldErrors::new();
    if needs_reason && reason.is_empty() {
        errors.add("reason", "access.reason_required");
    } else if reason.chars().count() > 1000 {
        errors.add("reason", "form.too_long");
    }
    if !errors.is_empty() {
        return detail_view(
            &state,
            ctx,
            request,
            form.reason.chars().take(1000).collect(),
            errors,
        )
        .await;
    }
    let mut tx = state.db.begin().await?;
    // Locked, and checked against its status now: two staff deciding at once take turns.
    let current: Option<String> = sqlx::query_scalar(
        "SELECT e.status FROM program_enrollments e JOIN programs pr ON pr.id = e.program_id
         WHERE e.reseller_id = $1 AND pr.code = $2 FOR UPDATE OF e",
    )
    .bind(request.reseller_id)
    .bind(&request.program_code)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(to) = current
        .as_deref()
        .and_then(|c| transition(c, &form.decision))
    else {
        flash::push(&session, Level::Error, "access.already_decided", &[]).await;
        return Ok(page::see_other(&back));
    };
    sqlx::query(
        "UPDATE program_enrollments e SET status = $3, reason = $4, decided_by = $5, decided_at = now(), updated_at = now()
         FROM programs pr WHERE pr.id = e.program_id AND e.reseller_id = $1 AND pr.code = $2",
    )
    .bind(request.reseller_id)
    .bind(&request.program_code)
    .bind(to)
    .bind(if reason.is_empty() { None } else { Some(&reason) })
    .bind(staff.id)
    .execute(&mut *tx)
    .await?;
    let event = match form.decision.as_str() {
        "approve" => "approved",
        "reject" => "rejected",
        "suspend" => "suspended",
        _ => "reinstated",
    };
    let requester: Option<Uuid> = sqlx::query_scalar(
        "SELECT e.requested_by FROM program_enrollments e JOIN programs pr ON pr.id = e.program_id
         WHERE e.reseller_id = $1 AND pr.code = $2",
    )
    .bind(request.reseller_id)
    .bind(&request.program_code)
    .fetch_one(&mut *tx)
    .await?;
    let link = state.config.link("/partner/programs");
    crate::partners::program_mail::notify_admins(
        &mut tx,
        request.reseller_id,
        requester,
        &request.program,
        event,
        (!reason.is_empty()).then_some(reason.as_str()),
        &link,
    )
    .await?;
    audit::record(
        &mut *tx,
        audit::Entry {
            reseller_id: Some(request.reseller_id),
            actor: Some(staff.id),
            subject_type: Some("program_enrollment"),
            subject_id: Some(format!("{}:{}", request.reseller_id, request.program_code)),
            details: serde_json::json!({ "reason": reason }),
            ip: Some(ip),
            ..audit::Entry::new(match event {
                "approved" => Action::ProgramApproved,
                "rejected" => Action::ProgramRejected,
                "suspended" => Action::ProgramSuspended,
                _ => Action::ProgramReinstated,
            })
        },
    )
    .await?;
    tx.commit().await?;
    flash::push(
        &session,
        Level::Success,
        &format!("programs.decided_{event}"),
        &[("company", &request.legal_name)],
    )
    .await;
    Ok(page::see_other(&back))
}

#[cfg(test)]
mod tests {
    use super::transition;

    #[test]
    fn decisions_follow_the_status() {
        assert_eq!(transition("pending", "approve"), Some("approved"));
        assert_eq!(transition("pending", "reject"), Some("rejected"));
        assert_eq!(transition("approved", "suspend"), Some("suspended"));
        assert_eq!(transition("suspended", "reinstate"), Some("approved"));
        assert_eq!(transition("approved", "approve"), None);
        assert_eq!(transition("rejected", "approve"), None);
        assert_eq!(transition("pending", "delete"), None);
    }
}
