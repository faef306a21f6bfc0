//! The web layer shared by every feature: the page context every template gets, the signed-in
//! user's extractors, forms, CSRF, flash messages, locale choice, paging, path ids, downloads,
//! error pages, security headers, static files and health checks. It imports no feature: the
//! application is composed in `crate::app`.

pub mod assets;
pub mod client_ip;
pub mod cookies;
pub mod csrf;
pub mod download;
pub mod errors;
pub mod flash;
pub mod forms;
pub mod health;
pub mod locale;
pub mod page;
pub mod paging;
pub mod path;
pub mod pdf;
pub mod redirect;
pub mod security;
pub mod spreadsheet;
pub mod user;

use std::net::SocketAddr;

use axum::http::HeaderName;

use crate::config::Config;

pub use page::PageCtx;

/// Session keys, in one place so features do not collide.
pub mod keys {
    pub const CSRF: &str = "csrf";
    pub const FLASH: &str = "flash";
    pub const LOCALE: &str = "locale";
    pub const AUTH: &str = "auth";
}

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The name of the session cookie; `__Host-` pins it to this host over https.
pub fn session_cookie_name(config: &Config) -> &'static str {
    if config.secure_cookies() {
        "__Host-portal_session"
    } else {
        "portal_session"
    }
}

/// The address of the socket a request came in on, made available by `serve`.
pub type ConnectInfo = axum::extract::ConnectInfo<SocketAddr>;
