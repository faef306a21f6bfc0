//! Billing runs and what staff see of billing across resellers (the system role: no tenant).

use rust_decimal::Decimal;
use sqlx::PgPool;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

crate::text_enum! {
    /// Where a billing run is.
    pub enum RunStatus {
        Queued = "queued" => "billing.run_queued",
        Running = "running" => "billing.run_running",
        Done = "done" => "billing.run_done",
        Failed = "failed" => "billing.run_failed",
    }
}

/// Queues a run of `period` started by `staff` (none: the schedule), unless one of that month is
/// queued or running already; its id.
pub async fn queue(db: &PgPool, period: Date, staff: Option<Uuid>) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "INSERT INTO billing_runs (period, started_by) VALUES ($1, $2)
         ON CONFLICT (period) WHERE status IN ('queued', 'running') DO NOTHING
         RETURNING id",
        period,
        staff,
    )
    .fetch_optional(db)
    .await
}

/// The run has started, with `to_bill` resellers to bill.
pub async fn started(db: &PgPool, id: Uuid, to_bill: i32) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE billing_runs SET status = 'running', started_at = coalesce(started_at, now()),
                to_bill = $2, error = NULL
         WHERE id = $1",
        id,
        to_bill,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// One more reseller billed (`issued`: an invoice; otherwise nothing to bill).
pub async fn progressed(db: &PgPool, id: Uuid, issued: bool) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE billing_runs SET issued = issued + CASE WHEN $2 THEN 1 ELSE 0 END,
                empty = empty + CASE WHEN $2 THEN 0 ELSE 1 END
         WHERE id = $1",
        id,
        issued,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The run ended: done, or failed with `error`.
pub async fn finished(db: &PgPool, id: Uuid, error: Option<&str>) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE billing_runs SET status = CASE WHEN $2::text IS NULL THEN 'done' ELSE 'failed' END,
                finished_at = now(), error = $2
         WHERE id = $1",
        id,
        error,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A run as staff see it.
#[derive(Debug, Clone)]
pub struct Run {
    pub id: Uuid,
    pub period: Date,
    pub status: RunStatus,
    pub started_by: Option<String>,
    pub queued_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
    pub to_bill: Option<i32>,
    pub issued: i32,
    pub empty: i32,
    pub error: Option<String>,
}

/// The latest runs.
pub async fn list(db: &PgPool, limit: i64) -> sqlx::Result<Vec<Run>> {
    sqlx::query_as!(
        Run,
        r#"SELECT r.id, r.period, r.status AS "status: RunStatus", u.name AS "started_by?",
                  r.queued_at, r.finished_at, r.to_bill, r.issued, r.empty, r.error
           FROM billing_runs r LEFT JOIN users u ON u.id = r.started_by
           ORDER BY r.queued_at DESC LIMIT $1"#,
        limit,
    )
    .fetch_all(db)
    .await
}

/// One run.
pub async fn get(db: &PgPool, id: Uuid) -> sqlx::Result<Option<Run>> {
    sqlx::query_as!(
        Run,
        r#"SELECT r.id, r.period, r.status AS "status: RunStatus", u.name AS "started_by?",
                  r.queued_at, r.finished_at, r.to_bill, r.issued, r.empty, r.error
           FROM billing_runs r LEFT JOIN users u ON u.id = r.started_by
           WHERE r.id = $1"#,
        id,
    )
    .fetch_optional(db)
    .await
}

/// An invoice as staff see it, with its reseller.
#[derive(Debug, Clone)]
pub struct StaffInvoice {
    pub id: Uuid,
    pub reseller_id: Uuid,
    pub reseller: String,
    pub number: String,
    pub period: Date,
    pub currency: String,
    pub total: Decimal,
    pub resale: Decimal,
    pub lines: i32,
    pub issued_at: OffsetDateTime,
}

/// The invoices of a month (or issued by a run, or whose number has `number`), across
/// resellers, by number.
pub async fn invoices(
    db: &PgPool,
    period: Option<Date>,
    run: Option<Uuid>,
    number: &str,
    limit: i64,
) -> sqlx::Result<Vec<StaffInvoice>> {
    sqlx::query_as!(
        StaffInvoice,
        r#"SELECT i.id, i.reseller_id, r.legal_name AS reseller, i.number, i.period,
                  i.currency AS "currency!", i.total, i.resale, i.lines, i.issued_at
           FROM invoices i JOIN resellers r ON r.id = i.reseller_id
           WHERE ($1::date IS NULL OR i.period = $1) AND ($2::uuid IS NULL OR i.run_id = $2)
             AND ($4 = '' OR i.number ILIKE '%' || $4 || '%')
           ORDER BY i.number DESC LIMIT $3"#,
        period,
        run,
        limit,
        crate::text::like_escape(number),
    )
    .fetch_all(db)
    .await
}

/// A vendor's import of a day.
#[derive(Debug, Clone)]
pub struct Import {
    pub vendor: crate::vendors::VendorCode,
    pub usage_date: Date,
    pub records: i32,
    pub unmatched: i32,
    pub finished_at: OffsetDateTime,
}

/// The latest days imported.
pub async fn imports(db: &PgPool, limit: i64) -> sqlx::Result<Vec<Import>> {
    sqlx::query_as!(
        Import,
        r#"SELECT vendor AS "vendor: crate::vendors::VendorCode", usage_date, records,
                  unmatched, finished_at
           FROM usage_imports ORDER BY usage_date DESC, vendor LIMIT $1"#,
        limit,
    )
    .fetch_all(db)
    .await
}

crate::text_enum! {
    /// Why a usage row was kept aside.
    pub enum UnmatchedReason {
        NoSubscription = "no_subscription" => "billing.unmatched_no_subscription",
        Quantity = "quantity" => "billing.unmatched_quantity",
    }
}

/// A usage row kept aside.
#[derive(Debug, Clone)]
pub struct Unmatched {
    pub vendor: String,
    pub subscription_ref: String,
    pub usage_date: Date,
    pub meter_name: String,
    pub quantity: Decimal,
    pub unit: String,
    pub reason: UnmatchedReason,
}

/// The latest usage rows kept aside, and how many there are.
pub async fn unmatched(db: &PgPool, limit: i64) -> sqlx::Result<(Vec<Unmatched>, i64)> {
    let rows = sqlx::query_as!(
        Unmatched,
        r#"SELECT vendor, subscription_ref, usage_date, meter_name, quantity, unit,
                  reason AS "reason: UnmatchedReason"
           FROM usage_unmatched ORDER BY usage_date DESC, id DESC LIMIT $1"#,
        limit,
    )
    .fetch_all(db)
    .await?;
    let count = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM usage_unmatched"#)
        .fetch_one(db)
        .await?;
    Ok((rows, count))
}

/// An invoice's reseller, by the invoice's id alone (staff pages).
#[derive(Debug, Clone)]
pub struct Owner {
    pub reseller_id: Uuid,
    pub reseller: String,
}

pub async fn invoice_owner(db: &PgPool, invoice_id: Uuid) -> sqlx::Result<Option<Owner>> {
    sqlx::query_as!(
        Owner,
        "SELECT i.reseller_id, r.legal_name AS reseller
         FROM invoices i JOIN resellers r ON r.id = i.reseller_id WHERE i.id = $1",
        invoice_id,
    )
    .fetch_optional(db)
    .await
}
