//! Resellers (partners): how a company asks for an account, how staff approve it, and the
//! reseller's own users. Programs and the account page build on this module.

pub mod access;
pub mod access_staff;
pub mod pricing;
pub mod programs;
pub mod store;
pub mod users;

use crate::web::AppState;

pub fn router() -> axum::Router<AppState> {
    access::router()
        .merge(access_staff::router())
        .merge(users::router())
        .merge(pricing::router())
}
