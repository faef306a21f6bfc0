//! Usage's SQL: the import (across resellers, as the vendor's file is) and its billing (in the
//! reseller's tenant transaction of the billing run).

use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use time::Date;
use uuid::Uuid;

use crate::vendors::VendorCode;
use crate::vendors::usage::UsageRecord;

/// The largest quantity a row may have; more is no quantity but a vendor's mistake.
pub const MAX_QUANTITY: i64 = 1_000_000_000;

/// Records a vendor's rows of `day`: those of known subscriptions, rated with their reseller's
/// markup (a row recorded already is left as it is), and the others aside. Notes the day's
/// import. How many rows were recorded and kept aside now.
pub async fn record(
    db: &PgPool,
    vendor: VendorCode,
    day: Date,
    rows: &[UsageRecord],
) -> sqlx::Result<(u64, u64)> {
    let col = |f: fn(&UsageRecord) -> String| rows.iter().map(f).collect::<Vec<_>>();
    let refs = col(|r| r.subscription_ref.clone());
    let meter_ids = col(|r| r.meter_id.clone());
    let meter_names = col(|r| r.meter_name.clone());
    let categories = col(|r| r.category.clone());
    let regions = col(|r| r.region.clone());
    let units = col(|r| r.unit.clone());
    let days: Vec<Date> = rows.iter().map(|r| r.usage_date).collect();
    let quantities: Vec<Decimal> = rows.iter().map(|r| r.quantity).collect();
    let costs: Vec<Decimal> = rows.iter().map(|r| r.unit_cost).collect();
    let mut tx = db.begin().await?;
    let counts = sqlx::query!(
        r#"WITH u AS (
               SELECT * FROM UNNEST($1::text[], $2::date[], $3::text[], $4::text[], $5::text[],
                                    $6::text[], $7::text[], $8::numeric[], $9::numeric[])
                        AS u(ref, day, meter_id, meter_name, category, region, unit, quantity,
                             unit_cost)),
           judged AS (
               SELECT u.*, s.reseller_id, s.id AS subscription_id, s.customer_id,
                      r.markup_percent,
                      CASE WHEN s.id IS NULL THEN 'no_subscription'
                           WHEN NOT (u.quantity >= 0 AND u.quantity < $11 AND u.unit_cost >= 0
                                     AND u.unit_cost < $11)
                           THEN 'quantity' END AS refused
               FROM u
               LEFT JOIN subscriptions s ON s.vendor_ref = u.ref AND s.vendor = $10
               LEFT JOIN resellers r ON r.id = s.reseller_id),
           recorded AS (
               INSERT INTO usage_records (reseller_id, subscription_id, customer_id, usage_date,
                                          meter_id, meter_name, category, region, unit,
                                          quantity, unit_cost, unit_price)
               SELECT reseller_id, subscription_id, customer_id, day, meter_id, meter_name,
                      category, region, unit, quantity, unit_cost,
                      unit_cost * (1 + markup_percent / 100)
               FROM judged WHERE refused IS NULL
               ON CONFLICT DO NOTHING
               RETURNING 1),
           aside AS (
               INSERT INTO usage_unmatched (vendor, subscription_ref, usage_date, meter_id,
                                            meter_name, unit, quantity, unit_cost, reason)
               SELECT $10, ref, day, meter_id, meter_name, unit, quantity, unit_cost, refused
               FROM judged WHERE refused IS NOT NULL
               ON CONFLICT DO NOTHING
               RETURNING 1)
           SELECT (SELECT count(*) FROM recorded) AS "records!",
                  (SELECT count(*) FROM aside) AS "aside!""#,
        &refs,
        &days,
        &meter_ids,
        &meter_names,
        &categories,
        &regions,
        &units,
        &quantities,
        &costs,
        vendor.code(),
        Decimal::from(MAX_QUANTITY),
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO usage_imports (vendor, usage_date, records, unmatched)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (vendor, usage_date) DO UPDATE
         SET records = usage_imports.records + EXCLUDED.records,
             unmatched = usage_imports.unmatched + EXCLUDED.unmatched, finished_at = now()",
        vendor.code(),
        day,
        counts.records as i32,
        counts.aside as i32,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((counts.records as u64, counts.aside as u64))
}

/// A usage line written on an invoice.
#[derive(Debug, Clone, Copy)]
pub struct Billed {
    pub customer_id: Uuid,
    pub cost: Decimal,
    pub price: Decimal,
}

/// Bills the reseller's usage not billed yet from before `end` on invoice `invoice_id`: one line
/// per subscription, meter and rate (and apart, what fell before `start`: late records, as
/// adjustments), numbered after `after`, each rounded once from the exact sum of its records;
/// the records are marked with the invoice.
pub async fn bill(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    invoice_id: Uuid,
    start: Date,
    end: Date,
    after: i32,
) -> sqlx::Result<Vec<Billed>> {
    sqlx::query_as!(
        Billed,
        r#"WITH billed AS (
               UPDATE usage_records SET invoice_id = $2
               WHERE reseller_id = $1 AND invoice_id IS NULL AND usage_date < $4
               RETURNING subscription_id, customer_id, usage_date, meter_id, meter_name, unit,
                         quantity, unit_cost, unit_price),
           lines AS (
               SELECT subscription_id, customer_id, meter_id, unit_cost, unit_price,
                      usage_date < $3 AS adjustment, min(meter_name) AS meter_name,
                      min(unit) AS unit, min(usage_date) AS first, max(usage_date) + 1 AS last,
                      sum(quantity) AS quantity, round(sum(quantity * unit_cost), 2) AS cost,
                      round(sum(quantity * unit_price), 2) AS price
               FROM billed
               GROUP BY subscription_id, customer_id, meter_id, unit_cost, unit_price,
                        usage_date < $3)
           INSERT INTO invoice_lines (reseller_id, invoice_id, line_no, kind, customer_id,
                                      subscription_id, product_id, charge_start, charge_end,
                                      quantity, unit_cost, unit_price, cost, price, adjustment,
                                      meter_id, meter_name, unit)
           SELECT $1, $2,
                  $5 + row_number() OVER (ORDER BY l.customer_id, l.subscription_id, l.meter_id,
                                                   l.adjustment, l.unit_cost)::int,
                  'usage', l.customer_id, l.subscription_id, s.product_id, l.first, l.last,
                  l.quantity, l.unit_cost, l.unit_price, l.cost, l.price, l.adjustment,
                  l.meter_id, l.meter_name, l.unit
           FROM lines l
           JOIN subscriptions s ON s.reseller_id = $1 AND s.id = l.subscription_id
           RETURNING customer_id, cost, price"#,
        reseller_id,
        invoice_id,
        start,
        end,
        after,
    )
    .fetch_all(tx)
    .await
}

/// A day of a subscription's usage, as its page shows it.
#[derive(Debug, Clone)]
pub struct Day {
    pub usage_date: Date,
    pub meter_id: String,
    pub meter_name: String,
    pub category: String,
    pub region: String,
    pub unit: String,
    pub quantity: Decimal,
    pub unit_cost: Decimal,
    pub unit_price: Decimal,
    pub invoice_id: Option<Uuid>,
}

/// The usage of a subscription from `start` to before `end`, by day and meter.
pub async fn days(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    subscription_id: Uuid,
    start: Date,
    end: Date,
) -> sqlx::Result<Vec<Day>> {
    sqlx::query_as!(
        Day,
        "SELECT usage_date, meter_id, meter_name, category, region, unit, quantity, unit_cost,
                unit_price, invoice_id
         FROM usage_records
         WHERE reseller_id = $1 AND subscription_id = $2 AND usage_date >= $3 AND usage_date < $4
         ORDER BY usage_date, meter_id",
        reseller_id,
        subscription_id,
        start,
        end,
    )
    .fetch_all(tx)
    .await
}
