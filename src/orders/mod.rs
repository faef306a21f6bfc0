//! Orders: the cart (`cart`, its page `cart_page`, the vendor tenants of its lines `configure`),
//! placing an order once per cart, the orders list and export (`list`), the order page with its
//! timeline (`show`), provisioning at the vendors through the job queue (`provision`) with a new tenant's first
//! administrator (`admin`), the
//! e-mail when it ends (`mail`) and the staff queue (`staff`). What is typed when placing (a
//! purchase-order reference, the Microsoft Customer Agreement's acceptance) is checked in `placing`. Rules without I/O are in
//! `rules`, SQL in `store`, what other pages show of orders in `view`.

pub mod admin;
pub mod cart;
pub mod cart_page;
pub mod configure;
pub mod list;
pub mod mail;
pub mod placing;
pub mod provision;
pub mod rules;
pub mod show;
pub mod staff;
pub mod store;
pub mod view;

use crate::app::AppState;

pub fn router() -> axum::Router<AppState> {
    cart::router()
        .merge(list::router())
        .merge(show::router())
        .merge(staff::router())
}
