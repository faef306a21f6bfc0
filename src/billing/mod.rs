//! Billing (J7): monthly invoices from what really happened. `charges` says what a
//! subscription is charged for a calendar month from its history, `invoice` numbers an invoice
//! and adds up its lines, `run` bills a month (one invoice per reseller, once), `routes` and
//! `view` show the invoices and their files (issue 18).

pub mod charges;
pub mod credit_notes;
pub mod credits;
pub mod files;
pub mod invoice;
pub mod mail;
pub mod pdf;
pub mod routes;
pub mod run;
pub mod seats;
pub mod staff;
pub mod staff_credits;
pub mod staff_invoices;
pub mod store;
pub mod usage;
pub mod vendor_seats;
pub mod view;
