//! The reseller's dashboard (`/`): this month against last (purchases, consumption, margin),
//! its subscriptions and customers, what needs attention, the month's top customers and
//! products, and the latest orders. Every figure links to the list behind it. What a role sees
//! follows DESIGN.md: money for owners, admins and billing users; subscriptions, renewals and
//! orders for everyone.

use rust_decimal::Decimal;
use time::OffsetDateTime;

use crate::billing::charges::Month;
use crate::billing::store::sales::Sales;
use crate::identity::ResellerUser;
use crate::orders::rules::order_number;
use crate::reports::figures::{self, Trend};
use crate::reports::store::{self, Attention, MonthSales, RecentOrder, SubscriptionFigures, Top};
use crate::web::PageCtx;

/// How many customers, products and orders the dashboard lists.
const TOP: i64 = 5;

/// What the dashboard shows, as read.
pub struct Dashboard {
    pub this: Month,
    pub last: Month,
    pub this_sales: Option<MonthSales>,
    pub last_sales: Option<MonthSales>,
    pub subscriptions: SubscriptionFigures,
    pub customers: (i64, i64),
    pub attention: Attention,
    pub top_customers: Vec<Top>,
    pub top_products: Vec<Top>,
    pub orders: Vec<RecentOrder>,
    /// Whether this user sees money (costs and margins with it).
    pub money: bool,
    /// The reseller's billing currency.
    pub currency: String,
    /// When its latest subscription change was decided.
    pub changed: Option<OffsetDateTime>,
    /// The committed spend, once computed (money).
    pub commitments: Option<crate::reports::commitments::Totals>,
}

/// Reads the dashboard of `me`'s reseller at `now`, in one tenant transaction.
pub async fn load(
    db: &sqlx::PgPool,
    me: &ResellerUser,
    now: OffsetDateTime,
) -> sqlx::Result<Dashboard> {
    let zone = me.user.time_zone.as_deref();
    let (this, last) = figures::months(now, zone);
    let money = me.user.role.sees_billing();
    let r = me.reseller_id;
    let mut tx = crate::db::tenant_tx(db, r).await?;
    let months = if money {
        store::months(&mut tx, r, &[this.first_day(), last.first_day()]).await?
    } else {
        Vec::new()
    };
    let (top_customers, top_products) = if money {
        (
            store::top_customers(&mut tx, r, this.first_day(), TOP).await?,
            store::top_products(&mut tx, r, this.first_day(), TOP).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    // Renewal dates are UTC calendar dates, as the subscriptions list filters them.
    let subscriptions =
        store::subscriptions(&mut tx, r, now.to_offset(time::UtcOffset::UTC).date()).await?;
    let customers = store::customers(&mut tx, r, this.first_day(), zone.unwrap_or("UTC")).await?;
    let attention = store::attention(&mut tx, r, now).await?;
    let orders = store::recent_orders(&mut tx, r, TOP).await?;
    let currency = store::currency(&mut tx, r).await?;
    let changed = crate::billing::store::estimates::latest_change(&mut tx, r).await?;
    let commitments = if money {
        crate::reports::commitments::totals(&mut tx, r).await?
    } else {
        None
    };
    tx.commit().await?;
    let of = |m: Month| months.iter().find(|s| s.month == m.first_day()).cloned();
    Ok(Dashboard {
        this,
        last,
        this_sales: of(this),
        last_sales: of(last),
        subscriptions,
        customers,
        attention,
        top_customers,
        top_products,
        orders,
        money,
        currency,
        changed,
        commitments,
    })
}

/// A figure of this month beside last month's.
pub struct Kpi {
    pub id: &'static str,
    pub label: String,
    pub value: String,
    pub previous: String,
    pub change: String,
    pub trend: Trend,
    pub href: String,
}

/// A count with the list behind it.
pub struct Tile {
    pub id: &'static str,
    pub number: String,
    pub label: String,
    pub detail: Option<String>,
    pub href: Option<String>,
    /// Shown as a warning (something to act on).
    pub warn: bool,
}

/// A row of a top list.
pub struct TopRow {
    pub name: String,
    pub amount: String,
    pub href: String,
}

/// An order of the latest.
pub struct OrderRow {
    pub id: uuid::Uuid,
    pub number: String,
    pub customer: String,
    pub status: crate::orders::rules::OrderStatus,
    pub status_label: String,
    pub total: String,
    pub created: String,
}

/// The dashboard, in the reader's language.
pub struct View {
    pub this_month: String,
    /// "December 2026 against November 2026".
    pub comparing: String,
    pub kpis: Vec<Kpi>,
    /// The note under the month's figures ("an estimate as of …").
    pub sales_note: Option<String>,
    pub tiles: Vec<Tile>,
    /// The committed spend and what can be reduced today, with when they were computed.
    pub committed: Vec<Tile>,
    pub committed_note: String,
    pub attention: Vec<Tile>,
    pub top_customers: Vec<TopRow>,
    pub top_products: Vec<TopRow>,
    pub orders: Vec<OrderRow>,
}

pub fn view(ctx: &PageCtx, d: &Dashboard) -> View {
    let money = |a: Decimal| ctx.money(a, &d.currency);
    let count = |n: i64| crate::i18n::format_integer(ctx.locale, n);
    let this_sales = d.this_sales.as_ref().map(|m| m.sales).unwrap_or_default();
    let last_sales = d.last_sales.as_ref().map(|m| m.sales).unwrap_or_default();
    let kpi = |id, key: &str, pick: fn(&Sales) -> Decimal, href: String| {
        let (trend, percent) = figures::change(pick(&this_sales), pick(&last_sales));
        Kpi {
            id,
            label: ctx.t(key),
            value: money(pick(&this_sales)),
            previous: ctx.t_with(
                "dashboard.last_month_was",
                &[("amount", &money(pick(&last_sales)))],
            ),
            change: match (trend, percent) {
                (_, Some(p)) => format!(
                    "{}{} %",
                    if p.is_sign_positive() { "+" } else { "" },
                    crate::i18n::format_decimal(ctx.locale, p, 1)
                ),
                (Trend::New, None) => ctx.t("dashboard.change_new"),
                _ => String::new(),
            },
            trend,
            href,
        }
    };
    let kpis = if d.money {
        let billing = format!("/billing?period={}", d.last.code());
        vec![
            kpi(
                "kpi-purchases",
                "dashboard.purchases",
                |s| s.licence_price,
                billing.clone(),
            ),
            kpi(
                "kpi-consumption",
                "dashboard.consumption",
                |s| s.usage_price,
                billing.clone(),
            ),
            kpi("kpi-margin", "dashboard.margin", Sales::margin, billing),
        ]
    } else {
        Vec::new()
    };
    let sales_note = d.money.then(|| match &d.this_sales {
        Some(m) if m.estimate => ctx.t_with(
            "dashboard.estimate_as_of",
            &[("moment", &ctx.moment(m.computed_at))],
        ),
        Some(_) => ctx.t("dashboard.invoiced"),
        None => ctx.t("dashboard.estimate_pending"),
    });
    let s = &d.subscriptions;
    let tiles = vec![
        Tile {
            id: "tile-subscriptions",
            number: count(s.active),
            label: ctx.t("dashboard.active_subscriptions"),
            detail: Some(ctx.t_count("dashboard.seats_many", "dashboard.seats_one", s.seats)),
            href: Some("/subscriptions?status=active".into()),
            warn: false,
        },
        Tile {
            id: "tile-customers",
            number: count(d.customers.0),
            label: ctx.t("dashboard.active_customers"),
            detail: Some(ctx.t_count("dashboard.added_many", "dashboard.added_one", d.customers.1)),
            href: Some("/customers?sort=newest".into()),
            warn: false,
        },
        Tile {
            id: "tile-renewals",
            number: count(s.renewing),
            label: ctx.t("dashboard.renewals"),
            detail: d.money.then(|| money(s.renewal_amount)),
            href: Some(format!(
                "/subscriptions?status=active&renews={}&renewal=auto&sort=renews",
                store::RENEWING_DAYS
            )),
            warn: false,
        },
    ];
    let (committed, committed_note) = commitment_tiles(ctx, d);
    let a = &d.attention;
    let attention = vec![
        Tile {
            id: "attention-failed",
            number: count(a.failed_orders),
            label: ctx.t("dashboard.failed_orders"),
            detail: None,
            href: Some("/orders?status=failed".into()),
            warn: a.failed_orders > 0,
        },
        Tile {
            id: "attention-pending",
            number: count(a.pending_changes),
            label: ctx.t("dashboard.pending_changes"),
            detail: None,
            href: Some("/subscriptions?pending=1".into()),
            warn: a.pending_changes > 0,
        },
        Tile {
            id: "attention-windows",
            number: count(a.closing_seats),
            label: ctx.t("dashboard.windows_closing"),
            detail: Some(if d.money {
                ctx.t_with("dashboard.refundable", &[("amount", &money(a.refundable))])
            } else {
                ctx.t_count(
                    "dashboard.batches_many",
                    "dashboard.batches_one",
                    a.closing_batches,
                )
            }),
            href: Some("/subscriptions?window=closing".into()),
            warn: a.closing_seats > 0,
        },
        Tile {
            id: "attention-unassigned",
            number: count(s.idle),
            label: ctx.t("dashboard.idle_seats"),
            detail: Some(ctx.t_with(
                "dashboard.unassigned_in_all",
                &[("count", &count(s.unassigned))],
            )),
            href: Some("/subscriptions?status=active&idle=1".into()),
            warn: s.idle > 0,
        },
    ];
    let top = |rows: &[Top], base: &str| {
        rows.iter()
            .map(|t| TopRow {
                name: ctx
                    .locale
                    .pick(&t.name_es, &t.name_en, &t.name_pt)
                    .to_string(),
                amount: money(t.price),
                href: format!("{base}{}", t.key),
            })
            .collect()
    };
    View {
        this_month: ctx.month(d.this.first_day()),
        comparing: ctx.t_with(
            "dashboard.comparing",
            &[
                ("this", &ctx.month(d.this.first_day())),
                ("last", &ctx.month(d.last.first_day())),
            ],
        ),
        kpis,
        sales_note,
        tiles,
        committed,
        committed_note,
        attention,
        top_customers: top(&d.top_customers, "/customers/"),
        top_products: top(&d.top_products, "/catalog/"),
        orders: d
            .orders
            .iter()
            .map(|o| OrderRow {
                id: o.id,
                number: order_number(o.number),
                customer: o.customer.clone(),
                status: o.status,
                status_label: ctx.t(o.status.key()),
                total: ctx.money(o.total_price, &o.currency),
                created: ctx.moment(o.created_at),
            })
            .collect(),
    }
}

/// The committed spend's tiles (none for a user who sees no money) and their note.
fn commitment_tiles(ctx: &PageCtx, d: &Dashboard) -> (Vec<Tile>, String) {
    if !d.money {
        return (Vec::new(), String::new());
    }
    let Some(t) = &d.commitments else {
        return (Vec::new(), ctx.t("commitments.pending"));
    };
    let c = t.commitment;
    let tiles = vec![
        Tile {
            id: "tile-committed",
            number: ctx.money(c.committed, &t.currency),
            label: ctx.t("commitments.committed"),
            detail: Some(ctx.t_count(
                "commitments.customers_many",
                "commitments.customers_one",
                t.customers.into(),
            )),
            href: Some("/reports/commitments".into()),
            warn: false,
        },
        Tile {
            id: "tile-reducible",
            number: ctx.money(c.reducible, &t.currency),
            label: ctx.t("commitments.reducible"),
            detail: Some(ctx.t("commitments.reducible_detail")),
            href: Some("/reports/commitments?order=reducible".into()),
            warn: false,
        },
    ];
    let note = ctx.t_with(
        "commitments.as_of",
        &[("moment", &ctx.moment(t.computed_at))],
    );
    (tiles, note)
}
