//! SQL for the catalog: the filtered, searched and sorted product list, a product with its
//! prices and relations, and the price rows staff maintain.

use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor, Postgres, QueryBuilder};
use time::Date;
use uuid::Uuid;

pub use crate::catalog::filters::Query;
use crate::catalog::rules::{Billing, Category, Kind, ProductStatus, Term};
use crate::catalog::words;
use crate::i18n::Locale;
use crate::partners::programs::EnrollmentStatus;

/// Products on a page of the catalog: a grid of 2, 3 or 4 columns fills its rows.
pub const PAGE_SIZE: i64 = 24;

crate::text_enum! {
    /// How the catalog is sorted.
    #[derive(Default)]
    pub enum CatalogSort {
        #[default]
        Name = "name" => "catalog.sort_relevance",
        PriceAsc = "price_asc" => "catalog.sort_price_asc",
        PriceDesc = "price_desc" => "catalog.sort_price_desc",
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct ListedProduct {
    pub id: Uuid,
    pub sku: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    pub category: Category,
    pub kind: Kind,
    pub status: ProductStatus,
    pub vendor: String,
    /// The vendor's code in the catalog (staff may add vendors).
    pub vendor_code: String,
    pub program: String,
    pub program_code: String,
    pub enrollment: Option<EnrollmentStatus>,
    /// The lowest price per month in force today (per seat, or per unit of consumption).
    pub monthly_cost: Option<Decimal>,
    pub monthly_retail: Option<Decimal>,
    /// The term and billing of that lowest price (billed monthly, of equal prices).
    pub cheapest_term: Option<Term>,
    pub cheapest_billing: Option<Billing>,
}

impl ListedProduct {
    pub fn name(&self, locale: Locale) -> &str {
        locale.pick(&self.name_es, &self.name_en, &self.name_pt)
    }
}

/// Appends the joins and the WHERE clause of the active filters only, so that each query gets a
/// plan for what it really asks (a generic plan for "maybe this filter" would ignore indexes).
fn push_filters<'a>(b: &mut QueryBuilder<'a, Postgres>, q: &'a Query, meaning: &'a Meaning) {
    b.push(
        " FROM products p JOIN programs pr ON pr.id = p.program_id
          JOIN vendors v ON v.id = pr.vendor_id WHERE ",
    );
    b.push(if q.include_retired {
        "true"
    } else {
        "p.status = 'active'"
    });
    match meaning {
        Meaning::Sku(sku) => {
            b.push(" AND p.sku = ").push_bind(sku.as_str());
        }
        Meaning::Words(text) if !text.is_empty() => {
            b.push(" AND (p.search_text LIKE '%' || ")
                .push_bind(crate::text::like_escape(text))
                .push(" || '%' OR ")
                .push_bind(text.as_str())
                .push(" <% p.search_text)");
        }
        Meaning::Words(_) => {}
    }
    if !q.vendor.is_empty() {
        b.push(" AND v.code = ").push_bind(q.vendor.as_str());
    }
    if !q.program.is_empty() {
        b.push(" AND pr.code = ").push_bind(q.program.as_str());
    }
    if let Some(category) = q.category {
        b.push(" AND p.category = ").push_bind(category.code());
    }
    if let Some(kind) = q.kind {
        b.push(" AND p.kind = ").push_bind(kind.code());
    }
    if q.term.is_some() || q.billing.is_some() {
        b.push(" AND EXISTS (SELECT 1 FROM product_offers x WHERE x.product_id = p.id");
        push_offer(b, q);
        b.push(")");
    }
}

/// The term and billing filters on the offers or prices aliased `x`.
fn push_offer(b: &mut QueryBuilder<'_, Postgres>, q: &Query) {
    if let Some(term) = q.term {
        b.push(" AND x.term = ").push_bind(term.code());
    }
    if let Some(billing) = q.billing {
        b.push(" AND x.billing = ").push_bind(billing.code());
    }
}

/// A price's amount per month (prices are per billing period).
const PER_MONTH: &str = "/ CASE x.billing WHEN 'monthly' THEN 1 WHEN 'annual' THEN 12 ELSE 36 END";

/// What a search asks for: the one product whose SKU it is, or words (folded, abbreviations
/// spelled out, typos corrected to the catalog's own words; empty for everything).
pub enum Meaning {
    Sku(String),
    Words(String),
}

/// What `typed` means in this catalog (see [`words`]): an exact SKU (in any case) alone, else
/// its words, each one letter off a catalog word read as that word.
pub async fn meaning(db: &mut PgConnection, typed: &str) -> sqlx::Result<Meaning> {
    let typed = typed.trim();
    if words::may_be_sku(typed) {
        let sku = sqlx::query_scalar!(
            "SELECT sku FROM products WHERE lower(sku) = lower($1)",
            typed
        )
        .fetch_optional(&mut *db)
        .await?;
        if let Some(sku) = sku {
            return Ok(Meaning::Sku(sku));
        }
    }
    let spelled = words::spelled_out(typed);
    let doubtful: Vec<String> = spelled
        .iter()
        .filter(|w| words::correctable(w))
        .cloned()
        .collect();
    let mut known = std::collections::HashMap::new();
    if !doubtful.is_empty() {
        let rows = sqlx::query!(
            r#"SELECT t.typed AS "typed!",
                      array_agg(w.word ORDER BY similarity(w.word, t.typed) DESC, w.word) AS "known!"
               FROM unnest($1::text[]) t(typed) JOIN catalog_words w ON w.word % t.typed
               GROUP BY t.typed"#,
            &doubtful
        )
        .fetch_all(&mut *db)
        .await?;
        known.extend(rows.into_iter().map(|r| (r.typed, r.known)));
    }
    let corrected: Vec<String> = spelled
        .iter()
        .map(|w| words::corrected(w, known.get(w).map(Vec::as_slice).unwrap_or_default()))
        .collect();
    Ok(Meaning::Words(corrected.join(" ")))
}

/// Searches the catalog: accent- and case-insensitive, tolerant of small typos (trigram word
/// similarity on the folded text), filtered and sorted, one page at a time. Returns the page
/// and the number of products found.
pub async fn search(
    db: &mut PgConnection,
    query: &Query,
    reseller_id: Option<Uuid>,
    currency: &str,
    today: Date,
) -> sqlx::Result<(Vec<ListedProduct>, i64)> {
    let meaning = meaning(&mut *db, &query.q).await?;
    let mut count = QueryBuilder::new("SELECT count(*)");
    push_filters(&mut count, query, &meaning);
    let total: i64 = count.build_query_scalar().fetch_one(&mut *db).await?;
    if total == 0 {
        return Ok((Vec::new(), 0));
    }

    let by_price = query.sort != CatalogSort::Name;
    let mut b = QueryBuilder::new(
        "SELECT p.id, p.sku, p.name_es, p.name_en, p.name_pt, p.category, p.kind, p.status,
                v.name AS vendor, v.code AS vendor_code, pr.name AS program, pr.code AS program_code,
                (SELECT e.status FROM program_enrollments e
                 WHERE e.program_id = pr.id AND e.reseller_id = ",
    );
    b.push_bind(reseller_id).push(
        ") AS enrollment, fp.monthly_cost, fp.monthly_retail,
               fp.term AS cheapest_term, fp.billing AS cheapest_billing FROM (SELECT p.*",
    );
    push_filters(&mut b, query, &meaning);
    b.push(") p JOIN programs pr ON pr.id = p.program_id JOIN vendors v ON v.id = pr.vendor_id ");
    // The lowest price per month in force today. Sorting by it needs it for every product: one
    // aggregate is then cheaper than a look-up per product; otherwise only the page's rows
    // need it.
    if by_price {
        b.push("LEFT JOIN (SELECT x.product_id, min(x.cost ")
            .push(PER_MONTH)
            .push(") AS monthly_cost, min(x.retail ")
            .push(PER_MONTH)
            .push(") AS monthly_retail, (array_agg(x.term ORDER BY x.cost ")
            .push(PER_MONTH)
            .push(", x.billing <> 'monthly', x.term))[1] AS term, (array_agg(x.billing ORDER BY x.cost ")
            .push(PER_MONTH)
            .push(", x.billing <> 'monthly', x.term))[1] AS billing FROM prices x WHERE x.currency = ");
    } else {
        b.push("LEFT JOIN LATERAL (SELECT x.cost ")
            .push(PER_MONTH)
            .push(" AS monthly_cost, x.retail ")
            .push(PER_MONTH)
            .push(
                " AS monthly_retail, x.term, x.billing FROM prices x
                 WHERE x.product_id = p.id AND x.currency = ",
            );
    }
    b.push_bind(currency)
        .push(" AND x.valid_from <= ")
        .push_bind(today)
        .push(" AND (x.valid_to IS NULL OR x.valid_to > ")
        .push_bind(today)
        .push(")");
    push_offer(&mut b, query);
    if by_price {
        b.push(" GROUP BY x.product_id) fp ON fp.product_id = p.id");
    } else {
        b.push(" ORDER BY x.cost ")
            .push(PER_MONTH)
            .push(", x.billing <> 'monthly', x.term LIMIT 1) fp ON true");
    }
    b.push(" ORDER BY ");
    let text = match &meaning {
        Meaning::Words(text) => text.as_str(),
        Meaning::Sku(_) => "",
    };
    match query.sort {
        CatalogSort::PriceAsc => {
            b.push("fp.monthly_cost ASC NULLS LAST, p.sort_name, p.id");
        }
        CatalogSort::PriceDesc => {
            b.push("fp.monthly_cost DESC NULLS LAST, p.sort_name, p.id");
        }
        // Exact substring matches (a SKU, a whole name) first, then the closest.
        CatalogSort::Name if !text.is_empty() => {
            b.push("(p.search_text LIKE '%' || ")
                .push_bind(crate::text::like_escape(text))
                .push(" || '%') DESC, word_similarity(")
                .push_bind(text)
                .push(", p.search_text) DESC, similarity(")
                .push_bind(text)
                .push(", p.sort_name) DESC, p.sort_name, p.id");
        }
        CatalogSort::Name => {
            b.push("p.sort_name, p.id");
        }
    }
    b.push(" LIMIT ")
        .push_bind(query.page.size)
        .push(" OFFSET ")
        .push_bind(query.page.offset());
    let rows = b.build_query_as::<ListedProduct>().fetch_all(db).await?;
    Ok((rows, total))
}

/// A vendor or program for the filter lists.
#[derive(Debug)]
pub struct Choice {
    pub code: String,
    pub name: String,
}

pub async fn vendors(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Choice>> {
    sqlx::query_as!(Choice, "SELECT code, name FROM vendors ORDER BY name")
        .fetch_all(db)
        .await
}

pub async fn programs(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Choice>> {
    sqlx::query_as!(Choice, "SELECT code, name FROM programs ORDER BY name")
        .fetch_all(db)
        .await
}

#[derive(Debug)]
pub struct Product {
    pub id: Uuid,
    pub sku: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    pub description_es: String,
    pub description_en: String,
    pub description_pt: String,
    pub category: Category,
    pub kind: Kind,
    pub min_seats: i32,
    pub max_seats: i32,
    pub status: ProductStatus,
    pub program_id: Uuid,
    pub program: String,
    pub program_code: String,
    pub vendor: String,
}

impl Product {
    pub fn name(&self, locale: Locale) -> &str {
        locale.pick(&self.name_es, &self.name_en, &self.name_pt)
    }

    pub fn description(&self, locale: Locale) -> &str {
        locale.pick(
            &self.description_es,
            &self.description_en,
            &self.description_pt,
        )
    }
}

/// A product by its SKU or its id.
pub enum ProductKey<'a> {
    Sku(&'a str),
    Id(Uuid),
}

pub async fn product(
    db: impl PgExecutor<'_>,
    key: ProductKey<'_>,
) -> sqlx::Result<Option<Product>> {
    let (sku, id) = match key {
        ProductKey::Sku(sku) => (Some(sku), None),
        ProductKey::Id(id) => (None, Some(id)),
    };
    sqlx::query_as!(
        Product,
        r#"SELECT p.id, p.sku, p.name_es, p.name_en, p.name_pt, p.description_es,
                  p.description_en, p.description_pt, p.category AS "category: Category",
                  p.kind AS "kind: Kind", p.min_seats, p.max_seats,
                  p.status AS "status: ProductStatus", pr.id AS program_id, pr.name AS program,
                  pr.code AS program_code, v.name AS vendor
           FROM products p JOIN programs pr ON pr.id = p.program_id JOIN vendors v ON v.id = pr.vendor_id
           WHERE ($1::text IS NULL OR p.sku = $1) AND ($2::uuid IS NULL OR p.id = $2)
             AND ($1::text IS NOT NULL OR $2::uuid IS NOT NULL)"#,
        sku,
        id,
    )
    .fetch_optional(db)
    .await
}

pub async fn product_by_sku(db: impl PgExecutor<'_>, sku: &str) -> sqlx::Result<Option<Product>> {
    product(db, ProductKey::Sku(sku)).await
}

pub async fn product_by_id(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Product>> {
    product(db, ProductKey::Id(id)).await
}

/// The id of the product sold as `sku`, while it is offered.
pub async fn active_product_id(db: impl PgExecutor<'_>, sku: &str) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM products WHERE sku = $1 AND status = 'active'",
        sku
    )
    .fetch_optional(db)
    .await
}

/// What one period of `term` billed by `billing` costs the reseller on `day`, in `currency`.
pub async fn cost_on(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
    term: Term,
    billing: Billing,
    currency: &str,
    day: Date,
) -> sqlx::Result<Option<Decimal>> {
    sqlx::query_scalar!(
        "SELECT cost FROM prices
         WHERE product_id = $1 AND term = $2 AND billing = $3 AND currency = $4
           AND valid_from <= $5 AND (valid_to IS NULL OR valid_to > $5)",
        product_id,
        term.code(),
        billing.code(),
        currency as _,
        day,
    )
    .fetch_optional(db)
    .await
}

/// A price row.
#[derive(Debug, Clone)]
pub struct PriceRow {
    pub id: Uuid,
    pub term: Term,
    pub billing: Billing,
    pub currency: String,
    pub cost: Decimal,
    pub retail: Decimal,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
}

/// Prices of a product in a currency that are in force on `day` or start after it.
pub async fn current_and_future_prices(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
    currency: Option<&str>,
    day: Date,
) -> sqlx::Result<Vec<PriceRow>> {
    sqlx::query_as!(
        PriceRow,
        r#"SELECT id, term AS "term: Term", billing AS "billing: Billing",
                  currency::text AS "currency!", cost, retail, valid_from, valid_to
           FROM prices
           WHERE product_id = $1 AND ($2::text IS NULL OR currency = $2)
             AND (valid_to IS NULL OR valid_to > $3)
           ORDER BY currency, CASE term WHEN 'P1M' THEN 1 WHEN 'P1Y' THEN 2 ELSE 3 END,
                    CASE billing WHEN 'monthly' THEN 1 WHEN 'annual' THEN 2 ELSE 3 END, valid_from"#,
        product_id,
        currency,
        day,
    )
    .fetch_all(db)
    .await
}

/// A term and billing combination a product is sold with.
#[derive(Debug, Clone, Copy)]
pub struct Offer {
    pub product_id: Uuid,
    pub term: Term,
    pub billing: Billing,
}

/// The offers of a product, in display order.
pub async fn offers(db: impl PgExecutor<'_>, product_id: Uuid) -> sqlx::Result<Vec<Offer>> {
    offers_of(db, &[product_id]).await
}

/// The offers of several products at once, each product's in display order.
pub async fn offers_of(db: impl PgExecutor<'_>, product_ids: &[Uuid]) -> sqlx::Result<Vec<Offer>> {
    sqlx::query_as!(
        Offer,
        r#"SELECT product_id, term AS "term: Term", billing AS "billing: Billing"
           FROM product_offers WHERE product_id = ANY($1)
           ORDER BY product_id,
                    CASE term WHEN 'P1M' THEN 1 WHEN 'P1Y' THEN 2 ELSE 3 END,
                    CASE billing WHEN 'monthly' THEN 1 WHEN 'annual' THEN 2 ELSE 3 END"#,
        product_ids,
    )
    .fetch_all(db)
    .await
}

/// An offer with its cost per billing period in force on a day (none when it has no price in
/// that currency).
#[derive(Debug, Clone, Copy)]
pub struct PricedOffer {
    pub product_id: Uuid,
    pub term: Term,
    pub billing: Billing,
    pub cost: Option<Decimal>,
}

/// The offers of several products with their costs in `currency` on `day`, each product's in
/// display order.
pub async fn priced_offers(
    db: impl PgExecutor<'_>,
    product_ids: &[Uuid],
    currency: &str,
    day: Date,
) -> sqlx::Result<Vec<PricedOffer>> {
    sqlx::query_as!(
        PricedOffer,
        r#"SELECT o.product_id, o.term AS "term: Term", o.billing AS "billing: Billing",
                  (SELECT x.cost FROM prices x
                   WHERE x.product_id = o.product_id AND x.term = o.term AND x.billing = o.billing
                     AND x.currency = $2 AND x.valid_from <= $3
                     AND (x.valid_to IS NULL OR x.valid_to > $3)
                   ORDER BY x.valid_from DESC LIMIT 1) AS cost
           FROM product_offers o WHERE o.product_id = ANY($1)
           ORDER BY o.product_id,
                    CASE o.term WHEN 'P1M' THEN 1 WHEN 'P1Y' THEN 2 ELSE 3 END,
                    CASE o.billing WHEN 'monthly' THEN 1 WHEN 'annual' THEN 2 ELSE 3 END"#,
        product_ids,
        currency,
        day,
    )
    .fetch_all(db)
    .await
}

/// A related product (upgrade target, add-on, base).
#[derive(Debug)]
pub struct Related {
    pub sku: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
}

impl Related {
    pub fn name(&self, locale: Locale) -> &str {
        locale.pick(&self.name_es, &self.name_en, &self.name_pt)
    }
}

/// How a product relates to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// The products it may move to.
    Upgrades,
    /// The add-ons that need it.
    Addons,
    /// The products it needs one of, when it is an add-on.
    Bases,
}

/// Products related to `product_id` by `relation`.
pub async fn related(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
    relation: Relation,
) -> sqlx::Result<Vec<Related>> {
    match relation {
        Relation::Upgrades => {
            sqlx::query_as!(
                Related,
                "SELECT p.sku, p.name_es, p.name_en, p.name_pt FROM product_upgrades u
                 JOIN products p ON p.id = u.to_id WHERE u.from_id = $1 ORDER BY p.sort_name",
                product_id
            )
            .fetch_all(db)
            .await
        }
        Relation::Addons => {
            sqlx::query_as!(
                Related,
                "SELECT p.sku, p.name_es, p.name_en, p.name_pt FROM product_addons a
                 JOIN products p ON p.id = a.addon_id WHERE a.base_id = $1 AND p.status = 'active'
                 ORDER BY p.sort_name",
                product_id
            )
            .fetch_all(db)
            .await
        }
        Relation::Bases => {
            sqlx::query_as!(
                Related,
                "SELECT p.sku, p.name_es, p.name_en, p.name_pt FROM product_addons a
                 JOIN products p ON p.id = a.base_id WHERE a.addon_id = $1 ORDER BY p.sort_name",
                product_id
            )
            .fetch_all(db)
            .await
        }
    }
}

/// The reseller's billing currency and markup.
pub async fn reseller_pricing(
    tx: &mut PgConnection,
    reseller_id: Uuid,
) -> sqlx::Result<(String, Decimal)> {
    let r = sqlx::query!(
        r#"SELECT billing_currency::text AS "currency!", markup_percent FROM resellers WHERE id = $1"#,
        reseller_id
    )
    .fetch_one(tx)
    .await?;
    Ok((r.currency, r.markup_percent))
}

// ---------------------------------------------------------------- product markups

/// A step of one of the reseller's product markups, with the product it prices.
pub struct ProductMarkupRow {
    pub product_id: Uuid,
    pub sku: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    pub valid_from: Date,
    pub markup_percent: Option<Decimal>,
}

impl ProductMarkupRow {
    pub fn name(&self, locale: Locale) -> &str {
        locale.pick(&self.name_es, &self.name_en, &self.name_pt)
    }
}

/// Every step of the reseller's product markups, by product name then day.
pub async fn product_markups(
    tx: &mut PgConnection,
    reseller_id: Uuid,
) -> sqlx::Result<Vec<ProductMarkupRow>> {
    sqlx::query_as!(
        ProductMarkupRow,
        "SELECT m.product_id, p.sku, p.name_es, p.name_en, p.name_pt, m.valid_from,
                m.markup_percent
         FROM product_markups m JOIN products p ON p.id = m.product_id
         WHERE m.reseller_id = $1
         ORDER BY p.name_es, p.id, m.valid_from",
        reseller_id,
    )
    .fetch_all(tx)
    .await
}

/// The products priced on `day` by a markup of their own, with it (the newest step whose day
/// has come, when it has a markup).
pub async fn product_markups_on(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    day: Date,
) -> sqlx::Result<std::collections::HashMap<Uuid, Decimal>> {
    let rows = sqlx::query!(
        "SELECT DISTINCT ON (product_id) product_id, markup_percent FROM product_markups
         WHERE reseller_id = $1 AND valid_from <= $2
         ORDER BY product_id, valid_from DESC",
        reseller_id,
        day,
    )
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.markup_percent.map(|m| (r.product_id, m)))
        .collect())
}

/// Records a step of a product's markup (a second one for the same day replaces the first).
pub async fn set_product_markup(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    product_id: Uuid,
    step: &crate::catalog::markups::Step,
    by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO product_markups (reseller_id, product_id, valid_from, markup_percent,
                                      created_by)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (reseller_id, product_id, valid_from)
         DO UPDATE SET markup_percent = EXCLUDED.markup_percent, created_by = EXCLUDED.created_by,
                       created_at = now()",
        reseller_id,
        product_id,
        step.valid_from,
        step.markup_percent,
        by,
    )
    .execute(tx)
    .await?;
    Ok(())
}
