//! SQL for orders: one order, the filtered list and its export, the lines of an order.

use futures_util::TryStreamExt;
use rust_decimal::Decimal;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::catalog::rules::{Billing, Term};
use crate::orders::rules::{LineStatus, OrderSort, OrderStatus};
use crate::vendors::{VendorCode, VendorErrorCode};
use crate::web::paging::{Cursor, Keyset, Listing};

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
    /// The reseller's purchase-order reference, as typed when placing.
    pub po_reference: Option<String>,
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
                  o.total_price, o.reason, o.created_at, u.name AS placed_by, o.po_reference
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
        u.name AS placed_by, o.po_reference";
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
            // The reseller's own purchase-order reference, as typed (any case).
            b.push(" OR lower(o.po_reference) = lower(")
                .push_bind(text.to_string())
                .push(")");
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

/// `size` orders that `f` finds, from the position `at` (keyset paging: a deep page costs what
/// the first one does), and how many it finds in all (estimated beyond 10,000).
pub async fn orders(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    f: &OrderFilter,
    at: &Keyset,
    size: i64,
) -> sqlx::Result<Listing<OrderRow>> {
    let total = crate::db::total(&mut *tx, |b| {
        b.push(" FROM orders o");
        push_filter(b, reseller_id, f);
    })
    .await?;
    let backwards = at.backwards();
    let mut b = QueryBuilder::new(ORDER_COLUMNS);
    b.push(ORDER_FROM);
    push_filter(&mut b, reseller_id, f);
    if let Some(c) = at.cursor() {
        push_after(&mut b, f.sort, c, backwards);
    }
    b.push(" ORDER BY ")
        .push(f.sort.sql(backwards))
        .push(" LIMIT ")
        .push_bind(size + 1);
    let rows = b.build_query_as::<ListedOrder>().fetch_all(tx).await?;
    let rows = rows.into_iter().map(ListedOrder::into_row).collect();
    Ok(Listing::of(rows, size, at, total))
}

/// Where `row` is in the list sorted by `sort` (the key of a keyset link).
pub fn cursor(sort: OrderSort, row: &OrderRow) -> Cursor {
    let key = match sort {
        OrderSort::Newest | OrderSort::Oldest => {
            row.created_at.format(&Rfc3339).unwrap_or_default()
        }
        OrderSort::TotalDesc | OrderSort::TotalAsc => row.total_price.to_string(),
    };
    Cursor { key, id: row.id }
}

/// Keeps the orders after the cursor `c` in the order of `sort` (read backwards: before it);
/// nothing, from the first row, when the cursor's key is not one of ours.
fn push_after(b: &mut QueryBuilder<'_, Postgres>, sort: OrderSort, c: &Cursor, backwards: bool) {
    let descending = matches!(sort, OrderSort::Newest | OrderSort::TotalDesc);
    let op = if descending != backwards {
        " < "
    } else {
        " > "
    };
    match sort {
        OrderSort::Newest | OrderSort::Oldest => match OffsetDateTime::parse(&c.key, &Rfc3339) {
            Ok(at) => b
                .push(" AND (o.created_at, o.id)")
                .push(op)
                .push("(")
                .push_bind(at),
            Err(_) => return,
        },
        OrderSort::TotalDesc | OrderSort::TotalAsc => match c.key.parse::<Decimal>() {
            Ok(total) => b
                .push(" AND (o.total_price, o.id)")
                .push(op)
                .push("(")
                .push_bind(total),
            Err(_) => return,
        },
    };
    b.push(", ").push_bind(c.id).push(")");
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
    po_reference: Option<String>,
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
            po_reference: self.po_reference,
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
    b.push(" ORDER BY ").push(f.sort.sql(false));
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
    /// The subscription the line became, once provisioned.
    pub subscription_id: Option<Uuid>,
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
                  status AS "status: LineStatus", error AS "error: VendorErrorCode",
                  (SELECT s.id FROM subscriptions s
                   WHERE s.reseller_id = l.reseller_id AND s.order_line_id = l.id) AS subscription_id
           FROM order_lines l WHERE reseller_id = $1 AND order_id = $2 ORDER BY sku, id"#,
        reseller_id,
        order_id,
    )
    .fetch_all(tx)
    .await
}

// ---------------------------------------------------------------- the timeline
