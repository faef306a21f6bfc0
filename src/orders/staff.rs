//! `/staff/orders`: every order of every reseller, filtered by status, reseller and vendor; a
//! failed order shows the vendor's error and can be retried (all its failed lines, or one of
//! them, go back to the vendor) or rejected with a reason. What a decision does is
//! `rules::decide`; each is recorded on the order's timeline and in the audit log.

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
use crate::orders::rules::{self, Decision, LineStatus, OrderStatus, order_number};
use crate::orders::store::{self, Actor, OrderLine, OrderRow, StaffRow};
use crate::orders::view::{TimelineStep, status_options, timeline};
use crate::vendors::VendorCode;
use crate::web::PageCtx;
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::forms::Choice;
use crate::web::forms::Form;
use crate::web::page;
use crate::web::path::Path;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/orders", get(list))
        .route("/staff/orders/{reseller}/{id}", get(show))
        .route("/staff/orders/{reseller}/{id}/decide", post(decide))
}

#[derive(Deserialize, Default)]
struct Filters {
    #[serde(default)]
    status: String,
    #[serde(default)]
    reseller: String,
    #[serde(default)]
    vendor: String,
}

/// An order of the queue as the page shows it.
pub struct QueueRow {
    pub order: StaffRow,
    pub number: String,
    pub status_label: String,
    pub when: String,
    /// The vendors by their names ("Microsoft, Google Workspace").
    pub vendors: String,
}

#[derive(Template)]
#[template(path = "staff/orders.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<QueueRow>,
    reseller: String,
    vendors: Vec<Choice>,
    statuses: Vec<Choice>,
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Query(f): Query<Filters>,
) -> AppResult<Response> {
    let status = OrderStatus::filter(&f.status);
    let vendor = VendorCode::parse(&f.vendor);
    let reseller: String = f.reseller.trim().chars().take(100).collect();
    let rows = store::staff_orders(&state.db, status, &reseller, vendor).await?;
    let rows = rows
        .into_iter()
        .map(|r| QueueRow {
            number: order_number(r.number),
            status_label: ctx.t(r.status.key()),
            when: ctx.moment(r.created_at),
            vendors: r
                .vendors
                .iter()
                .map(|v| ctx.t(v.key()))
                .collect::<Vec<_>>()
                .join(", "),
            order: r,
        })
        .collect();
    Ok(page::ok(&ListPage {
        statuses: status_options(&ctx, status),
        vendors: Choice::list(VendorCode::ALL, vendor, VendorCode::code, |v| {
            ctx.t(v.key())
        }),
        ctx,
        rows,
        reseller,
    }))
}

/// A line of the order as staff see it: the vendor's error, and whether it can be retried.
pub struct StaffLine {
    pub line: OrderLine,
    pub status_label: String,
    pub error: String,
    pub retry: bool,
}

#[derive(Template)]
#[template(path = "staff/order.html")]
struct ShowPage {
    ctx: PageCtx,
    order: OrderRow,
    reseller_id: Uuid,
    reseller: String,
    number: String,
    status_label: String,
    lines: Vec<StaffLine>,
    events: Vec<TimelineStep>,
    reason: String,
    errors: FieldErrors,
    in_progress: bool,
    can_retry: bool,
    can_reject: bool,
}

/// The order `id` of `reseller` (404 when there is none).
async fn load(state: &AppState, reseller: Uuid, id: Uuid) -> AppResult<OrderRow> {
    let mut tx = crate::db::tenant_tx(&state.db, reseller).await?;
    let order = store::order(&mut tx, reseller, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(order)
}

async fn show_page(
    state: &AppState,
    ctx: PageCtx,
    reseller_id: Uuid,
    order: OrderRow,
    reason: String,
    errors: FieldErrors,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, reseller_id).await?;
    let lines = store::order_lines(&mut tx, reseller_id, order.id).await?;
    let events = store::events(&mut tx, reseller_id, order.id).await?;
    let reseller = crate::partners::store::reseller_name(&mut tx, reseller_id).await?;
    tx.commit().await?;
    let can_retry = rules::decide(order.status, Decision::Retry).is_some();
    let lines = lines
        .into_iter()
        .map(|l| StaffLine {
            status_label: ctx.t(l.status.key()),
            error: l.error.map(|c| ctx.t(c.key())).unwrap_or_default(),
            retry: can_retry && l.status == LineStatus::Failed,
            line: l,
        })
        .collect();
    let status = crate::web::page::form_status(&errors);
    let page = ShowPage {
        number: order_number(order.number),
        status_label: ctx.t(order.status.key()),
        in_progress: order.status.in_progress(),
        can_retry,
        can_reject: rules::decide(order.status, Decision::Reject).is_some(),
        events: timeline(&ctx, events),
        reseller_id,
        reseller,
        order,
        lines,
        reason,
        errors,
        ctx,
    };
    Ok(page::render(status, &page))
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Path((reseller, id)): Path<(Uuid, Uuid)>,
) -> AppResult<Response> {
    let order = load(&state, reseller, id).await?;
    show_page(
        &state,
        ctx,
        reseller,
        order,
        String::new(),
        FieldErrors::new(),
    )
    .await
}

/// Sends the order's failed lines (or only `line`) back to the vendor with a job of their own;
/// false when there was nothing failed to retry.
async fn retry(
    tx: &mut sqlx::PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
    line: Option<Uuid>,
    by: Actor,
) -> AppResult<bool> {
    let retried = store::retry_lines(tx, reseller_id, order_id, line).await?;
    if retried.is_empty() {
        return Ok(false);
    }
    let next = OrderStatus::Provisioning;
    // A single line retried is named on the timeline.
    let detail = line.map(|_| retried.join(", "));
    store::set_status(tx, reseller_id, order_id, next, None).await?;
    let attempt = store::attempts(tx, reseller_id, order_id).await?;
    store::add_event(tx, reseller_id, order_id, next, detail.as_deref(), by).await?;
    let key = format!("provision:{order_id}:{attempt}");
    store::queue_provisioning(tx, reseller_id, order_id, &key).await?;
    Ok(true)
}

#[derive(Deserialize)]
struct DecideForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    /// Retry only this failed line (empty: every failed line of the order).
    #[serde(default)]
    line: String,
}

async fn decide(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Path((reseller_id, id)): Path<(Uuid, Uuid)>,
    Form(form): Form<DecideForm>,
) -> AppResult<Response> {
    let order = load(&state, reseller_id, id).await?;
    let back = format!("/staff/orders/{reseller_id}/{}", order.id);
    let line = match form.line.trim() {
        "" => None,
        raw => Some(Uuid::parse_str(raw).map_err(|_| AppError::BadRequest)?),
    };
    let decision = Decision::from_code(&form.decision);
    let reason = form.reason.trim().to_string();
    if decision == Some(Decision::Reject) && (reason.is_empty() || reason.chars().count() > 1000) {
        let key = if reason.is_empty() {
            "access.reason_required"
        } else {
            "form.too_long"
        };
        let typed = form.reason.chars().take(1000).collect();
        return show_page(
            &state,
            ctx,
            reseller_id,
            order,
            typed,
            FieldErrors::one("reason", key),
        )
        .await;
    }
    let mut tx = crate::db::tenant_tx(&state.db, reseller_id).await?;
    let current = store::lock_status(&mut tx, reseller_id, order.id).await?;
    let Some((action, next)) = decision.and_then(|d| rules::decide(current, d)) else {
        flash::push(&session, Level::Error, "access.already_decided", &[]).await;
        return Ok(page::see_other(&back));
    };
    let by = Actor::User(staff.id);
    let message = if next == OrderStatus::Provisioning {
        if !retry(&mut tx, reseller_id, order.id, line, by).await? {
            // A line of another order, or one no longer failed: nothing changes.
            flash::push(&session, Level::Error, "access.already_decided", &[]).await;
            return Ok(page::see_other(&back));
        }
        "orders.retried"
    } else {
        store::set_status(&mut tx, reseller_id, order.id, next, Some(&reason)).await?;
        store::add_event(&mut tx, reseller_id, order.id, next, Some(&reason), by).await?;
        "orders.rejected_flash"
    };
    let entry = audit::Entry {
        reseller_id: Some(reseller_id),
        actor: Some(staff.id),
        subject_type: Some("order"),
        subject_id: Some(order.id.to_string()),
        details: serde_json::json!({ "reason": reason, "line": line }),
        ip: Some(ip),
        ..audit::Entry::new(action)
    };
    flash::done(tx, &session, entry, message, &[], &back).await
}
