//! `/staff/program-requests`: the queue of program requests (oldest first), each with the
//! reseller's data and history; staff approve or reject (a reason is required), and later
//! suspend or reinstate. What a decision does is `rules::decide`. The reseller's owners and
//! admins and the requester are told by e-mail.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit;
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::StaffUser;
use crate::partners::program_mail::{self, ProgramNews};
use crate::partners::programs::EnrollmentStatus;
use crate::partners::rules::{self, ProgramDecision};
use crate::partners::staff_store::{self, ProgramFilter, ProgramRequest};
use crate::partners::view::{self, ProgramChoice};
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::{Choice, Form};
use crate::web::page::{self, PageCtx};
use crate::web::path::Path;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/program-requests", get(queue))
        .route("/staff/program-requests/{reseller}/{program}", get(detail))
        .route(
            "/staff/program-requests/{reseller}/{program}/decide",
            post(decide),
        )
}

#[derive(Deserialize, Default)]
struct Filters {
    #[serde(default)]
    status: String,
    #[serde(default)]
    program: String,
    #[serde(default)]
    country: String,
}

/// A request as the queue and its page show it.
pub struct Row {
    pub request: ProgramRequest,
    pub country_name: String,
    pub status_label: String,
    pub requested: String,
}

fn row(ctx: &PageCtx, request: ProgramRequest) -> Row {
    Row {
        country_name: view::country_name(ctx, &request.country),
        status_label: ctx.t(request.status.key()),
        requested: ctx.moment(request.requested_at),
        request,
    }
}

#[derive(Template)]
#[template(path = "staff/program_requests.html")]
struct QueuePage {
    ctx: PageCtx,
    rows: Vec<Row>,
    statuses: Vec<Choice>,
    programs: Vec<ProgramChoice>,
    countries: Vec<Choice>,
}

async fn queue(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Query(f): Query<Filters>,
) -> AppResult<Response> {
    let filter = ProgramFilter {
        status: rules::queue_filter(
            &f.status,
            EnrollmentStatus::from_code,
            EnrollmentStatus::Pending,
        ),
        program: view::program_filter(&f.program),
        country: view::country_filter(&f.country),
    };
    let requests = staff_store::program_requests(&state.db, &filter).await?;
    let programs = crate::catalog::store::programs(&state.db).await?;
    Ok(page::ok(&QueuePage {
        rows: requests.into_iter().map(|r| row(&ctx, r)).collect(),
        statuses: view::status_choices(
            &ctx,
            EnrollmentStatus::ALL,
            filter.status,
            EnrollmentStatus::code,
            EnrollmentStatus::key,
            "programs.status_all",
        ),
        programs: view::program_choices(programs, &filter.program),
        countries: view::country_choices(&ctx, &filter.country),
        ctx,
    }))
}

/// A change in the request's history.
pub struct HistoryLine {
    pub at: String,
    pub action: String,
    pub actor: String,
    pub details: String,
}

/// A decision staff may take now, as its button.
pub struct DecisionButton {
    pub code: &'static str,
    pub label: String,
    pub primary: bool,
}

#[derive(Template)]
#[template(path = "staff/program_request.html")]
struct DetailPage {
    ctx: PageCtx,
    row: Row,
    history: Vec<HistoryLine>,
    decisions: Vec<DecisionButton>,
    reason: String,
    errors: FieldErrors,
}

async fn load(db: &sqlx::PgPool, reseller: Uuid, program: &str) -> AppResult<ProgramRequest> {
    staff_store::program_request(db, reseller, program)
        .await?
        .ok_or(AppError::NotFound)
}

/// How the audit log names a program request.
fn subject(request: &ProgramRequest) -> String {
    format!("{}:{}", request.reseller_id, request.program_code)
}

async fn detail_view(
    state: &AppState,
    ctx: PageCtx,
    request: ProgramRequest,
    reason: String,
    errors: FieldErrors,
) -> AppResult<Response> {
    let entries = staff_store::enrollment_history(&state.db, &subject(&request)).await?;
    let history = entries
        .into_iter()
        .map(|e| HistoryLine {
            at: ctx.moment(e.at),
            action: ctx.t(e.action.key()),
            actor: e.actor.unwrap_or_default(),
            details: e.reason.unwrap_or_default(),
        })
        .collect();
    let decisions = ProgramDecision::ALL
        .iter()
        .filter(|&&d| rules::decide(request.status, d).is_some())
        .map(|&d| DecisionButton {
            code: d.code(),
            label: ctx.t(d.key()),
            primary: d.is_primary(),
        })
        .collect();
    let page = DetailPage {
        row: row(&ctx, request),
        ctx,
        history,
        decisions,
        reason,
        errors,
    };
    Ok(page::render(page::form_status(&page.errors), &page))
}

async fn detail(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Path((reseller, program)): Path<(Uuid, String)>,
) -> AppResult<Response> {
    let request = load(&state.db, reseller, &program).await?;
    detail_view(&state, ctx, request, String::new(), FieldErrors::new()).await
}

#[derive(Deserialize)]
struct DecideForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

async fn decide(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Path((reseller, program)): Path<(Uuid, String)>,
    Form(form): Form<DecideForm>,
) -> AppResult<Response> {
    let request = load(&state.db, reseller, &program).await?;
    let back = format!(
        "/staff/program-requests/{}/{}",
        request.reseller_id, request.program_code
    );
    let decision = ProgramDecision::from_code(&form.decision);
    let required = decision.is_some_and(ProgramDecision::needs_reason);
    let reason = match rules::reason(&form.reason, required.then_some("access.reason_required")) {
        Ok(reason) => reason,
        Err(key) => {
            let (typed, errors) = (
                rules::typed_reason(&form.reason),
                FieldErrors::one("reason", key),
            );
            return detail_view(&state, ctx, request, typed, errors).await;
        }
    };
    let (reseller_id, program_id) = (request.reseller_id, request.program_id);
    let mut tx = state.db.begin().await?;
    // Locked, and checked against its status now: two staff deciding at once take turns.
    let current = staff_store::lock_enrollment(&mut tx, reseller_id, program_id).await?;
    let Some((decision, (action, next))) =
        decision.and_then(|d| Some((d, rules::decide(current?, d)?)))
    else {
        return view::refused(&session, "access.already_decided", &back).await;
    };
    let given = (!reason.is_empty()).then_some(reason.as_str());
    let requester =
        staff_store::decide_enrollment(&mut tx, reseller_id, program_id, next, given, staff.id)
            .await?;
    let link = state.config.link("/partner/programs");
    let news = ProgramNews {
        program: &request.program,
        event: decision.event(),
        reason: given,
        link: &link,
    };
    program_mail::notify_admins(&mut tx, &state.mailer, reseller_id, requester, &news).await?;
    let entry = audit::Entry {
        reseller_id: Some(reseller_id),
        actor: Some(staff.id),
        subject_type: Some("program_enrollment"),
        subject_id: Some(subject(&request)),
        details: serde_json::json!({ "reason": reason }),
        ip: Some(ip),
        ..audit::Entry::new(action)
    };
    let company = [("company", request.legal_name.as_str())];
    flash::done(tx, &session, entry, decision.done_key(), &company, &back).await
}
