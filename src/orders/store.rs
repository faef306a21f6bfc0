//! SQL for carts, orders, their lines and events. Every function runs in a tenant transaction
//! and takes the reseller explicitly as well (row-level security is the second lock).

use futures_util::TryStreamExt;
use rust_decimal::Decimal;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::catalog::rules::{Billing, ProductStatus, Term};
use crate::i18n::Locale;
use crate::orders::rules::{CartStatus, LineStatus, OrderSort, OrderStatus};
use crate::vendors::{VendorCode, VendorErrorCode};
use crate::web::paging::Page;

// ---------------------------------------------------------------- carts

/// The open cart of a user for a customer, created on first use (it survives sign-out).
pub async fn open_cart(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user_id: Uuid,
    customer_id: Uuid,
) -> sqlx::Result<Uuid> {
    sqlx::query!(
        "INSERT INTO carts (reseller_id, user_id, customer_id) VALUES ($1, $2, $3)
         ON CONFLICT (reseller_id, user_id, customer_id) WHERE status = 'open' DO NOTHING",
        reseller_id,
        user_id,
        customer_id,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query_scalar!(
        "SELECT id FROM carts
         WHERE reseller_id = $1 AND user_id = $2 AND customer_id = $3 AND status = 'open'",
        reseller_id,
        user_id,
        customer_id,
    )
    .fetch_one(tx)
    .await
}

/// A cart of this user (404 for anyone else's).
#[derive(Debug)]
pub struct Cart {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub status: CartStatus,
}

pub async fn cart(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user_id: Uuid,
    cart_id: Uuid,
) -> sqlx::Result<Option<Cart>> {
    sqlx::query_as!(
        Cart,
        r#"SELECT id, customer_id, status AS "status: CartStatus" FROM carts
           WHERE reseller_id = $1 AND user_id = $2 AND id = $3"#,
        reseller_id,
        user_id,
        cart_id,
    )
    .fetch_optional(tx)
    .await
}

/// Locks a cart until the transaction ends (placements of one cart take turns).
pub async fn lock_cart(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    cart_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "SELECT 1 AS one FROM carts WHERE reseller_id = $1 AND id = $2 FOR UPDATE",
        reseller_id,
        cart_id,
    )
    .fetch_optional(tx)
    .await?;
    Ok(())
}

/// A cart line with everything needed to price and check it today.
#[derive(Debug, Clone)]
pub struct CartLine {
    pub id: Uuid,
    pub product_id: Uuid,
    pub program_id: Uuid,
    pub sku: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    /// The vendor's code in the catalog (staff may add vendors the portal cannot order from).
    pub vendor_code: String,
    pub product_status: ProductStatus,
    pub min_seats: i32,
    pub max_seats: i32,
    pub term: Term,
    pub billing: Billing,
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
    /// The vendor to order from, when the portal is connected to it.
    pub fn vendor(&self) -> Option<VendorCode> {
        VendorCode::from_code(&self.vendor_code)
    }

    pub fn name(&self, locale: Locale) -> &str {
        match locale {
            Locale::Es => &self.name_es,
            Locale::En => &self.name_en,
            Locale::PtBr => &self.name_pt,
        }
    }
}

/// The lines of a cart, priced in `currency` on `today`.
pub async fn cart_lines(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    cart_id: Uuid,
    customer_id: Uuid,
    currency: &str,
    today: time::Date,
) -> sqlx::Result<Vec<CartLine>> {
    sqlx::query_as!(
        CartLine,
        r#"SELECT l.id, p.id AS product_id, p.program_id, p.sku, p.name_es, p.name_en, p.name_pt,
                  v.code AS vendor_code, p.status AS "product_status: ProductStatus",
                  p.min_seats, p.max_seats, l.term AS "term: Term", l.billing AS "billing: Billing",
                  l.quantity, l.tenant_id, t.domain AS "tenant_domain?", t.tenant_ref AS "tenant_ref?",
                  l.transfer_token, l.quoted_cost, l.quoted_currency::text AS quoted_currency,
                  EXISTS (SELECT 1 FROM product_offers o
                          WHERE o.product_id = p.id AND o.term = l.term AND o.billing = l.billing) AS "offered!",
                  (SELECT x.cost FROM prices x
                   WHERE x.product_id = p.id AND x.term = l.term AND x.billing = l.billing
                     AND x.currency = $4 AND x.valid_from <= $5
                     AND (x.valid_to IS NULL OR x.valid_to > $5)) AS cost,
                  EXISTS (SELECT 1 FROM product_addons a WHERE a.addon_id = p.id) AS "is_addon!",
                  EXISTS (SELECT 1 FROM product_addons a WHERE a.addon_id = p.id AND (
                      EXISTS (SELECT 1 FROM cart_lines l2
                              WHERE l2.reseller_id = l.reseller_id AND l2.cart_id = l.cart_id
                                AND l2.product_id = a.base_id)
                      OR EXISTS (SELECT 1 FROM subscriptions s
                                 WHERE s.reseller_id = l.reseller_id AND s.customer_id = $3
                                   AND s.product_id = a.base_id AND s.status = 'active'))) AS "base_present!"
           FROM cart_lines l
           JOIN products p ON p.id = l.product_id
           JOIN programs pr ON pr.id = p.program_id
           JOIN vendors v ON v.id = pr.vendor_id
           LEFT JOIN customer_tenants t ON t.reseller_id = l.reseller_id AND t.id = l.tenant_id
           WHERE l.reseller_id = $1 AND l.cart_id = $2
           ORDER BY l.created_at, l.id"#,
        reseller_id,
        cart_id,
        customer_id,
        currency,
        today,
    )
    .fetch_all(tx)
    .await
}

/// The tenant (and transfer token) the cart's lines of `product`'s vendor already use.
pub async fn vendor_tenant_in_cart(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    cart_id: Uuid,
    product_id: Uuid,
) -> sqlx::Result<(Option<Uuid>, Option<String>)> {
    let row = sqlx::query!(
        "SELECT l.tenant_id, l.transfer_token FROM cart_lines l
           JOIN products p ON p.id = l.product_id JOIN products q ON q.id = $3
           JOIN programs a ON a.id = p.program_id JOIN programs b ON b.id = q.program_id
         WHERE l.reseller_id = $1 AND l.cart_id = $2 AND a.vendor_id = b.vendor_id
           AND l.tenant_id IS NOT NULL
         ORDER BY l.created_at LIMIT 1",
        reseller_id,
        cart_id,
        product_id,
    )
    .fetch_optional(tx)
    .await?;
    Ok(row.map_or((None, None), |r| (r.tenant_id, r.transfer_token)))
}

/// A line to add to a cart, checked by the caller.
pub struct NewCartLine {
    pub product_id: Uuid,
    pub term: Term,
    pub billing: Billing,
    pub quantity: i32,
    pub tenant_id: Option<Uuid>,
    pub transfer_token: Option<String>,
    /// The cost it is quoted at now, to show a change before the order is placed.
    pub quoted_cost: Option<Decimal>,
    pub quoted_currency: String,
}

pub async fn add_line(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    cart_id: Uuid,
    l: &NewCartLine,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO cart_lines (reseller_id, cart_id, product_id, term, billing, quantity, tenant_id,
                                 transfer_token, quoted_cost, quoted_currency)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        reseller_id,
        cart_id,
        l.product_id,
        l.term.code(),
        l.billing.code(),
        l.quantity,
        l.tenant_id,
        l.transfer_token,
        l.quoted_cost,
        l.quoted_currency as _,
    )
    .execute(&mut *tx)
    .await?;
    touch_cart(tx, reseller_id, cart_id).await
}

/// Marks the cart as changed now.
pub async fn touch_cart(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    cart_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE carts SET updated_at = now() WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        cart_id,
    )
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn remove_line(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    cart_id: Uuid,
    line_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM cart_lines WHERE reseller_id = $1 AND cart_id = $2 AND id = $3",
        reseller_id,
        cart_id,
        line_id,
    )
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn set_quantity(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    cart_id: Uuid,
    line_id: Uuid,
    quantity: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE cart_lines SET quantity = $4 WHERE reseller_id = $1 AND cart_id = $2 AND id = $3",
        reseller_id,
        cart_id,
        line_id,
        quantity,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Every line of `vendor` in the cart uses `tenant` (and the transfer token, when it is one).
pub async fn set_vendor_tenant(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    cart_id: Uuid,
    vendor: VendorCode,
    tenant_id: Uuid,
    transfer_token: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE cart_lines l SET tenant_id = $3, transfer_token = $5
         FROM products p JOIN programs pr ON pr.id = p.program_id JOIN vendors v ON v.id = pr.vendor_id
         WHERE l.reseller_id = $1 AND l.cart_id = $2 AND p.id = l.product_id AND v.code = $4",
        reseller_id,
        cart_id,
        tenant_id,
        vendor.code(),
        transfer_token,
    )
    .execute(&mut *tx)
    .await?;
    touch_cart(tx, reseller_id, cart_id).await
}

/// The terms of a program the cart's lines are ordered under: the latest version the reseller
/// accepted, and when.
#[derive(Debug)]
pub struct AcceptedTerms {
    pub code: String,
    pub name: String,
    pub version: Option<i32>,
    pub accepted_at: Option<OffsetDateTime>,
}

pub async fn cart_terms(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    cart_id: Uuid,
) -> sqlx::Result<Vec<AcceptedTerms>> {
    sqlx::query_as!(
        AcceptedTerms,
        r#"SELECT DISTINCT pr.code, pr.name, a.version AS "version?", a.accepted_at AS "accepted_at?"
           FROM cart_lines l JOIN products p ON p.id = l.product_id JOIN programs pr ON pr.id = p.program_id
           LEFT JOIN LATERAL (SELECT version, accepted_at FROM program_terms_acceptances x
                              WHERE x.reseller_id = l.reseller_id AND x.program_id = pr.id
                              ORDER BY version DESC LIMIT 1) a ON true
           WHERE l.reseller_id = $1 AND l.cart_id = $2 ORDER BY pr.name"#,
        reseller_id,
        cart_id,
    )
    .fetch_all(tx)
    .await
}

// ---------------------------------------------------------------- placing

/// The order placed from a cart, if there is one already (the cart is the idempotency key).
pub async fn order_of_cart(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    cart_id: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM orders WHERE reseller_id = $1 AND cart_id = $2",
        reseller_id,
        cart_id,
    )
    .fetch_optional(tx)
    .await
}

/// An order to place, priced and checked.
pub struct NewOrder<'a> {
    pub cart_id: Uuid,
    pub customer_id: Uuid,
    pub placed_by: Uuid,
    pub currency: &'a str,
    pub total_cost: Decimal,
    pub total_price: Decimal,
    pub lines: Vec<NewOrderLine<'a>>,
}

/// A line of an order: the cart line with its prices snapshotted.
pub struct NewOrderLine<'a> {
    pub line: &'a CartLine,
    pub unit_cost: Decimal,
    pub unit_price: Decimal,
}

/// Writes the order, its lines and its first event, closes the cart and queues provisioning:
/// the caller's transaction holds it all or none of it.
pub async fn place(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    o: &NewOrder<'_>,
) -> anyhow::Result<Uuid> {
    let mut vendors: Vec<&str> = o
        .lines
        .iter()
        .map(|l| l.line.vendor_code.as_str())
        .collect();
    vendors.sort_unstable();
    vendors.dedup();
    let vendors: Vec<String> = vendors.into_iter().map(str::to_string).collect();
    let order_id = sqlx::query_scalar!(
        "INSERT INTO orders (reseller_id, cart_id, customer_id, placed_by, currency, total_cost,
                             total_price, vendors)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        reseller_id,
        o.cart_id,
        o.customer_id,
        o.placed_by,
        o.currency as _,
        o.total_cost,
        o.total_price,
        &vendors,
    )
    .fetch_one(&mut *tx)
    .await?;
    for l in &o.lines {
        let c = l.line;
        sqlx::query!(
            "INSERT INTO order_lines (reseller_id, order_id, product_id, sku, product_name, vendor,
                                      term, billing, quantity, unit_cost, unit_price, tenant_domain,
                                      tenant_ref, transfer_token)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            reseller_id,
            order_id,
            c.product_id,
            c.sku,
            c.name_en,
            c.vendor_code,
            c.term.code(),
            c.billing.code(),
            c.quantity,
            l.unit_cost,
            l.unit_price,
            c.tenant_domain.as_deref().unwrap_or_default(),
            c.tenant_ref.as_deref().unwrap_or_default(),
            c.transfer_token,
        )
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query!(
        "UPDATE carts SET status = 'ordered', updated_at = now() WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        o.cart_id,
    )
    .execute(&mut *tx)
    .await?;
    let by = Actor::User(o.placed_by);
    add_event(tx, reseller_id, order_id, OrderStatus::Submitted, None, by).await?;
    queue_provisioning(tx, reseller_id, order_id, &format!("provision:{order_id}")).await?;
    Ok(order_id)
}

/// Queues the provisioning job of an order once per `key` (a retry uses a new key).
pub async fn queue_provisioning(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
    key: &str,
) -> anyhow::Result<()> {
    let job = crate::orders::provision::Job {
        reseller_id,
        order_id,
    };
    crate::jobs::enqueue_once(&mut *tx, crate::jobs::PROVISION_ORDER, &job, key).await
}

// ---------------------------------------------------------------- orders

#[derive(Debug)]
pub struct OrderRow {
    pub id: Uuid,
    pub number: i64,
    pub customer_id: Uuid,
    pub customer: String,
    pub status: OrderStatus,
    pub currency: String,
    pub total_cost: Decimal,
    pub total_price: Decimal,
    pub reason: Option<String>,
    pub created_at: OffsetDateTime,
    pub placed_by: String,
}

pub async fn order(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<OrderRow>> {
    sqlx::query_as!(
        OrderRow,
        r#"SELECT o.id, o.number, o.customer_id, c.legal_name AS customer,
                  o.status AS "status: OrderStatus", o.currency::text AS "currency!", o.total_cost,
                  o.total_price, o.reason, o.created_at, u.name AS placed_by
           FROM orders o
           JOIN customers c ON c.reseller_id = o.reseller_id AND c.id = o.customer_id
           JOIN users u ON u.id = o.placed_by
           WHERE o.reseller_id = $1 AND o.id = $2"#,
        reseller_id,
        id,
    )
    .fetch_optional(tx)
    .await
}

/// What the orders list shows.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub q: String,
    pub status: Option<OrderStatus>,
    pub customer: Option<Uuid>,
    pub vendor: Option<VendorCode>,
    /// Placed on or after this date.
    pub from: Option<time::Date>,
    /// Placed on or before this date.
    pub to: Option<time::Date>,
    /// The time zone the dates are days of (IANA name; UTC when empty).
    pub zone: String,
    pub sort: OrderSort,
}

impl OrderFilter {
    pub fn of_customer(customer: Uuid) -> Self {
        Self {
            customer: Some(customer),
            ..Default::default()
        }
    }
}

const ORDER_COLUMNS: &str =
    "SELECT o.id, o.number, o.customer_id, c.legal_name AS customer, o.status,
        o.currency::text AS currency, o.total_cost, o.total_price, o.reason, o.created_at,
        u.name AS placed_by";
const ORDER_FROM: &str = " FROM orders o
    JOIN customers c ON c.reseller_id = o.reseller_id AND c.id = o.customer_id
    JOIN users u ON u.id = o.placed_by";

/// The WHERE clause of the list and the export. Text searches go through the trigram indexes of
/// customers and order lines; each subquery runs once (hashed), not once per order.
fn push_filter(b: &mut QueryBuilder<'_, Postgres>, reseller_id: Uuid, f: &OrderFilter) {
    let number = crate::orders::rules::order_number_query(&f.q);
    // "ORD-001042" names an order and nothing else: no text search for it.
    let text = if number.is_some() && f.q.trim().to_uppercase().starts_with("ORD-") {
        ""
    } else {
        f.q.trim()
    };
    let zone = if f.zone.is_empty() { "UTC" } else { &f.zone };
    b.push(" WHERE o.reseller_id = ").push_bind(reseller_id);
    if let Some(status) = f.status {
        b.push(" AND o.status = ").push_bind(status.code());
    }
    if let Some(customer) = f.customer {
        b.push(" AND o.customer_id = ").push_bind(customer);
    }
    if !text.is_empty() || number.is_some() {
        b.push(" AND (");
        match number {
            Some(n) => b.push("o.number = ").push_bind(n),
            None => b.push("false"),
        };
        if !text.is_empty() {
            b.push(" OR o.customer_id IN (SELECT c2.id FROM customers c2 WHERE c2.reseller_id = ")
                .push_bind(reseller_id)
                .push(" AND c2.search_text LIKE '%' || portal_fold(")
                .push_bind(crate::text::like_escape(text))
                .push(") || '%')");
            b.push(" OR o.id IN (SELECT l.order_id FROM order_lines l WHERE l.reseller_id = ")
                .push_bind(reseller_id)
                .push(" AND l.search_text LIKE '%' || portal_fold(")
                .push_bind(crate::text::like_escape(text))
                .push(") || '%')");
        }
        b.push(")");
    }
    if let Some(vendor) = f.vendor {
        b.push(" AND ")
            .push_bind(vendor.code())
            .push(" = ANY (o.vendors)");
    }
    if let Some(from) = f.from {
        b.push(" AND o.created_at >= ")
            .push_bind(from)
            .push("::date::timestamp AT TIME ZONE ")
            .push_bind(zone.to_string());
    }
    if let Some(to) = f.to {
        b.push(" AND o.created_at < (")
            .push_bind(to)
            .push("::date + 1)::timestamp AT TIME ZONE ")
            .push_bind(zone.to_string());
    }
}

/// A page of the orders `f` finds, and how many it finds in all.
pub async fn orders(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    f: &OrderFilter,
    page: Page,
) -> sqlx::Result<(Vec<OrderRow>, i64)> {
    let mut count = QueryBuilder::new("SELECT count(*) FROM orders o");
    push_filter(&mut count, reseller_id, f);
    let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;
    let mut b = QueryBuilder::new(ORDER_COLUMNS);
    b.push(ORDER_FROM);
    push_filter(&mut b, reseller_id, f);
    b.push(" ORDER BY ")
        .push(f.sort.sql())
        .push(" LIMIT ")
        .push_bind(page.size)
        .push(" OFFSET ")
        .push_bind(page.offset());
    let rows = b.build_query_as::<ListedOrder>().fetch_all(tx).await?;
    Ok((rows.into_iter().map(ListedOrder::into_row).collect(), total))
}

/// An order as the list query reads it (the built query is not checked at compile time, so its
/// row type is declared here and decoded strictly: an unknown status is an error).
#[derive(sqlx::FromRow)]
struct ListedOrder {
    id: Uuid,
    number: i64,
    customer_id: Uuid,
    customer: String,
    status: OrderStatus,
    currency: String,
    total_cost: Decimal,
    total_price: Decimal,
    reason: Option<String>,
    created_at: OffsetDateTime,
    placed_by: String,
}

impl ListedOrder {
    fn into_row(self) -> OrderRow {
        OrderRow {
            id: self.id,
            number: self.number,
            customer_id: self.customer_id,
            customer: self.customer,
            status: self.status,
            currency: self.currency,
            total_cost: self.total_cost,
            total_price: self.total_price,
            reason: self.reason,
            created_at: self.created_at,
            placed_by: self.placed_by,
        }
    }
}

/// An order as the CSV export lists it: the list's columns, its vendors and its products.
#[derive(Debug)]
pub struct ExportRow {
    pub order: OrderRow,
    pub vendors: Vec<VendorCode>,
    pub products: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ExportedOrder {
    #[sqlx(flatten)]
    order: ListedOrder,
    vendors: Vec<VendorCode>,
    products: Option<String>,
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
    let mut b = QueryBuilder::new(ORDER_COLUMNS);
    b.push(
        ", o.vendors,
         (SELECT string_agg(l.quantity || ' × ' || l.product_name, '; ' ORDER BY l.sku, l.id)
          FROM order_lines l WHERE l.reseller_id = o.reseller_id AND l.order_id = o.id) AS products",
    );
    b.push(ORDER_FROM);
    push_filter(&mut b, reseller_id, f);
    b.push(" ORDER BY ").push(f.sort.sql());
    let mut rows = b.build_query_as::<ExportedOrder>().fetch(tx);
    while let Some(r) = rows.try_next().await? {
        let row = ExportRow {
            order: r.order.into_row(),
            vendors: r.vendors,
            products: r.products,
        };
        if !each(row).await {
            break;
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct OrderLine {
    pub id: Uuid,
    pub product_id: Uuid,
    pub sku: String,
    pub product_name: String,
    pub vendor: VendorCode,
    pub term: Term,
    pub billing: Billing,
    pub quantity: i32,
    pub unit_cost: Decimal,
    pub unit_price: Decimal,
    pub tenant_domain: String,
    pub tenant_ref: String,
    pub transfer_token: Option<String>,
    pub status: LineStatus,
    pub error: Option<VendorErrorCode>,
}

pub async fn order_lines(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> sqlx::Result<Vec<OrderLine>> {
    sqlx::query_as!(
        OrderLine,
        r#"SELECT id, product_id, sku, product_name, vendor AS "vendor: VendorCode",
                  term AS "term: Term", billing AS "billing: Billing", quantity, unit_cost,
                  unit_price, tenant_domain, tenant_ref, transfer_token,
                  status AS "status: LineStatus", error AS "error: VendorErrorCode"
           FROM order_lines WHERE reseller_id = $1 AND order_id = $2 ORDER BY sku, id"#,
        reseller_id,
        order_id,
    )
    .fetch_all(tx)
    .await
}

// ---------------------------------------------------------------- the timeline

#[derive(Debug)]
pub struct Event {
    pub status: OrderStatus,
    pub detail: Option<String>,
    pub actor: Option<String>,
    pub at: OffsetDateTime,
}

pub async fn events(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> sqlx::Result<Vec<Event>> {
    sqlx::query_as!(
        Event,
        r#"SELECT e.status AS "status: OrderStatus", e.detail, COALESCE(u.name, e.actor_label) AS actor, e.at
           FROM order_events e LEFT JOIN users u ON u.id = e.actor_id
           WHERE e.reseller_id = $1 AND e.order_id = $2 ORDER BY e.at, e.id"#,
        reseller_id,
        order_id,
    )
    .fetch_all(tx)
    .await
}

/// Who moved an order on: a user, or the portal itself (the provisioning job).
#[derive(Clone, Copy, Debug)]
pub enum Actor {
    User(Uuid),
    System,
}

pub async fn add_event(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
    status: OrderStatus,
    detail: Option<&str>,
    actor: Actor,
) -> sqlx::Result<()> {
    let (actor_id, actor_label) = match actor {
        Actor::User(id) => (Some(id), None),
        Actor::System => (None, Some("worker")),
    };
    sqlx::query!(
        "INSERT INTO order_events (reseller_id, order_id, status, detail, actor_id, actor_label)
         VALUES ($1, $2, $3, $4, $5, $6)",
        reseller_id,
        order_id,
        status.code(),
        detail,
        actor_id,
        actor_label,
    )
    .execute(tx)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- staff decisions

/// The order's status, locked until the transaction ends (decisions take turns).
pub async fn lock_status(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> sqlx::Result<OrderStatus> {
    sqlx::query_scalar!(
        r#"SELECT status AS "status: OrderStatus" FROM orders
           WHERE reseller_id = $1 AND id = $2 FOR UPDATE"#,
        reseller_id,
        order_id,
    )
    .fetch_one(tx)
    .await
}

/// Sends the failed lines of an order (or only `line`) back to the vendor; the names of the
/// products retried (none when nothing was failed).
pub async fn retry_lines(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
    line: Option<Uuid>,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "UPDATE order_lines SET status = 'pending', error = NULL
         WHERE reseller_id = $1 AND order_id = $2 AND status = 'failed'
           AND ($3::uuid IS NULL OR id = $3)
         RETURNING product_name",
        reseller_id,
        order_id,
        line,
    )
    .fetch_all(tx)
    .await
}

/// Sets the order's status (and reason: the vendor's error code or staff's words).
pub async fn set_status(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
    status: OrderStatus,
    reason: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE orders SET status = $3, reason = $4, updated_at = now()
         WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        order_id,
        status.code(),
        reason,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// How many times the order went to the vendor (each retry queues a job of its own).
pub async fn attempts(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> sqlx::Result<i64> {
    let n = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM order_events
           WHERE reseller_id = $1 AND order_id = $2 AND status = 'provisioning'"#,
        reseller_id,
        order_id,
    )
    .fetch_one(tx)
    .await?;
    Ok(n)
}

/// An order as the staff queue lists it, across every reseller.
#[derive(Debug)]
pub struct StaffRow {
    pub id: Uuid,
    pub reseller_id: Uuid,
    pub number: i64,
    pub reseller: String,
    pub customer: String,
    pub status: OrderStatus,
    pub reason: Option<String>,
    pub vendors: String,
    pub created_at: OffsetDateTime,
}

/// The staff queue: failed orders first, then the newest (at most 200). Staff see every
/// reseller: this runs outside tenant transactions, on purpose.
pub async fn staff_orders(
    db: impl sqlx::PgExecutor<'_>,
    status: Option<OrderStatus>,
    reseller: &str,
    vendor: Option<VendorCode>,
) -> sqlx::Result<Vec<StaffRow>> {
    sqlx::query_as!(
        StaffRow,
        r#"SELECT o.id, o.reseller_id, o.number, r.legal_name AS reseller, c.legal_name AS customer,
                  o.status AS "status: OrderStatus", o.reason,
                  array_to_string(o.vendors, ', ') AS "vendors!", o.created_at
           FROM orders o
           JOIN resellers r ON r.id = o.reseller_id
           JOIN customers c ON c.reseller_id = o.reseller_id AND c.id = o.customer_id
           WHERE ($1::text IS NULL OR o.status = $1)
             AND ($2 = '' OR portal_fold(r.legal_name) LIKE '%' || portal_fold($3) || '%'
                  OR r.public_id = upper($2))
             AND ($4::text IS NULL OR $4 = ANY (o.vendors))
           ORDER BY (o.status = 'failed') DESC, o.created_at DESC LIMIT 200"#,
        status.map(OrderStatus::code),
        reseller,
        crate::text::like_escape(reseller),
        vendor.map(VendorCode::code),
    )
    .fetch_all(db)
    .await
}

// ---------------------------------------------------------------- provisioning

/// Moves a submitted order to provisioning (the job's first step); false when it was not
/// submitted.
pub async fn start_provisioning(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE orders SET status = 'provisioning', updated_at = now()
         WHERE reseller_id = $1 AND id = $2 AND status = 'submitted'",
        reseller_id,
        order_id,
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn complete_line(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    line_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE order_lines SET status = 'completed', error = NULL WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        line_id,
    )
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn fail_line(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    line_id: Uuid,
    code: VendorErrorCode,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE order_lines SET status = 'failed', error = $3 WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        line_id,
        code.code(),
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// The vendor's reason of the order's first failed line, if a line failed.
pub async fn first_failure(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> sqlx::Result<Option<VendorErrorCode>> {
    let row = sqlx::query_scalar!(
        r#"SELECT error AS "error: VendorErrorCode" FROM order_lines
           WHERE reseller_id = $1 AND order_id = $2 AND status = 'failed' LIMIT 1"#,
        reseller_id,
        order_id,
    )
    .fetch_optional(tx)
    .await?;
    Ok(row.flatten())
}

/// Closes an order still in progress with `status`; false when it was closed already (a job
/// run twice closes it once).
pub async fn finish(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
    status: OrderStatus,
    reason: Option<&str>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE orders SET status = $3, reason = $4, updated_at = now()
         WHERE reseller_id = $1 AND id = $2 AND status IN ('submitted', 'provisioning')",
        reseller_id,
        order_id,
        status.code(),
        reason,
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Who the finished order's e-mail goes to.
pub struct Recipient {
    pub email: String,
    pub name: String,
    pub locale: Option<Locale>,
    pub number: i64,
    pub customer: String,
}

/// The user who placed the order (while their account is active).
pub async fn recipient(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> sqlx::Result<Option<Recipient>> {
    sqlx::query_as!(
        Recipient,
        r#"SELECT u.email::text AS "email!", u.name, u.locale AS "locale: Locale", o.number,
                  c.legal_name AS customer
           FROM orders o JOIN users u ON u.id = o.placed_by
           JOIN customers c ON c.reseller_id = o.reseller_id AND c.id = o.customer_id
           WHERE o.reseller_id = $1 AND o.id = $2 AND u.status = 'active'"#,
        reseller_id,
        order_id,
    )
    .fetch_optional(tx)
    .await
}
