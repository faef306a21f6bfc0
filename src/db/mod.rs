//! The database: the pool, migrations, and transactions scoped to one tenant.
//!
//! Tenant tables have row-level security. A tenant transaction switches to the `portal_app`
//! role (neither superuser nor table owner, so RLS applies to it) and sets `portal.reseller_id`
//! for the length of the transaction: a query that forgets its `reseller_id` filter still sees
//! one tenant only. Staff and system work (migrations, the job worker, sign-in look-ups) uses the
//! pool as the owning role.

pub mod embedded;
pub mod enums;
pub mod roles;

use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::error::AppError;
use crate::fields::FieldErrors;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// Opens a pool of connections to `url`.
pub async fn connect(url: &str) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = url
        .parse()
        .context("DATABASE_URL is not a valid PostgreSQL URL")?;
    connect_with(options).await
}

/// Opens a pool with `options` (the serving role's user and password set on the owner's URL).
pub async fn connect_with(options: PgConnectOptions) -> anyhow::Result<PgPool> {
    let options = options.application_name("portal");
    PgPoolOptions::new()
        .max_connections(20)
        .min_connections(0)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .idle_timeout(Duration::from_secs(300))
        // sqlx pings a connection on every acquire by default: a round trip per query for a
        // connection used a moment ago. Ping only one that has sat idle (it may have been cut by
        // a database restart); every connection is still pinged when it is released.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IF_IDLE_FOR {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await
        .context("cannot connect to PostgreSQL")
}

/// Applies every migration not yet applied.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR
        .run(pool)
        .await
        .context("cannot apply database migrations")
}

/// Creates `name` on the server of `admin_url` when it does not exist yet.
pub async fn ensure_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(admin_url)
        .await
        .context("cannot connect to PostgreSQL to create the database")?;
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS "exists!""#,
        name
    )
    .fetch_one(&pool)
    .await?;
    if !exists {
        // Identifiers cannot be bound: the one statement built as text, from our own name,
        // quoted.
        let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        if let Err(e) = sqlx::query(&sql).execute(&pool).await {
            // Another instance may have created it at the same moment.
            let duplicate = e
                .as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|c| c == "42P04");
            if !duplicate {
                return Err(e.into());
            }
        }
    }
    pool.close().await;
    Ok(())
}

/// How long a request waits for a connection before it is told the service is unavailable (a
/// 503 to retry): with the database down, a request gives up after this long, not a minute.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// A pooled connection idle at least this long is pinged before it is handed out.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(2);

/// A transaction that sees one reseller's rows only (row-level security), opened in one round
/// trip: `BEGIN`, the role and the tenant are one simple query.
///
/// The tenant id is written into that statement (a simple query takes no parameters); a `Uuid`
/// prints as hex digits and dashes only. The `BEGIN` runs on a task of its own: sqlx rolls back
/// a transaction that is dropped, but not one whose `BEGIN` is still on the wire when the
/// request is cancelled (a client gone, a timeout), and that connection would go back to the
/// pool inside a transaction that is still `portal_app` for this tenant. On its own task the
/// `BEGIN` always completes; if nobody waits for it any more, dropping the finished transaction
/// rolls it back before the connection is reused.
pub async fn tenant_tx(
    pool: &PgPool,
    reseller_id: Uuid,
) -> sqlx::Result<Transaction<'static, Postgres>> {
    let begin = format!(
        "BEGIN; SET LOCAL ROLE portal_app; SET LOCAL portal.reseller_id = '{}'",
        reseller_id.as_hyphenated()
    );
    let pool = pool.clone();
    tokio::spawn(async move { pool.begin_with(begin).await })
        .await
        .map_err(|_| sqlx::Error::WorkerCrashed)?
}

/// Lists are counted exactly up to this many rows; beyond, the planner estimates.
pub const EXACT_UP_TO: i64 = 10_000;

/// How many rows a list has: exact while small, the planner's estimate beyond
/// [`EXACT_UP_TO`] (a large tenant's list is never counted whole on every view).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Total {
    Exact(i64),
    About(i64),
}

impl Total {
    /// The number, exact or not (for paging).
    pub fn rows(self) -> i64 {
        match self {
            Total::Exact(n) | Total::About(n) => n,
        }
    }
}

/// Counts what `push` selects (it pushes `FROM …` and `WHERE …`, binding owned values). The
/// planner's estimate comes first (no rows read): well beyond [`EXACT_UP_TO`] it answers alone,
/// since even a capped count reads 10 000 rows (15–20 ms on a large tenant). Otherwise at most
/// `EXACT_UP_TO + 1` rows are counted, and beyond the cap the estimate answers.
pub async fn total<F>(conn: &mut sqlx::PgConnection, push: F) -> sqlx::Result<Total>
where
    F: for<'q> Fn(&mut sqlx::QueryBuilder<'q, Postgres>),
{
    let mut explain = sqlx::QueryBuilder::new("EXPLAIN (FORMAT JSON) SELECT 1");
    push(&mut explain);
    // Not kept prepared: the estimate is for these values, not a generic plan's guess.
    let plan: serde_json::Value = explain
        .build_query_scalar()
        .persistent(false)
        .fetch_one(&mut *conn)
        .await?;
    let estimate = plan[0]["Plan"]["Plan Rows"].as_f64().unwrap_or(0.0) as i64;
    if estimate > 2 * EXACT_UP_TO {
        return Ok(Total::About(estimate));
    }
    let mut capped = sqlx::QueryBuilder::new("SELECT count(*) FROM (SELECT 1");
    push(&mut capped);
    capped
        .push(" LIMIT ")
        .push_bind(EXACT_UP_TO + 1)
        .push(") capped");
    let n: i64 = capped
        .build_query_scalar()
        .persistent(false)
        .fetch_one(conn)
        .await?;
    if n <= EXACT_UP_TO {
        return Ok(Total::Exact(n));
    }
    Ok(Total::About(estimate.max(EXACT_UP_TO + 1)))
}

/// Whether the database answers (for `/readyz`).
pub async fn ping(pool: &PgPool) -> bool {
    tokio::time::timeout(
        Duration::from_secs(3),
        sqlx::query_scalar!("SELECT 1 AS one").fetch_one(pool),
    )
    .await
    .is_ok_and(|r| r.is_ok())
}

/// The name of a violated constraint, to turn a unique-key race into a field error.
pub fn violated_constraint(e: &sqlx::Error) -> Option<&str> {
    e.as_database_error().and_then(|d| d.constraint())
}

/// Why a store function did not save: the database refused it by a named constraint (shown
/// beside a field of the form), or it failed.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("refused by a constraint")]
    Refused(FieldErrors),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<SaveError> for AppError {
    fn from(e: SaveError) -> Self {
        match e {
            SaveError::Refused(_) => AppError::Unprocessable,
            SaveError::Db(e) => e.into(),
        }
    }
}

/// Turns a violation of a named constraint into a field error, so the database decides races
/// (two requests saving the same tax id) instead of a check before the write. After a refusal
/// the transaction is aborted: run the statement in a savepoint (`Connection::begin` on the
/// transaction) when the transaction must go on.
pub trait OnConstraint<T> {
    /// A violation of `constraint` becomes `key` beside `field`.
    fn on_constraint(
        self,
        constraint: &str,
        field: &'static str,
        key: &'static str,
    ) -> Result<T, SaveError>;
}

impl<T> OnConstraint<T> for Result<T, sqlx::Error> {
    fn on_constraint(
        self,
        constraint: &str,
        field: &'static str,
        key: &'static str,
    ) -> Result<T, SaveError> {
        self.map_err(SaveError::Db)
            .on_constraint(constraint, field, key)
    }
}

impl<T> OnConstraint<T> for Result<T, SaveError> {
    fn on_constraint(
        self,
        constraint: &str,
        field: &'static str,
        key: &'static str,
    ) -> Result<T, SaveError> {
        match self {
            Err(SaveError::Db(e)) if violated_constraint(&e) == Some(constraint) => {
                Err(SaveError::Refused(FieldErrors::one(field, key)))
            }
            other => other,
        }
    }
}

/// Sends each row of `rows` (a query's stream) to `each` as the database returns it, until
/// `each` says stop: a download's rows in flat memory.
pub async fn each_row<T, F, Fut>(
    mut rows: impl futures_util::Stream<Item = sqlx::Result<T>> + Unpin,
    mut each: F,
) -> sqlx::Result<()>
where
    F: FnMut(T) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    use futures_util::TryStreamExt;
    while let Some(row) = rows.try_next().await? {
        if !each(row).await {
            break;
        }
    }
    Ok(())
}
