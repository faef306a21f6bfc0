//! The web layer shared by every feature: application state, the router with its middleware
//! stack, the page context every template gets, forms, CSRF, flash messages, locale choice,
//! error pages, security headers, static files and health checks.

pub mod assets;
pub mod client_ip;
pub mod csrf;
pub mod download;
pub mod errors;
pub mod flash;
pub mod forms;
pub mod health;
pub mod locale;
pub mod page;
pub mod redirect;
pub mod security;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, StatusCode};
use axum::middleware;
use sqlx::PgPool;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

use crate::auth::password::PasswordHasher;
use crate::config::Config;
use crate::mail::Mailer;

pub use page::PageCtx;

/// Everything a handler may need, cloned cheaply into each request.
#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub config: Arc<Config>,
    pub mailer: Mailer,
    pub passwords: PasswordHasher,
    pub secrets: crate::crypto::SecretBox,
    pub vendor: Arc<dyn crate::vendors::Vendor>,
}

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

/// Builds the whole application: every feature's routes and the middleware stack.
pub fn app(state: AppState, store: PostgresStore) -> Router {
    let config = state.config.clone();
    let sessions = SessionManagerLayer::new(store)
        .with_name(session_cookie_name(&config))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookies())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(
            config.session_idle_minutes,
        )));

    let routes = Router::new()
        .merge(health::router())
        .merge(assets::router())
        .merge(locale::router())
        .merge(crate::auth::router())
        .merge(crate::partners::router())
        .merge(crate::catalog::router())
        .merge(crate::customers::router())
        .merge(crate::orders::router())
        .merge(crate::staff::router())
        .fallback(|| async { StatusCode::NOT_FOUND });

    let trace = TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
        let request_id = req
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!("request", method = %req.method(), uri = %req.uri().path(), request_id)
    });

    // Each `layer` wraps everything above it: the last one is the outermost.
    routes
        .layer(middleware::from_fn_with_state(state.clone(), csrf::verify))
        .layer(DefaultBodyLimit::max(1024 * 1024))
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            errors::render,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::session::load_user,
        ))
        .layer(sessions)
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// The address of the socket a request came in on, made available by `serve`.
pub type ConnectInfo = axum::extract::ConnectInfo<SocketAddr>;
