//! Resellers (partners): how a company asks for an account and staff approve it, the reseller's
//! account, users and markup, its vendor programs, and the staff pages over all resellers.

pub mod access;
pub mod access_staff;
pub mod account;
pub mod pricing;
pub mod program_mail;
pub mod program_pages;
pub mod program_staff;
pub mod programs;
pub mod resellers_staff;
pub mod rules;
pub mod staff_store;
pub mod store;
pub mod users;
pub mod view;

use crate::app::AppState;

pub fn router() -> axum::Router<AppState> {
    access::router()
        .merge(access_staff::router())
        .merge(users::router())
        .merge(pricing::router())
        .merge(account::router())
        .merge(program_pages::router())
        .merge(program_staff::router())
        .merge(resellers_staff::router())
}
