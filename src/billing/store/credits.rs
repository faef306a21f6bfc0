//! One-off credits' SQL: granted by staff (the system role), billed by the run (in the
//! reseller's tenant transaction).

use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::billing::store::usage::Billed;

/// Records a credit of `amount` for the reseller's `customer_id`; none when the customer is not
/// the reseller's.
pub async fn grant(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    customer_id: Uuid,
    amount: Decimal,
    reason: &str,
    staff_id: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "INSERT INTO billing_credits (reseller_id, customer_id, amount, reason, staff_id)
         SELECT $1, id, $3, $4, $5 FROM customers WHERE reseller_id = $1 AND id = $2
         RETURNING id",
        reseller_id,
        customer_id,
        amount,
        reason,
        staff_id,
    )
    .fetch_optional(tx)
    .await
}

/// Bills the reseller's credits granted before `end` and not billed yet on `invoice_id`, one
/// negative line each, numbered after `after`.
pub async fn bill(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    invoice_id: Uuid,
    end: Date,
    after: i32,
) -> sqlx::Result<Vec<Billed>> {
    sqlx::query_as!(
        Billed,
        r#"WITH billed AS (
               UPDATE billing_credits SET invoice_id = $2
               WHERE reseller_id = $1 AND invoice_id IS NULL AND created_at < $3::date
               RETURNING id, customer_id, amount, reason, created_at)
           INSERT INTO invoice_lines (reseller_id, invoice_id, line_no, kind, customer_id,
                                      credit_id, reason, charge_start, charge_end, quantity,
                                      unit_cost, unit_price, cost, price)
           SELECT $1, $2, $4 + row_number() OVER (ORDER BY created_at, id)::int, 'credit',
                  customer_id, id, reason, created_at::date, created_at::date + 1, 1, -amount, 0,
                  -amount, 0
           FROM billed
           RETURNING customer_id, cost, price"#,
        reseller_id,
        invoice_id,
        end,
        after,
    )
    .fetch_all(tx)
    .await
}

/// A credit as staff see it.
#[derive(Debug, Clone)]
pub struct Credit {
    pub reseller: String,
    pub customer: String,
    pub amount: Decimal,
    pub currency: String,
    pub reason: String,
    pub staff: String,
    pub created_at: OffsetDateTime,
    pub invoice: Option<String>,
}

/// The latest credits, across resellers.
pub async fn latest(db: &PgPool, limit: i64) -> sqlx::Result<Vec<Credit>> {
    sqlx::query_as!(
        Credit,
        r#"SELECT r.legal_name AS reseller, c.legal_name AS customer, k.amount,
                  r.billing_currency AS "currency!", k.reason, u.name AS staff, k.created_at,
                  i.number AS "invoice?"
           FROM billing_credits k
           JOIN resellers r ON r.id = k.reseller_id
           JOIN customers c ON c.reseller_id = k.reseller_id AND c.id = k.customer_id
           JOIN users u ON u.id = k.staff_id
           LEFT JOIN invoices i ON i.reseller_id = k.reseller_id AND i.id = k.invoice_id
           ORDER BY k.created_at DESC LIMIT $1"#,
        limit,
    )
    .fetch_all(db)
    .await
}

/// A reseller or a customer to choose.
#[derive(Debug, Clone)]
pub struct Named {
    pub id: Uuid,
    pub name: String,
}

/// The resellers, by name.
pub async fn resellers(db: &PgPool) -> sqlx::Result<Vec<Named>> {
    sqlx::query_as!(
        Named,
        "SELECT id, legal_name AS name FROM resellers ORDER BY legal_name, id"
    )
    .fetch_all(db)
    .await
}

/// A reseller's customers, by name.
pub async fn customers(db: &PgPool, reseller_id: Uuid) -> sqlx::Result<Vec<Named>> {
    sqlx::query_as!(
        Named,
        "SELECT id, legal_name AS name FROM customers WHERE reseller_id = $1
         ORDER BY legal_name, id LIMIT 5000",
        reseller_id,
    )
    .fetch_all(db)
    .await
}
