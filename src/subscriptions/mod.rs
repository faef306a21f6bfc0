//! Subscriptions: what a customer holds at a vendor, made from the completed lines of orders.
//! Read-only today (`/subscriptions`, and the section of the customer page); managing seats,
//! renewals and suspensions lands here.

pub mod routes;
pub mod rules;
pub mod store;
pub mod view;

pub use routes::router;
