//! Users and licences in customers' tenants (J6, "Users and licenses"): the tenant's users as
//! the vendor knows them, new users with a temporary password shown once, block, unblock and
//! delete, and licences of the tenant's subscriptions assigned and removed, never more than the
//! seats (the database decides). Every change goes to the vendor through the job queue.

pub mod changes;
pub mod routes;
pub mod rules;
pub mod store;
pub mod view;
