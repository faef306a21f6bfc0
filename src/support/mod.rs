//! Help and support (J11): tickets numbered CSCS-…, due in two business days of the reseller's
//! country, answered by staff from the help desk.

pub mod attachments;
pub mod desk;
pub mod help;
pub mod help_pages;
pub mod mail;
pub mod routes;
pub mod rules;
pub mod store;
pub mod view;

use axum::Router;

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(routes::router())
        .merge(desk::router())
        .merge(help_pages::router())
}
