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

/// How a job attempt ended badly.
#[derive(Debug)]
pub enum JobError {
    /// Worth another try later (network down, server busy).
    Transient(anyhow::Error),
    /// Will never succeed (bad payload): marked failed at once.
    Permanent(anyhow::Error),
}

impl JobError {
    /// A transient failure from any error (a database error, a vendor that did not answer).
    pub fn transient(e: impl Into<anyhow::Error>) -> Self {
        JobError::Transient(e.into())
    }
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
        JobKind::SendEmail.code(),
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

/// Adds a job unless one with the same `key` exists (one provisioning job per order); whether
/// it was added.
pub async fn enqueue_once<T: Serialize>(
    db: impl PgExecutor<'_>,
    kind: &str,
    payload: &T,
    key: &str,
) -> anyhow::Result<bool> {
    let added = sqlx::query!(
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
    Ok(added.rows_affected() == 1)
}

crate::text_enum! {
    /// The kinds of job the worker knows.
    pub enum JobKind {
        SendEmail = "send_email" => "jobs.kind_send_email",
        ProvisionOrder = "provision_order" => "jobs.kind_provision_order",
        ChangeSubscription = "change_subscription" => "jobs.kind_change_subscription",
        ChangeLicences = "change_licences" => "jobs.kind_change_licences",
        ApplyLicenceBatch = "apply_licence_batch" => "jobs.kind_apply_licence_batch",
        ReadTenantUsers = "read_tenant_users" => "jobs.kind_read_tenant_users",
        RenewSubscriptions = "renew_subscriptions" => "jobs.kind_renew_subscriptions",
        SendReminders = "send_reminders" => "jobs.kind_send_reminders",
        BillingRun = "billing_run" => "jobs.kind_billing_run",
        ImportUsage = "import_usage" => "jobs.kind_import_usage",
        EstimateBilling = "estimate_billing" => "jobs.kind_estimate_billing",
        CountVendorSeats = "count_vendor_seats" => "jobs.kind_count_vendor_seats",
        CountCommitments = "count_commitments" => "jobs.kind_count_commitments",
        MakeTenantAdmin = "make_tenant_admin" => "jobs.kind_make_tenant_admin",
    }
}

impl JobKind {
    /// Whether staff retry it from the job list. An order's provisioning is retried from the
    /// order (its failed lines go back to the vendor), where the order's state is decided.
    pub fn retried_from_the_list(self) -> bool {
        matches!(self, JobKind::SendEmail)
    }
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
    /// How long a claimed job stays reserved to this worker without a heartbeat. The worker
    /// renews it every third of that while the job runs, so a job whose worker died is taken up
    /// again within one lease, and a long job is never run twice at once.
    pub lease: Duration,
    /// The longest one attempt may run; past it the attempt counts as failed (and is retried).
    pub max_run: Duration,
    /// How often the queue is polled when no notification arrives.
    pub poll: Duration,
}

/// How an attempt ended, as recorded.
enum Outcome {
    Done,
    Retry(String),
    Dead(String),
}

impl Worker {
    pub fn new(db: PgPool, mailer: Mailer) -> Self {
        Self {
            db,
            mailer,
            vendor: None,
            config: None,
            name: format!("worker-{}", uuid::Uuid::new_v4()),
            lease: DEFAULT_LEASE,
            max_run: Duration::from_secs(15 * 60),
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
        self.lease = config.job_lease;
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
        let mut scheduled: Option<time::Date> = None;
        loop {
            if stop.is_cancelled() {
                break;
            }
            // The day's runs, queued once per UTC date whichever worker asks first.
            let today = time::OffsetDateTime::now_utc().date();
            if scheduled != Some(today) {
                match daily(&self.db, today).await {
                    Ok(()) => scheduled = Some(today),
                    Err(e) => {
                        tracing::warn!(error = format!("{e:#}"), "cannot queue the day's jobs")
                    }
                }
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
        self.bury_abandoned().await?;
        let claimed = sqlx::query_as!(
            Claimed,
            "UPDATE jobs SET state = 'running', attempts = attempts + 1,
                    locked_until = now() + make_interval(secs => $1), locked_by = $2
             WHERE id = (
                 SELECT id FROM jobs
                 WHERE (state = 'queued' AND run_at <= now())
                    OR (state = 'running' AND locked_until < now() AND attempts < max_attempts)
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
        let heartbeat = AbortOnDrop(self.heartbeat(job.id).abort_handle());
        let outcome = self.attempt(&job).await;
        drop(heartbeat);
        let outcome = match outcome {
            Ok(()) => Outcome::Done,
            Err(JobError::Transient(e)) if job.attempts < job.max_attempts => {
                Outcome::Retry(format!("{e:#}"))
            }
            Err(JobError::Transient(e)) | Err(JobError::Permanent(e)) => {
                Outcome::Dead(format!("{e:#}"))
            }
        };
        self.record(&job, outcome).await?;
        Ok(true)
    }

    /// One attempt, on a task of its own so that a panic in it is an attempt that failed (not
    /// a dead worker), and bounded by [`Worker::max_run`].
    async fn attempt(&self, job: &Claimed) -> Result<(), JobError> {
        let worker = self.clone();
        let kind = job.kind.clone();
        let payload = job.payload.clone();
        let last = job.attempts >= job.max_attempts;
        let task = tokio::spawn(async move { worker.dispatch(&kind, &payload, last).await });
        // Dropped with the worker's future (a worker stopped mid-job), the attempt stops too.
        let _abort = AbortOnDrop(task.abort_handle());
        match tokio::time::timeout(self.max_run, task).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(e)) if e.is_panic() => Err(JobError::Transient(anyhow::anyhow!(
                "the job stopped with a panic: {}",
                panic_message(e.into_panic())
            ))),
            Ok(Err(e)) => Err(JobError::Transient(anyhow::anyhow!(
                "the job was cancelled: {e}"
            ))),
            Err(_) => Err(JobError::Transient(anyhow::anyhow!(
                "the job ran over {} s",
                self.max_run.as_secs()
            ))),
        }
    }

    /// Renews the lease of job `id` every third of it until aborted.
    fn heartbeat(&self, id: i64) -> tokio::task::JoinHandle<()> {
        let db = self.db.clone();
        let name = self.name.clone();
        let lease = self.lease;
        tokio::spawn(async move {
            let mut every = tokio::time::interval(lease / 3);
            every.tick().await;
            loop {
                every.tick().await;
                let renewed = sqlx::query!(
                    "UPDATE jobs SET locked_until = now() + make_interval(secs => $3)
                     WHERE id = $1 AND locked_by = $2 AND state = 'running'",
                    id,
                    name,
                    lease.as_secs_f64(),
                )
                .execute(&db)
                .await;
                match renewed {
                    Ok(r) if r.rows_affected() == 1 => {}
                    Ok(_) => {
                        tracing::warn!(
                            job = id,
                            "the job's lease was lost; its outcome will not be recorded"
                        );
                        return;
                    }
                    Err(e) => tracing::warn!(job = id, error = %e, "cannot renew the job's lease"),
                }
            }
        })
    }

    /// Records how an attempt ended (only while this worker still holds the job).
    async fn record(&self, job: &Claimed, outcome: Outcome) -> anyhow::Result<()> {
        match outcome {
            Outcome::Done => {
                sqlx::query!(
                    // A message sent is not kept: its payload is dropped.
                    "UPDATE jobs SET state = 'done', finished_at = now(), locked_until = NULL,
                            last_error = NULL,
                            payload = CASE WHEN kind = 'send_email' THEN '{}'::jsonb ELSE payload END
                     WHERE id = $1 AND locked_by = $2 AND state = 'running'",
                    job.id,
                    self.name,
                )
                .execute(&self.db)
                .await?;
            }
            Outcome::Retry(error) => {
                let backoff = backoff(job.attempts);
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts,
                    retry_in_secs = backoff.as_secs(), error = %error, "job failed; will retry");
                sqlx::query!(
                    "UPDATE jobs SET state = 'queued', locked_until = NULL, last_error = $3,
                            run_at = now() + make_interval(secs => $4)
                     WHERE id = $1 AND locked_by = $2 AND state = 'running'",
                    job.id,
                    self.name,
                    error,
                    backoff.as_secs_f64(),
                )
                .execute(&self.db)
                .await?;
            }
            Outcome::Dead(error) => {
                tracing::error!(job = job.id, kind = %job.kind, error = %error, "job failed for good");
                let buried = sqlx::query!(
                    "UPDATE jobs SET state = 'failed', finished_at = now(), locked_until = NULL,
                            last_error = $3
                     WHERE id = $1 AND locked_by = $2 AND state = 'running'",
                    job.id,
                    self.name,
                    error,
                )
                .execute(&self.db)
                .await?;
                if buried.rows_affected() == 1 {
                    self.gave_up(&job.kind, &job.payload).await;
                }
            }
        }
        Ok(())
    }

    /// Jobs whose worker stopped (crashed, killed) during their last attempt: dead, not run a
    /// time more, so a job that crashes the worker is not retried without end.
    async fn bury_abandoned(&self) -> anyhow::Result<()> {
        let buried = sqlx::query!(
            "UPDATE jobs SET state = 'failed', finished_at = now(), locked_until = NULL,
                    last_error = concat_ws(' / ', last_error,
                        format('the worker stopped during attempt %s of %s', attempts, max_attempts))
             WHERE state = 'running' AND locked_until < now() AND attempts >= max_attempts
             RETURNING id, kind, payload",
        )
        .fetch_all(&self.db)
        .await?;
        for job in buried {
            tracing::error!(job = job.id, kind = %job.kind, "job abandoned on its last attempt; dead");
            self.gave_up(&job.kind, &job.payload).await;
        }
        Ok(())
    }

    /// What a job's subject becomes when its job is dead: an order in progress fails, and a
    /// subscription change with it, with the vendor unreachable as the reason, rather than
    /// staying "provisioning" or "pending at the vendor".
    async fn gave_up(&self, kind: &str, payload: &serde_json::Value) {
        let closed = match JobKind::from_code(kind) {
            Some(JobKind::ProvisionOrder) => match parse(payload) {
                Ok(data) => crate::orders::provision::abandon(self, data).await,
                Err(e) => Err(e),
            },
            Some(JobKind::ChangeSubscription) => match parse(payload) {
                Ok(data) => crate::subscriptions::changes::abandon(self, data).await,
                Err(e) => Err(e),
            },
            Some(JobKind::ChangeLicences) => match parse(payload) {
                Ok(data) => crate::licences::changes::abandon(self, data).await,
                Err(e) => Err(e),
            },
            Some(JobKind::ApplyLicenceBatch) => match parse(payload) {
                Ok(data) => crate::licences::bulk::job::abandon(self, data).await,
                Err(e) => Err(e),
            },
            Some(JobKind::MakeTenantAdmin) => match parse(payload) {
                Ok(data) => crate::orders::admin::abandon(self, data).await,
                Err(e) => Err(e),
            },
            Some(
                JobKind::SendEmail
                | JobKind::RenewSubscriptions
                | JobKind::SendReminders
                | JobKind::ReadTenantUsers
                | JobKind::BillingRun
                | JobKind::ImportUsage
                | JobKind::EstimateBilling
                | JobKind::CountVendorSeats
                | JobKind::CountCommitments,
            )
            | None => Ok(()),
        };
        if let Err(e) = closed {
            tracing::error!(kind, error = ?e, "cannot close the subject of a dead job");
        }
    }

    async fn dispatch(
        &self,
        kind: &str,
        payload: &serde_json::Value,
        last_attempt: bool,
    ) -> Result<(), JobError> {
        match JobKind::from_code(kind) {
            Some(JobKind::SendEmail) => {
                let email = self.mailer.unseal(payload).map_err(JobError::Permanent)?;
                self.mailer.send(&email).await.map_err(JobError::Transient)
            }
            Some(JobKind::ProvisionOrder) => {
                let data: crate::orders::provision::Job = parse(payload)?;
                crate::orders::provision::run(self, data, last_attempt).await
            }
            Some(JobKind::ChangeSubscription) => {
                let data: crate::subscriptions::changes::Job = parse(payload)?;
                crate::subscriptions::changes::run(self, data, last_attempt).await
            }
            Some(JobKind::ChangeLicences) => {
                let data: crate::licences::changes::Job = parse(payload)?;
                crate::licences::changes::run(self, data, last_attempt).await
            }
            Some(JobKind::ApplyLicenceBatch) => {
                let data: crate::licences::bulk::job::Job = parse(payload)?;
                crate::licences::bulk::job::run(self, data, last_attempt).await
            }
            Some(JobKind::MakeTenantAdmin) => {
                let data: crate::orders::admin::Job = parse(payload)?;
                crate::orders::admin::run(self, data, last_attempt).await
            }
            Some(JobKind::ReadTenantUsers) => {
                let data: crate::licences::read::Job = parse(payload)?;
                crate::licences::read::run(self, data, last_attempt).await
            }
            Some(JobKind::SendReminders) => {
                let data: crate::subscriptions::reminders::Job = parse(payload)?;
                let config = self.config.clone().ok_or_else(|| {
                    JobError::Permanent(anyhow::anyhow!("no configuration for links"))
                })?;
                let sent = crate::subscriptions::reminders::run(
                    &self.db,
                    &self.mailer,
                    &config,
                    data.date,
                )
                .await
                .map_err(JobError::Transient)?;
                tracing::info!(date = %data.date, sent, "subscription reminders");
                Ok(())
            }
            Some(JobKind::RenewSubscriptions) => {
                let data: crate::subscriptions::renewals::Job = parse(payload)?;
                let vendor = self
                    .vendor
                    .clone()
                    .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("no vendor configured")))?;
                let ran = crate::subscriptions::renewals::run(&self.db, vendor.as_ref(), data.date)
                    .await
                    .map_err(JobError::Transient)?;
                tracing::info!(date = %data.date, renewed = ran.renewed, expired = ran.expired,
                    left = ran.left, "renewal run");
                if ran.left > 0 && !last_attempt {
                    // What the vendor did not answer is tried again with the job's backoff.
                    return Err(JobError::Transient(anyhow::anyhow!(
                        "{} subscriptions left for later",
                        ran.left
                    )));
                }
                Ok(())
            }
            Some(JobKind::ImportUsage) => {
                let data: crate::billing::usage::Job = parse(payload)?;
                let vendor = self
                    .vendor
                    .clone()
                    .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("no vendor configured")))?;
                let done = crate::billing::usage::import(&self.db, vendor.as_ref(), data.date)
                    .await
                    .map_err(|e| JobError::Transient(anyhow::anyhow!("{e:?}")))?;
                tracing::info!(date = %data.date, records = done.records,
                    unmatched = done.unmatched, "usage imported");
                Ok(())
            }
            Some(JobKind::EstimateBilling) => {
                let data: crate::billing::run::EstimateJob = parse(payload)?;
                let month = crate::billing::charges::Month::parse(&data.period)
                    .map_err(|e| JobError::Permanent(anyhow::anyhow!("{e}: {}", data.period)))?;
                crate::billing::run::estimate(&self.db, data.reseller_id, month)
                    .await
                    .map_err(JobError::Transient)
            }
            Some(JobKind::CountCommitments) => {
                let data: crate::reports::commitments::Job = parse(payload)?;
                let now = time::OffsetDateTime::now_utc();
                crate::reports::commitments::refresh(&self.db, data.reseller_id, now)
                    .await
                    .map_err(JobError::Transient)
            }
            Some(JobKind::CountVendorSeats) => {
                let data: crate::billing::vendor_seats::Job = parse(payload)?;
                let month = crate::billing::charges::Month::parse(&data.period)
                    .map_err(|e| JobError::Permanent(anyhow::anyhow!("{e}: {}", data.period)))?;
                let vendor = self
                    .vendor
                    .clone()
                    .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("no vendor configured")))?;
                let counted = crate::billing::vendor_seats::count(
                    &self.db,
                    vendor.as_ref(),
                    data.reseller_id,
                    month,
                )
                .await
                .map_err(JobError::Transient)?;
                tracing::info!(reseller = %data.reseller_id, period = %data.period, counted,
                    "vendor seats counted");
                Ok(())
            }
            Some(JobKind::BillingRun) => {
                let data: crate::billing::run::Job = parse(payload)?;
                let now = time::OffsetDateTime::now_utc();
                let notify = self
                    .config
                    .as_deref()
                    .map(|config| crate::billing::mail::Notify {
                        mailer: &self.mailer,
                        config,
                    });
                let ran = crate::billing::run::run_job(&self.db, &data, now, notify)
                    .await
                    .map_err(JobError::Transient)?;
                tracing::info!(period = %data.period, issued = ran.issued.len(), "billing run");
                Ok(())
            }
            None => Err(JobError::Permanent(anyhow::anyhow!(
                "unknown job kind {kind}"
            ))),
        }
    }
}

/// Queues the jobs that run once a day (renewals, then reminders), unless queued already.
async fn daily(db: &PgPool, today: time::Date) -> anyhow::Result<()> {
    crate::subscriptions::renewals::queue(db, today).await?;
    crate::subscriptions::reminders::queue(db, today).await?;
    crate::billing::usage::queue(db, today).await?;
    crate::billing::run::queue(db, today).await
}

/// The default lease: a job whose worker died is taken up again within a minute.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// Stops a task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// A dead job, as staff see it.
pub struct DeadJob {
    pub id: i64,
    pub kind: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: time::OffsetDateTime,
    pub finished_at: Option<time::OffsetDateTime>,
    /// Its payload is still there (a failed mail's message is dropped after 30 days).
    pub has_payload: bool,
    /// The order it provisions, for a link.
    pub reseller_id: Option<uuid::Uuid>,
    pub order_id: Option<uuid::Uuid>,
}

/// How many jobs wait, run and are dead.
pub struct Counts {
    pub queued: i64,
    pub running: i64,
    pub dead: i64,
}

pub async fn counts(db: impl PgExecutor<'_>) -> sqlx::Result<Counts> {
    sqlx::query_as!(
        Counts,
        // One count per state, each on its partial index (finished jobs are most of the table).
        r#"SELECT (SELECT count(*) FROM jobs WHERE state = 'queued') AS "queued!",
                  (SELECT count(*) FROM jobs WHERE state = 'running') AS "running!",
                  (SELECT count(*) FROM jobs WHERE state = 'failed') AS "dead!""#
    )
    .fetch_one(db)
    .await
}

/// The dead jobs, the latest first, at most `limit`.
pub async fn dead(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<DeadJob>> {
    sqlx::query_as!(
        DeadJob,
        r#"SELECT id, kind, attempts, last_error, created_at, finished_at,
                  payload <> '{}'::jsonb AS "has_payload!",
                  CASE WHEN kind = 'provision_order' THEN (payload->>'reseller_id')::uuid END AS reseller_id,
                  CASE WHEN kind = 'provision_order' THEN (payload->>'order_id')::uuid END AS order_id
           FROM jobs WHERE state = 'failed'
           ORDER BY finished_at DESC NULLS LAST, id DESC
           LIMIT $1"#,
        limit,
    )
    .fetch_all(db)
    .await
}

/// Puts a dead job back in the queue with its attempts reset; its kind, or `None` when it was
/// not dead (already retried) or cannot be retried from the list.
pub async fn retry(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<JobKind>> {
    let kinds: Vec<String> = JobKind::ALL
        .iter()
        .copied()
        .filter(|k| k.retried_from_the_list())
        .map(|k| k.code().to_string())
        .collect();
    let kind = sqlx::query_scalar!(
        "WITH job AS (
             UPDATE jobs SET state = 'queued', attempts = 0, run_at = now(), finished_at = NULL,
                    locked_by = NULL, locked_until = NULL
             WHERE id = $1 AND state = 'failed' AND payload <> '{}'::jsonb AND kind = ANY($2)
             RETURNING kind)
         SELECT kind FROM job, LATERAL (SELECT pg_notify('portal_jobs', '')) n",
        id,
        &kinds,
    )
    .fetch_optional(db)
    .await?;
    Ok(kind.and_then(|k| JobKind::from_code(&k)))
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
