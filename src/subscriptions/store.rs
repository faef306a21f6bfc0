//! SQL for subscriptions. Every function runs in a tenant transaction and takes the reseller
//! explicitly as well.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::catalog::rules::{Billing, Term};
use crate::i18n::Locale;
use crate::subscriptions::rules::SubscriptionStatus;
use crate::web::paging::Page;

#[derive(Debug)]
pub struct SubscriptionRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer: String,
    pub sku: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    pub quantity: i32,
    pub term: Term,
    pub billing: Billing,
    pub start_date: time::Date,
    pub end_date: time::Date,
    pub auto_renew: bool,
    pub status: SubscriptionStatus,
    pub vendor_ref: String,
}

impl SubscriptionRow {
    pub fn name(&self, locale: Locale) -> &str {
        match locale {
            Locale::Es => &self.name_es,
            Locale::En => &self.name_en,
            Locale::PtBr => &self.name_pt,
        }
    }
}

/// What the subscriptions list shows.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Customer name, product name or SKU (without accents).
    pub q: String,
    pub customer: Option<Uuid>,
    pub status: Option<SubscriptionStatus>,
}

/// A page of the subscriptions `f` finds, and how many it finds in all.
pub async fn list(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    f: &Filter,
    page: Page,
) -> sqlx::Result<(Vec<SubscriptionRow>, i64)> {
    let q = crate::text::like_escape(f.q.trim());
    let status = f.status.map(SubscriptionStatus::code);
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!"
           FROM subscriptions s
           WHERE s.reseller_id = $1 AND ($2::uuid IS NULL OR s.customer_id = $2)
             AND ($3::text IS NULL OR s.status = $3)
             AND ($4 = '' OR s.customer_id IN (SELECT c2.id FROM customers c2
                                               WHERE c2.reseller_id = $1
                                                 AND c2.search_text LIKE '%' || portal_fold($4) || '%')
                  OR s.product_id IN (SELECT p2.id FROM products p2
                                      WHERE portal_fold(p2.sku || ' ' || p2.name_es || ' ' || p2.name_en || ' ' || p2.name_pt)
                                            LIKE '%' || portal_fold($4) || '%'))"#,
        reseller_id,
        f.customer,
        status,
        q,
    )
    .fetch_one(&mut *tx)
    .await?;
    let rows = sqlx::query_as!(
        SubscriptionRow,
        r#"SELECT s.id, s.customer_id, c.legal_name AS customer, p.sku, p.name_es, p.name_en,
                  p.name_pt, s.quantity, s.term AS "term: Term", s.billing AS "billing: Billing",
                  s.start_date, s.end_date, s.auto_renew, s.status AS "status: SubscriptionStatus",
                  s.vendor_ref
           FROM subscriptions s
           JOIN customers c ON c.reseller_id = s.reseller_id AND c.id = s.customer_id
           JOIN products p ON p.id = s.product_id
           WHERE s.reseller_id = $1 AND ($2::uuid IS NULL OR s.customer_id = $2)
             AND ($3::text IS NULL OR s.status = $3)
             AND ($4 = '' OR s.customer_id IN (SELECT c2.id FROM customers c2
                                               WHERE c2.reseller_id = $1
                                                 AND c2.search_text LIKE '%' || portal_fold($4) || '%')
                  OR s.product_id IN (SELECT p2.id FROM products p2
                                      WHERE portal_fold(p2.sku || ' ' || p2.name_es || ' ' || p2.name_en || ' ' || p2.name_pt)
                                            LIKE '%' || portal_fold($4) || '%'))
           ORDER BY c.sort_name, p.sort_name, s.id LIMIT $5 OFFSET $6"#,
        reseller_id,
        f.customer,
        status,
        q,
        page.size,
        page.offset(),
    )
    .fetch_all(tx)
    .await?;
    Ok((rows, total))
}

/// A subscription made from a completed order line.
pub struct FromLine<'a> {
    pub customer_id: Uuid,
    pub product_id: Uuid,
    pub order_line_id: Uuid,
    pub quantity: i32,
    pub term: Term,
    pub billing: Billing,
    pub start_date: time::Date,
    pub end_date: time::Date,
    pub vendor_ref: &'a str,
}

/// Records the subscription of an order line once (a provisioning job run again finds it).
pub async fn create_from_line(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    s: &FromLine<'_>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO subscriptions (reseller_id, customer_id, product_id, order_line_id, quantity,
                                    term, billing, start_date, end_date, vendor_ref)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (reseller_id, order_line_id) DO NOTHING",
        reseller_id,
        s.customer_id,
        s.product_id,
        s.order_line_id,
        s.quantity,
        s.term.code(),
        s.billing.code(),
        s.start_date,
        s.end_date,
        s.vendor_ref,
    )
    .execute(tx)
    .await?;
    Ok(())
}
