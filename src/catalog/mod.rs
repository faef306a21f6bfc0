//! The catalog: vendors → programs → products, their terms, billing frequencies, add-ons,
//! upgrade paths and prices. Resellers browse it at `/catalog`; staff maintain it at
//! `/staff/catalog`. Orders, subscriptions and billing read prices from here.

pub mod filters;
pub mod forms;
pub mod import;
pub mod markups;
pub mod routes;
pub mod rules;
pub mod staff;
pub mod store;
pub mod view;
pub mod words;

use crate::app::AppState;

pub fn router() -> axum::Router<AppState> {
    routes::router().merge(staff::router())
}
