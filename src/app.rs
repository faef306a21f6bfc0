//! The application put together: its state, every feature's routes and the middleware stack.
//! This is the one place that knows all the features; `web/` (the shared web layer) and the
//! features know only what they use.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::http::StatusCode;
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

use crate::auth::password::PasswordHasher;
use crate::config::Config;
use crate::mail::Mailer;
use crate::web::{REQUEST_ID, assets, csrf, errors, health, security, session_cookie_name};

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

impl FromRef<AppState> for Arc<Config> {
    fn from_ref(state: &AppState) -> Self {
        state.config.clone()
    }
}

impl FromRef<AppState> for PgPool {
    fn from_ref(state: &AppState) -> Self {
        state.db.clone()
    }
}

/// Builds the application state for `config` on `pool`.
pub fn state(config: Config, pool: PgPool) -> anyhow::Result<AppState> {
    Ok(AppState {
        mailer: Mailer::from_config(&config)?,
        secrets: crate::crypto::SecretBox::from_config(
            config.secret_key.as_deref(),
            &config.data_dir,
        )?,
        vendor: Arc::new(
            crate::vendors::Sandbox::new(pool.clone()).with_latency(config.sandbox_latency),
        ),
        db: pool,
        config: Arc::new(config),
        passwords: PasswordHasher::default(),
    })
}

/// Builds the whole application: every feature's routes and the middleware stack.
pub fn app(state: AppState, store: crate::auth::session_store::PgSessions) -> Router {
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
        .merge(crate::reports::router())
        .merge(crate::auth::router())
        .merge(crate::partners::router())
        .merge(crate::catalog::router())
        .merge(crate::customers::router())
        .merge(crate::orders::router())
        .merge(crate::subscriptions::router())
        .merge(crate::licences::routes::router())
        .merge(crate::billing::routes::router())
        .merge(crate::licences::bulk::routes::router())
        .merge(crate::staff::router())
        .merge(crate::support::router())
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
        .layer(middleware::from_fn_with_state(config.clone(), csrf::verify))
        // Two limits on purpose: every body (uploads included) is bounded by
        // PORTAL_MAX_BODY_BYTES; the extractors of plain forms stop at FORM_BODY_BYTES, and
        // only upload routes raise that (see `catalog::staff`).
        .layer(DefaultBodyLimit::max(crate::config::FORM_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn(errors::render))
        .layer(middleware::from_fn(crate::auth::session::load_user))
        .layer(middleware::from_fn_with_state(
            config.clone(),
            csrf::visitor,
        ))
        .layer(sessions)
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(
            config.clone(),
            security::headers,
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}
