//! `/orders/{id}`: an order with its lines, totals and status timeline; while it is at the
//! vendor the page refreshes itself (progressive enhancement).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use uuid::Uuid;

use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::identity::ResellerUser;
use crate::orders::rules::order_number;
use crate::orders::store::{self, OrderRow};
use crate::orders::view::{
    AdminView, LineView, TimelineStep, admin_views, explain, line_views, timeline,
};
use crate::web::PageCtx;
use crate::web::page;
use crate::web::path::Path;

pub fn router() -> Router<AppState> {
    Router::new().route("/orders/{id}", get(show))
}

#[derive(Template)]
#[template(path = "orders/show.html")]
struct ShowPage {
    ctx: PageCtx,
    order: OrderRow,
    number: String,
    status_label: String,
    total_price: String,
    /// What the order costs the reseller, for those who see costs.
    total_cost: Option<String>,
    lines: Vec<LineView>,
    events: Vec<TimelineStep>,
    reason: Option<String>,
    in_progress: bool,
    /// The administrators of the tenants the order brought into being.
    admins: Vec<AdminView>,
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let order = store::order(&mut tx, me.reseller_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let lines = store::order_lines(&mut tx, me.reseller_id, id).await?;
    let events = store::events(&mut tx, me.reseller_id, id).await?;
    // Taken (erased) as they are read: a password is shown this once, to who ordered.
    let admins = store::tenant_admins(&mut tx, me.reseller_id, id, me.user.id).await?;
    tx.commit().await?;
    let admins = admin_views(&ctx, admins, |sealed| {
        Ok(String::from_utf8_lossy(&state.secrets.open(sealed)?).into_owned())
    })?;
    Ok(page::ok(&ShowPage {
        number: order_number(order.number),
        status_label: ctx.t(order.status.key()),
        total_price: ctx.money(order.total_price, &order.currency),
        total_cost: me
            .user
            .sees_costs()
            .then(|| ctx.money(order.total_cost, &order.currency)),
        reason: order.reason.as_deref().map(|r| explain(&ctx, r)),
        in_progress: order.status.in_progress() || admins.iter().any(|a| a.pending),
        admins,
        lines: line_views(&ctx, &order.currency, lines),
        events: timeline(&ctx, events),
        order,
        ctx,
    }))
}
