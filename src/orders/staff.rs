//! `/staff/orders`: every order of every reseller, filtered by status, reseller and vendor; a
//! failed order shows the vendor's error and can be retried (all its failed lines, or one of
//! them, go back to the vendor) or rejected with a reason. Decisions are recorded on the order and in the audit log.

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
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::StaffUser;
use crate::orders::routes::order_number;
use crate::orders::store;
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::forms::Form;
use crate::web::page::{self, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/orders", get(list))
        .route("/staff/orders/{reseller}/{id}", get(show))
        .route("/staff/orders/{reseller}/{id}/decide", post(decide))
}

#[derive(Debug, sqlx::FromRow)]
pub struct Row {
    pub id: Uuid,
    pub reseller_id: Uuid,
    pub number: i64,
    pub reseller: String,
    pub customer: String,
    pub status: String,
    pub reason: Option<String>,
    pub vendors: String,
    pub created_at: time::OffsetDateTime,
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

#[derive(Template)]
#[template(path = "staff/orders.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<(Row, String, String, String)>,
    status: String,
    reseller: String,
    vendor: String,
    statuses: Vec<(&'static str, String)>,
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Query(f): Query<Filters>,
) -> AppResult<Response> {
    let status = crate::orders::rules::status_filter(&f.status);
    let vendor = if matches!(f.vendor.as_str(), "microsoft" | "google") {
        f.vendor.clone()
    } else {
        String::new()
    };
    let reseller: String = f.reseller.trim().chars().take(100).collect();
    // Staff see every reseller: this query runs outside tenant transactions, on purpose.
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT o.id, o.reseller_id, o.number, r.legal_name AS reseller, c.legal_name AS customer, o.status, o.reason,
                array_to_string(o.vendors, ', ') AS vendors,
                o.created_at
         FROM orders o
         JOIN resellers r ON r.id = o.reseller_id
         JOIN customers c ON c.reseller_id = o.reseller_id AND c.id = o.customer_id
         WHERE ($1 = '' OR o.status = $1)
           AND ($2 = '' OR portal_fold(r.legal_name) LIKE '%' || portal_fold($2) || '%' OR r.public_id = upper($2))
           AND ($3 = '' OR $3 = ANY (o.vendors))
         ORDER BY (o.status = 'failed') DESC, o.created_at DESC LIMIT 200",
    )
    .bind(&status)
    .bind(&reseller)
    .bind(&vendor)
    .fetch_all(&state.db)
    .await?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let number = order_number(r.number);
            let label = ctx.t(&format!("orders.status_{}", r.status));
            let when = ctx.moment(r.created_at);
            (r, number, label, when)
        })
        .collect();
    let statuses = crate::orders::routes::status_options(&ctx);
    Ok(page::ok(&ListPage {
        ctx,
        rows,
        status,
        reseller,
        vendor,
        statuses,
    }))
}

#[derive(Template)]
#[template(path = "staff/order.html")]
struct ShowPage {
    ctx: PageCtx,
    order: store::OrderRow,
    reseller_id: Uuid,
    reseller: String,
    number: String,
    status_label: String,
    lines: Vec<(store::OrderLine, String)>,
    events: Vec<(String, String, String, String)>,
    reason: String,
    errors: FieldErrors,
}

async fn load(state: &AppState, reseller: &str, id: &str) -> AppResult<(Uuid, store::OrderRow)> {
    let reseller = Uuid::parse_str(reseller).map_err(|_| AppError::NotFound)?;
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    let mut tx = crate::db::tenant_tx(&state.db, reseller).await?;
    let order = store::order(&mut tx, reseller, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok((reseller, order))
}

async fn show_page(
    state: &AppState,
    ctx: PageCtx,
    reseller_id: Uuid,
    order: store::OrderRow,
    reason: String,
    errors: FieldErrors,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, reseller_id).await?;
    let lines = store::order_lines(&mut tx, reseller_id, order.id).await?;
    let events = store::events(&mut tx, reseller_id, order.id).await?;
    let reseller = crate::partners::store::reseller_name(&mut tx, reseller_id).await?;
    tx.commit().await?;
    let lines = lines
        .into_iter()
        .map(|l| {
            let error = l
                .error
                .as_deref()
                .map(|c| crate::orders::routes::explain(&ctx, c))
                .unwrap_or_default();
            (l, error)
        })
        .collect();
    let events = events
        .into_iter()
        .map(|e| {
            (
                ctx.moment(e.at),
                ctx.t(&format!("orders.status_{}", e.status)),
                e.detail
                    .map(|d| crate::orders::routes::explain(&ctx, &d))
                    .unwrap_or_default(),
                e.actor.unwrap_or_default(),
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
        &ShowPage {
            number: order_number(order.number),
            status_label: ctx.t(&format!("orders.status_{}", order.status)),
            reseller_id,
            reseller,
            order,
            lines,
            events,
            reason,
            errors,
            ctx,
        },
    ))
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Path((reseller, id)): Path<(String, String)>,
) -> AppResult<Response> {
    let (reseller_id, order) = load(&state, &reseller, &id).await?;
    show_page(
        &state,
        ctx,
        reseller_id,
        order,
        String::new(),
        FieldErrors::new(),
    )
    .await
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
    Path((reseller, id)): Path<(String, String)>,
    Form(form): Form<DecideForm>,
) -> AppResult<Response> {
    let (reseller_id, order) = load(&state, &reseller, &id).await?;
    let back = format!("/staff/orders/{reseller_id}/{}", order.id);
    let line = match form.line.trim() {
        "" => None,
        raw => Some(Uuid::parse_str(raw).map_err(|_| AppError::BadRequest)?),
    };
    let reason = form.reason.trim().to_string();
    if form.decision == "reject" && (reason.is_empty() || reason.chars().count() > 1000) {
        let errors = FieldErrors::one(
            "reason",
            if reason.is_empty() {
                "access.reason_required"
            } else {
                "form.too_long"
            },
        );
        return show_page(
            &state,
            ctx,
            reseller_id,
            order,
            form.reason.chars().take(1000).collect(),
            errors,
        )
        .await;
    }
    let mut tx = crate::db::tenant_tx(&state.db, reseller_id).await?;
    let current: String = sqlx::query_scalar(
        "SELECT status FROM orders WHERE reseller_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(reseller_id)
    .bind(order.id)
    .fetch_one(&mut *tx)
    .await?;
    let (action, event) = match (current.as_str(), form.decision.as_str()) {
        ("failed", "retry") => (Action::OrderRetried, "provisioning"),
        ("failed" | "submitted", "reject") => (Action::OrderRejected, "rejected"),
        _ => {
            flash::push(&session, Level::Error, "access.already_decided", &[]).await;
            return Ok(page::see_other(&back));
        }
    };
    if event == "provisioning" {
        let retried: Vec<String> = sqlx::query_scalar(
            "UPDATE order_lines SET status = 'pending', error = NULL
             WHERE reseller_id = $1 AND order_id = $2 AND status = 'failed' AND ($3::uuid IS NULL OR id = $3)
             RETURNING product_name",
        )
        .bind(reseller_id)
        .bind(order.id)
        .bind(line)
        .fetch_all(&mut *tx)
        .await?;
        if retried.is_empty() {
            // A line of another order, or one no longer failed: nothing changes.
            flash::push(&session, Level::Error, "access.already_decided", &[]).await;
            return Ok(page::see_other(&back));
        }
        // A single line retried is named on the timeline.
        let detail = line.map(|_| retried.join(", "));
        sqlx::query("UPDATE orders SET status = 'provisioning', reason = NULL, updated_at = now() WHERE reseller_id = $1 AND id = $2")
            .bind(reseller_id)
            .bind(order.id)
            .execute(&mut *tx)
            .await?;
        let retries: i64 = sqlx::query_scalar("SELECT count(*) FROM order_events WHERE reseller_id = $1 AND order_id = $2 AND status = 'provisioning'")
            .bind(reseller_id)
            .bind(order.id)
            .fetch_one(&mut *tx)
            .await?;
        store::add_event(
            &mut tx,
            reseller_id,
            order.id,
            "provisioning",
            detail.as_deref(),
            Some(staff.id),
            None,
        )
        .await?;
        crate::jobs::enqueue_once(
            &mut *tx,
            crate::jobs::PROVISION_ORDER,
            &crate::orders::provision::Job {
                reseller_id,
                order_id: order.id,
            },
            &format!("provision:{}:{retries}", order.id),
        )
        .await?;
    } else {
        sqlx::query("UPDATE orders SET status = 'rejected', reason = $3, updated_at = now() WHERE reseller_id = $1 AND id = $2")
            .bind(reseller_id)
            .bind(order.id)
            .bind(&reason)
            .execute(&mut *tx)
            .await?;
        store::add_event(
            &mut tx,
            reseller_id,
            order.id,
            "rejected",
            Some(&reason),
            Some(staff.id),
            None,
        )
        .await?;
    }
    audit::record(
        &mut *tx,
        audit::Entry {
            reseller_id: Some(reseller_id),
            actor: Some(staff.id),
            subject_type: Some("order"),
            subject_id: Some(order.id.to_string()),
            details: serde_json::json!({ "reason": reason, "line": line }),
            ip: Some(ip),
            ..audit::Entry::new(action)
        },
    )
    .await?;
    tx.commit().await?;
    let key = if event == "provisioning" {
        "orders.retried"
    } else {
        "orders.rejected_flash"
    };
    flash::push(&session, Level::Success, key, &[]).await;
    Ok(page::see_other(&back))
}
