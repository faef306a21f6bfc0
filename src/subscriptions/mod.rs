//! Subscriptions: what a customer holds at a vendor, made from the completed lines of orders,
//! and managed here: seats added or reduced within the vendor's windows and auto-renew, each
//! change previewed with its money effect (`proration`, `rules`), sent to the vendor through
//! the job queue (`changes`) and kept in the subscription's history (`page`).

pub mod changes;
pub mod form;
pub mod page;
pub mod planner;
pub mod proration;
pub mod reminders;
pub mod renewals;
pub mod routes;
pub mod rules;
pub mod store;
pub mod view;

pub fn router() -> axum::Router<crate::app::AppState> {
    routes::router()
        .merge(page::router())
        .merge(planner::router())
}
