//! SQL for carts, orders, their events, and subscriptions. Every function runs in a tenant
//! transaction and takes the reseller explicitly as well.

use rust_decimal::Decimal;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// The open cart of a user for a customer, created on first use (it survives sign-out).
pub async fn open_cart(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user_id: Uuid,
    customer_id: Uuid,
) -> sqlx::Result<Uuid> {
    sqlx::query(
        "INSERT INTO carts (reseller_id, user_id, customer_id) VALUES ($1, $2, $3)
         ON CONFLICT (reseller_id, user_id, customer_id) WHERE status = 'open' DO NOTHING",
    )
    .bind(reseller_id)
    .bind(user_id)
    .bind(customer_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query_scalar(
        "SELECT id FROM carts WHERE reseller_id = $1 AND user_id = $2 AND customer_id = $3 AND status = 'open'",
    )
    .bind(reseller_id)
    .bind(user_id)
    .bind(customer_id)
    .fetch_one(tx)
    .await
}

/// A cart of this user (404 for anyone else's).
#[derive(Debug, sqlx::FromRow)]
pub struct Cart {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub status: String,
}

pub async fn cart(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user_id: Uuid,
    cart_id: Uuid,
) -> sqlx::Result<Option<Cart>> {
    sqlx::query_as("SELECT id, customer_id, status FROM carts WHERE reseller_id = $1 AND user_id = $2 AND id = $3")
        .bind(reseller_id)
        .bind(user_id)
        .bind(cart_id)
        .fetch_optional(tx)
        .await
}

/// A cart line with everything needed to price and check it today.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CartLine {
    pub id: Uuid,
    pub product_id: Uuid,
    pub program_id: Uuid,
    pub sku: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    pub vendor: String,
    pub product_status: String,
    pub min_seats: i32,
    pub max_seats: i32,
    pub term: String,
    pub billing: String,
    pub quantity: i32,
    pub tenant_id: Option<Uuid>,
    pub tenant_domain: Option<String>,
    pub tenant_ref: Option<String>,
    pub transfer_token: Option<String>,
    pub quoted_cost: Option<Decimal>,
    pub quoted_currency: Option<String>,
    pub offered: bool,
    pub cost: Option<Decimal>,
    pub is_addon: bool,
    pub base_present: bool,
}

impl CartLine {
    pub fn name(&self, locale: crate::i18n::Locale) -> &str {
        match locale {
            crate::i18n::Locale::Es => &self.name_es,
            crate::i18n::Locale::En => &self.name_en,
            crate::i18n::Locale::PtBr => &self.name_pt,
        }
    }
}

pub async fn cart_lines(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    cart_id: Uuid,
    customer_id: Uuid,
    currency: &str,
    today: time::Date,
) -> sqlx::Result<Vec<CartLine>> {
    sqlx::query_as(
        "SELECT l.id, p.id AS product_id, p.program_id, p.sku, p.name_es, p.name_en, p.name_pt,
                v.code AS vendor, p.status AS product_status, p.min_seats, p.max_seats,
                l.term, l.billing, l.quantity, l.tenant_id, t.domain AS tenant_domain, t.tenant_ref,
                l.transfer_token, l.quoted_cost, l.quoted_currency::text AS quoted_currency,
                EXISTS (SELECT 1 FROM product_offers o WHERE o.product_id = p.id AND o.term = l.term AND o.billing = l.billing) AS offered,
                (SELECT x.cost FROM prices x WHERE x.product_id = p.id AND x.term = l.term AND x.billing = l.billing
                   AND x.currency = $4 AND x.valid_from <= $5 AND (x.valid_to IS NULL OR x.valid_to > $5)) AS cost,
                EXISTS (SELECT 1 FROM product_addons a WHERE a.addon_id = p.id) AS is_addon,
                EXISTS (SELECT 1 FROM product_addons a WHERE a.addon_id = p.id AND (
                    EXISTS (SELECT 1 FROM cart_lines l2 WHERE l2.reseller_id = l.reseller_id AND l2.cart_id = l.cart_id AND l2.product_id = a.base_id)
                    OR EXISTS (SELECT 1 FROM subscriptions s WHERE s.reseller_id = l.reseller_id AND s.customer_id = $3
                               AND s.product_id = a.base_id AND s.status = 'active'))) AS base_present
         FROM cart_lines l
         JOIN products p ON p.id = l.product_id
         JOIN programs pr ON pr.id = p.program_id
         JOIN vendors v ON v.id = pr.vendor_id
         LEFT JOIN customer_tenants t ON t.reseller_id = l.reseller_id AND t.id = l.tenant_id
         WHERE l.reseller_id = $1 AND l.cart_id = $2
         ORDER BY l.created_at, l.id",
    )
    .bind(reseller_id)
    .bind(cart_id)
    .bind(customer_id)
    .bind(currency)
    .bind(today)
    .fetch_all(tx)
    .await
}

#[derive(Debug, sqlx::FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub number: i64,
    pub customer_id: Uuid,
    pub customer: String,
    pub status: String,
    pub currency: String,
    pub total_cost: Decimal,
    pub total_price: Decimal,
    pub reason: Option<String>,
    pub created_at: OffsetDateTime,
    pub placed_by: String,
}

/// The columns of an `OrderRow`, and the tables they come from.
const ORDER_COLUMNS: &str = "o.id, o.number, o.customer_id, c.legal_name AS customer, o.status,
        o.currency::text AS currency, o.total_cost, o.total_price, o.reason, o.created_at, u.name AS placed_by";
const ORDER_FROM: &str = "FROM orders o
    JOIN customers c ON c.reseller_id = o.reseller_id AND c.id = o.customer_id
    JOIN users u ON u.id = o.placed_by";

pub async fn order(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<OrderRow>> {
    sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} {ORDER_FROM} WHERE o.reseller_id = $1 AND o.id = $2"
    ))
    .bind(reseller_id)
    .bind(id)
    .fetch_optional(tx)
    .await
}

/// What the orders list shows.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub q: String,
    pub status: String,
    pub customer: Option<Uuid>,
    pub vendor: String,
    /// Placed on or after this date.
    pub from: Option<time::Date>,
    /// Placed on or before this date.
    pub to: Option<time::Date>,
    /// The time zone the dates are days of (IANA name; UTC when empty).
    pub zone: String,
    pub sort: crate::orders::rules::OrderSort,
}

impl OrderFilter {
    pub fn of_customer(customer: Uuid) -> Self {
        Self {
            customer: Some(customer),
            ..Default::default()
        }
    }
}

// Text searches go through the trigram indexes of customers and order lines; each subquery runs
// once (hashed), not once per order. Parameters $1..$9 are bound by `bind_filter`.
const FILTER: &str = "WHERE o.reseller_id = $1 AND ($2 = '' OR o.status = $2) AND ($4::uuid IS NULL OR o.customer_id = $4)
      AND (($3 = '' AND $8::bigint IS NULL) OR o.number = $8
           OR ($3 <> '' AND (
               o.customer_id IN (SELECT c2.id FROM customers c2
                                 WHERE c2.reseller_id = $1 AND c2.search_text LIKE '%' || portal_fold($3) || '%')
               OR o.id IN (SELECT l.order_id FROM order_lines l
                           WHERE l.reseller_id = $1 AND l.search_text LIKE '%' || portal_fold($3) || '%'))))
      AND ($5 = '' OR $5 = ANY (o.vendors))
      AND ($6::date IS NULL OR o.created_at >= $6::date::timestamp AT TIME ZONE $9)
      AND ($7::date IS NULL OR o.created_at < ($7::date + 1)::timestamp AT TIME ZONE $9)";

type PgQueryAs<'q, O> = sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>;

/// Binds the parameters of `FILTER` for reseller `reseller_id` and filter `f`.
fn bind_filter<'q, O>(
    q: PgQueryAs<'q, O>,
    reseller_id: Uuid,
    f: &'q OrderFilter,
) -> PgQueryAs<'q, O> {
    let number = crate::orders::rules::order_number_query(&f.q);
    // "ORD-001042" names an order and nothing else: no text search for it.
    let text = if number.is_some() && f.q.trim().to_uppercase().starts_with("ORD-") {
        ""
    } else {
        f.q.as_str()
    };
    let zone = if f.zone.is_empty() {
        "UTC"
    } else {
        f.zone.as_str()
    };
    q.bind(reseller_id)
        .bind(f.status.as_str())
        .bind(text)
        .bind(f.customer)
        .bind(f.vendor.as_str())
        .bind(f.from)
        .bind(f.to)
        .bind(number)
        .bind(zone)
}

pub async fn orders(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    f: &OrderFilter,
    offset: i64,
    limit: i64,
) -> sqlx::Result<(Vec<OrderRow>, i64)> {
    let count = format!("SELECT count(*) FROM orders o {FILTER}");
    let (total,): (i64,) = bind_filter(sqlx::query_as(&count), reseller_id, f)
        .fetch_one(&mut *tx)
        .await?;
    let select = format!(
        "SELECT {ORDER_COLUMNS} {ORDER_FROM} {FILTER} ORDER BY {} LIMIT {limit} OFFSET $10",
        f.sort.sql()
    );
    let rows = bind_filter(sqlx::query_as(&select), reseller_id, f)
        .bind(offset)
        .fetch_all(tx)
        .await?;
    Ok((rows, total))
}

/// An order as the CSV export lists it: the list's columns, its vendors and its products.
#[derive(Debug, sqlx::FromRow)]
pub struct ExportRow {
    #[sqlx(flatten)]
    pub order: OrderRow,
    pub vendors: Vec<String>,
    pub products: Option<String>,
}

/// Every order the filter `f` finds, in its sort order, handed to `each` one at a time as the
/// database returns them (the CSV export); stops early when `each` answers false.
pub async fn export<F, Fut>(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    f: &OrderFilter,
    mut each: F,
) -> sqlx::Result<()>
where
    F: FnMut(ExportRow) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    use futures_util::TryStreamExt;
    let select = format!(
        "SELECT {ORDER_COLUMNS}, o.vendors,
                (SELECT string_agg(l.quantity || ' × ' || l.product_name, '; ' ORDER BY l.sku, l.id)
                 FROM order_lines l WHERE l.reseller_id = o.reseller_id AND l.order_id = o.id) AS products
         {ORDER_FROM} {FILTER} ORDER BY {}",
        f.sort.sql()
    );
    let mut rows = bind_filter(sqlx::query_as(&select), reseller_id, f).fetch(tx);
    while let Some(row) = rows.try_next().await? {
        if !each(row).await {
            break;
        }
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderLine {
    pub id: Uuid,
    pub product_id: Uuid,
    pub sku: String,
    pub product_name: String,
    pub vendor: String,
    pub term: String,
    pub billing: String,
    pub quantity: i32,
    pub unit_cost: Decimal,
    pub unit_price: Decimal,
    pub tenant_domain: String,
    pub tenant_ref: String,
    pub transfer_token: Option<String>,
    pub status: String,
    pub error: Option<String>,
}

pub async fn order_lines(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> sqlx::Result<Vec<OrderLine>> {
    sqlx::query_as(
        "SELECT id, product_id, sku, product_name, vendor, term, billing, quantity, unit_cost, unit_price,
                tenant_domain, tenant_ref, transfer_token, status, error
         FROM order_lines WHERE reseller_id = $1 AND order_id = $2 ORDER BY sku, id",
    )
    .bind(reseller_id)
    .bind(order_id)
    .fetch_all(tx)
    .await
}

#[derive(Debug, sqlx::FromRow)]
pub struct Event {
    pub status: String,
    pub detail: Option<String>,
    pub actor: Option<String>,
    pub at: OffsetDateTime,
}

pub async fn events(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> sqlx::Result<Vec<Event>> {
    sqlx::query_as(
        "SELECT e.status, e.detail, COALESCE(u.name, e.actor_label) AS actor, e.at
         FROM order_events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.reseller_id = $1 AND e.order_id = $2 ORDER BY e.at, e.id",
    )
    .bind(reseller_id)
    .bind(order_id)
    .fetch_all(tx)
    .await
}

pub async fn add_event(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
    status: &str,
    detail: Option<&str>,
    actor_id: Option<Uuid>,
    actor_label: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO order_events (reseller_id, order_id, status, detail, actor_id, actor_label)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(reseller_id)
    .bind(order_id)
    .bind(status)
    .bind(detail)
    .bind(actor_id)
    .bind(actor_label)
    .execute(tx)
    .await?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
pub struct SubscriptionRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer: String,
    pub sku: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    pub quantity: i32,
    pub term: String,
    pub billing: String,
    pub start_date: time::Date,
    pub end_date: time::Date,
    pub auto_renew: bool,
    pub status: String,
    pub vendor_ref: String,
}

impl SubscriptionRow {
    pub fn name(&self, locale: crate::i18n::Locale) -> &str {
        match locale {
            crate::i18n::Locale::Es => &self.name_es,
            crate::i18n::Locale::En => &self.name_en,
            crate::i18n::Locale::PtBr => &self.name_pt,
        }
    }
}

pub async fn subscriptions(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    q: &str,
    customer: Option<Uuid>,
    status: &str,
    offset: i64,
    limit: i64,
) -> sqlx::Result<(Vec<SubscriptionRow>, i64)> {
    let filter = "WHERE s.reseller_id = $1 AND ($2::uuid IS NULL OR s.customer_id = $2) AND ($3 = '' OR s.status = $3)
          AND ($4 = '' OR s.customer_id IN (SELECT c2.id FROM customers c2
                                             WHERE c2.reseller_id = $1 AND c2.search_text LIKE '%' || portal_fold($4) || '%')
               OR s.product_id IN (SELECT p2.id FROM products p2
                                   WHERE portal_fold(p2.sku || ' ' || p2.name_es || ' ' || p2.name_en || ' ' || p2.name_pt)
                                         LIKE '%' || portal_fold($4) || '%'))";
    let from = "FROM subscriptions s JOIN customers c ON c.reseller_id = s.reseller_id AND c.id = s.customer_id
                JOIN products p ON p.id = s.product_id";
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) {from} {filter}"))
        .bind(reseller_id)
        .bind(customer)
        .bind(status)
        .bind(q)
        .fetch_one(&mut *tx)
        .await?;
    let rows = sqlx::query_as(&format!(
        "SELECT s.id, s.customer_id, c.legal_name AS customer, p.sku, p.name_es, p.name_en, p.name_pt, s.quantity,
                s.term, s.billing, s.start_date, s.end_date, s.auto_renew, s.status, s.vendor_ref
         {from} {filter} ORDER BY c.sort_name, p.sort_name, s.id LIMIT {limit} OFFSET $5"
    ))
    .bind(reseller_id)
    .bind(customer)
    .bind(status)
    .bind(q)
    .bind(offset)
    .fetch_all(tx)
    .await?;
    Ok((rows, total))
}
