//! End customers of a reseller: adding them with a validated address and tax id, the
//! searchable list and its export, the customer page with its vendor tenants, and the data
//! generator for measuring the list at scale.

pub mod generate;
pub mod routes;
pub mod rules;
pub mod store;

use crate::app::AppState;

pub fn router() -> axum::Router<AppState> {
    routes::router()
}
