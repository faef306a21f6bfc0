//! What the dashboard reads: the months' sales figures (kept by the billing run and the
//! estimate), the subscriptions' totals (kept by triggers), and small indexed counts. No query
//! here reads a whole large tenant (docs/performance/dashboard.md).

use rust_decimal::Decimal;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::billing::store::sales::Sales;
use crate::orders::rules::OrderStatus;
use crate::reports::report::Measure;

/// A month's sales figures.
#[derive(Debug, Clone)]
pub struct MonthSales {
    pub month: Date,
    /// From an estimate (the month is not invoiced yet).
    pub estimate: bool,
    pub currency: String,
    pub sales: Sales,
    pub customers: i32,
    pub computed_at: OffsetDateTime,
}

/// The reseller's figures of the months starting on `months`' days (those it has).
pub async fn months(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    months: &[Date],
) -> sqlx::Result<Vec<MonthSales>> {
    let rows = sqlx::query!(
        r#"SELECT month, estimate, currency AS "currency!", licence_cost, licence_price,
                  usage_cost, usage_price, customers, computed_at
           FROM sales_months WHERE reseller_id = $1 AND month = ANY($2)"#,
        reseller_id,
        months,
    )
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MonthSales {
            month: r.month,
            estimate: r.estimate,
            currency: r.currency,
            sales: Sales::new(r.licence_cost, r.licence_price, r.usage_cost, r.usage_price),
            customers: r.customers,
            computed_at: r.computed_at,
        })
        .collect())
}

/// One of the month's top customers or products, by what they were charged.
#[derive(Debug, Clone)]
pub struct Top {
    /// What its page is found by: the customer's id, the product's SKU.
    pub key: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    pub price: Decimal,
}

/// The month's `limit` customers charged the most.
pub async fn top_customers(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    month: Date,
    limit: i64,
) -> sqlx::Result<Vec<Top>> {
    sqlx::query_as!(
        Top,
        r#"SELECT f.customer_id::text AS "key!", c.legal_name AS name_es, c.legal_name AS name_en,
                  c.legal_name AS name_pt, f.licence_price + f.usage_price AS "price!"
           FROM sales_by_customer f
           JOIN customers c ON c.reseller_id = f.reseller_id AND c.id = f.customer_id
           WHERE f.reseller_id = $1 AND f.month = $2
           ORDER BY f.licence_price + f.usage_price DESC, f.customer_id
           LIMIT $3"#,
        reseller_id,
        month,
        limit,
    )
    .fetch_all(tx)
    .await
}

/// The month's `limit` products charged the most (credits, which have none, are not one).
pub async fn top_products(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    month: Date,
    limit: i64,
) -> sqlx::Result<Vec<Top>> {
    sqlx::query_as!(
        Top,
        r#"SELECT p.sku AS key, p.name_es, p.name_en, p.name_pt,
                  f.licence_price + f.usage_price AS "price!"
           FROM sales_by_product f JOIN products p ON p.id = f.product_id
           WHERE f.reseller_id = $1 AND f.month = $2
           ORDER BY f.licence_price + f.usage_price DESC, f.product_id
           LIMIT $3"#,
        reseller_id,
        month,
        limit,
    )
    .fetch_all(tx)
    .await
}

/// The subscriptions' figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionFigures {
    pub active: i64,
    pub seats: i64,
    pub unassigned: i64,
    /// Of those, the seats idle: on subscriptions whose seats and licences have not changed for
    /// [`crate::subscriptions::store::IDLE_SEATS_DAYS`] days.
    pub idle: i64,
    /// Active subscriptions renewing automatically within the next 30 days, and the amount of
    /// their next billing period.
    pub renewing: i64,
    pub renewal_amount: Decimal,
}

/// Days ahead that count as "renewing soon" (one of the list's `renews` filters).
pub const RENEWING_DAYS: i32 = 30;

/// The subscriptions' figures on `today`, from their totals.
pub async fn subscriptions(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    today: Date,
) -> sqlx::Result<SubscriptionFigures> {
    let r = sqlx::query!(
        r#"SELECT coalesce(sum(subscriptions), 0)::bigint AS "active!",
                  coalesce(sum(seats), 0)::bigint AS "seats!",
                  coalesce(sum(seats - assigned), 0)::bigint AS "unassigned!",
                  coalesce(sum(subscriptions) FILTER (WHERE auto_renew AND end_date >= $2
                                                       AND end_date <= $2 + $3::int), 0)::bigint
                      AS "renewing!",
                  coalesce(sum(amount) FILTER (WHERE auto_renew AND end_date >= $2
                                               AND end_date <= $2 + $3::int), 0) AS "amount!",
                  (SELECT coalesce(sum(f.seats), 0)::bigint FROM free_seat_totals f
                   WHERE f.reseller_id = $1 AND f.status = 'active'
                     AND f.quiet_day <= $2 - $4::int) AS "idle!"
           FROM subscription_totals WHERE reseller_id = $1 AND status = 'active'"#,
        reseller_id,
        today,
        RENEWING_DAYS,
        crate::subscriptions::store::IDLE_SEATS_DAYS,
    )
    .fetch_one(tx)
    .await?;
    Ok(SubscriptionFigures {
        active: r.active,
        seats: r.seats,
        unassigned: r.unassigned,
        idle: r.idle,
        renewing: r.renewing,
        renewal_amount: r.amount,
    })
}

/// The reseller's active customers, and those added since midnight of `since` in `zone`.
pub async fn customers(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    since: Date,
    zone: &str,
) -> sqlx::Result<(i64, i64)> {
    let r = sqlx::query!(
        r#"SELECT (SELECT count(*) FROM customers
                   WHERE reseller_id = $1 AND status = 'active') AS "active!",
                  (SELECT count(*) FROM customers
                   WHERE reseller_id = $1
                     AND created_at >= $2::date::timestamp AT TIME ZONE $3) AS "added!""#,
        reseller_id,
        since,
        zone,
    )
    .fetch_one(tx)
    .await?;
    Ok((r.active, r.added))
}

/// The reseller's billing currency (the dashboard's amounts are in it).
pub async fn currency(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<String> {
    sqlx::query_scalar!(
        r#"SELECT billing_currency AS "currency!" FROM resellers WHERE id = $1"#,
        reseller_id
    )
    .fetch_one(tx)
    .await
}

/// What needs the reseller's attention now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attention {
    pub failed_orders: i64,
    /// Changes sent to the vendor more than an hour ago and not answered.
    pub pending_changes: i64,
    /// Seats whose cancellation window closes in the next 48 hours: how many batches, seats and
    /// the amount still refundable.
    pub closing_batches: i64,
    pub closing_seats: i64,
    pub refundable: Decimal,
}

pub async fn attention(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    now: OffsetDateTime,
) -> sqlx::Result<Attention> {
    let r = sqlx::query!(
        r#"SELECT (SELECT count(*) FROM orders
                   WHERE reseller_id = $1 AND status = 'failed') AS "failed!",
                  (SELECT count(*) FROM subscription_changes
                   WHERE reseller_id = $1 AND status = 'pending'
                     AND requested_at < $2 - interval '1 hour') AS "pending!",
                  w.batches AS "batches!", w.seats AS "seats!", w.refundable AS "refundable!"
           FROM (SELECT count(*) AS batches, coalesce(sum(b.quantity), 0)::bigint AS seats,
                        coalesce(sum(round(b.quantity * s.unit_price, 2)), 0) AS refundable
                 FROM seat_batches b
                 JOIN subscriptions s ON s.reseller_id = b.reseller_id AND s.id = b.subscription_id
                 WHERE b.reseller_id = $1 AND b.quantity > 0
                   AND b.window_closes_at IS NOT NULL
                   AND b.window_closes_at > $2 AND b.window_closes_at <= $2 + interval '48 hours'
                   AND s.status = 'active') w"#,
        reseller_id,
        now,
    )
    .fetch_one(tx)
    .await?;
    Ok(Attention {
        failed_orders: r.failed,
        pending_changes: r.pending,
        closing_batches: r.batches,
        closing_seats: r.seats,
        refundable: r.refundable,
    })
}

/// One of the latest orders.
#[derive(Debug, Clone)]
pub struct RecentOrder {
    pub id: Uuid,
    pub number: i64,
    pub customer: String,
    pub status: OrderStatus,
    pub total_price: Decimal,
    pub currency: String,
    pub created_at: OffsetDateTime,
}

/// The reseller's `limit` latest orders.
pub async fn recent_orders(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<RecentOrder>> {
    sqlx::query_as!(
        RecentOrder,
        r#"SELECT o.id, o.number, c.legal_name AS customer, o.status AS "status: OrderStatus",
                  o.total_price, o.currency AS "currency!", o.created_at
           FROM orders o JOIN customers c ON c.reseller_id = o.reseller_id AND c.id = o.customer_id
           WHERE o.reseller_id = $1
           ORDER BY o.created_at DESC, o.id DESC LIMIT $2"#,
        reseller_id,
        limit,
    )
    .fetch_all(tx)
    .await
}

/// One series' sales in one month, as a report reads them (`key` tells the series apart).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Figure {
    pub month: Date,
    pub key: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    pub licence_cost: Decimal,
    pub licence_price: Decimal,
    pub usage_cost: Decimal,
    pub usage_price: Decimal,
    /// Seats billed for licence periods (not kept per customer: zero there).
    pub quantity: Decimal,
}

impl Figure {
    pub fn sales(&self) -> Sales {
        Sales::new(
            self.licence_cost,
            self.licence_price,
            self.usage_cost,
            self.usage_price,
        )
    }
}

/// The sales of `resellers` (or of one customer of the one reseller) in each month from `first`
/// to `last`, added up as one series.
pub async fn totals(
    tx: &mut PgConnection,
    resellers: &[Uuid],
    first: Date,
    last: Date,
    customer: Option<Uuid>,
) -> sqlx::Result<Vec<Figure>> {
    sqlx::query_as!(
        Figure,
        r#"SELECT m.month AS "month!", '' AS "key!", '' AS "name_es!", '' AS "name_en!",
                  '' AS "name_pt!",
                  sum(coalesce(c.licence_cost, m.licence_cost)) AS "licence_cost!",
                  sum(coalesce(c.licence_price, m.licence_price)) AS "licence_price!",
                  sum(coalesce(c.usage_cost, m.usage_cost)) AS "usage_cost!",
                  sum(coalesce(c.usage_price, m.usage_price)) AS "usage_price!",
                  sum(coalesce((SELECT sum(p.quantity) FROM sales_by_product p
                                WHERE p.reseller_id = m.reseller_id AND p.month = m.month
                                  AND $4::uuid IS NULL), 0)) AS "quantity!"
           FROM sales_months m
           LEFT JOIN sales_by_customer c
                  ON c.reseller_id = m.reseller_id AND c.month = m.month AND c.customer_id = $4
           WHERE m.reseller_id = ANY($1) AND m.month BETWEEN $2 AND $3
             AND ($4::uuid IS NULL OR c.customer_id IS NOT NULL)
           GROUP BY m.month
           ORDER BY m.month"#,
        resellers,
        first,
        last,
        customer,
    )
    .fetch_all(tx)
    .await
}

/// The sales of `resellers` per vendor in each month from `first` to `last` (staff credits,
/// which have no product, under an empty key).
pub async fn by_vendor(
    tx: &mut PgConnection,
    resellers: &[Uuid],
    first: Date,
    last: Date,
) -> sqlx::Result<Vec<Figure>> {
    sqlx::query_as!(
        Figure,
        r#"SELECT f.month, coalesce(v.code, '') AS "key!", coalesce(v.name, '') AS "name_es!",
                  coalesce(v.name, '') AS "name_en!", coalesce(v.name, '') AS "name_pt!",
                  sum(f.licence_cost) AS "licence_cost!", sum(f.licence_price) AS "licence_price!",
                  sum(f.usage_cost) AS "usage_cost!", sum(f.usage_price) AS "usage_price!",
                  sum(f.quantity) AS "quantity!"
           FROM sales_by_product f
           LEFT JOIN products p ON p.id = f.product_id
           LEFT JOIN programs g ON g.id = p.program_id
           LEFT JOIN vendors v ON v.id = g.vendor_id
           WHERE f.reseller_id = ANY($1) AND f.month BETWEEN $2 AND $3
           GROUP BY f.month, v.code, v.name"#,
        resellers,
        first,
        last,
    )
    .fetch_all(tx)
    .await
}

/// The sales of `resellers` per product in each month from `first` to `last`.
pub async fn by_product(
    tx: &mut PgConnection,
    resellers: &[Uuid],
    first: Date,
    last: Date,
) -> sqlx::Result<Vec<Figure>> {
    sqlx::query_as!(
        Figure,
        r#"SELECT f.month, coalesce(f.product_id::text, '') AS "key!",
                  coalesce(p.name_es, '') AS "name_es!", coalesce(p.name_en, '') AS "name_en!",
                  coalesce(p.name_pt, '') AS "name_pt!",
                  sum(f.licence_cost) AS "licence_cost!", sum(f.licence_price) AS "licence_price!",
                  sum(f.usage_cost) AS "usage_cost!", sum(f.usage_price) AS "usage_price!",
                  sum(f.quantity) AS "quantity!"
           FROM sales_by_product f LEFT JOIN products p ON p.id = f.product_id
           WHERE f.reseller_id = ANY($1) AND f.month BETWEEN $2 AND $3
           GROUP BY f.month, f.product_id, p.name_es, p.name_en, p.name_pt"#,
        resellers,
        first,
        last,
    )
    .fetch_all(tx)
    .await
}

/// The sales of each of `resellers` in each month from `first` to `last` (staff's reports).
pub async fn by_reseller(
    tx: &mut PgConnection,
    resellers: &[Uuid],
    first: Date,
    last: Date,
) -> sqlx::Result<Vec<Figure>> {
    sqlx::query_as!(
        Figure,
        r#"SELECT m.month, m.reseller_id::text AS "key!", r.legal_name AS name_es,
                  r.legal_name AS name_en, r.legal_name AS name_pt,
                  m.licence_cost, m.licence_price, m.usage_cost, m.usage_price,
                  coalesce((SELECT sum(p.quantity) FROM sales_by_product p
                            WHERE p.reseller_id = m.reseller_id AND p.month = m.month), 0)
                      AS "quantity!"
           FROM sales_months m JOIN resellers r ON r.id = m.reseller_id
           WHERE m.reseller_id = ANY($1) AND m.month BETWEEN $2 AND $3"#,
        resellers,
        first,
        last,
    )
    .fetch_all(tx)
    .await
}

/// The billing currencies of the resellers with sales figures, and each one's resellers (id and
/// name, by name): what the staff's reports choose from (amounts in different currencies are
/// never added up).
pub async fn resellers_by_currency(
    tx: &mut PgConnection,
) -> sqlx::Result<Vec<(String, Uuid, String)>> {
    let rows = sqlx::query!(
        r#"SELECT r.billing_currency AS "currency!", r.id, r.legal_name
           FROM resellers r
           WHERE EXISTS (SELECT 1 FROM sales_months m WHERE m.reseller_id = r.id)
           ORDER BY r.billing_currency, r.legal_name, r.id"#
    )
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.currency, r.id, r.legal_name))
        .collect())
}

/// The latest month from `first` to `last` that has figures.
pub async fn latest_month(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    first: Date,
    last: Date,
) -> sqlx::Result<Option<Date>> {
    sqlx::query_scalar!(
        "SELECT max(month) FROM sales_months
         WHERE reseller_id = $1 AND month BETWEEN $2 AND $3",
        reseller_id,
        first,
        last,
    )
    .fetch_one(tx)
    .await
}

/// The sales in each month from `first` to `last` of the `limit` customers `measure` ranks
/// first in the month `ranked` (the range's latest with figures): today's leading customers and
/// their history. Ranking them over the whole range would add up every customer's months (a
/// second at 50,000 customers and 24 months); a month's ranking is read from the top of its
/// index (migration 0044), one per measure.
pub async fn top_customers_over(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    ranked: Date,
    (first, last): (Date, Date),
    measure: Measure,
    limit: i64,
) -> sqlx::Result<Vec<Figure>> {
    // The order of each measure's index (constants: nothing of the request is written here).
    let order = match measure {
        Measure::Consumption => "usage_price",
        Measure::Margin => "licence_price + usage_price - licence_cost - usage_cost",
        Measure::Purchases | Measure::Seats => "licence_price",
    };
    let mut b = QueryBuilder::<Postgres>::new(
        "WITH top AS (SELECT customer_id FROM sales_by_customer WHERE reseller_id = ",
    );
    b.push_bind(reseller_id)
        .push(" AND month = ")
        .push_bind(ranked)
        .push(" ORDER BY (")
        .push(order)
        .push(") DESC, customer_id LIMIT ")
        .push_bind(limit)
        .push(
            ") SELECT f.month, f.customer_id::text AS key, c.legal_name AS name_es,
                      c.legal_name AS name_en, c.legal_name AS name_pt,
                      f.licence_cost, f.licence_price, f.usage_cost, f.usage_price,
                      0::numeric AS quantity
               FROM sales_by_customer f
               JOIN top t ON t.customer_id = f.customer_id
               JOIN customers c ON c.reseller_id = f.reseller_id AND c.id = f.customer_id
               WHERE f.reseller_id = ",
        )
        .push_bind(reseller_id)
        .push(" AND f.month BETWEEN ")
        .push_bind(first)
        .push(" AND ")
        .push_bind(last);
    b.build_query_as::<Figure>().fetch_all(tx).await
}
