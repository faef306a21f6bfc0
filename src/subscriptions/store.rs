//! SQL for subscriptions. Every function runs in a tenant transaction and takes the reseller
//! explicitly as well.

mod changes;
mod renewals;

pub use changes::*;
pub use renewals::*;

use sqlx::{PgConnection, Postgres, QueryBuilder};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::catalog::rules::{Billing, Term};
use crate::i18n::Locale;
use crate::subscriptions::rules::{SubscriptionSort, SubscriptionStatus};
use crate::web::paging::{Cursor, Keyset, Listing};

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
    /// Licences assigned to the tenant's users.
    pub assigned: i32,
    /// When its seats or licences last changed.
    pub quiet_since: OffsetDateTime,
    pub term: Term,
    pub billing: Billing,
    pub start_date: time::Date,
    pub end_date: time::Date,
    pub auto_renew: bool,
    pub status: SubscriptionStatus,
    pub vendor_ref: String,
    pub created_at: OffsetDateTime,
}

impl SubscriptionRow {
    pub fn name(&self, locale: Locale) -> &str {
        locale.pick(&self.name_es, &self.name_en, &self.name_pt)
    }
}

/// What the subscriptions list shows.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Customer name, product name, SKU or tenant domain (without accents).
    pub q: String,
    pub customer: Option<Uuid>,
    pub status: Option<SubscriptionStatus>,
    pub vendor: Option<crate::vendors::VendorCode>,
    pub term: Option<Term>,
    pub auto_renew: Option<bool>,
    /// Renews (its term ends) within this many days from today (UTC).
    pub renews_within: Option<i32>,
    /// Has seats whose cancellation window is still open.
    pub window_open: bool,
    /// Has seats whose cancellation window closes within [`WINDOW_CLOSING_HOURS`].
    pub window_closing: bool,
    /// Has a change sent to the vendor over an hour ago and not answered yet.
    pub pending: bool,
    /// Active, with seats unassigned and its seats and licences unchanged for
    /// [`IDLE_SEATS_DAYS`] days (counted in whole UTC days, as the dashboard counts them).
    pub idle: bool,
    pub sort: SubscriptionSort,
}

/// A text search's customers and products, looked up once before the list's queries. When
/// they are few they are bound as lists of ids, which the planner sees: a search for one
/// customer reads that customer's subscriptions through an index, instead of walking the
/// tenant's newest ones until a page of them matches (every one of a million when fewer than a
/// page match). A broad search (more than [`FEW`]) stays a subquery: its matches are many, and
/// walking the sort's index finds a page of them at once.
#[derive(Debug, Default)]
pub struct Search {
    q: String,
    customers: Option<Vec<Uuid>>,
    products: Option<Vec<Uuid>>,
    fuzzy: bool,
}

/// At most this many matches are bound as a list of ids.
const FEW: usize = 2_000;

/// The customers (by name, tax id, e-mails or tenant domains, as the customers list finds them)
/// and products (by SKU or name) a search names; nothing when `q` is blank.
pub async fn search(tx: &mut PgConnection, q: &str) -> sqlx::Result<Search> {
    let q = q.trim();
    if q.is_empty() {
        return Ok(Search::default());
    }
    let few = FEW as i64 + 1;
    // The trigram index narrows by the folded SKU, names and descriptions; the names decide.
    let products = sqlx::query_scalar!(
        "SELECT p.id FROM products p
         WHERE p.search_text LIKE '%' || portal_fold($1) || '%'
           AND portal_fold(p.sku || ' ' || p.name_es || ' ' || p.name_en || ' ' || p.name_pt)
               LIKE '%' || portal_fold($1) || '%'
         LIMIT $2",
        crate::text::like_escape(q),
        few
    )
    .fetch_all(&mut *tx)
    .await?;
    // A misspelt customer name is looked for only when the words name no product.
    let fuzzy = products.is_empty();
    let customers = sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM portal_customer_matches($1, $2) LIMIT $3"#,
        q,
        fuzzy,
        few
    )
    .fetch_all(&mut *tx)
    .await?;
    let few = |ids: Vec<Uuid>| (ids.len() <= FEW).then_some(ids);
    Ok(Search {
        q: q.to_string(),
        customers: few(customers),
        products: few(products),
        fuzzy,
    })
}

/// The days after which unassigned seats of a subscription whose seats and licences have not
/// changed count as idle (the dashboard's and the list's; [`crate::licences::rules::IDLE_SEATS_AFTER`]).
pub const IDLE_SEATS_DAYS: i32 = crate::licences::rules::IDLE_SEATS_AFTER.whole_days() as i32;

/// The hours ahead in which a cancellation window counts as closing (the dashboard's).
pub const WINDOW_CLOSING_HOURS: i32 = 48;

/// The FROM and WHERE clauses of the list.
fn push_filter(b: &mut QueryBuilder<'_, Postgres>, reseller_id: Uuid, f: &Filter, found: &Search) {
    b.push(" FROM subscriptions s WHERE s.reseller_id = ")
        .push_bind(reseller_id);
    if let Some(customer) = f.customer {
        b.push(" AND s.customer_id = ").push_bind(customer);
    }
    if let Some(status) = f.status {
        b.push(" AND s.status = ").push_bind(status.code());
    }
    if let Some(vendor) = f.vendor {
        b.push(" AND s.vendor = ").push_bind(vendor.code());
    }
    if let Some(term) = f.term {
        b.push(" AND s.term = ").push_bind(term.code());
    }
    if let Some(on) = f.auto_renew {
        b.push(" AND s.auto_renew = ").push_bind(on);
    }
    if let Some(days) = f.renews_within {
        b.push(
            " AND s.status IN ('active', 'suspended')
              AND s.end_date BETWEEN (now() AT TIME ZONE 'UTC')::date
                                 AND (now() AT TIME ZONE 'UTC')::date + ",
        )
        .push_bind(days);
    }
    if f.window_open {
        b.push(" AND s.id IN (SELECT w.subscription_id FROM seat_batches w WHERE w.reseller_id = ")
            .push_bind(reseller_id)
            .push(" AND w.quantity > 0 AND w.window_closes_at > now())");
    }
    if f.window_closing {
        b.push(" AND s.status = 'active' AND s.id IN (SELECT w.subscription_id FROM seat_batches w WHERE w.reseller_id = ")
            .push_bind(reseller_id)
            .push(" AND w.quantity > 0 AND w.window_closes_at > now() AND w.window_closes_at <= now() + make_interval(hours => ")
            .push_bind(WINDOW_CLOSING_HOURS)
            .push("))");
    }
    if f.idle {
        b.push(
            " AND s.status = 'active' AND s.quantity > s.assigned
              AND s.quiet_since < ((now() AT TIME ZONE 'UTC')::date - ",
        )
        .push_bind(IDLE_SEATS_DAYS - 1)
        .push(")::timestamp AT TIME ZONE 'UTC'");
    }
    if f.pending {
        b.push(" AND s.id IN (SELECT c.subscription_id FROM subscription_changes c WHERE c.reseller_id = ")
            .push_bind(reseller_id)
            .push(" AND c.status = 'pending' AND c.requested_at < now() - interval '1 hour')");
    }
    if found.q.is_empty() {
        return;
    }
    b.push(" AND (s.customer_id");
    match &found.customers {
        Some(ids) => b.push(" = ANY(").push_bind(ids.clone()).push(")"),
        // Customers as the customers list finds them (an indexed function: under row-level
        // security a LIKE on customers cannot use the trigram index).
        None => b
            .push(" IN (SELECT id FROM portal_customer_matches(")
            .push_bind(found.q.clone())
            .push(", ")
            .push_bind(found.fuzzy)
            .push("))"),
    };
    b.push(" OR s.product_id");
    match &found.products {
        Some(ids) => b.push(" = ANY(").push_bind(ids.clone()).push(")"),
        None => b
            .push(" IN (SELECT p2.id FROM products p2 WHERE portal_fold(")
            .push("p2.sku || ' ' || p2.name_es || ' ' || p2.name_en || ' ' || p2.name_pt")
            .push(") LIKE '%' || portal_fold(")
            .push_bind(crate::text::like_escape(&found.q))
            .push(") || '%')"),
    };
    b.push(")");
}

/// The ORDER BY clause of a sort, forwards or backwards (ties broken by id, so pages never
/// overlap), and the comparison that keeps the rows after a cursor.
fn order_by(sort: SubscriptionSort, backwards: bool) -> (&'static str, &'static str) {
    match (sort, backwards) {
        (SubscriptionSort::Newest, false) => (" ORDER BY s.created_at DESC, s.id DESC", " < "),
        (SubscriptionSort::Newest, true) => (" ORDER BY s.created_at ASC, s.id ASC", " > "),
        (SubscriptionSort::RenewsSoonest, false) => (" ORDER BY s.end_date ASC, s.id ASC", " > "),
        (SubscriptionSort::RenewsSoonest, true) => (" ORDER BY s.end_date DESC, s.id DESC", " < "),
        (SubscriptionSort::SeatsDesc, false) => (" ORDER BY s.quantity DESC, s.id DESC", " < "),
        (SubscriptionSort::SeatsDesc, true) => (" ORDER BY s.quantity ASC, s.id ASC", " > "),
    }
}

/// Where `row` is in the list sorted by `sort` (the key of a keyset link).
pub fn cursor(sort: SubscriptionSort, row: &SubscriptionRow) -> Cursor {
    let key = match sort {
        SubscriptionSort::Newest => row.created_at.format(&Rfc3339).unwrap_or_default(),
        SubscriptionSort::RenewsSoonest => row.end_date.to_string(),
        SubscriptionSort::SeatsDesc => row.quantity.to_string(),
    };
    Cursor { key, id: row.id }
}

/// Keeps the rows after `c` in the order of `sort` (nothing, from the first row, when the
/// cursor's key is not one of ours).
fn push_after(b: &mut QueryBuilder<'_, Postgres>, sort: SubscriptionSort, c: &Cursor, op: &str) {
    let date = time::macros::format_description!("[year]-[month]-[day]");
    match sort {
        SubscriptionSort::Newest => match OffsetDateTime::parse(&c.key, &Rfc3339) {
            Ok(at) => b
                .push(" AND (s.created_at, s.id)")
                .push(op)
                .push("(")
                .push_bind(at),
            Err(_) => return,
        },
        SubscriptionSort::RenewsSoonest => match time::Date::parse(&c.key, date) {
            Ok(day) => b
                .push(" AND (s.end_date, s.id)")
                .push(op)
                .push("(")
                .push_bind(day),
            Err(_) => return,
        },
        SubscriptionSort::SeatsDesc => match c.key.parse::<i32>() {
            Ok(n) => b
                .push(" AND (s.quantity, s.id)")
                .push(op)
                .push("(")
                .push_bind(n),
            Err(_) => return,
        },
    };
    b.push(", ").push_bind(c.id).push(")");
}

/// A subscription as the list query reads it (decoded strictly: an unknown status is an error).
#[derive(sqlx::FromRow)]
struct Listed {
    id: Uuid,
    customer_id: Uuid,
    customer: String,
    sku: String,
    name_es: String,
    name_en: String,
    name_pt: String,
    quantity: i32,
    assigned: i32,
    quiet_since: OffsetDateTime,
    term: Term,
    billing: Billing,
    start_date: time::Date,
    end_date: time::Date,
    auto_renew: bool,
    status: SubscriptionStatus,
    vendor_ref: String,
    created_at: OffsetDateTime,
}

const LISTED: &str = "SELECT s.id, s.customer_id, c.legal_name AS customer, p.sku, p.name_es,
        p.name_en, p.name_pt, s.quantity, s.assigned,
        s.quiet_since,
        s.term, s.billing, s.start_date, s.end_date,
        s.auto_renew, s.status, s.vendor_ref, s.created_at FROM (SELECT s.*";

const JOINED: &str =
    ") s JOIN customers c ON c.reseller_id = s.reseller_id AND c.id = s.customer_id
        JOIN products p ON p.id = s.product_id";

/// `size` subscriptions that `f` finds, from the position `at` (keyset paging: a deep page
/// costs what the first one does).
pub async fn list(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    f: &Filter,
    at: &Keyset,
    size: i64,
) -> sqlx::Result<Listing<SubscriptionRow>> {
    let found = search(&mut *tx, &f.q).await?;
    let total = crate::db::total(&mut *tx, |b| push_filter(b, reseller_id, f, &found)).await?;
    let (order, op) = order_by(f.sort, at.backwards());
    let mut b = QueryBuilder::new(LISTED);
    push_filter(&mut b, reseller_id, f, &found);
    if let Some(c) = at.cursor() {
        push_after(&mut b, f.sort, c, op);
    }
    b.push(order)
        .push(" LIMIT ")
        .push_bind(size + 1)
        .push(JOINED)
        .push(order);
    // Planned with this search's own ids and values each time (a statement kept prepared would
    // in time get a generic plan that guesses them).
    let rows = b
        .build_query_as::<Listed>()
        .persistent(false)
        .fetch_all(tx)
        .await?;
    let rows = rows.into_iter().map(Listed::into_row).collect();
    Ok(Listing::of(rows, size, at, total))
}

impl Listed {
    fn into_row(self) -> SubscriptionRow {
        SubscriptionRow {
            id: self.id,
            customer_id: self.customer_id,
            customer: self.customer,
            sku: self.sku,
            name_es: self.name_es,
            name_en: self.name_en,
            name_pt: self.name_pt,
            quantity: self.quantity,
            assigned: self.assigned,
            quiet_since: self.quiet_since,
            term: self.term,
            billing: self.billing,
            start_date: self.start_date,
            end_date: self.end_date,
            auto_renew: self.auto_renew,
            status: self.status,
            vendor_ref: self.vendor_ref,
            created_at: self.created_at,
        }
    }
}

/// Every subscription `f` finds, in its order, handed to `each` as the database returns them
/// (until `each` answers false: the reader went away).
pub async fn export<F, Fut>(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    f: &Filter,
    mut each: F,
) -> sqlx::Result<()>
where
    F: FnMut(SubscriptionRow) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    use futures_util::TryStreamExt;
    let found = search(&mut *tx, &f.q).await?;
    let mut b = QueryBuilder::new(LISTED);
    push_filter(&mut b, reseller_id, f, &found);
    b.push(JOINED).push(order_by(f.sort, false).0);
    let mut rows = b.build_query_as::<Listed>().persistent(false).fetch(tx);
    while let Some(r) = rows.try_next().await? {
        if !each(r.into_row()).await {
            break;
        }
    }
    Ok(())
}

/// A subscription made from a completed order line.
pub struct FromLine<'a> {
    pub customer_id: Uuid,
    pub product_id: Uuid,
    pub order_line_id: Uuid,
    pub vendor: crate::vendors::VendorCode,
    pub tenant_domain: &'a str,
    pub quantity: i32,
    pub term: Term,
    pub billing: Billing,
    pub start_date: time::Date,
    pub end_date: time::Date,
    pub vendor_ref: &'a str,
    pub unit_price: rust_decimal::Decimal,
    pub unit_cost: rust_decimal::Decimal,
    pub currency: &'a str,
    /// When the vendor created it: its first seats' window runs from then.
    pub created_at: time::OffsetDateTime,
}

/// Records the subscription of an order line once (a provisioning job run again finds it),
/// with its first seat batch and its purchase in the history.
pub async fn create_from_line(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    s: &FromLine<'_>,
) -> sqlx::Result<()> {
    let window = crate::vendors::rules::window_closes(s.vendor, s.created_at);
    sqlx::query!(
        "WITH created AS (
             INSERT INTO subscriptions (reseller_id, customer_id, product_id, order_line_id,
                                        quantity, term, billing, start_date, end_date, vendor_ref,
                                        vendor, tenant_domain, unit_price, unit_cost, currency,
                                        created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
             ON CONFLICT (reseller_id, order_line_id) DO NOTHING
             RETURNING id, start_date, end_date, term, billing, product_id, unit_price, unit_cost),
         batch AS (
             INSERT INTO seat_batches (reseller_id, subscription_id, added, quantity, added_at,
                                       window_closes_at)
             SELECT $1, id, $5, $5, $16, $17 FROM created)
         INSERT INTO subscription_changes (reseller_id, subscription_id, kind, seats_before,
                                           seats_after, amount, currency, status, actor_label,
                                           requested_at, decided_at, start_after, end_after,
                                           term_after, billing_after, product_after,
                                           unit_price_after, unit_cost_after)
         SELECT $1, id, 'purchase', 0, $5, 0, $15, 'applied', 'system', $16, $16, start_date,
                end_date, term, billing, product_id, unit_price, unit_cost
         FROM created",
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
        s.vendor.code(),
        s.tenant_domain,
        s.unit_price,
        s.unit_cost,
        s.currency,
        s.created_at,
        window,
    )
    .execute(tx)
    .await?;
    Ok(())
}
