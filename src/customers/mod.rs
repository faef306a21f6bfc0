//! End customers of a reseller: adding and editing them with a validated address and tax id
//! (`form`), the searchable list and its export (`list`), the customer page with its vendor
//! tenants (`page`) and its own markup (`markup`), their rules (`rules`) and SQL (`store`). (The generator of customers for
//! measuring the list at scale is with the demo data, in `seed::customers`.)

pub mod form;
pub mod list;
pub mod markup;
pub mod page;
pub mod rules;
pub mod store;

use crate::app::AppState;
use crate::identity::Role;

/// The roles that change customers (billing users read them).
pub const EDITORS: [Role; 3] = [Role::Owner, Role::Admin, Role::Sales];

pub fn router() -> axum::Router<AppState> {
    list::router().merge(form::router()).merge(page::router())
}
