//! Orders: the cart, placing an order once per cart, provisioning at the vendors through the
//! job queue, the order timeline, and the subscriptions completed lines become.

pub mod configure;
pub mod mail;
pub mod provision;
pub mod routes;
pub mod rules;
pub mod staff;
pub mod store;

use crate::app::AppState;

pub fn router() -> axum::Router<AppState> {
    routes::router().merge(staff::router())
}
