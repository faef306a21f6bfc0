//! The invoices' pages and downloads: their SQL, in the reseller's tenant transaction.

use rust_decimal::Decimal;
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::billing::invoice::{LineKind, Status};
use crate::catalog::rules::{Billing, Term};
use crate::subscriptions::rules::ChangeKind;

/// An invoice's header.
#[derive(Debug, Clone)]
pub struct Invoice {
    pub id: Uuid,
    pub number: String,
    pub period: Date,
    pub currency: String,
    pub subtotal: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
    pub resale: Decimal,
    pub lines: i32,
    pub issued_at: OffsetDateTime,
    /// What its credit notes credit, together.
    pub credited: Decimal,
}

impl Invoice {
    pub fn status(&self) -> Status {
        Status::of(self.total, self.credited)
    }
}

/// What the list of invoices is filtered by.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Part of the number.
    pub q: String,
    pub period: Option<Date>,
    /// Invoices with lines of this customer.
    pub customer: Option<Uuid>,
    pub status: Option<Status>,
}

/// The most invoices one list shows (one a month: ten years).
pub const LIST_LIMIT: i64 = 120;

/// The reseller's invoices the filter finds, the newest month first.
pub async fn list(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    f: &Filter,
) -> sqlx::Result<Vec<Invoice>> {
    sqlx::query_as!(
        Invoice,
        r#"SELECT i.id, i.number, i.period, i.currency AS "currency!", i.subtotal, i.tax, i.total,
                  i.resale, i.lines, i.issued_at, k.credited AS "credited!"
           FROM invoices i
           CROSS JOIN LATERAL (
               SELECT coalesce(sum(n.total), 0) AS credited FROM credit_notes n
               WHERE n.reseller_id = i.reseller_id AND n.invoice_id = i.id) k
           WHERE i.reseller_id = $1
             AND ($2::date IS NULL OR i.period = $2)
             AND ($3 = '' OR i.number ILIKE '%' || $3 || '%')
             AND ($4::uuid IS NULL OR EXISTS (
                     SELECT 1 FROM invoice_lines l
                     WHERE l.reseller_id = i.reseller_id AND l.invoice_id = i.id
                       AND l.customer_id = $4))
             -- Status::of, in SQL.
             AND ($6::text IS NULL OR $6 = CASE WHEN k.credited <= 0 THEN 'issued'
                                                WHEN k.credited < i.total THEN 'partly_credited'
                                                ELSE 'credited' END)
           ORDER BY i.period DESC
           LIMIT $5"#,
        reseller_id,
        f.period,
        crate::text::like_escape(&f.q),
        f.customer,
        LIST_LIMIT,
        f.status.map(Status::code),
    )
    .fetch_all(tx)
    .await
}

/// One invoice of the reseller.
pub async fn invoice(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Invoice>> {
    sqlx::query_as!(
        Invoice,
        r#"SELECT i.id, i.number, i.period, i.currency AS "currency!", i.subtotal, i.tax, i.total,
                  i.resale, i.lines, i.issued_at,
                  coalesce((SELECT sum(n.total) FROM credit_notes n
                            WHERE n.reseller_id = i.reseller_id AND n.invoice_id = i.id), 0)
                      AS "credited!"
           FROM invoices i WHERE i.reseller_id = $1 AND i.id = $2"#,
        reseller_id,
        id,
    )
    .fetch_optional(tx)
    .await
}

/// The reseller's name (for the files' names).
pub async fn reseller_name(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<String> {
    sqlx::query_scalar!(
        "SELECT legal_name FROM resellers WHERE id = $1",
        reseller_id
    )
    .fetch_one(tx)
    .await
}

/// The name of a customer with lines on the invoice; none when it has none there.
pub async fn customer_of(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    invoice_id: Uuid,
    customer_id: Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "SELECT c.legal_name FROM customers c
         WHERE c.reseller_id = $1 AND c.id = $3
           AND EXISTS (SELECT 1 FROM invoice_lines l
                       WHERE l.reseller_id = c.reseller_id AND l.invoice_id = $2
                         AND l.customer_id = c.id)",
        reseller_id,
        invoice_id,
        customer_id,
    )
    .fetch_optional(tx)
    .await
}

/// A customer's part of an invoice.
#[derive(Debug, Clone)]
pub struct CustomerPart {
    pub customer_id: Uuid,
    pub name: String,
    pub lines: i64,
    pub cost: Decimal,
    pub price: Decimal,
}

/// The most customers an invoice's page lists (the files have them all).
pub const CUSTOMERS_LISTED: i64 = 500;

/// The customers of an invoice with their sums, by name (at most [`CUSTOMERS_LISTED`]).
pub async fn customers(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    invoice_id: Uuid,
) -> sqlx::Result<Vec<CustomerPart>> {
    parts(tx, reseller_id, invoice_id, None, CUSTOMERS_LISTED).await
}

/// The customers' parts of an invoice (or one customer's), by name, at most `limit`.
async fn parts(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    invoice_id: Uuid,
    only: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<CustomerPart>> {
    sqlx::query_as!(
        CustomerPart,
        r#"SELECT p.customer_id, c.legal_name AS name, p.lines::bigint AS "lines!", p.cost,
                  p.price
           FROM invoice_customers p
           JOIN customers c ON c.reseller_id = p.reseller_id AND c.id = p.customer_id
           WHERE p.reseller_id = $1 AND p.invoice_id = $2
             AND ($3::uuid IS NULL OR p.customer_id = $3)
           -- The customers' order of their list (and its index: the first 500 of 50,000 are read
           -- by name, not all sorted).
           ORDER BY c.sort_name, c.id
           LIMIT $4"#,
        reseller_id,
        invoice_id,
        only,
        limit,
    )
    .fetch_all(tx)
    .await
}

/// One customer's part of an invoice; none when it has no line on it.
pub async fn customer_part(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    invoice_id: Uuid,
    customer_id: Uuid,
) -> sqlx::Result<Option<CustomerPart>> {
    Ok(parts(tx, reseller_id, invoice_id, Some(customer_id), 1)
        .await?
        .pop())
}

/// How many customers an invoice has.
pub async fn customer_count(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    invoice_id: Uuid,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM invoice_customers WHERE reseller_id = $1 AND invoice_id = $2"#,
        reseller_id,
        invoice_id,
    )
    .fetch_one(tx)
    .await
}

/// The lines of an invoice (of one customer, or all), in their order, at most `limit`: the
/// page's and the PDF's, read as the reconciliation file reads them.
pub async fn lines(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    invoice_id: Uuid,
    customer: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<Line>> {
    let mut lines = Vec::new();
    let most = usize::try_from(limit).unwrap_or(0);
    reconciliation(tx, reseller_id, invoice_id, customer, LineKind::ALL, |l| {
        lines.push(l);
        std::future::ready(lines.len() < most)
    })
    .await?;
    Ok(lines)
}

/// A line of an invoice, with what its page, its PDF and its files show of it.
#[derive(Debug, Clone)]
pub struct Line {
    pub line_no: i32,
    pub kind: LineKind,
    pub customer: String,
    pub customer_id: Uuid,
    pub country: String,
    pub domain: String,
    pub order_id: Option<Uuid>,
    pub subscription_id: Option<Uuid>,
    pub vendor_ref: String,
    pub product_id: Option<Uuid>,
    pub sku: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    pub change_id: Option<Uuid>,
    pub change_kind: Option<ChangeKind>,
    pub charge_start: Date,
    pub charge_end: Date,
    pub quantity: Decimal,
    pub unit_cost: Decimal,
    pub unit_price: Decimal,
    pub cost: Decimal,
    pub price: Decimal,
    pub adjustment: bool,
    pub meter_id: Option<String>,
    pub meter_name: Option<String>,
    pub unit: Option<String>,
    pub credit_id: Option<Uuid>,
    pub reason: Option<String>,
    pub term: Option<Term>,
    pub billing: Option<Billing>,
    /// The credit note that credited it.
    pub credited_by: Option<String>,
}

/// Sends each line of an invoice (of one customer, or all) to `each`, as the database returns
/// them (until `each` says stop): memory stays flat however many lines there are.
pub async fn reconciliation<F, Fut>(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    invoice_id: Uuid,
    customer: Option<Uuid>,
    kinds: &[LineKind],
    each: F,
) -> sqlx::Result<()>
where
    F: FnMut(Line) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let rows = sqlx::query_as!(
        Line,
        r#"SELECT l.line_no, l.kind AS "kind: LineKind", cu.legal_name AS customer, l.customer_id,
                  cu.country AS "country!", coalesce(s.tenant_domain, '') AS "domain!",
                  ol.order_id AS "order_id?", l.subscription_id,
                  coalesce(s.vendor_ref, '') AS "vendor_ref!", l.product_id,
                  coalesce(p.sku, '') AS "sku!", coalesce(p.name_es, '') AS "name_es!",
                  coalesce(p.name_en, '') AS "name_en!", coalesce(p.name_pt, '') AS "name_pt!",
                  l.change_id, c.kind AS "change_kind?: ChangeKind",
                  l.charge_start, l.charge_end, l.quantity, l.unit_cost, l.unit_price,
                  l.cost, l.price, l.adjustment, l.meter_id, l.meter_name, l.unit, l.credit_id,
                  l.reason, s.term AS "term?: Term", s.billing AS "billing?: Billing",
                  n.number AS "credited_by?"
           FROM invoice_lines l
           JOIN customers cu ON cu.reseller_id = l.reseller_id AND cu.id = l.customer_id
           LEFT JOIN subscriptions s ON s.reseller_id = l.reseller_id AND s.id = l.subscription_id
           LEFT JOIN order_lines ol ON ol.reseller_id = s.reseller_id AND ol.id = s.order_line_id
           LEFT JOIN products p ON p.id = l.product_id
           LEFT JOIN subscription_changes c
                  ON c.reseller_id = l.reseller_id AND c.id = l.change_id
           LEFT JOIN credit_note_lines cl
                  ON cl.reseller_id = l.reseller_id AND cl.invoice_id = l.invoice_id
                 AND cl.line_no = l.line_no
           LEFT JOIN credit_notes n ON n.reseller_id = cl.reseller_id AND n.id = cl.credit_note_id
           WHERE l.reseller_id = $1 AND l.invoice_id = $2
             AND ($3::uuid IS NULL OR l.customer_id = $3) AND l.kind = ANY($4)
           ORDER BY l.customer_id, l.line_no"#,
        reseller_id,
        invoice_id,
        customer,
        &kinds
            .iter()
            .map(|k| k.code().to_string())
            .collect::<Vec<_>>(),
    )
    .fetch(tx);
    crate::db::each_row(rows, each).await
}

/// Whom an invoice bills.
#[derive(Debug, Clone)]
pub struct BilledTo {
    pub legal_name: String,
    pub tax_id: String,
    pub country: String,
}

/// Whom the reseller's invoices bill.
pub async fn billed_to(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<BilledTo> {
    sqlx::query_as!(
        BilledTo,
        r#"SELECT legal_name, tax_id, country AS "country!" FROM resellers WHERE id = $1"#,
        reseller_id
    )
    .fetch_one(tx)
    .await
}
