//! SQL for the renewal run: what is due (across resellers, read by the job's own role), and a
//! renewal or an expiry recorded with its history, each only once for a term.

use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A subscription whose term has ended.
#[derive(Debug, Clone)]
pub struct Due {
    pub reseller_id: Uuid,
    pub id: Uuid,
    pub end_date: Date,
}

/// Active and suspended subscriptions whose term ends on or before `day`, at most `limit`.
pub async fn due(db: impl PgExecutor<'_>, day: Date, limit: i64) -> sqlx::Result<Vec<Due>> {
    sqlx::query_as!(
        Due,
        "SELECT reseller_id, id, end_date FROM subscriptions
         WHERE status IN ('active', 'suspended') AND end_date <= $1
         ORDER BY end_date, id LIMIT $2",
        day,
        limit,
    )
    .fetch_all(db)
    .await
}

/// A new term as the vendor renewed it.
pub struct Renewed {
    pub ended: Date,
    pub start: Date,
    pub end: Date,
    pub product_id: Uuid,
    pub quantity: i32,
    pub term: crate::catalog::rules::Term,
    pub billing: crate::catalog::rules::Billing,
    pub seats_before: i32,
    pub unit_price: Decimal,
    pub unit_cost: Decimal,
    pub currency: String,
    pub at: OffsetDateTime,
    pub window_closes_at: Option<OffsetDateTime>,
}

/// Records a renewal: the new term, product, seats and price, its scheduled change cleared, its
/// seats one new batch (the old ones spent), and the renewal in the history. False when the
/// term was renewed or ended already (a run again).
pub async fn renew(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    subscription_id: Uuid,
    r: &Renewed,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE subscriptions SET start_date = $4, end_date = $5, product_id = $6, quantity = $7,
                unit_price = $8, unit_cost = $9, term = $10, billing = $11,
                next_product_id = NULL, next_quantity = NULL, next_term = NULL,
                next_billing = NULL, version = version + 1
         WHERE reseller_id = $1 AND id = $2 AND end_date = $3 AND status = 'active'",
        reseller_id,
        subscription_id,
        r.ended,
        r.start,
        r.end,
        r.product_id,
        r.quantity,
        r.unit_price,
        r.unit_cost,
        r.term.code(),
        r.billing.code(),
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query!(
        "WITH spent AS (UPDATE seat_batches SET quantity = 0
                        WHERE reseller_id = $1 AND subscription_id = $2)
         INSERT INTO seat_batches (reseller_id, subscription_id, added, quantity, added_at,
                                   window_closes_at)
         VALUES ($1, $2, $3, $3, $4, $5)",
        reseller_id,
        subscription_id,
        r.quantity,
        r.at,
        r.window_closes_at,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO subscription_changes (reseller_id, subscription_id, kind, seats_before,
                                           seats_after, product_after, unit_price_after,
                                           unit_cost_after, amount, currency, status,
                                           actor_label, requested_at, decided_at, term_after,
                                           billing_after, start_after, end_after)
         VALUES ($1, $2, 'renewal', $3, $4, $5, $6, $7, 0, $8, 'applied', 'system', $9, $9,
                 $10, $11, $12, $13)",
        reseller_id,
        subscription_id,
        r.seats_before,
        r.quantity,
        r.product_id,
        r.unit_price,
        r.unit_cost,
        r.currency,
        r.at,
        r.term.code(),
        r.billing.code(),
        r.start,
        r.end,
    )
    .execute(&mut *tx)
    .await?;
    Ok(true)
}

/// Records an expiry at the end of the term that ended on `ended`; false when done already.
pub async fn expire(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    subscription_id: Uuid,
    ended: Date,
    seats: i32,
    currency: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE subscriptions SET status = 'expired', suspension_reason = NULL,
                next_product_id = NULL, next_quantity = NULL, next_term = NULL,
                next_billing = NULL, version = version + 1
         WHERE reseller_id = $1 AND id = $2 AND end_date = $3
           AND status IN ('active', 'suspended')",
        reseller_id,
        subscription_id,
        ended,
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query!(
        "INSERT INTO subscription_changes (reseller_id, subscription_id, kind, seats_before,
                                           seats_after, amount, currency, status, status_after,
                                           actor_label, decided_at)
         VALUES ($1, $2, 'expiry', $3, $3, 0, $4, 'applied', 'expired', 'system', now())",
        reseller_id,
        subscription_id,
        seats,
        currency,
    )
    .execute(&mut *tx)
    .await?;
    Ok(true)
}

/// The SKU of a product (for the vendor).
pub async fn sku(tx: &mut PgConnection, product_id: Uuid) -> sqlx::Result<String> {
    sqlx::query_scalar!("SELECT sku FROM products WHERE id = $1", product_id)
        .fetch_one(tx)
        .await
}

/// How many terms of the subscription have ended (renewals and expiries recorded): with its end
/// date, the vendor's idempotency key for the next one.
pub async fn terms_ended(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    subscription_id: Uuid,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM subscription_changes
           WHERE reseller_id = $1 AND subscription_id = $2 AND kind IN ('renewal', 'expiry')"#,
        reseller_id,
        subscription_id,
    )
    .fetch_one(tx)
    .await
}

/// A renewal of the planner: what renews (its scheduled change applied) and its cost per
/// billing period on its renewal date (`None`: not on that day's price list).
#[derive(Debug, Clone)]
pub struct Planned {
    pub id: Uuid,
    pub end_date: Date,
    pub customer_id: Uuid,
    pub customer: String,
    /// The product it renews as (the one scheduled at renewal, or its own).
    pub product_id: Uuid,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    pub seats: i32,
    pub auto_renew: bool,
    pub status: crate::subscriptions::rules::SubscriptionStatus,
    pub billing: crate::catalog::rules::Billing,
    pub currency: String,
    pub cost: Option<Decimal>,
    pub scheduled: bool,
}

/// The subscriptions whose term ends from `from` to `to` (both included), soonest first, a
/// page of them, and how many there are.
pub async fn planned(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    from: Date,
    to: Date,
    page: crate::web::paging::Page,
) -> sqlx::Result<(Vec<Planned>, i64)> {
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM subscriptions
           WHERE reseller_id = $1 AND status IN ('active', 'suspended') AND end_date BETWEEN $2 AND $3"#,
        reseller_id,
        from,
        to,
    )
    .fetch_one(&mut *tx)
    .await?;
    let rows = sqlx::query_as!(
        Planned,
        r#"SELECT s.id, s.end_date, s.customer_id, c.legal_name AS customer,
                  COALESCE(s.next_product_id, s.product_id) AS "product_id!",
                  COALESCE(n.name_es, p.name_es) AS "name_es!", COALESCE(n.name_en, p.name_en) AS "name_en!",
                  COALESCE(n.name_pt, p.name_pt) AS "name_pt!",
                  COALESCE(s.next_quantity, s.quantity) AS "seats!", s.auto_renew,
                  s.status AS "status: crate::subscriptions::rules::SubscriptionStatus",
                  COALESCE(s.next_billing, s.billing) AS "billing!: crate::catalog::rules::Billing",
                  s.currency AS "currency!",
                  (SELECT x.cost FROM prices x
                   WHERE x.product_id = COALESCE(s.next_product_id, s.product_id)
                     AND x.term = COALESCE(s.next_term, s.term)
                     AND x.billing = COALESCE(s.next_billing, s.billing) AND x.currency = s.currency
                     AND x.valid_from <= s.end_date
                     AND (x.valid_to IS NULL OR x.valid_to > s.end_date)) AS cost,
                  s.next_product_id IS NOT NULL AS "scheduled!"
           FROM subscriptions s
           JOIN customers c ON c.reseller_id = s.reseller_id AND c.id = s.customer_id
           JOIN products p ON p.id = s.product_id
           LEFT JOIN products n ON n.id = s.next_product_id
           WHERE s.reseller_id = $1 AND s.status IN ('active', 'suspended')
             AND s.end_date BETWEEN $2 AND $3
           ORDER BY s.end_date, s.id LIMIT $4 OFFSET $5"#,
        reseller_id,
        from,
        to,
        page.size,
        page.offset(),
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok((rows, total))
}
