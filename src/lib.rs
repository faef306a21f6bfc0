//! The cloud-marketplace portal for IT resellers: a server-rendered axum application on
//! PostgreSQL. `main.rs` is the command line; this library builds and runs everything.

rust_i18n::i18n!("locales");

pub mod app;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod billing;
pub mod catalog;
pub mod config;
pub mod countries;
pub mod crypto;
pub mod customers;
pub mod db;
pub mod domain;
pub mod error;
pub mod fields;
pub mod i18n;
pub mod identity;
pub mod jobs;
pub mod kept;
pub mod licences;
pub mod mail;
pub mod orders;
pub mod partners;
pub mod reports;
pub mod seed;
pub mod staff;
pub mod subscriptions;
pub mod support;
pub mod text;
pub mod vendors;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::db::embedded::{Durability, EmbeddedPostgres};
use crate::mail::Mailer;

/// The database the portal works on, and the embedded cluster behind it when there is one.
pub struct Database {
    /// The owner's pool: migrations, demo data, admin commands.
    pub pool: PgPool,
    /// The owner's URL, on which the serving role connects when the portal made it.
    pub url: String,
    pub embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Connects to `DATABASE_URL`, or starts the embedded cluster under `<data>/postgres`.
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        let (url, embedded) = match &config.database_url {
            Some(url) => (url.clone(), None),
            None => {
                let root = config.data_dir.join("postgres");
                let chosen = config.data_dir_chosen;
                let cluster = tokio::task::spawn_blocking(move || {
                    let root = EmbeddedPostgres::place(&root, chosen)?;
                    EmbeddedPostgres::start(&root, Durability::Safe)
                })
                .await??;
                db::ensure_database(&cluster.url("postgres"), "portal").await?;
                (cluster.url("portal"), Some(cluster))
            }
        };
        let pool = match db::connect(&url).await {
            Ok(pool) => pool,
            Err(e) => {
                if let Some(c) = &embedded {
                    c.stop();
                }
                return Err(e);
            }
        };
        Ok(Self {
            pool,
            url,
            embedded,
        })
    }

    /// The pool requests and jobs use: the serving role, made or checked (decision 0017).
    /// Call after migrating.
    pub async fn serving(&self, config: &Config) -> anyhow::Result<PgPool> {
        let secrets =
            crypto::SecretBox::from_config(config.secret_key.as_deref(), &config.data_dir)?;
        db::roles::serving_pool(
            &self.pool,
            &self.url,
            db::roles::Serving::from_config(config, &secrets),
        )
        .await
    }

    /// Closes the pool and stops the embedded cluster if this process started it.
    pub async fn close(self) {
        self.pool.close().await;
        if let Some(cluster) = self.embedded {
            let _ = tokio::task::spawn_blocking(move || cluster.stop()).await;
        }
    }
}

/// A portal serving on a socket, with its worker and session clean-up running.
pub struct RunningPortal {
    pub addr: SocketAddr,
    grace: Duration,
    stop: CancellationToken,
    server: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
}

impl RunningPortal {
    /// Stops accepting connections, lets in-flight requests finish (for the grace period at
    /// most: a slow client or a long download does not hold the process), then stops the
    /// worker.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        if tokio::time::timeout(self.grace, &mut self.server)
            .await
            .is_err()
        {
            tracing::warn!(
                grace_secs = self.grace.as_secs(),
                "requests still in flight after the grace period: closing them"
            );
            self.server.abort();
            let _ = (&mut self.server).await;
        }
        for task in self.background {
            let _ = tokio::time::timeout(Duration::from_secs(30), task).await;
        }
    }

    /// Resolves when shutdown has been requested.
    pub async fn stopping(&self) {
        self.stop.cancelled().await
    }

    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }
}

/// Chooses rustls's cryptography (ring) once for the process: several crates bring rustls, and
/// with more than one provider compiled in, rustls would refuse to pick one at the first TLS
/// connection (SMTP or PostgreSQL over TLS).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Starts serving on `config.bind` (port 0 picks a free port) with a migrated `pool`.
pub async fn start(config: Config, pool: PgPool) -> anyhow::Result<RunningPortal> {
    let listener = TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {} (PORTAL_BIND)", config.bind))?;
    start_on(listener, config, pool).await
}

/// Like [`start`], on a socket the caller already bound (tests bind first to know the port).
pub async fn start_on(
    listener: TcpListener,
    config: Config,
    pool: PgPool,
) -> anyhow::Result<RunningPortal> {
    install_crypto_provider();
    let addr = listener.local_addr()?;
    let run_worker = config.run_worker;
    let grace = config.shutdown_grace;
    let state = app::state(config, pool.clone())?;
    let store = auth::session_store::PgSessions::new(pool.clone());
    let stop = CancellationToken::new();
    let mut background = Vec::new();

    // Expired sessions are deleted, and old failed mail dropped, every minute.
    {
        let store = store.clone();
        let stop = stop.clone();
        let db = pool.clone();
        background.push(tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = every.tick() => {
                        if let Err(e) = store.delete_expired().await {
                            tracing::warn!(error = %e, "cannot delete expired sessions");
                        }
                        if let Err(e) = jobs::drop_old_mail(&db).await {
                            tracing::warn!(error = %e, "cannot drop old failed mail");
                        }
                    }
                }
            }
        }));
    }
    if run_worker {
        let worker = jobs::Worker::new(pool.clone(), state.mailer.clone())
            .with_vendor(state.vendor.clone(), state.config.clone());
        background.push(tokio::spawn(worker.run(stop.clone())));
    }

    let app = app::app(state, store);
    let server_stop = stop.clone();
    let server = tokio::spawn(async move {
        let result = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { server_stop.cancelled().await })
        .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "server error");
        }
    });
    tracing::info!(%addr, "portal listening");
    Ok(RunningPortal {
        addr,
        grace,
        stop,
        server,
        background,
    })
}

/// `portal serve`: database, migrations, demo data on the embedded default, then serve until
/// SIGINT or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let database = Database::open(&config).await?;
    let result = serve_on(&config, &database).await;
    database.close().await;
    result
}

async fn serve_on(config: &Config, database: &Database) -> anyhow::Result<()> {
    db::migrate(&database.pool).await?;
    if database.embedded.is_some() {
        let marker = config.data_dir.join("demo-data-loaded");
        if !marker.exists() {
            let hasher = auth::password::PasswordHasher::default();
            let secrets =
                crypto::SecretBox::from_config(config.secret_key.as_deref(), &config.data_dir)?;
            let summary = seed::seed_demo(&database.pool, &hasher, &secrets).await?;
            println!("{summary}");
            std::fs::write(
                &marker,
                "demo data loaded by `portal serve` on first start\n",
            )?;
        } else {
            println!("{}", seed::how_to_log_in());
        }
    }
    let serving = database.serving(config).await?;
    let portal = start(config.clone(), serving.clone()).await?;
    println!(
        "Cloud portal on {} (listening on {})",
        config.base_url, portal.addr
    );
    let stop = portal.stop_token();
    tokio::select! {
        _ = shutdown_signal() => tracing::info!("shutting down: finishing requests in flight"),
        _ = stop.cancelled() => {}
    }
    portal.shutdown().await;
    serving.close().await;
    Ok(())
}

/// `portal worker`: runs background jobs until SIGINT or SIGTERM.
pub async fn run_worker(config: Config) -> anyhow::Result<()> {
    let database = Database::open(&config).await?;
    db::migrate(&database.pool).await?;
    let serving = database.serving(&config).await?;
    let stop = CancellationToken::new();
    let vendor: Arc<dyn vendors::Vendor> =
        Arc::new(vendors::Sandbox::new(serving.clone()).with_latency(config.sandbox_latency));
    let worker = jobs::Worker::new(serving.clone(), Mailer::from_config(&config)?)
        .with_vendor(vendor, Arc::new(config.clone()));
    let task = tokio::spawn(worker.run(stop.clone()));
    shutdown_signal().await;
    stop.cancel();
    let _ = task.await;
    serving.close().await;
    database.close().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
