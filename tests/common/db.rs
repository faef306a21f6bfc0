//! A fresh database per test, copied from a template migrated once per test run.
//!
//! The server is `DATABASE_URL` when set (CI uses the machine's server); otherwise a private
//! cluster under cargo's target directory is started for the run and stopped when the test
//! process exits.

use std::sync::OnceLock;

use portal::db::embedded::{Durability, EmbeddedPostgres};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use tokio::sync::OnceCell;

static EMBEDDED: OnceLock<EmbeddedPostgres> = OnceLock::new();
static SERVER: OnceLock<String> = OnceLock::new();
static TEMPLATE: OnceCell<String> = OnceCell::const_new();

extern "C" fn stop_embedded() {
    if let Some(cluster) = EMBEDDED.get() {
        cluster.stop();
    }
}

/// The server's base URL, without a database name (`postgres://…:port`).
pub fn server_url() -> &'static str {
    SERVER.get_or_init(|| match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let mut u = url::Url::parse(&url).expect("DATABASE_URL is a URL");
            u.set_path("");
            u.as_str().trim_end_matches('/').to_string()
        }
        _ => {
            let root =
                std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("portal-test-postgres");
            let cluster = EmbeddedPostgres::start(&root, Durability::Fast)
                .expect("cannot start the private PostgreSQL for tests");
            let url = cluster.url("postgres");
            let _ = EMBEDDED.set(cluster);
            // SAFETY: registering a plain function to run at normal process exit.
            unsafe {
                libc::atexit(stop_embedded);
            }
            url.trim_end_matches("/postgres").to_string()
        }
    })
}

pub fn url_of(database: &str) -> String {
    format!("{}/{database}", server_url())
}

async fn admin() -> PgConnection {
    PgConnection::connect(&url_of("postgres"))
        .await
        .expect("cannot connect to the test PostgreSQL server")
}

/// The template database: migrated once, named after the migrations so changes make a new one.
async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let mut digest = 0u64;
            for m in portal::db::MIGRATOR.iter() {
                for b in m.checksum.iter() {
                    digest = digest.wrapping_mul(31).wrapping_add(*b as u64);
                }
            }
            let name = format!("portal_tpl_{:x}", digest);
            let mut conn = admin().await;
            let exists: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                    .bind(&name)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
            if !exists {
                // Built under a temporary name and renamed, so a half-built one is never used.
                let building = format!("{name}_{}", uuid::Uuid::new_v4().simple());
                sqlx::query(&format!("CREATE DATABASE {building}"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                let pool = portal::db::connect(&url_of(&building)).await.unwrap();
                portal::db::migrate(&pool).await.unwrap();
                pool.close().await;
                let renamed = sqlx::query(&format!("ALTER DATABASE {building} RENAME TO {name}"))
                    .execute(&mut conn)
                    .await;
                if renamed.is_err() {
                    // Another run built it at the same time: use theirs.
                    let _ = sqlx::query(&format!("DROP DATABASE {building} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            }
            let _ = conn.close().await;
            name
        })
        .await
}

/// A database of its own for one test, dropped when the value is dropped.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let template = template().await;
        let name = format!("portal_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin().await;
        sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut conn)
            .await
            .expect("cannot create the test database");
        let _ = conn.close().await;
        Self {
            url: url_of(&name),
            name,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async context: a short-lived runtime on its own thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&url_of("postgres")).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}
