//! Billing (J7): monthly invoices from what really happened. Without I/O so far: `charges` says
//! what a subscription is charged for a calendar month, `invoice` numbers an invoice and adds up
//! its lines; the billing run, the invoices' tables and their pages build on them (issue 18).

pub mod charges;
pub mod invoice;
