//! SQL for the catalog: the filtered, searched and sorted product list, a product with its
//! prices and relations, and the price rows staff maintain.

use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor, Postgres, QueryBuilder};
use time::Date;
use uuid::Uuid;

use crate::i18n::Locale;

pub const PAGE_SIZE: i64 = 24;

/// What the catalog list is asked for.
#[derive(Clone, Debug, Default)]
pub struct Query {
    pub q: String,
    pub vendor: String,
    pub program: String,
    pub category: String,
    pub kind: String,
    pub term: String,
    pub billing: String,
    /// `name` (default), `price_asc`, `price_desc`.
    pub sort: String,
    pub page: i64,
    /// Staff see retired products too.
    pub include_retired: bool,
}

#[derive(Debug, sqlx::FromRow)]
pub struct ListedProduct {
    pub id: Uuid,
    pub sku: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    pub category: String,
    pub kind: String,
    pub status: String,
    pub vendor: String,
    pub vendor_code: String,
    pub program: String,
    pub program_code: String,
    pub enrollment: Option<String>,
    /// The lowest price per month in force today (per seat, or per unit of consumption).
    pub monthly_cost: Option<Decimal>,
    pub monthly_retail: Option<Decimal>,
}

impl ListedProduct {
    pub fn name(&self, locale: Locale) -> &str {
        match locale {
            Locale::Es => &self.name_es,
            Locale::En => &self.name_en,
            Locale::PtBr => &self.name_pt,
        }
    }
}

/// Appends the joins and the WHERE clause of the active filters only, so that each query gets a
/// plan for what it really asks (a generic plan for "maybe this filter" would ignore indexes).
fn push_filters<'a>(b: &mut QueryBuilder<'a, Postgres>, q: &'a Query) {
    b.push(
        " FROM products p JOIN programs pr ON pr.id = p.program_id
          JOIN vendors v ON v.id = pr.vendor_id WHERE ",
    );
    b.push(if q.include_retired {
        "true"
    } else {
        "p.status = 'active'"
    });
    let text = q.q.trim();
    if !text.is_empty() {
        b.push(" AND (p.search_text LIKE '%' || portal_fold(")
            .push_bind(text)
            .push(") || '%' OR portal_fold(")
            .push_bind(text)
            .push(") <% p.search_text)");
    }
    for (column, value) in [
        ("v.code", &q.vendor),
        ("pr.code", &q.program),
        ("p.category", &q.category),
        ("p.kind", &q.kind),
    ] {
        if !value.is_empty() {
            b.push(format!(" AND {column} = "))
                .push_bind(value.as_str());
        }
    }
    if !q.term.is_empty() || !q.billing.is_empty() {
        b.push(" AND EXISTS (SELECT 1 FROM product_offers o WHERE o.product_id = p.id");
        push_offer(b, q, "o");
        b.push(")");
    }
}

fn push_offer<'a>(b: &mut QueryBuilder<'a, Postgres>, q: &'a Query, alias: &str) {
    if !q.term.is_empty() {
        b.push(format!(" AND {alias}.term = "))
            .push_bind(q.term.as_str());
    }
    if !q.billing.is_empty() {
        b.push(format!(" AND {alias}.billing = "))
            .push_bind(q.billing.as_str());
    }
}

const MONTHS: &str = "CASE x.billing WHEN 'monthly' THEN 1 WHEN 'annual' THEN 12 ELSE 36 END";

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
    let mut count = QueryBuilder::new("SELECT count(*)");
    push_filters(&mut count, query);
    let (total,): (i64,) = count.build_query_as().fetch_one(&mut *db).await?;
    if total == 0 {
        return Ok((Vec::new(), 0));
    }

    let by_price = matches!(query.sort.as_str(), "price_asc" | "price_desc");
    let mut b = QueryBuilder::new(
        "SELECT p.id, p.sku, p.name_es, p.name_en, p.name_pt, p.category, p.kind, p.status,
                v.name AS vendor, v.code AS vendor_code, pr.name AS program, pr.code AS program_code,
                (SELECT e.status FROM program_enrollments e
                 WHERE e.program_id = pr.id AND e.reseller_id = ",
    );
    b.push_bind(reseller_id)
        .push(") AS enrollment, fp.monthly_cost, fp.monthly_retail FROM (SELECT p.*");
    push_filters(&mut b, query);
    b.push(") p JOIN programs pr ON pr.id = p.program_id JOIN vendors v ON v.id = pr.vendor_id ");
    // The lowest price per month in force today. Sorting by it needs it for every product: one
    // aggregate is then cheaper than a look-up per product; otherwise only the page's rows
    // need it.
    if by_price {
        b.push(format!(
            "LEFT JOIN (SELECT x.product_id, min(x.cost / {MONTHS}) AS monthly_cost,
                               min(x.retail / {MONTHS}) AS monthly_retail
                        FROM prices x WHERE x.currency = "
        ));
    } else {
        b.push(format!(
            "LEFT JOIN LATERAL (SELECT x.cost / {MONTHS} AS monthly_cost, x.retail / {MONTHS} AS monthly_retail
                                FROM prices x WHERE x.product_id = p.id AND x.currency = "
        ));
    }
    b.push_bind(currency)
        .push(" AND x.valid_from <= ")
        .push_bind(today)
        .push(" AND (x.valid_to IS NULL OR x.valid_to > ")
        .push_bind(today)
        .push(")");
    push_offer(&mut b, query, "x");
    if by_price {
        b.push(" GROUP BY x.product_id) fp ON fp.product_id = p.id");
    } else {
        b.push(format!(" ORDER BY x.cost / {MONTHS} LIMIT 1) fp ON true"));
    }
    b.push(" ORDER BY ");
    let text = query.q.trim();
    match query.sort.as_str() {
        "price_asc" => {
            b.push("fp.monthly_cost ASC NULLS LAST, p.sort_name, p.id");
        }
        "price_desc" => {
            b.push("fp.monthly_cost DESC NULLS LAST, p.sort_name, p.id");
        }
        // Exact substring matches (a SKU, a whole name) first, then the closest.
        _ if !text.is_empty() => {
            b.push("(p.search_text LIKE '%' || portal_fold(")
                .push_bind(text)
                .push(") || '%') DESC, word_similarity(portal_fold(")
                .push_bind(text)
                .push("), p.search_text) DESC, similarity(portal_fold(")
                .push_bind(text)
                .push("), p.sort_name) DESC, p.sort_name, p.id");
        }
        _ => {
            b.push("p.sort_name, p.id");
        }
    }
    b.push(format!(" LIMIT {PAGE_SIZE} OFFSET "))
        .push_bind((query.page.max(1) - 1) * PAGE_SIZE);
    let rows = b.build_query_as::<ListedProduct>().fetch_all(db).await?;
    Ok((rows, total))
}

/// A vendor or program for the filter lists.
#[derive(Debug, sqlx::FromRow)]
pub struct Choice {
    pub code: String,
    pub name: String,
}

pub async fn vendors(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Choice>> {
    sqlx::query_as("SELECT code, name FROM vendors ORDER BY name")
        .fetch_all(db)
        .await
}

pub async fn programs(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Choice>> {
    sqlx::query_as("SELECT code, name FROM programs ORDER BY name")
        .fetch_all(db)
        .await
}

#[derive(Debug, sqlx::FromRow)]
pub struct Product {
    pub id: Uuid,
    pub sku: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    pub description_es: String,
    pub description_en: String,
    pub description_pt: String,
    pub category: String,
    pub kind: String,
    pub min_seats: i32,
    pub max_seats: i32,
    pub status: String,
    pub program_id: Uuid,
    pub program: String,
    pub program_code: String,
    pub vendor: String,
}

impl Product {
    pub fn name(&self, locale: Locale) -> &str {
        match locale {
            Locale::Es => &self.name_es,
            Locale::En => &self.name_en,
            Locale::PtBr => &self.name_pt,
        }
    }

    pub fn description(&self, locale: Locale) -> &str {
        match locale {
            Locale::Es => &self.description_es,
            Locale::En => &self.description_en,
            Locale::PtBr => &self.description_pt,
        }
    }
}

const PRODUCT: &str = "SELECT p.id, p.sku, p.name_es, p.name_en, p.name_pt, p.description_es,
        p.description_en, p.description_pt, p.category, p.kind, p.min_seats, p.max_seats, p.status,
        pr.id AS program_id, pr.name AS program, pr.code AS program_code, v.name AS vendor
    FROM products p JOIN programs pr ON pr.id = p.program_id JOIN vendors v ON v.id = pr.vendor_id";

pub async fn product_by_sku(db: impl PgExecutor<'_>, sku: &str) -> sqlx::Result<Option<Product>> {
    sqlx::query_as(&format!("{PRODUCT} WHERE p.sku = $1"))
        .bind(sku)
        .fetch_optional(db)
        .await
}

pub async fn product_by_id(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Product>> {
    sqlx::query_as(&format!("{PRODUCT} WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// A price row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PriceRow {
    pub id: Uuid,
    pub term: String,
    pub billing: String,
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
    sqlx::query_as(
        "SELECT id, term, billing, currency::text AS currency, cost, retail, valid_from, valid_to
         FROM prices
         WHERE product_id = $1 AND ($2::text IS NULL OR currency = $2)
           AND (valid_to IS NULL OR valid_to > $3)
         ORDER BY currency, CASE term WHEN 'P1M' THEN 1 WHEN 'P1Y' THEN 2 ELSE 3 END,
                  CASE billing WHEN 'monthly' THEN 1 WHEN 'annual' THEN 2 ELSE 3 END, valid_from",
    )
    .bind(product_id)
    .bind(currency)
    .bind(day)
    .fetch_all(db)
    .await
}

/// The term and billing combinations a product is sold with.
pub async fn offers(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
) -> sqlx::Result<Vec<(String, String)>> {
    Ok(offers_of(db, &[product_id])
        .await?
        .into_iter()
        .map(|(_, term, billing)| (term, billing))
        .collect())
}

/// The offers (term, billing) of several products at once, each product's in display order.
pub async fn offers_of(
    db: impl PgExecutor<'_>,
    product_ids: &[Uuid],
) -> sqlx::Result<Vec<(Uuid, String, String)>> {
    sqlx::query_as(
        "SELECT product_id, term, billing FROM product_offers WHERE product_id = ANY($1)
         ORDER BY product_id,
                  CASE term WHEN 'P1M' THEN 1 WHEN 'P1Y' THEN 2 ELSE 3 END,
                  CASE billing WHEN 'monthly' THEN 1 WHEN 'annual' THEN 2 ELSE 3 END",
    )
    .bind(product_ids)
    .fetch_all(db)
    .await
}

/// A related product (upgrade target, add-on, base).
#[derive(Debug, sqlx::FromRow)]
pub struct Related {
    pub sku: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
}

impl Related {
    pub fn name(&self, locale: Locale) -> &str {
        match locale {
            Locale::Es => &self.name_es,
            Locale::En => &self.name_en,
            Locale::PtBr => &self.name_pt,
        }
    }
}

/// Products related to `product_id`: `upgrades` (it may move to), `addons` (that need it),
/// `bases` (it needs one of, when it is an add-on).
pub async fn related(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
    relation: &str,
) -> sqlx::Result<Vec<Related>> {
    let sql = match relation {
        "upgrades" => "SELECT p.sku, p.name_es, p.name_en, p.name_pt FROM product_upgrades u
                       JOIN products p ON p.id = u.to_id WHERE u.from_id = $1 ORDER BY p.sort_name",
        "addons" => "SELECT p.sku, p.name_es, p.name_en, p.name_pt FROM product_addons a
                     JOIN products p ON p.id = a.addon_id WHERE a.base_id = $1 AND p.status = 'active'
                     ORDER BY p.sort_name",
        _ => "SELECT p.sku, p.name_es, p.name_en, p.name_pt FROM product_addons a
              JOIN products p ON p.id = a.base_id WHERE a.addon_id = $1 ORDER BY p.sort_name",
    };
    sqlx::query_as(sql).bind(product_id).fetch_all(db).await
}

/// The reseller's billing currency and markup.
pub async fn reseller_pricing(
    tx: &mut PgConnection,
    reseller_id: Uuid,
) -> sqlx::Result<(String, Decimal)> {
    sqlx::query_as("SELECT billing_currency::text, markup_percent FROM resellers WHERE id = $1")
        .bind(reseller_id)
        .fetch_one(tx)
        .await
}
