//! SQL for customers and their vendor tenants. Every function runs in a tenant transaction and
//! takes the reseller explicitly as well.

use rust_decimal::Decimal;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::customers::rules::{CustomerInput, CustomerSort, CustomerStatus, TenantOrigin};
use crate::db::{OnConstraint, SaveError};
use crate::vendors::VendorCode;
use crate::web::paging::Keyset;

/// Rows on a page of the customers list.
pub const PAGE_SIZE: i64 = crate::web::paging::TABLE_ROWS;

#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub q: String,
    pub country: String,
    pub status: Option<CustomerStatus>,
    pub sort: CustomerSort,
    /// The page after or before a row.
    pub at: Keyset,
}

#[derive(Debug, sqlx::FromRow)]
pub struct Listed {
    pub id: Uuid,
    pub legal_name: String,
    pub tax_id: String,
    pub country: String,
    pub city: String,
    pub contact_email: String,
    pub status: CustomerStatus,
    pub created_at: OffsetDateTime,
    pub sort_name: String,
}

fn push_filters(b: &mut QueryBuilder<'_, Postgres>, reseller_id: Uuid, q: &ListQuery) {
    b.push(" FROM customers c WHERE c.reseller_id = ")
        .push_bind(reseller_id);
    let text = q.q.trim();
    if !text.is_empty() {
        // Name, tax id, e-mails and tenant domains, through the indexed search function
        // (migrations/0008_customer_search.sql explains why it is a function).
        b.push(" AND c.id IN (SELECT id FROM portal_customer_matches(")
            .push_bind(text.to_string())
            .push("))");
    }
    if !q.country.is_empty() {
        b.push(" AND c.country = ").push_bind(q.country.clone());
    }
    if let Some(status) = q.status {
        b.push(" AND c.status = ").push_bind(status.code());
    }
}

/// How many customers the list finds (estimated beyond 10,000).
pub async fn count(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    q: &ListQuery,
) -> sqlx::Result<crate::db::Total> {
    crate::db::total(tx, |b| push_filters(b, reseller_id, q)).await
}

/// One page, by keyset (late pages cost what early ones do). Returns the rows in display order
/// and whether there are more rows beyond them in the direction of travel.
pub async fn page(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    q: &ListQuery,
) -> sqlx::Result<(Vec<Listed>, bool)> {
    let newest = q.sort == CustomerSort::Newest;
    let backwards = q.at.backwards();
    let mut b = QueryBuilder::new(
        "SELECT c.id, c.legal_name, c.tax_id, c.country::text AS country, c.city,
                c.contact_email::text AS contact_email, c.status, c.created_at, c.sort_name",
    );
    push_filters(&mut b, reseller_id, q);
    if let Some(cursor) = q.at.cursor() {
        // Rows after (or before) the cursor in the chosen order.
        let later = if newest == backwards { " > (" } else { " < (" };
        if newest {
            let at =
                OffsetDateTime::parse(&cursor.key, &time::format_description::well_known::Rfc3339)
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH);
            b.push(" AND (c.created_at, c.id)")
                .push(later)
                .push_bind(at);
        } else {
            b.push(" AND (c.sort_name, c.id)")
                .push(later)
                .push_bind(cursor.key.clone());
        }
        b.push(", ").push_bind(cursor.id).push(")");
    }
    b.push(match (newest, backwards) {
        (false, false) => " ORDER BY c.sort_name ASC, c.id ASC",
        (false, true) => " ORDER BY c.sort_name DESC, c.id DESC",
        (true, false) => " ORDER BY c.created_at DESC, c.id DESC",
        (true, true) => " ORDER BY c.created_at ASC, c.id ASC",
    });
    b.push(" LIMIT ").push_bind(PAGE_SIZE + 1);
    let mut rows: Vec<Listed> = b.build_query_as().fetch_all(tx).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    if backwards {
        rows.reverse();
    }
    Ok((rows, more))
}

/// Every row of the filtered list, in name order, handed to `each` one at a time as the
/// database returns them (the CSV export); stops early when `each` answers false.
pub async fn all<F, Fut>(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    q: &ListQuery,
    each: F,
) -> sqlx::Result<()>
where
    F: FnMut(Customer) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut b = QueryBuilder::new(
        "SELECT c.id, c.legal_name, c.tax_id, c.country::text AS country, c.industry, c.contact_name,
                c.contact_email::text AS contact_email, c.contact_phone,
                c.billing_email::text AS billing_email, c.address_line1, c.address_line2, c.city,
                c.region_code, c.region_name, c.postal_code, c.status, c.created_at,
                c.state_registration",
    );
    push_filters(&mut b, reseller_id, q);
    b.push(" ORDER BY c.sort_name, c.id");
    let rows = b.build_query_as().fetch(tx);
    crate::db::each_row(rows, each).await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Customer {
    pub id: Uuid,
    pub legal_name: String,
    pub tax_id: String,
    pub country: String,
    pub industry: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub billing_email: String,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub city: String,
    pub region_code: Option<String>,
    pub region_name: String,
    pub postal_code: String,
    pub status: CustomerStatus,
    pub created_at: OffsetDateTime,
    pub state_registration: Option<String>,
}

pub async fn get(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Customer>> {
    sqlx::query_as!(
        Customer,
        r#"SELECT c.id, c.legal_name, c.tax_id, c.country::text AS "country!", c.industry,
                  c.contact_name, c.contact_email::text AS "contact_email!", c.contact_phone,
                  c.billing_email::text AS "billing_email!", c.address_line1, c.address_line2,
                  c.city, c.region_code, c.region_name, c.postal_code,
                  c.status AS "status: CustomerStatus", c.created_at, c.state_registration
           FROM customers c WHERE c.reseller_id = $1 AND c.id = $2"#,
        reseller_id,
        id,
    )
    .fetch_optional(tx)
    .await
}

/// A customer to choose (to order for).
#[derive(Debug)]
pub struct CustomerChoice {
    pub id: Uuid,
    pub legal_name: String,
}

/// Active customers whose name (without accents) contains `q`, or whose tax id is `q`; the
/// first 50 by name.
pub async fn active_choices(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    q: &str,
) -> sqlx::Result<Vec<CustomerChoice>> {
    sqlx::query_as!(
        CustomerChoice,
        r#"SELECT id, legal_name FROM customers WHERE reseller_id = $1 AND status = 'active'
             AND ($2 = '' OR portal_fold(legal_name) LIKE '%' || portal_fold($3) || '%' OR tax_id = upper($2))
           ORDER BY sort_name, id LIMIT 50"#,
        reseller_id,
        q,
        crate::text::like_escape(q),
    )
    .fetch_all(tx)
    .await
}

/// The legal name of a customer (none for another reseller's id).
pub async fn name(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "SELECT legal_name FROM customers WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        id,
    )
    .fetch_optional(tx)
    .await
}

/// The reseller's own country, where most of its customers are.
pub async fn home_country(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<String> {
    sqlx::query_scalar!(
        r#"SELECT country::text AS "country!" FROM resellers WHERE id = $1"#,
        reseller_id
    )
    .fetch_one(tx)
    .await
}

/// Creates the customer; the same `creation_key` again answers the customer created the first
/// time (a double submission creates one customer). `(id, created now)`.
pub async fn create(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    creation_key: Uuid,
    c: &CustomerInput,
    created_by: Uuid,
) -> Result<(Uuid, bool), SaveError> {
    let inserted = sqlx::query_scalar!(
        "INSERT INTO customers (reseller_id, legal_name, tax_id, country, industry, contact_name,
                                contact_email, contact_phone, billing_email, address_line1,
                                address_line2, city, region_code, region_name, postal_code,
                                creation_key, created_by, state_registration)
         VALUES ($1, $2, $3, $4, $5, $6, $7::text, $8, $9::text, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18)
         ON CONFLICT (reseller_id, creation_key) DO NOTHING
         RETURNING id",
        reseller_id,
        c.legal_name,
        c.tax_id,
        c.country as _,
        c.industry,
        c.contact_name,
        c.contact_email,
        c.contact_phone,
        c.billing_email,
        c.address_line1,
        c.address_line2,
        c.city,
        c.region_code,
        c.region_name,
        c.postal_code,
        creation_key,
        created_by,
        c.state_registration,
    )
    .fetch_optional(&mut *tx)
    .await
    .on_constraint("customers_tax_id_key", "tax_id", "customers.tax_id_taken")?;
    if let Some(id) = inserted {
        return Ok((id, true));
    }
    let id = sqlx::query_scalar!(
        "SELECT id FROM customers WHERE reseller_id = $1 AND creation_key = $2",
        reseller_id,
        creation_key,
    )
    .fetch_one(tx)
    .await?;
    Ok((id, false))
}

/// Saves a customer's data; false when it is not this reseller's.
pub async fn update(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
    c: &CustomerInput,
) -> Result<bool, SaveError> {
    let done = sqlx::query!(
        "UPDATE customers SET legal_name = $3, tax_id = $4, country = $5, industry = $6,
                contact_name = $7, contact_email = $8::text, contact_phone = $9, billing_email = $10::text,
                address_line1 = $11, address_line2 = $12, city = $13, region_code = $14,
                region_name = $15, postal_code = $16, state_registration = $17, updated_at = now()
         WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        id,
        c.legal_name,
        c.tax_id,
        c.country as _,
        c.industry,
        c.contact_name,
        c.contact_email,
        c.contact_phone,
        c.billing_email,
        c.address_line1,
        c.address_line2,
        c.city,
        c.region_code,
        c.region_name,
        c.postal_code,
        c.state_registration,
    )
    .execute(tx)
    .await
    .on_constraint("customers_tax_id_key", "tax_id", "customers.tax_id_taken")?;
    Ok(done.rows_affected() == 1)
}

/// Activates or deactivates a customer; false when it is not this reseller's.
pub async fn set_status(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
    status: CustomerStatus,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE customers SET status = $3, updated_at = now() WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        id,
        status.code(),
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

// ---------------------------------------------------------------- vendor tenants

#[derive(Debug)]
pub struct Tenant {
    pub id: Uuid,
    pub vendor: VendorCode,
    pub origin: TenantOrigin,
    pub domain: String,
    pub tenant_ref: Option<String>,
    pub created_at: OffsetDateTime,
    /// Whether an order provisioned subscriptions on it (a reserved domain is then created).
    pub in_use: bool,
}

pub async fn tenants(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    customer_id: Uuid,
) -> sqlx::Result<Vec<Tenant>> {
    sqlx::query_as!(
        Tenant,
        r#"SELECT id, vendor AS "vendor: VendorCode", origin AS "origin: TenantOrigin", domain,
                  tenant_ref, created_at,
                  EXISTS (SELECT 1 FROM subscriptions s
                          JOIN order_lines l ON l.reseller_id = s.reseller_id AND l.id = s.order_line_id
                          WHERE s.reseller_id = t.reseller_id AND s.customer_id = t.customer_id
                            AND l.tenant_ref = t.tenant_ref) AS "in_use!"
           FROM customer_tenants t
           WHERE reseller_id = $1 AND customer_id = $2 ORDER BY vendor, created_at"#,
        reseller_id,
        customer_id,
    )
    .fetch_all(tx)
    .await
}

/// A tenant to choose for an order line.
#[derive(Clone, Debug)]
pub struct TenantChoice {
    pub id: Uuid,
    pub vendor: VendorCode,
    pub domain: String,
}

pub async fn tenant_choices(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    customer_id: Uuid,
) -> sqlx::Result<Vec<TenantChoice>> {
    sqlx::query_as!(
        TenantChoice,
        r#"SELECT id, vendor AS "vendor: VendorCode", domain FROM customer_tenants
           WHERE reseller_id = $1 AND customer_id = $2 ORDER BY domain"#,
        reseller_id,
        customer_id,
    )
    .fetch_all(tx)
    .await
}

/// `tenant_id`, when it is a tenant of this customer (a forged id of another one is `None`).
pub async fn tenant_of(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    customer_id: Uuid,
    tenant_id: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM customer_tenants WHERE reseller_id = $1 AND customer_id = $2 AND id = $3",
        reseller_id,
        customer_id,
        tenant_id,
    )
    .fetch_optional(tx)
    .await
}

/// The domain of this customer's tenant `tenant_id` at `vendor` (`None` for any other tenant).
pub async fn tenant_domain(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    customer_id: Uuid,
    vendor: VendorCode,
    tenant_id: Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "SELECT domain FROM customer_tenants
         WHERE reseller_id = $1 AND customer_id = $2 AND vendor = $3 AND id = $4",
        reseller_id,
        customer_id,
        vendor.code(),
        tenant_id,
    )
    .fetch_optional(tx)
    .await
}

/// Records a tenant a customer linked or reserved from its page; false when this reseller
/// already has it.
pub async fn add_tenant(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    customer_id: Uuid,
    vendor: VendorCode,
    origin: TenantOrigin,
    domain: &str,
    tenant_ref: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "INSERT INTO customer_tenants (reseller_id, customer_id, vendor, origin, domain, tenant_ref)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (reseller_id, vendor, domain) DO NOTHING",
        reseller_id,
        customer_id,
        vendor.code(),
        origin.code(),
        domain,
        tenant_ref,
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A tenant the vendor granted inside an order (created, reserved or transferred).
pub struct NewTenant {
    pub vendor: VendorCode,
    pub domain: String,
    pub tenant_ref: String,
    pub origin: TenantOrigin,
    /// The company, contact and address the vendor was given.
    pub profile: Option<serde_json::Value>,
    pub transfer_token: Option<String>,
}

/// Records (or updates) the tenant a vendor granted; `None` when this reseller has the domain
/// for another customer.
pub async fn record_vendor_tenant(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    customer_id: Uuid,
    t: &NewTenant,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "INSERT INTO customer_tenants (reseller_id, customer_id, vendor, origin, domain, tenant_ref, vendor_profile)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (reseller_id, vendor, domain) DO UPDATE
             SET origin = EXCLUDED.origin, tenant_ref = EXCLUDED.tenant_ref,
                 vendor_profile = COALESCE(EXCLUDED.vendor_profile, customer_tenants.vendor_profile)
             WHERE customer_tenants.customer_id = EXCLUDED.customer_id
         RETURNING id",
        reseller_id,
        customer_id,
        t.vendor.code(),
        t.origin.code(),
        t.domain,
        t.tenant_ref,
        t.profile,
    )
    .fetch_optional(tx)
    .await
}

/// The customer's pricing steps (its own markups from each day), oldest first.
pub async fn markups(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    customer_id: Uuid,
) -> sqlx::Result<Vec<crate::customers::markup::Step>> {
    sqlx::query_as!(
        crate::customers::markup::Step,
        "SELECT valid_from, markup_percent FROM customer_markups
         WHERE reseller_id = $1 AND customer_id = $2 ORDER BY valid_from",
        reseller_id,
        customer_id,
    )
    .fetch_all(tx)
    .await
}

/// Records a pricing step (a second one for the same day replaces the first).
pub async fn set_markup(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    customer_id: Uuid,
    step: &crate::customers::markup::Step,
    by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO customer_markups (reseller_id, customer_id, valid_from, markup_percent,
                                       created_by)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (reseller_id, customer_id, valid_from)
         DO UPDATE SET markup_percent = EXCLUDED.markup_percent, created_by = EXCLUDED.created_by,
                       created_at = now()",
        reseller_id,
        customer_id,
        step.valid_from,
        step.markup_percent,
        by,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// The reseller's customers priced on `day` by a markup of their own, with it (the newest step
/// whose day has come, when it has a markup): for lists across customers.
pub async fn customer_markups_on(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    day: time::Date,
) -> sqlx::Result<std::collections::HashMap<Uuid, Decimal>> {
    let rows = sqlx::query!(
        "SELECT DISTINCT ON (customer_id) customer_id, markup_percent FROM customer_markups
         WHERE reseller_id = $1 AND valid_from <= $2
         ORDER BY customer_id, valid_from DESC",
        reseller_id,
        day,
    )
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.markup_percent.map(|m| (r.customer_id, m)))
        .collect())
}

/// The markups that price `customer`'s products on `day`, by the one rule of
/// `catalog::markups` (the customer's page shows the same): its own newest step whose day has
/// come, else each product's, else `default`.
pub async fn markups_on(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    customer_id: Uuid,
    day: time::Date,
    default: Decimal,
) -> sqlx::Result<crate::catalog::markups::Markups> {
    let steps = markups(tx, reseller_id, customer_id).await?;
    let (own, step) = crate::customers::markup::effective(default, &steps, day);
    let products = crate::catalog::store::product_markups_on(tx, reseller_id, day).await?;
    Ok(crate::catalog::markups::Markups {
        default,
        customer: step.map(|_| own),
        products,
    })
}

/// How many of today's active products in `currency` would cost more than their suggested
/// retail price at `markup`, and the highest markup (two decimals) that keeps every one at or
/// below it.
pub async fn above_retail(
    tx: &mut PgConnection,
    currency: &str,
    markup: Decimal,
    day: time::Date,
) -> sqlx::Result<(i64, Option<Decimal>)> {
    let r = sqlx::query!(
        r#"SELECT count(DISTINCT x.product_id)
                      FILTER (WHERE x.cost * (1 + $2::numeric / 100) > x.retail) AS "above!",
                  trunc(min((x.retail / x.cost - 1) * 100), 2) AS within
           FROM prices x
           JOIN products p ON p.id = x.product_id AND p.status = 'active'
           WHERE x.currency = $1 AND x.valid_from <= $3
             AND (x.valid_to IS NULL OR x.valid_to > $3) AND x.retail > 0 AND x.cost > 0"#,
        currency,
        markup,
        day,
    )
    .fetch_one(tx)
    .await?;
    Ok((r.above, r.within))
}
