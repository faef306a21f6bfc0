//! Resellers (partners): how a company asks for an account and staff approve it (`access`,
//! `access_staff`), the reseller's account, users and markup (`account`, `users`, `pricing`),
//! its vendor programs (`programs` for the rules others use, `program_pages`, `program_staff`,
//! `program_mail`), and the staff pages over all resellers (`resellers_staff`). Decisions and
//! statuses are in `rules`, the SQL in `store` (the reseller's own) and `staff_store` (the
//! staff's queues), what the pages share in `view`.

pub mod access;
pub mod access_staff;
pub mod account;
pub mod pricing;
pub mod product_markups;
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
