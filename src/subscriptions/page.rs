//! `/subscriptions/{id}`: one subscription (its seats, term, price and renewal, its seat batches
//! with the time each window closes, its history), the changes its vendor allows, a preview of
//! each with its exact money effect and deadline (`/preview`), and the confirmation that sends it
//! to the vendor (`/changes`). While a change waits for the vendor the page refreshes itself.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit;
use crate::error::{AppError, AppResult};
use crate::identity::ResellerUser;
use crate::subscriptions::changes::{self, Requested};
use crate::subscriptions::form::{ChangeForm, FormProblem};
use crate::subscriptions::rules::{ChangeKind, Refusal};
use crate::subscriptions::store::{self, Detail};
use crate::subscriptions::view::{
    self, BatchView, Facts, HistoryView, Placed, PlanView, Problem, Targets,
};
use crate::web::PageCtx;
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::Form;
use crate::web::page;
use crate::web::path::Path;

/// How many changes the page's history shows (the latest).
const HISTORY: i64 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/subscriptions/{id}", get(show))
        .route("/subscriptions/{id}/preview", get(preview))
        .route("/subscriptions/{id}/changes", post(change))
}

#[derive(Template)]
#[template(path = "subscriptions/show.html")]
struct ShowPage {
    ctx: PageCtx,
    facts: Facts,
    batches: Vec<BatchView>,
    history: Vec<HistoryView>,
    can_change: bool,
    placed: Placed,
    targets: Targets,
    licences: Option<crate::licences::view::SubscriptionLicences>,
}

/// The subscription's page, with `problem` (and what was typed) when a change was refused.
async fn show_page(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    id: Uuid,
    problem: Option<(StatusCode, Problem)>,
    form: ChangeForm,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let subscription = store::detail(&mut tx, me.reseller_id, id, false)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = time::OffsetDateTime::now_utc();
    let context = changes::context(&mut tx, me.reseller_id, &subscription, now.date()).await?;
    let history = store::history(&mut tx, me.reseller_id, id, HISTORY).await?;
    let full = subscription.assigned >= subscription.quantity;
    let mut licences =
        crate::licences::on_subscription(&mut tx, &ctx, me.reseller_id, id, full).await?;
    let given = licences
        .as_mut()
        .map(|l| std::mem::take(&mut l.history))
        .unwrap_or_default();
    tx.commit().await?;
    let can_change = me.may_change();
    let (status, problem) = match problem {
        Some((status, p)) => (status, Some(p)),
        None => (StatusCode::OK, None),
    };
    let mut batches = view::batches(&ctx, &subscription, &context.batches, now);
    let placed = view::place(problem, &form, &mut batches);
    let page = ShowPage {
        targets: view::targets(&ctx, &subscription, &context),
        batches,
        history: view::history(&ctx, history, given, HISTORY as usize),
        facts: view::facts(&ctx, &subscription),
        can_change,
        placed,
        licences,
        ctx,
    };
    Ok(page::render(status, &page))
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    show_page(&state, ctx, &me, id, None, ChangeForm::default()).await
}

#[derive(Template)]
#[template(path = "subscriptions/preview.html")]
struct PreviewPage {
    ctx: PageCtx,
    facts: Facts,
    plan: PlanView,
    form: ChangeForm,
}

async fn preview(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(id): Path<Uuid>,
    Query(form): Query<ChangeForm>,
) -> AppResult<Response> {
    if !me.may_change() {
        return Err(AppError::Forbidden);
    }
    let asked = match form.asked() {
        Ok(asked) => asked,
        Err(FormProblem::Quantity) => {
            return refused(&state, ctx, &me, id, Refusal::Quantity, form).await;
        }
        Err(FormProblem::NotOurs) => return Err(AppError::BadRequest),
    };
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let subscription: Detail = store::detail(&mut tx, me.reseller_id, id, false)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = time::OffsetDateTime::now_utc();
    let context = changes::context(&mut tx, me.reseller_id, &subscription, now.date()).await?;
    tx.commit().await?;
    let current = changes::current(&subscription, &context);
    match crate::subscriptions::rules::plan(&current, asked, now) {
        Ok(plan) => {
            let form = form.confirming(subscription.version);
            Ok(page::ok(&PreviewPage {
                plan: view::plan(&ctx, &subscription, &context, &plan, now),
                facts: view::facts(&ctx, &subscription),
                form,
                ctx,
            }))
        }
        Err(refusal) => refused(&state, ctx, &me, id, refusal, form).await,
    }
}

/// The subscription's page with why the change was refused (422), beside the form it came
/// from, keeping what was typed.
async fn refused(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    id: Uuid,
    refusal: Refusal,
    form: ChangeForm,
) -> AppResult<Response> {
    let mut problem = Problem::refusal(&ctx, refusal);
    if form.kind == ChangeKind::RemoveSeats.code() {
        problem.batch = form.batch_id();
    }
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    show_page(state, ctx, me, id, Some((status, problem)), form).await
}

async fn change(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
    Form(form): Form<ChangeForm>,
) -> AppResult<Response> {
    if !me.may_change() {
        return Err(AppError::Forbidden);
    }
    let (asked, version) = match (form.asked(), form.version()) {
        (Ok(asked), Some(version)) => (asked, version),
        (Err(FormProblem::Quantity), _) => {
            return refused(&state, ctx, &me, id, Refusal::Quantity, form).await;
        }
        (Err(FormProblem::NotOurs), _) | (Ok(_), None) => return Err(AppError::BadRequest),
    };
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let requested =
        changes::request(&mut tx, me.reseller_id, id, version, asked, me.user.id).await?;
    let (change_id, plan) = match requested.ok_or(AppError::NotFound)? {
        Requested::Sent { change_id, plan } => (change_id, plan),
        Requested::Refused(refusal) => return refused(&state, ctx, &me, id, refusal, form).await,
        Requested::Stale => {
            let problem = Problem::stale(&ctx);
            let fresh = Some((StatusCode::CONFLICT, problem));
            return show_page(&state, ctx, &me, id, fresh, ChangeForm::default()).await;
        }
    };
    let entry = audit::Entry {
        reseller_id: Some(me.reseller_id),
        actor: Some(me.user.id),
        subject_type: Some("subscription"),
        subject_id: Some(id.to_string()),
        details: view::audit_details(change_id, &plan),
        ip: Some(ip),
        ..audit::Entry::new(audit::Action::SubscriptionChangeRequested)
    };
    let back = format!("/subscriptions/{id}");
    flash::done(tx, &session, entry, "subscriptions.sent", &[], &back).await
}
