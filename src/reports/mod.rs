//! The reseller's dashboard (`/`) and reports; staff go to their console.

pub mod chart;
pub mod commitments;
pub mod commitments_page;
pub mod dashboard;
pub mod figures;
pub mod reading;
pub mod report;
pub mod routes;
pub mod staff;
pub mod store;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use crate::app::AppState;
use crate::billing::charges::Month;
use crate::error::AppResult;
use crate::identity::CurrentUser;
use crate::web::PageCtx;
use crate::web::page;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .merge(routes::router())
        .merge(commitments_page::router())
        .merge(staff::router())
}

#[derive(Template)]
#[template(path = "reports/dashboard.html")]
struct DashboardPage {
    ctx: PageCtx,
    welcome: String,
    d: dashboard::View,
}

async fn home(
    State(state): State<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
) -> AppResult<Response> {
    if user.is_staff() {
        return Ok(page::see_other("/staff"));
    }
    let Some(reseller_id) = user.reseller_id else {
        return Err(crate::error::AppError::Forbidden);
    };
    let me = crate::identity::ResellerUser { user, reseller_id };
    let now = time::OffsetDateTime::now_utc();
    let d = dashboard::load(&state.db, &me, now).await?;
    // This month's estimate, made again when out of date (as the invoices list does): only
    // while the reseller's month is the UTC month the estimate is of, and when there is
    // something to bill (a new reseller has nothing to estimate).
    let month = Month::of(now.date());
    let computed = d.this_sales.as_ref().map(|m| m.computed_at);
    let billable = d.subscriptions.active > 0 || d.last_sales.is_some() || computed.is_some();
    if d.money && billable && d.this.first_day() == month.first_day() {
        if let Some(moment) = crate::kept::refresh_due(computed, d.changed, now) {
            crate::billing::run::queue_estimate(&state.db, me.reseller_id, month, moment).await?;
        }
    }
    if d.money && billable {
        let computed = d.commitments.as_ref().map(|t| t.computed_at);
        commitments::refresh_if_due(&state.db, me.reseller_id, computed, d.changed, now).await?;
    }
    let welcome = ctx.t_with("home.welcome", &[("name", &me.user.name)]);
    let d = dashboard::view(&ctx, &d);
    Ok(page::ok(&DashboardPage { ctx, welcome, d }))
}
