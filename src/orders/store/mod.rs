//! SQL for carts, orders, their lines and events. Every function runs in a tenant transaction
//! and takes the reseller explicitly as well (row-level security is the second lock). One
//! namespace, a file per subject: the cart and placing, orders and their list, the timeline and
//! staff decisions, provisioning.

mod cart;
mod orders;
mod provisioning;
mod timeline;

pub use cart::*;
pub use orders::*;
pub use provisioning::*;
pub use timeline::*;
