//! Seat reconciliation's SQL, in the reseller's tenant transaction: the counts the run records
//! with the invoice, the vendor's counts recorded after, and the rows the page and the report
//! read.

use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::vendors::VendorCode;

/// What the run counted of a subscription: the seats its history charges on the month's last
/// day, and the licences assigned.
#[derive(Debug, Clone, Copy)]
pub struct Billed {
    pub subscription_id: Uuid,
    pub billed: i32,
    pub assigned: i32,
}

/// Records the month's seat counts of invoice `invoice_id`.
pub async fn insert(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    period: Date,
    invoice_id: Uuid,
    counted: &[Billed],
) -> sqlx::Result<()> {
    if counted.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = counted.iter().map(|c| c.subscription_id).collect();
    let billed: Vec<i32> = counted.iter().map(|c| c.billed).collect();
    let assigned: Vec<i32> = counted.iter().map(|c| c.assigned).collect();
    sqlx::query!(
        "INSERT INTO seat_counts (reseller_id, period, subscription_id, invoice_id, billed,
                                  assigned)
         SELECT $1, $2, b.id, $3, b.billed, b.assigned
         FROM unnest($4::uuid[], $5::int[], $6::int[]) AS b (id, billed, assigned)",
        reseller_id,
        period,
        invoice_id,
        &ids,
        &billed,
        &assigned,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// A subscription whose vendor count is still to be asked.
#[derive(Debug, Clone)]
pub struct Uncounted {
    pub subscription_id: Uuid,
    pub vendor: VendorCode,
    pub vendor_ref: String,
}

/// The month's subscriptions without the vendor's count, by vendor.
pub async fn uncounted(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    period: Date,
) -> sqlx::Result<Vec<Uncounted>> {
    sqlx::query_as!(
        Uncounted,
        r#"SELECT k.subscription_id, v.code AS "vendor: VendorCode", s.vendor_ref
           FROM seat_counts k
           JOIN subscriptions s ON s.reseller_id = k.reseller_id AND s.id = k.subscription_id
           JOIN products p ON p.id = s.product_id
           JOIN programs g ON g.id = p.program_id
           JOIN vendors v ON v.id = g.vendor_id
           WHERE k.reseller_id = $1 AND k.period = $2 AND k.vendor IS NULL
           ORDER BY v.code, k.subscription_id"#,
        reseller_id,
        period,
    )
    .fetch_all(tx)
    .await
}

/// Records the vendor's count of each subscription of `ids` (`counts`, in the same order).
pub async fn record_vendor(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    period: Date,
    ids: &[Uuid],
    counts: &[i32],
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    // The month's summary follows: fewer waiting, and the differing counted again for the rows
    // answered (`was` is each row before this statement; the same rule as `flags`).
    sqlx::query!(
        "WITH answered AS (
             UPDATE seat_counts k SET vendor = c.seats, vendor_at = $5
             FROM unnest($3::uuid[], $4::int[]) AS c (id, seats), seat_counts was
             WHERE k.reseller_id = $1 AND k.period = $2 AND k.subscription_id = c.id
               AND was.reseller_id = $1 AND was.period = $2 AND was.subscription_id = c.id
             RETURNING was.vendor IS NULL AS first,
                       (was.vendor IS NOT NULL AND was.vendor <> was.billed)
                       OR was.assigned <> was.billed AS differed,
                       k.vendor <> k.billed OR k.assigned <> k.billed AS differs)
         UPDATE seat_summaries
         SET pending = pending - (SELECT count(*) FILTER (WHERE first) FROM answered),
             differing = differing
                 + (SELECT count(*) FILTER (WHERE differs AND NOT differed) FROM answered)
                 - (SELECT count(*) FILTER (WHERE differed AND NOT differs) FROM answered)
         WHERE reseller_id = $1 AND period = $2",
        reseller_id,
        period,
        ids,
        counts,
        at,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// What an invoice's reconciliation found.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub subscriptions: i64,
    pub differing: i64,
    /// Subscriptions the vendor has not counted yet.
    pub pending: i64,
}

/// Records what the run counted of the month `period`: `subscriptions` counted, `differing` of
/// them by `billing::seats::flags` (before any vendor's answer), all waiting for the vendor.
pub async fn record_summary(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    period: Date,
    subscriptions: i64,
    differing: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO seat_summaries (reseller_id, period, subscriptions, differing, pending)
         VALUES ($1, $2, $3, $4, $3)",
        reseller_id,
        period,
        subscriptions,
        differing,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// How many of the subscriptions of an invoice's month `period` were reconciled, differ and wait
/// for the vendor's count (kept with the invoice: none for a month without seat counts).
pub async fn summary(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    period: Date,
) -> sqlx::Result<Summary> {
    let summary = sqlx::query_as!(
        Summary,
        "SELECT subscriptions, differing, pending FROM seat_summaries
         WHERE reseller_id = $1 AND period = $2",
        reseller_id,
        period,
    )
    .fetch_optional(tx)
    .await?;
    Ok(summary.unwrap_or_default())
}

/// A reconciled subscription, as the page and the report show it.
#[derive(Debug, Clone)]
pub struct Counted {
    pub subscription_id: Uuid,
    pub customer_id: Uuid,
    pub customer: String,
    pub vendor_ref: String,
    pub sku: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    pub billed: i32,
    pub assigned: i32,
    pub vendor: Option<i32>,
}

/// The reconciled subscriptions of an invoice's month `period` (of one customer, or all; those that differ by
/// `billing::seats::flags`, or all), by customer, sent to `each` as the database returns them, at most `limit`.
pub async fn each<F, Fut>(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    period: Date,
    customer: Option<Uuid>,
    only_differing: bool,
    limit: i64,
    each: F,
) -> sqlx::Result<()>
where
    F: FnMut(Counted) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let rows = sqlx::query_as!(
        Counted,
        r#"SELECT k.subscription_id, s.customer_id, c.legal_name AS customer, s.vendor_ref,
                  p.sku, p.name_es, p.name_en, p.name_pt, k.billed, k.assigned, k.vendor
           FROM seat_counts k
           JOIN subscriptions s ON s.reseller_id = k.reseller_id AND s.id = k.subscription_id
           JOIN customers c ON c.reseller_id = s.reseller_id AND c.id = s.customer_id
           JOIN products p ON p.id = s.product_id
           WHERE k.reseller_id = $1 AND k.period = $2
             AND ($3::uuid IS NULL OR s.customer_id = $3)
             AND (NOT $4 OR (k.vendor IS NOT NULL AND k.vendor <> k.billed)
                         OR k.assigned <> k.billed)
           ORDER BY s.customer_id, k.subscription_id
           LIMIT $5"#,
        reseller_id,
        period,
        customer,
        only_differing,
        limit,
    )
    .fetch(tx);
    crate::db::each_row(rows, each).await
}

/// The first `limit` subscriptions of the month `period` whose counts differ (of one customer,
/// or all), by customer.
pub async fn differing(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    period: Date,
    customer: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<Counted>> {
    let mut rows = Vec::new();
    each(tx, reseller_id, period, customer, true, limit, |c| {
        rows.push(c);
        std::future::ready(true)
    })
    .await?;
    Ok(rows)
}
