//! `/staff/catalog`: staff maintain products (`products`), their prices (`prices`), vendors and
//! programs (`vendors`), and import or export the price list as CSV (`import`). Every change is
//! in the audit log. The SQL of these changes is in `store`.

pub mod import;
pub mod prices;
pub mod products;
pub mod store;
pub mod vendors;

use axum::Router;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};

pub fn router() -> Router<AppState> {
    products::router()
        .merge(prices::router())
        .merge(vendors::router())
        .merge(import::router())
}

/// The audit entry of a staff change to the catalog: `what` (`product`, `vendor`, `program`)
/// `id`, by `actor` from `ip`.
pub fn entry(
    action: Action,
    actor: Uuid,
    what: &'static str,
    id: Uuid,
    ip: std::net::IpAddr,
    details: serde_json::Value,
) -> audit::Entry<'static> {
    audit::Entry {
        actor: Some(actor),
        subject_type: Some(what),
        subject_id: Some(id.to_string()),
        details,
        ip: Some(ip),
        ..audit::Entry::new(action)
    }
}

/// The staff page of a product.
pub fn product_link(id: Uuid) -> String {
    format!("/staff/catalog/products/{id}")
}
