//! The durable job queue in PostgreSQL and the worker that runs it.
//!
//! A job is enqueued inside the transaction that decided it (so it exists exactly when that
//! decision is committed), claimed by one worker with `FOR UPDATE SKIP LOCKED` under a lease,
//! retried with exponential backoff on transient errors, and marked failed on permanent errors or
//! after its last attempt. A worker that dies leaves its lease to expire, and the job is claimed
//! again: handlers must therefore be idempotent (at-least-once delivery).
//! Why our own queue rather than a crate: docs/decisions/0003-job-queue.md.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::postgres::PgListener;
use sqlx::{PgExecutor, PgPool};
use tokio_util::sync::CancellationToken;

use crate::mail::Mailer;

/// The kinds of job, and how each is run.
pub const SEND_EMAIL: &str = "send_email";
pub const PROVISION_ORDER: &str = "provision_order";

/// How a job attempt ended badly.
#[derive(Debug)]
pub enum JobError {
    /// Worth another try later (network down, server busy).
    Transient(anyhow::Error),
    /// Will never succeed (bad payload): marked failed at once.
    Permanent(anyhow::Error),
}

/// How long a mail that could not be sent keeps its (sealed) message, for staff to look into.
pub const FAILED_MAIL_KEPT_DAYS: i32 = 30;

/// Drops the message of mail jobs that failed more than [`FAILED_MAIL_KEPT_DAYS`] ago (a sent
/// one is dropped at once); how many.
pub async fn drop_old_mail(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE jobs SET payload = '{}'::jsonb
         WHERE kind = $1 AND state = 'failed' AND payload <> '{}'::jsonb
           AND finished_at < now() - make_interval(days => $2)",
        SEND_EMAIL,
        FAILED_MAIL_KEPT_DAYS,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Adds a job; runs as soon as a worker is free, or at `delay` from now.
pub async fn enqueue<T: Serialize>(
    db: impl PgExecutor<'_>,
    kind: &str,
    payload: &T,
    delay: Option<Duration>,
) -> anyhow::Result<i64> {
    let payload = serde_json::to_value(payload)?;
    let delay_ms = delay.map(|d| d.as_millis() as i64).unwrap_or(0);
    let id = sqlx::query_scalar!(
        r#"WITH job AS (
               INSERT INTO jobs (kind, payload, run_at)
               VALUES ($1, $2, now() + make_interval(secs => $3::double precision / 1000))
               RETURNING id)
           SELECT id AS "id!" FROM job, LATERAL (SELECT pg_notify('portal_jobs', '')) n"#,
        kind,
        payload,
        delay_ms as f64,
    )
    .fetch_one(db)
    .await?;
    Ok(id)
}

/// Adds a job unless one with the same `key` exists (one provisioning job per order).
pub async fn enqueue_once<T: Serialize>(
    db: impl PgExecutor<'_>,
    kind: &str,
    payload: &T,
    key: &str,
) -> anyhow::Result<()> {
    sqlx::query!(
        "WITH job AS (
             INSERT INTO jobs (kind, payload, dedupe_key) VALUES ($1, $2, $3)
             ON CONFLICT (dedupe_key) DO NOTHING RETURNING id)
         SELECT pg_notify('portal_jobs', '') FROM job",
        kind,
        serde_json::to_value(payload)?,
        key,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A claimed job.
#[derive(Debug)]
struct Claimed {
    id: i64,
    kind: String,
    payload: serde_json::Value,
    attempts: i32,
    max_attempts: i32,
}

/// What the worker needs to run jobs.
#[derive(Clone)]
pub struct Worker {
    pub db: PgPool,
    pub mailer: Mailer,
    /// The vendors (for provisioning) and the configuration (for links in e-mails).
    pub vendor: Option<std::sync::Arc<dyn crate::vendors::Vendor>>,
    pub config: Option<std::sync::Arc<crate::config::Config>>,
    pub name: String,
    /// How long a claimed job stays reserved to this worker.
    pub lease: Duration,
    /// How often the queue is polled when no notification arrives.
    pub poll: Duration,
}

impl Worker {
    pub fn new(db: PgPool, mailer: Mailer) -> Self {
        Self {
            db,
            mailer,
            vendor: None,
            config: None,
            name: format!("worker-{}", uuid::Uuid::new_v4()),
            lease: Duration::from_secs(300),
            poll: Duration::from_secs(2),
        }
    }

    /// Gives the worker the vendors and the configuration that provisioning needs.
    pub fn with_vendor(
        mut self,
        vendor: std::sync::Arc<dyn crate::vendors::Vendor>,
        config: std::sync::Arc<crate::config::Config>,
    ) -> Self {
        self.vendor = Some(vendor);
        self.config = Some(config);
        self
    }

    /// Runs until `stop` is cancelled; the job in hand is finished first.
    pub async fn run(self, stop: CancellationToken) {
        tracing::info!(worker = %self.name, "job worker started");
        let mut listener = match PgListener::connect_with(&self.db).await {
            Ok(mut l) => match l.listen("portal_jobs").await {
                Ok(()) => Some(l),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot LISTEN for jobs; polling only");
                    None
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot LISTEN for jobs; polling only");
                None
            }
        };
        loop {
            if stop.is_cancelled() {
                break;
            }
            match self.run_one().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::error!(error = format!("{e:#}"), "job queue error"),
            }
            let wait = async {
                match listener.as_mut() {
                    Some(l) => {
                        let _ = tokio::time::timeout(self.poll, l.recv()).await;
                    }
                    None => tokio::time::sleep(self.poll).await,
                }
            };
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = wait => {}
            }
        }
        tracing::info!(worker = %self.name, "job worker stopped");
    }

    /// Claims and runs one job; `false` when none was ready.
    pub async fn run_one(&self) -> anyhow::Result<bool> {
        let claimed = sqlx::query_as!(
            Claimed,
            "UPDATE jobs SET state = 'running', attempts = attempts + 1,
                    locked_until = now() + make_interval(secs => $1), locked_by = $2
             WHERE id = (
                 SELECT id FROM jobs
                 WHERE (state = 'queued' AND run_at <= now())
                    OR (state = 'running' AND locked_until < now())
                 ORDER BY run_at, id
                 LIMIT 1
                 FOR UPDATE SKIP LOCKED)
             RETURNING id, kind, payload, attempts, max_attempts",
            self.lease.as_secs_f64(),
            self.name,
        )
        .fetch_optional(&self.db)
        .await?;
        let Some(job) = claimed else {
            return Ok(false);
        };
        let outcome = self.dispatch(&job).await;
        match outcome {
            Ok(()) => {
                sqlx::query!(
                    // A message sent is not kept: its payload is dropped.
                    "UPDATE jobs SET state = 'done', finished_at = now(), locked_until = NULL,
                            last_error = NULL,
                            payload = CASE WHEN kind = 'send_email' THEN '{}'::jsonb ELSE payload END
                     WHERE id = $1 AND locked_by = $2",
                    job.id,
                    self.name,
                )
                .execute(&self.db)
                .await?;
            }
            Err(JobError::Transient(e)) if job.attempts < job.max_attempts => {
                let backoff = backoff(job.attempts);
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts,
                    retry_in_secs = backoff.as_secs(), error = format!("{e:#}"), "job failed; will retry");
                sqlx::query!(
                    "UPDATE jobs SET state = 'queued', locked_until = NULL, last_error = $3,
                            run_at = now() + make_interval(secs => $4)
                     WHERE id = $1 AND locked_by = $2",
                    job.id,
                    self.name,
                    format!("{e:#}"),
                    backoff.as_secs_f64(),
                )
                .execute(&self.db)
                .await?;
            }
            Err(JobError::Transient(e)) | Err(JobError::Permanent(e)) => {
                tracing::error!(job = job.id, kind = %job.kind, error = format!("{e:#}"), "job failed for good");
                sqlx::query!(
                    "UPDATE jobs SET state = 'failed', finished_at = now(), locked_until = NULL,
                            last_error = $3
                     WHERE id = $1 AND locked_by = $2",
                    job.id,
                    self.name,
                    format!("{e:#}"),
                )
                .execute(&self.db)
                .await?;
            }
        }
        Ok(true)
    }

    async fn dispatch(&self, job: &Claimed) -> Result<(), JobError> {
        match job.kind.as_str() {
            SEND_EMAIL => {
                let email = self
                    .mailer
                    .unseal(&job.payload)
                    .map_err(JobError::Permanent)?;
                self.mailer.send(&email).await.map_err(JobError::Transient)
            }
            PROVISION_ORDER => {
                let data: crate::orders::provision::Job = parse(&job.payload)?;
                crate::orders::provision::run(self, data, job.attempts >= job.max_attempts).await
            }
            other => Err(JobError::Permanent(anyhow::anyhow!(
                "unknown job kind {other}"
            ))),
        }
    }
}

fn parse<T: DeserializeOwned>(payload: &serde_json::Value) -> Result<T, JobError> {
    serde_json::from_value(payload.clone()).map_err(|e| JobError::Permanent(e.into()))
}

/// Exponential backoff: 10 s, 20 s, 40 s … capped at one hour.
pub fn backoff(attempt: i32) -> Duration {
    let exp = attempt.clamp(1, 20) as u32 - 1;
    let secs = 10u64.saturating_mul(1u64 << exp.min(16));
    Duration::from_secs(secs.min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_secs(10));
        assert_eq!(backoff(2), Duration::from_secs(20));
        assert_eq!(backoff(4), Duration::from_secs(80));
        assert_eq!(backoff(30), Duration::from_secs(3600));
        assert_eq!(backoff(0), Duration::from_secs(10));
    }
}
