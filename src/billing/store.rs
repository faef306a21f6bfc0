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
pub mod sales;
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

/// A subscription to bill, with what the run records of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscription {
    pub id: Uuid,
    pub customer_id: Uuid,
    /// Its licences assigned now (the seat reconciliation's).
    pub assigned: i32,
}

/// A subscription and one of its applied changes, as the run reads them: `event` is none for a
/// subscription without history.
pub struct Entry {
    pub subscription: Subscription,
    pub event: Option<Event>,
}

/// One row of the run's read.
struct Row {
    subscription_id: Uuid,
    customer_id: Uuid,
    assigned: i32,
    id: Option<Uuid>,
    kind: Option<ChangeKind>,
    decided_at: Option<OffsetDateTime>,
    seats_before: Option<i32>,
    seats_after: Option<i32>,
    amount: Option<Decimal>,
    cost: Option<Decimal>,
    product_after: Option<Uuid>,
    unit_price_after: Option<Decimal>,
    unit_cost_after: Option<Decimal>,
    billing_after: Option<Billing>,
    start_after: Option<Date>,
    end_after: Option<Date>,
    billed: Option<bool>,
}

impl Row {
    fn entry(self) -> Entry {
        let subscription = Subscription {
            id: self.subscription_id,
            customer_id: self.customer_id,
            assigned: self.assigned,
        };
        let event = match (self.id, self.kind, self.decided_at) {
            (Some(id), Some(kind), Some(decided_at)) => Some(Event {
                id,
                kind,
                day: decided_at.date(),
                seats_before: self.seats_before.unwrap_or_default(),
                seats_after: self.seats_after.unwrap_or_default(),
                amount: self.amount.unwrap_or_default(),
                cost: self.cost.unwrap_or_default(),
                product_after: self.product_after,
                unit_price_after: self.unit_price_after,
                unit_cost_after: self.unit_cost_after,
                billing_after: self.billing_after,
                start_after: self.start_after,
                end_after: self.end_after,
                billed: self.billed.unwrap_or_default(),
            }),
            _ => None,
        };
        Entry {
            subscription,
            event,
        }
    }
}

/// Sets the read's transaction up for one large sorted read: memory to sort it in (the
/// server's default spills most of it to disk), and no JIT compilation (half a second per
/// reseller to compile what is read once).
pub async fn reading_at_scale(read: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query!("SET LOCAL work_mem = '64MB'")
        .execute(&mut *read)
        .await?;
    sqlx::query!("SET LOCAL jit = off")
        .execute(&mut *read)
        .await?;
    Ok(())
}

/// Every subscription of the reseller whose first term began before `end`, each with its
/// changes applied before `end` in the order they happened, in one pass: one statement read
/// as it streams (the caller writes on another connection meanwhile), sorted by subscription
/// once instead of looked up subscription by subscription.
pub fn entries<'c>(
    read: &'c mut PgConnection,
    reseller_id: Uuid,
    end: Date,
) -> impl futures_util::Stream<Item = sqlx::Result<Entry>> + 'c {
    use futures_util::TryStreamExt;
    sqlx::query_as!(
        Row,
        r#"SELECT s.id AS subscription_id, s.customer_id, s.assigned,
                  c.id AS "id?", c.kind AS "kind?: ChangeKind", c.decided_at AS "decided_at?",
                  c.seats_before AS "seats_before?", c.seats_after AS "seats_after?",
                  c.amount AS "amount?", c.cost AS "cost?", c.product_after AS "product_after?",
                  c.unit_price_after AS "unit_price_after?",
                  c.unit_cost_after AS "unit_cost_after?",
                  c.billing_after AS "billing_after?: Billing", c.start_after AS "start_after?",
                  c.end_after AS "end_after?",
                  -- A change without money is never billed: no line to look for.
                  (c.amount <> 0 OR c.cost <> 0)
                  AND EXISTS (SELECT 1 FROM invoice_lines l
                              WHERE l.reseller_id = c.reseller_id AND l.change_id = c.id)
                      AS "billed?"
           FROM subscriptions s
           LEFT JOIN subscription_changes c
                  ON c.reseller_id = s.reseller_id AND c.subscription_id = s.id
                 AND c.status = 'applied' AND c.decided_at < $2::date
           WHERE s.reseller_id = $1 AND s.created_at < $2::date
           ORDER BY s.id, c.decided_at, c.requested_at, c.id"#,
        reseller_id,
        end,
    )
    .fetch(read)
    .map_ok(Row::entry)
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
