//! Integration tests: the real portal over HTTP against a real PostgreSQL database, with real
//! e-mail over SMTP and, for the journeys, a real headless browser. One binary, one module per
//! area.

#[path = "../common/mod.rs"]
mod common;

mod billing;
mod browser;
mod catalog;
mod credit_notes;
mod customers;
mod dashboard;
mod foundation;
mod identity;
mod licence_files;
mod licences;
mod orders;
mod placing;
mod platform;
mod programs;
mod reliability;
mod reports;
mod seats;
mod subscriptions;
mod support;
