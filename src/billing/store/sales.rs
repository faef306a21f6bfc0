//! A month's sales figures (migration 0044), per reseller, end customer and product, as its
//! invoice billed them or its estimate would: what the dashboard and the reports read instead of
//! summing invoice lines on every view. Written by the billing run in the transaction that
//! issues the invoice, and by the estimate job; a month's figures are replaced whole.

use rust_decimal::Decimal;
use sqlx::PgConnection;
use time::Date;
use uuid::Uuid;

/// Licences (periods, changes, credits) and consumption (usage): cost and price.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sales {
    pub licence_cost: Decimal,
    pub licence_price: Decimal,
    pub usage_cost: Decimal,
    pub usage_price: Decimal,
}

impl Sales {
    pub fn new(
        licence_cost: Decimal,
        licence_price: Decimal,
        usage_cost: Decimal,
        usage_price: Decimal,
    ) -> Self {
        Sales {
            licence_cost,
            licence_price,
            usage_cost,
            usage_price,
        }
    }

    pub fn cost(&self) -> Decimal {
        self.licence_cost + self.usage_cost
    }

    pub fn price(&self) -> Decimal {
        self.licence_price + self.usage_price
    }

    pub fn margin(&self) -> Decimal {
        self.price() - self.cost()
    }

    pub fn add(&mut self, other: &Sales) {
        self.licence_cost += other.licence_cost;
        self.licence_price += other.licence_price;
        self.usage_cost += other.usage_cost;
        self.usage_price += other.usage_price;
    }
}

/// One customer's or one product's part.
#[derive(Debug, Clone)]
pub struct Part<K> {
    pub key: K,
    pub sales: Sales,
    /// Seats billed for licence periods (products only).
    pub quantity: Decimal,
}

/// A month's figures: per customer and per product (`None`: staff credits).
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub customers: Vec<Part<Uuid>>,
    pub products: Vec<Part<Option<Uuid>>>,
}

impl Figures {
    /// The month's total.
    pub fn total(&self) -> Sales {
        let mut total = Sales::default();
        for c in &self.customers {
            total.add(&c.sales);
        }
        total
    }
}

/// The figures of the lines written for `invoice_id` (in this transaction, or issued).
pub async fn of_invoice(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    invoice_id: Uuid,
) -> sqlx::Result<Figures> {
    let customers = sqlx::query!(
        r#"SELECT customer_id,
                  coalesce(sum(cost) FILTER (WHERE kind <> 'usage'), 0) AS "licence_cost!",
                  coalesce(sum(price) FILTER (WHERE kind <> 'usage'), 0) AS "licence_price!",
                  coalesce(sum(cost) FILTER (WHERE kind = 'usage'), 0) AS "usage_cost!",
                  coalesce(sum(price) FILTER (WHERE kind = 'usage'), 0) AS "usage_price!"
           FROM invoice_lines WHERE reseller_id = $1 AND invoice_id = $2
           GROUP BY customer_id"#,
        reseller_id,
        invoice_id,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| Part {
        key: r.customer_id,
        sales: Sales::new(r.licence_cost, r.licence_price, r.usage_cost, r.usage_price),
        quantity: Decimal::ZERO,
    })
    .collect();
    let products = sqlx::query!(
        r#"SELECT product_id,
                  coalesce(sum(cost) FILTER (WHERE kind <> 'usage'), 0) AS "licence_cost!",
                  coalesce(sum(price) FILTER (WHERE kind <> 'usage'), 0) AS "licence_price!",
                  coalesce(sum(cost) FILTER (WHERE kind = 'usage'), 0) AS "usage_cost!",
                  coalesce(sum(price) FILTER (WHERE kind = 'usage'), 0) AS "usage_price!",
                  coalesce(sum(quantity) FILTER (WHERE kind = 'recurring'), 0) AS "quantity!"
           FROM invoice_lines WHERE reseller_id = $1 AND invoice_id = $2
           GROUP BY product_id"#,
        reseller_id,
        invoice_id,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| Part {
        key: r.product_id,
        sales: Sales::new(r.licence_cost, r.licence_price, r.usage_cost, r.usage_price),
        quantity: r.quantity,
    })
    .collect();
    Ok(Figures {
        customers,
        products,
    })
}

/// Makes `figures` the reseller's figures of the month starting `period`: an invoice's replace
/// whatever was there; an estimate's replace an earlier estimate, never an invoice's.
pub async fn replace(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    period: Date,
    estimate: bool,
    figures: &Figures,
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM sales_months WHERE reseller_id = $1 AND month = $2 AND (estimate OR NOT $3)",
        reseller_id,
        period,
        estimate,
    )
    .execute(&mut *tx)
    .await?;
    let total = figures.total();
    let added = sqlx::query!(
        "INSERT INTO sales_months (reseller_id, month, estimate, currency, licence_cost,
                                   licence_price, usage_cost, usage_price, customers)
         SELECT $1, $2, $3, billing_currency, $4, $5, $6, $7, $8 FROM resellers WHERE id = $1
         ON CONFLICT (reseller_id, month) DO NOTHING",
        reseller_id,
        period,
        estimate,
        total.licence_cost,
        total.licence_price,
        total.usage_cost,
        total.usage_price,
        figures.customers.len() as i32,
    )
    .execute(&mut *tx)
    .await?;
    if added.rows_affected() == 0 {
        return Ok(()); // An estimate of a month invoiced since.
    }
    let (ids, sales): (Vec<Uuid>, Vec<Sales>) =
        figures.customers.iter().map(|c| (c.key, c.sales)).unzip();
    let [lc, lp, uc, up] = columns(&sales);
    sqlx::query!(
        "INSERT INTO sales_by_customer (reseller_id, month, customer_id, licence_cost,
                                        licence_price, usage_cost, usage_price)
         SELECT $1, $2, * FROM unnest($3::uuid[], $4::numeric[], $5::numeric[], $6::numeric[],
                                      $7::numeric[])",
        reseller_id,
        period,
        &ids,
        &lc,
        &lp,
        &uc,
        &up,
    )
    .execute(&mut *tx)
    .await?;
    let ids: Vec<Option<Uuid>> = figures.products.iter().map(|p| p.key).collect();
    let quantities: Vec<Decimal> = figures.products.iter().map(|p| p.quantity).collect();
    let sales: Vec<Sales> = figures.products.iter().map(|p| p.sales).collect();
    let [lc, lp, uc, up] = columns(&sales);
    sqlx::query!(
        r#"INSERT INTO sales_by_product (reseller_id, month, product_id, licence_cost,
                                         licence_price, usage_cost, usage_price, quantity)
           SELECT $1, $2, * FROM unnest($3::uuid[], $4::numeric[], $5::numeric[],
                                        $6::numeric[], $7::numeric[], $8::numeric[])"#,
        reseller_id,
        period,
        &ids as &[Option<Uuid>],
        &lc,
        &lp,
        &uc,
        &up,
        &quantities,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The four amounts of `sales`, column by column.
fn columns(sales: &[Sales]) -> [Vec<Decimal>; 4] {
    [
        sales.iter().map(|s| s.licence_cost).collect(),
        sales.iter().map(|s| s.licence_price).collect(),
        sales.iter().map(|s| s.usage_cost).collect(),
        sales.iter().map(|s| s.usage_price).collect(),
    ]
}
