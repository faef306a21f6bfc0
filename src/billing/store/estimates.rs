//! The unbilled estimate of each reseller's current month (`billing::run::estimate`).

use rust_decimal::Decimal;
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::billing::invoice::Totals;

/// Records the reseller's estimate of `period`.
pub async fn record(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    period: Date,
    totals: &Totals,
    lines: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO billing_estimates (reseller_id, period, cost, price, lines, currency)
         SELECT $1, $2, $3, $4, $5, billing_currency FROM resellers WHERE id = $1
         ON CONFLICT (reseller_id) DO UPDATE
         SET period = EXCLUDED.period, cost = EXCLUDED.cost, price = EXCLUDED.price,
             lines = EXCLUDED.lines, currency = EXCLUDED.currency, computed_at = now()",
        reseller_id,
        period,
        totals.subtotal.cost,
        totals.subtotal.price,
        lines,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// An estimate as the page shows it.
#[derive(Debug, Clone)]
pub struct Estimate {
    pub period: Date,
    pub cost: Decimal,
    pub price: Decimal,
    pub lines: i32,
    pub currency: String,
    pub computed_at: OffsetDateTime,
}

/// The reseller's latest estimate, if any.
pub async fn latest(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<Option<Estimate>> {
    sqlx::query_as!(
        Estimate,
        r#"SELECT period, cost, price, lines, currency AS "currency!", computed_at
           FROM billing_estimates WHERE reseller_id = $1"#,
        reseller_id,
    )
    .fetch_optional(tx)
    .await
}

/// When the reseller's latest subscription change was decided (an estimate made before it is
/// out of date).
pub async fn latest_change(
    tx: &mut PgConnection,
    reseller_id: Uuid,
) -> sqlx::Result<Option<OffsetDateTime>> {
    sqlx::query_scalar!(
        "SELECT max(decided_at) FROM subscription_changes
         WHERE reseller_id = $1 AND status = 'applied'",
        reseller_id,
    )
    .fetch_one(tx)
    .await
}
