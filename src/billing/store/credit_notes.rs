//! Credit notes' SQL: issued by staff (the system role), read by the reseller (its tenant
//! transaction). A note credits whole lines of one invoice, each once at most.

use rust_decimal::Decimal;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::billing::credit_notes::{Named, Selection};

/// Holds the crediting of `invoice_id` until the transaction ends: a second note of the same
/// invoice waits, then sees the lines the first credited.
pub async fn lock(tx: &mut PgConnection, invoice_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('credit-note:' || $1::text, 0))",
        invoice_id.to_string(),
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The lines of the invoice among `lines`, with the note that credited each, if any.
pub async fn named(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    invoice_id: Uuid,
    lines: &[i32],
) -> sqlx::Result<Vec<Named>> {
    sqlx::query_as!(
        Named,
        r#"SELECT l.line_no, l.cost, n.number AS "credited_by?"
           FROM invoice_lines l
           LEFT JOIN credit_note_lines cl
                  ON cl.reseller_id = l.reseller_id AND cl.invoice_id = l.invoice_id
                 AND cl.line_no = l.line_no
           LEFT JOIN credit_notes n ON n.reseller_id = cl.reseller_id AND n.id = cl.credit_note_id
           WHERE l.reseller_id = $1 AND l.invoice_id = $2 AND l.line_no = ANY($3)
           ORDER BY l.line_no"#,
        reseller_id,
        invoice_id,
        lines,
    )
    .fetch_all(tx)
    .await
}

/// A credit note just written.
#[derive(Debug, Clone)]
pub struct Written {
    pub id: Uuid,
    pub number: String,
    pub total: Decimal,
    pub resale: Decimal,
    pub lines: i32,
}

/// What a note is written from: the invoice it corrects and why.
pub struct Note<'a> {
    pub reseller_id: Uuid,
    pub invoice_id: Uuid,
    pub currency: &'a str,
    pub reason: &'a str,
    pub staff_id: Uuid,
    pub at: OffsetDateTime,
}

/// Writes the credit note of the `selection`'s lines not credited yet (the caller checked the
/// lines named, under [`lock`]); none, and nothing written, when they credit nothing (no line
/// left, or lines that add up to zero or less).
pub async fn issue(
    tx: &mut PgConnection,
    note: &Note<'_>,
    selection: &Selection,
) -> sqlx::Result<Option<Written>> {
    let id = Uuid::new_v4();
    let (whole, named): (bool, Vec<i32>) = match selection {
        Selection::Whole => (true, Vec::new()),
        Selection::Lines(lines) => (false, lines.iter().copied().collect()),
    };
    sqlx::query!("SAVEPOINT credit_note")
        .execute(&mut *tx)
        .await?;
    let sums = sqlx::query!(
        r#"WITH credited AS (
               INSERT INTO credit_note_lines (reseller_id, credit_note_id, invoice_id, line_no,
                                              cost, price)
               SELECT l.reseller_id, $3, l.invoice_id, l.line_no, l.cost, l.price
               FROM invoice_lines l
               WHERE l.reseller_id = $1 AND l.invoice_id = $2
                 AND ($4 OR l.line_no = ANY($5))
                 AND NOT EXISTS (SELECT 1 FROM credit_note_lines c
                                 WHERE c.reseller_id = l.reseller_id
                                   AND c.invoice_id = l.invoice_id AND c.line_no = l.line_no)
               RETURNING cost, price)
           SELECT count(*)::int AS "lines!", coalesce(sum(cost), 0) AS "cost!",
                  coalesce(sum(price), 0) AS "price!"
           FROM credited"#,
        note.reseller_id,
        note.invoice_id,
        id,
        whole,
        &named,
    )
    .fetch_one(&mut *tx)
    .await?;
    if sums.lines == 0 || sums.cost <= Decimal::ZERO {
        sqlx::query!("ROLLBACK TO SAVEPOINT credit_note")
            .execute(&mut *tx)
            .await?;
        return Ok(None);
    }
    let year = note.at.year();
    let sequence = sqlx::query_scalar!(
        "INSERT INTO credit_note_numbers (year, last) VALUES ($1, 1)
         ON CONFLICT (year) DO UPDATE SET last = credit_note_numbers.last + 1
         RETURNING last",
        year,
    )
    .fetch_one(&mut *tx)
    .await?;
    let number = crate::billing::credit_notes::number(year, sequence);
    sqlx::query!(
        "INSERT INTO credit_notes (reseller_id, id, invoice_id, number, reason, currency,
                                   subtotal, tax, total, resale, lines, staff_id, issued_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $7, $8, $9, $10, $11)",
        note.reseller_id,
        id,
        note.invoice_id,
        number,
        note.reason,
        note.currency,
        sums.cost,
        sums.price,
        sums.lines,
        note.staff_id,
        note.at,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("RELEASE SAVEPOINT credit_note")
        .execute(&mut *tx)
        .await?;
    Ok(Some(Written {
        id,
        number,
        total: sums.cost,
        resale: sums.price,
        lines: sums.lines,
    }))
}

/// A credit note as the invoice shows it.
#[derive(Debug, Clone)]
pub struct CreditNote {
    pub id: Uuid,
    pub number: String,
    pub reason: String,
    pub total: Decimal,
    pub resale: Decimal,
    pub lines: i32,
    pub issued_at: OffsetDateTime,
}

/// The credit notes of an invoice, the first issued first.
pub async fn of_invoice(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    invoice_id: Uuid,
) -> sqlx::Result<Vec<CreditNote>> {
    sqlx::query_as!(
        CreditNote,
        "SELECT id, number, reason, total, resale, lines, issued_at FROM credit_notes
         WHERE reseller_id = $1 AND invoice_id = $2 ORDER BY issued_at, number",
        reseller_id,
        invoice_id,
    )
    .fetch_all(tx)
    .await
}

/// A credit note of the invoice, by its id.
pub async fn get(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    invoice_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<CreditNote>> {
    sqlx::query_as!(
        CreditNote,
        "SELECT id, number, reason, total, resale, lines, issued_at FROM credit_notes
         WHERE reseller_id = $1 AND invoice_id = $2 AND id = $3",
        reseller_id,
        invoice_id,
        id,
    )
    .fetch_optional(tx)
    .await
}

/// A line a credit note credits, as its PDF lists it.
#[derive(Debug, Clone)]
pub struct Credited {
    pub line_no: i32,
    pub customer: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    /// A one-off credit's reason, for a line that is one.
    pub reason: Option<String>,
    pub charge_start: time::Date,
    pub charge_end: time::Date,
    pub quantity: Decimal,
    pub cost: Decimal,
}

/// The lines a credit note credits, by customer and number.
pub async fn credited(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Vec<Credited>> {
    sqlx::query_as!(
        Credited,
        r#"SELECT cl.line_no, c.legal_name AS customer, coalesce(p.name_es, '') AS "name_es!",
                  coalesce(p.name_en, '') AS "name_en!", coalesce(p.name_pt, '') AS "name_pt!",
                  l.reason, l.charge_start, l.charge_end, l.quantity, cl.cost
           FROM credit_note_lines cl
           JOIN invoice_lines l ON l.reseller_id = cl.reseller_id AND l.invoice_id = cl.invoice_id
                               AND l.line_no = cl.line_no
           JOIN customers c ON c.reseller_id = l.reseller_id AND c.id = l.customer_id
           LEFT JOIN products p ON p.id = l.product_id
           WHERE cl.reseller_id = $1 AND cl.credit_note_id = $2
           ORDER BY c.legal_name, cl.line_no"#,
        reseller_id,
        id,
    )
    .fetch_all(tx)
    .await
}
