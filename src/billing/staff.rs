//! `/staff/billing`: the billing runs (start one for a month that is over, follow its progress,
//! see what it issued per reseller; a second start of a month already being billed is refused,
//! and a run again bills only who was not billed), the invoices of a month across resellers,
//! the usage import's days and the usage rows kept aside.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit;
use crate::billing::charges::Month;
use crate::billing::store::runs::{self, Import, Run, RunStatus, StaffInvoice, Unmatched};
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::StaffUser;
use crate::web::PageCtx;
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::forms::Form;
use crate::web::page;
use crate::web::path::Path;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/billing", get(home).post(start))
        .route("/staff/billing/runs/{id}", get(run_page))
}

/// Runs, imports and rows kept aside the page lists.
const LISTED: i64 = 30;
/// Invoices of a month the page lists.
const INVOICES: i64 = 500;

/// A run as the page shows it.
pub struct RunRow {
    pub id: Uuid,
    pub period: String,
    pub status: &'static str,
    pub status_label: String,
    pub started_by: String,
    pub queued: String,
    pub finished: String,
    pub progress: String,
    pub finished_ok: bool,
    pub error: Option<String>,
}

fn run_row(ctx: &PageCtx, r: Run) -> RunRow {
    let to_bill = r
        .to_bill
        .map(|n| n.to_string())
        .unwrap_or_else(|| "…".into());
    RunRow {
        id: r.id,
        period: ctx.month(r.period),
        status: r.status.code(),
        status_label: ctx.t(r.status.key()),
        started_by: r
            .started_by
            .unwrap_or_else(|| ctx.t("billing.run_scheduled")),
        queued: ctx.moment(r.queued_at),
        finished: r.finished_at.map(|t| ctx.moment(t)).unwrap_or_default(),
        progress: ctx.t_with(
            "billing.run_progress",
            &[
                ("done", &(r.issued + r.empty).to_string()),
                ("of", &to_bill),
                ("issued", &r.issued.to_string()),
            ],
        ),
        finished_ok: r.status == RunStatus::Done,
        error: r.error,
    }
}

/// An invoice across resellers, as the page shows it.
pub struct InvoiceRow {
    pub id: Uuid,
    pub number: String,
    pub reseller: String,
    pub reseller_id: Uuid,
    pub period: String,
    pub lines: i32,
    pub total: String,
    pub resale: String,
}

fn invoice_row(ctx: &PageCtx, i: StaffInvoice) -> InvoiceRow {
    InvoiceRow {
        id: i.id,
        number: i.number,
        reseller: i.reseller,
        reseller_id: i.reseller_id,
        period: ctx.month(i.period),
        lines: i.lines,
        total: ctx.money(i.total, &i.currency),
        resale: ctx.money(i.resale, &i.currency),
    }
}

#[derive(Deserialize, Default)]
struct HomeParams {
    #[serde(default)]
    period: String,
    /// Part of an invoice's number: found in any month.
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "staff/billing.html")]
struct HomePage {
    ctx: PageCtx,
    period: String,
    period_label: String,
    /// The number searched, when the list is a search rather than a month.
    q: String,
    errors: FieldErrors,
    runs: Vec<RunRow>,
    invoices: Vec<InvoiceRow>,
    imports: Vec<Import>,
    unmatched: Vec<Unmatched>,
    unmatched_count: i64,
}

async fn home(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Query(p): Query<HomeParams>,
) -> AppResult<Response> {
    let last = Month::of(time::OffsetDateTime::now_utc().date()).previous();
    let month = match p.period.trim() {
        "" => last,
        given => Month::parse(given).map_err(|_| AppError::BadRequest)?,
    };
    let q: String = p.q.trim().chars().take(40).collect();
    let shown = Shown {
        month,
        typed: &month.code(),
        q: &q,
    };
    render_home(&state, ctx, shown, FieldErrors::new()).await
}

/// What the home lists: a month's invoices (as typed), or those whose number has `q`.
struct Shown<'a> {
    month: Month,
    typed: &'a str,
    q: &'a str,
}

async fn render_home(
    state: &AppState,
    ctx: PageCtx,
    shown: Shown<'_>,
    errors: FieldErrors,
) -> AppResult<Response> {
    let (month, typed) = (shown.month, shown.typed);
    let runs = runs::list(&state.db, LISTED).await?;
    let period = shown.q.is_empty().then(|| month.first_day());
    let invoices = runs::invoices(&state.db, period, None, shown.q, INVOICES).await?;
    let imports = runs::imports(&state.db, LISTED).await?;
    let (unmatched, unmatched_count) = runs::unmatched(&state.db, LISTED).await?;
    let status = page::form_status(&errors);
    let page = HomePage {
        period: typed.chars().take(7).collect(),
        period_label: ctx.month(month.first_day()),
        q: shown.q.to_string(),
        runs: runs.into_iter().map(|r| run_row(&ctx, r)).collect(),
        invoices: invoices.into_iter().map(|i| invoice_row(&ctx, i)).collect(),
        imports,
        unmatched,
        unmatched_count,
        errors,
        ctx,
    };
    Ok(page::render(status, &page))
}

#[derive(Deserialize)]
struct StartForm {
    #[serde(default)]
    period: String,
}

/// Starts a run of a month that is over: queued for the worker, unless one of that month is
/// queued or running already.
async fn start(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<StartForm>,
) -> AppResult<Response> {
    let today = time::OffsetDateTime::now_utc().date();
    let last = Month::of(today).previous();
    let month = match Month::parse(&form.period) {
        Ok(m) if m.closed(today) => m,
        Ok(_) => return refuse(&state, ctx, last, &form.period, "billing.period_open").await,
        Err(key) => return refuse(&state, ctx, last, &form.period, key).await,
    };
    let Some(id) = runs::queue(&state.db, month.first_day(), Some(staff.id)).await? else {
        flash::push(&session, Level::Error, "billing.run_already", &[]).await;
        return Ok(page::see_other("/staff/billing"));
    };
    let mut tx = state.db.begin().await?;
    let job = crate::billing::run::Job {
        period: month.code(),
        run: Some(id),
    };
    crate::jobs::enqueue(
        &mut *tx,
        crate::jobs::JobKind::BillingRun.code(),
        &job,
        None,
    )
    .await?;
    let entry = audit::Entry {
        actor: Some(staff.id),
        subject_type: Some("billing_run"),
        subject_id: Some(id.to_string()),
        details: serde_json::json!({ "period": month.code() }),
        ip: Some(ip),
        ..audit::Entry::new(audit::Action::BillingRunStarted)
    };
    let period = ctx.month(month.first_day());
    let to = format!("/staff/billing/runs/{id}");
    flash::done(
        tx,
        &session,
        entry,
        "billing.run_started",
        &[("period", &period)],
        &to,
    )
    .await
}

async fn refuse(
    state: &AppState,
    ctx: PageCtx,
    month: Month,
    typed: &str,
    key: &'static str,
) -> AppResult<Response> {
    let shown = Shown {
        month,
        typed,
        q: "",
    };
    render_home(state, ctx, shown, FieldErrors::one("period", key)).await
}

#[derive(Template)]
#[template(path = "staff/billing_run.html")]
struct RunPage {
    ctx: PageCtx,
    run: RunRow,
    invoices: Vec<InvoiceRow>,
}

/// A run's progress (the page reloads itself until it ends) and the invoices it issued.
async fn run_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    let run = runs::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let invoices = runs::invoices(&state.db, None, Some(id), "", INVOICES).await?;
    let page = RunPage {
        run: run_row(&ctx, run),
        invoices: invoices.into_iter().map(|i| invoice_row(&ctx, i)).collect(),
        ctx,
    };
    Ok(page::ok(&page))
}
