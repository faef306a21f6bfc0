//! The billing run's SQL: what a reseller's subscriptions did, read in batches, and the invoice
//! written with its lines. Runs in the reseller's tenant transaction (row-level security).

use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::billing::charges::{Cause, Charge, Event};
use crate::billing::invoice::LineKind;
use crate::catalog::rules::Billing;
use crate::subscriptions::rules::ChangeKind;

pub mod credit_notes;
pub mod credits;
pub mod estimates;
pub mod invoices;
pub mod runs;
pub mod seats;
pub mod usage;

/// A reseller to bill.
#[derive(Debug, Clone)]
pub struct Reseller {
    pub id: Uuid,
    pub currency: String,
}

/// The resellers with subscriptions bought before `end` and no invoice yet for `period`.
pub async fn unbilled(db: &PgPool, period: Date, end: Date) -> sqlx::Result<Vec<Reseller>> {
    sqlx::query_as!(
        Reseller,
        r#"SELECT r.id, r.billing_currency AS "currency!"
           FROM resellers r
           WHERE EXISTS (SELECT 1 FROM subscriptions s
                         WHERE s.reseller_id = r.id AND s.created_at < $2::date)
             AND NOT EXISTS (SELECT 1 FROM invoices i
                             WHERE i.reseller_id = r.id AND i.period = $1)
           ORDER BY r.created_at, r.id"#,
        period,
        end,
    )
    .fetch_all(db)
    .await
}

/// Holds the reseller's billing of `period` until the transaction ends: a second run waits,
/// then finds the invoice issued.
pub async fn lock(tx: &mut PgConnection, reseller_id: Uuid, period: Date) -> sqlx::Result<()> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('billing:' || $1::text || ':' || $2::text, 0))",
        reseller_id.to_string(),
        period.to_string(),
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The reseller's invoice for `period`, if issued.
pub async fn issued(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    period: Date,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM invoices WHERE reseller_id = $1 AND period = $2",
        reseller_id,
        period,
    )
    .fetch_optional(tx)
    .await
}

/// A subscription to bill.
#[derive(Debug, Clone, Copy)]
pub struct Subscription {
    pub id: Uuid,
    pub customer_id: Uuid,
}

/// The next `limit` subscriptions after `after` (by id) whose first term began before `end`.
pub async fn subscriptions(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    end: Date,
    after: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<Subscription>> {
    sqlx::query_as!(
        Subscription,
        "SELECT id, customer_id FROM subscriptions
         WHERE reseller_id = $1 AND id > $3 AND created_at < $2::date
         ORDER BY id LIMIT $4",
        reseller_id,
        end,
        after,
        limit,
    )
    .fetch_all(tx)
    .await
}

/// One applied change of a subscription, as billing reads it.
struct Row {
    subscription_id: Uuid,
    id: Uuid,
    kind: ChangeKind,
    decided_at: OffsetDateTime,
    seats_before: i32,
    seats_after: i32,
    amount: Decimal,
    cost: Decimal,
    product_after: Option<Uuid>,
    unit_price_after: Option<Decimal>,
    unit_cost_after: Option<Decimal>,
    billing_after: Option<Billing>,
    start_after: Option<Date>,
    end_after: Option<Date>,
    billed: bool,
}

/// The applied changes of `ids` before `end`, each subscription's in the order they happened.
pub async fn histories(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    ids: &[Uuid],
    end: Date,
) -> sqlx::Result<Vec<(Uuid, Event)>> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT c.subscription_id, c.id, c.kind AS "kind: ChangeKind",
                  c.decided_at AS "decided_at!", c.seats_before, c.seats_after, c.amount, c.cost,
                  c.product_after, c.unit_price_after, c.unit_cost_after,
                  c.billing_after AS "billing_after: Billing", c.start_after, c.end_after,
                  -- A change without money is never billed: no line to look for.
                  (c.amount <> 0 OR c.cost <> 0)
                  AND EXISTS (SELECT 1 FROM invoice_lines l
                              WHERE l.reseller_id = c.reseller_id AND l.change_id = c.id)
                      AS "billed!"
           FROM subscription_changes c
           WHERE c.reseller_id = $1 AND c.subscription_id = ANY($2) AND c.status = 'applied'
             AND c.decided_at < $3::date
           ORDER BY c.subscription_id, c.decided_at, c.requested_at, c.id"#,
        reseller_id,
        ids,
        end,
    )
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.subscription_id,
                Event {
                    id: r.id,
                    kind: r.kind,
                    day: r.decided_at.date(),
                    seats_before: r.seats_before,
                    seats_after: r.seats_after,
                    amount: r.amount,
                    cost: r.cost,
                    product_after: r.product_after,
                    unit_price_after: r.unit_price_after,
                    unit_cost_after: r.unit_cost_after,
                    billing_after: r.billing_after,
                    start_after: r.start_after,
                    end_after: r.end_after,
                    billed: r.billed,
                },
            )
        })
        .collect())
}

/// A line ready to write.
#[derive(Debug, Clone, Copy)]
pub struct NewLine {
    pub line_no: i32,
    pub customer_id: Uuid,
    pub subscription_id: Uuid,
    pub charge: Charge,
}

/// Writes lines of invoice `invoice_id` (checked against it when the transaction commits).
pub async fn insert_lines(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    invoice_id: Uuid,
    lines: &[NewLine],
) -> sqlx::Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let mut line_no = Vec::with_capacity(lines.len());
    let mut kind = Vec::with_capacity(lines.len());
    let mut customer = Vec::with_capacity(lines.len());
    let mut subscription = Vec::with_capacity(lines.len());
    let mut change = Vec::with_capacity(lines.len());
    let mut product = Vec::with_capacity(lines.len());
    let mut start = Vec::with_capacity(lines.len());
    let mut end = Vec::with_capacity(lines.len());
    let mut quantity = Vec::with_capacity(lines.len());
    let mut unit_cost = Vec::with_capacity(lines.len());
    let mut unit_price = Vec::with_capacity(lines.len());
    let mut cost = Vec::with_capacity(lines.len());
    let mut price = Vec::with_capacity(lines.len());
    let mut adjustment = Vec::with_capacity(lines.len());
    for l in lines {
        let c = &l.charge;
        line_no.push(l.line_no);
        let (k, id) = match c.cause {
            Cause::Period => (LineKind::Recurring, None),
            Cause::Change(id) => (LineKind::Change, Some(id)),
        };
        kind.push(k.code());
        change.push(id);
        customer.push(l.customer_id);
        subscription.push(l.subscription_id);
        product.push(c.product_id);
        start.push(c.period.start);
        end.push(c.period.end);
        quantity.push(Decimal::from(c.quantity));
        unit_cost.push(c.unit_cost);
        unit_price.push(c.unit_price);
        cost.push(c.cost);
        price.push(c.price);
        adjustment.push(c.adjustment);
    }
    sqlx::query!(
        "INSERT INTO invoice_lines (reseller_id, invoice_id, line_no, kind, customer_id,
                                    subscription_id, change_id, product_id, charge_start,
                                    charge_end, quantity, unit_cost, unit_price, cost, price,
                                    adjustment)
         SELECT $1, $2, * FROM UNNEST($3::int[], $4::text[], $5::uuid[], $6::uuid[], $7::uuid[],
                                      $8::uuid[], $9::date[], $10::date[], $11::numeric[],
                                      $12::numeric[], $13::numeric[], $14::numeric[],
                                      $15::numeric[], $16::bool[])",
        reseller_id,
        invoice_id,
        &line_no,
        &kind as &[&str],
        &customer,
        &subscription,
        &change as &[Option<Uuid>],
        &product,
        &start,
        &end,
        &quantity,
        &unit_cost,
        &unit_price,
        &cost,
        &price,
        &adjustment,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Writes each customer's part of invoice `invoice_id` (checked against it when the transaction
/// commits).
pub async fn insert_customers(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    invoice_id: Uuid,
    customers: &std::collections::BTreeMap<Uuid, crate::billing::invoice::Sums>,
) -> sqlx::Result<()> {
    let ids: Vec<Uuid> = customers.keys().copied().collect();
    let lines: Vec<i32> = customers.values().map(|s| s.lines as i32).collect();
    let costs: Vec<Decimal> = customers.values().map(|s| s.cost).collect();
    let prices: Vec<Decimal> = customers.values().map(|s| s.price).collect();
    sqlx::query!(
        "INSERT INTO invoice_customers (reseller_id, invoice_id, customer_id, lines, cost, price)
         SELECT $1, $2, * FROM UNNEST($3::uuid[], $4::int[], $5::numeric[], $6::numeric[])",
        reseller_id,
        invoice_id,
        &ids,
        &lines,
        &costs,
        &prices,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// An invoice's header, its totals added up from its lines.
#[derive(Debug, Clone)]
pub struct NewInvoice {
    pub id: Uuid,
    pub period: Date,
    pub currency: String,
    pub subtotal: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
    pub resale: Decimal,
    pub lines: i32,
}

/// Issues the invoice: the next number of this year's counter (gapless: the counter is
/// updated in the same transaction) and its header. Returns its number.
pub async fn issue(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    invoice: &NewInvoice,
    at: OffsetDateTime,
    run: Option<Uuid>,
) -> sqlx::Result<String> {
    let year = at.year();
    let sequence = sqlx::query_scalar!(
        "INSERT INTO invoice_numbers (year, last) VALUES ($1, 1)
         ON CONFLICT (year) DO UPDATE SET last = invoice_numbers.last + 1
         RETURNING last",
        year,
    )
    .fetch_one(&mut *tx)
    .await?;
    let number = crate::billing::invoice::number(year, sequence);
    sqlx::query!(
        "INSERT INTO invoices (reseller_id, id, period, number, currency, subtotal, tax, total,
                               resale, lines, issued_at, run_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        reseller_id,
        invoice.id,
        invoice.period,
        number,
        invoice.currency,
        invoice.subtotal,
        invoice.tax,
        invoice.total,
        invoice.resale,
        invoice.lines,
        at,
        run,
    )
    .execute(&mut *tx)
    .await?;
    Ok(number)
}
