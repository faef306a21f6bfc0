//! SQL for carts and their lines, and for placing the order of a cart.

use rust_decimal::Decimal;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::timeline::{Actor, add_event};
use crate::catalog::rules::{Billing, ProductStatus, Term};
use crate::i18n::Locale;
use crate::orders::placing::Placing;
use crate::orders::rules::{CartStatus, OrderStatus};
use crate::vendors::VendorCode;

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
        locale.pick(&self.name_es, &self.name_en, &self.name_pt)
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
    /// The reseller's purchase-order reference and the customer's acceptance of the Microsoft
    /// Customer Agreement when the order records one.
    pub placing: &'a Placing,
}

/// A line of an order: the cart line with its prices snapshotted.
pub struct NewOrderLine<'a> {
    pub line: &'a CartLine,
    pub unit_cost: Decimal,
    pub unit_price: Decimal,
}

/// The customer's acceptance of the Microsoft Customer Agreement, when it is on record.
#[derive(Clone, Debug)]
pub struct AgreementOnRecord {
    pub signer_name: String,
    pub signer_email: String,
    pub accepted_on: time::Date,
}

pub async fn microsoft_agreement(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    customer_id: Uuid,
) -> sqlx::Result<Option<AgreementOnRecord>> {
    sqlx::query_as!(
        AgreementOnRecord,
        "SELECT signer_name, signer_email, accepted_on FROM customer_agreements
         WHERE reseller_id = $1 AND customer_id = $2 AND agreement = 'microsoft_customer_agreement'",
        reseller_id,
        customer_id,
    )
    .fetch_optional(tx)
    .await
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
                             total_price, vendors, po_reference)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        reseller_id,
        o.cart_id,
        o.customer_id,
        o.placed_by,
        o.currency as _,
        o.total_cost,
        o.total_price,
        &vendors,
        o.placing.po_reference,
    )
    .fetch_one(&mut *tx)
    .await?;
    if let Some(a) = &o.placing.acceptance {
        sqlx::query!(
            "INSERT INTO customer_agreements (reseller_id, customer_id, agreement, signer_name,
                                              signer_email, accepted_on, recorded_by, order_id)
             VALUES ($1, $2, 'microsoft_customer_agreement', $3, $4, $5, $6, $7)
             ON CONFLICT DO NOTHING",
            reseller_id,
            o.customer_id,
            a.name,
            a.email,
            a.accepted_on,
            o.placed_by,
            order_id,
        )
        .execute(&mut *tx)
        .await?;
    }
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
    crate::jobs::enqueue_once(
        &mut *tx,
        crate::jobs::JobKind::ProvisionOrder.code(),
        &job,
        key,
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- orders
