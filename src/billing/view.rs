//! Invoices as their pages and files show them, in the reader's language.

use rust_decimal::Decimal;
use uuid::Uuid;

use crate::billing::charges::Month;
use crate::billing::invoice::LineKind;
use crate::billing::store::invoices::{CustomerPart, Invoice, Line, Reconciled};
use crate::billing::store::usage::Day;
use crate::web::PageCtx;

/// An invoice in the list.
pub struct InvoiceRow {
    pub id: Uuid,
    pub number: String,
    pub period: String,
    pub issued: String,
    pub lines: String,
    pub total: String,
    pub resale: String,
    pub margin: String,
}

pub fn invoice_row(ctx: &PageCtx, i: &Invoice) -> InvoiceRow {
    InvoiceRow {
        id: i.id,
        number: i.number.clone(),
        period: ctx.month(i.period),
        issued: ctx.day(i.issued_at),
        lines: crate::i18n::format_integer(ctx.locale, i64::from(i.lines)),
        total: ctx.money(i.total, &i.currency),
        resale: ctx.money(i.resale, &i.currency),
        margin: ctx.money(i.resale - i.subtotal, &i.currency),
    }
}

/// The figures of an invoice's header.
pub struct Totals {
    pub subtotal: String,
    pub tax: String,
    pub total: String,
    pub resale: String,
    pub margin: String,
}

pub fn totals(ctx: &PageCtx, i: &Invoice) -> Totals {
    Totals {
        subtotal: ctx.money(i.subtotal, &i.currency),
        tax: ctx.money(i.tax, &i.currency),
        total: ctx.money(i.total, &i.currency),
        resale: ctx.money(i.resale, &i.currency),
        margin: ctx.money(i.resale - i.subtotal, &i.currency),
    }
}

/// A customer's part of an invoice.
#[derive(Clone)]
pub struct CustomerRow {
    pub id: Uuid,
    pub name: String,
    pub lines: String,
    pub cost: String,
    pub price: String,
    pub margin: String,
    pub selected: bool,
}

pub fn customer_rows(
    ctx: &PageCtx,
    parts: &[CustomerPart],
    currency: &str,
    chosen: Option<Uuid>,
) -> Vec<CustomerRow> {
    parts
        .iter()
        .map(|p| CustomerRow {
            id: p.customer_id,
            name: p.name.clone(),
            lines: crate::i18n::format_integer(ctx.locale, p.lines),
            cost: ctx.money(p.cost, currency),
            price: ctx.money(p.price, currency),
            margin: ctx.money(p.price - p.cost, currency),
            selected: chosen == Some(p.customer_id),
        })
        .collect()
}

/// A group of lines: one customer's.
pub struct LineGroup {
    pub customer: String,
    pub customer_id: Uuid,
    pub lines: Vec<LineRow>,
}

/// A line as the invoice page shows it, with links to its subscription and to what caused it.
pub struct LineRow {
    pub line_no: i32,
    pub product: String,
    pub sku: String,
    pub subscription_link: String,
    /// "Billing period", or the change (linked to its row in the subscription's history).
    pub cause: String,
    pub cause_link: Option<String>,
    pub adjustment: bool,
    pub dates: String,
    pub quantity: String,
    pub unit_cost: String,
    pub cost: String,
    pub price: String,
    pub margin: String,
}

pub fn line_groups(
    ctx: &PageCtx,
    lines: Vec<Line>,
    parts: &[CustomerPart],
    currency: &str,
) -> Vec<LineGroup> {
    let mut groups: Vec<LineGroup> = Vec::new();
    for l in lines {
        if groups.last().is_none_or(|g| g.customer_id != l.customer_id) {
            let customer = parts
                .iter()
                .find(|p| p.customer_id == l.customer_id)
                .map(|p| p.name.clone())
                .unwrap_or_default();
            groups.push(LineGroup {
                customer,
                customer_id: l.customer_id,
                lines: Vec::new(),
            });
        }
        let row = line_row(ctx, l, currency);
        if let Some(g) = groups.last_mut() {
            g.lines.push(row);
        }
    }
    groups
}

fn line_row(ctx: &PageCtx, l: Line, currency: &str) -> LineRow {
    let subscription_link = format!("/subscriptions/{}", l.subscription_id);
    let (cause, cause_link) = match (l.kind, l.change_id, l.change_kind) {
        (LineKind::Change, Some(id), Some(kind)) => (
            ctx.t(kind.key()),
            Some(format!("{subscription_link}#change-{id}")),
        ),
        (LineKind::Usage, _, _) => (
            ctx.t_with(
                "billing.cause_usage",
                &[("meter", l.meter_name.as_deref().unwrap_or_default())],
            ),
            Some(format!(
                "{subscription_link}/usage?period={}",
                Month::of(l.charge_start).code()
            )),
        ),
        _ => (ctx.t("billing.cause_period"), None),
    };
    LineRow {
        line_no: l.line_no,
        product: ctx
            .locale
            .pick(&l.name_es, &l.name_en, &l.name_pt)
            .to_string(),
        sku: l.sku,
        subscription_link,
        cause,
        cause_link,
        adjustment: l.adjustment,
        dates: dates(ctx, l.charge_start, l.charge_end),
        quantity: quantity(ctx, l.quantity, l.unit.as_deref()),
        unit_cost: ctx.unit_price(l.unit_cost, currency),
        cost: ctx.money(l.cost, currency),
        price: ctx.money(l.price, currency),
        margin: ctx.money(l.price - l.cost, currency),
    }
}

/// A quantity as exact as it was measured (`1.234,5 GB`), with its unit when it has one.
pub fn quantity(ctx: &PageCtx, q: Decimal, unit: Option<&str>) -> String {
    let q = q.normalize();
    let shown = crate::i18n::format_decimal(ctx.locale, q, q.scale());
    match unit {
        Some(u) => format!("{shown} {u}"),
        None => shown,
    }
}

/// The days a charge covers: its first and its last (the day before its end).
fn dates(ctx: &PageCtx, start: time::Date, end: time::Date) -> String {
    let last = end.previous_day().unwrap_or(end).max(start);
    format!("{} – {}", ctx.date(start), ctx.date(last))
}

/// A meter's month, as the usage page sums it (exact, then rounded once for the page).
pub struct MeterRow {
    pub meter: String,
    pub category: String,
    pub quantity: String,
    pub cost: String,
    pub price: String,
}

pub fn meter_rows(ctx: &PageCtx, days: &[Day], currency: &str) -> Vec<MeterRow> {
    let mut sums: Vec<(&Day, Decimal, Decimal, Decimal)> = Vec::new();
    for d in days {
        let at = match sums.iter().position(|s| s.0.meter_id == d.meter_id) {
            Some(at) => at,
            None => {
                sums.push((d, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO));
                sums.len() - 1
            }
        };
        let s = &mut sums[at];
        s.1 += d.quantity;
        s.2 += d.quantity * d.unit_cost;
        s.3 += d.quantity * d.unit_price;
    }
    sums.into_iter()
        .map(|(d, q, cost, price)| MeterRow {
            meter: d.meter_name.clone(),
            category: d.category.clone(),
            quantity: quantity(ctx, q, Some(&d.unit)),
            cost: ctx.money(cost, currency),
            price: ctx.money(price, currency),
        })
        .collect()
}

/// A day of a meter.
pub struct UsageRow {
    pub date: String,
    pub meter: String,
    pub region: String,
    pub quantity: String,
    pub unit_cost: String,
    pub cost: String,
    pub price: String,
    pub billed: Option<Uuid>,
}

pub fn usage_rows(ctx: &PageCtx, days: Vec<Day>, currency: &str) -> Vec<UsageRow> {
    days.into_iter()
        .map(|d| UsageRow {
            date: ctx.date(d.usage_date),
            meter: d.meter_name.clone(),
            region: d.region.clone(),
            quantity: quantity(ctx, d.quantity, Some(&d.unit)),
            unit_cost: ctx.unit_price(d.unit_cost, currency),
            cost: ctx.unit_price(d.quantity * d.unit_cost, currency),
            price: ctx.unit_price(d.quantity * d.unit_price, currency),
            billed: d.invoice_id,
        })
        .collect()
}

/// A download's name: the reseller, the month, and the customer when it is one customer's
/// (`nube-andina_2026-11_papeleria-la-esperanza.csv`).
pub fn file_name(reseller: &str, period: time::Date, customer: Option<&str>, ext: &str) -> String {
    let month = Month::of(period).code();
    let mut name = format!("{}_{month}", crate::text::file_part(reseller));
    if let Some(c) = customer {
        name.push('_');
        name.push_str(&crate::text::file_part(c));
    }
    format!("{}.{ext}", name.trim_start_matches('_'))
}

/// The columns of the reconciliation file, modelled on Partner Center's, then the reseller's
/// price, the margin and what caused each line.
pub const RECONCILIATION_COLUMNS: [&str; 31] = [
    "billing.csv_customer",
    "billing.csv_customer_id",
    "billing.csv_domain",
    "billing.csv_country",
    "billing.csv_invoice",
    "billing.csv_order",
    "billing.csv_subscription",
    "billing.csv_vendor_subscription",
    "billing.csv_product_id",
    "billing.csv_sku",
    "billing.csv_product",
    "billing.csv_meter",
    "billing.csv_unit",
    "billing.csv_charge_type",
    "billing.csv_unit_price",
    "billing.csv_effective_unit_price",
    "billing.csv_quantity",
    "billing.csv_billable_quantity",
    "billing.csv_subtotal",
    "billing.csv_tax",
    "billing.csv_total",
    "billing.csv_currency",
    "billing.csv_charge_start",
    "billing.csv_charge_end",
    "billing.csv_term",
    "billing.csv_billing_cycle",
    "billing.csv_your_unit_price",
    "billing.csv_your_price",
    "billing.csv_margin",
    "billing.csv_event",
    "billing.csv_adjustment",
];

/// A line of the reconciliation file. Numbers are written plainly (a dot for decimals), dates
/// as ISO dates, so that any spreadsheet or program reads them the same.
pub fn reconciliation_row(ctx: &PageCtx, invoice: &Invoice, r: Reconciled) -> Vec<String> {
    let charge_type = match (r.kind, r.change_kind) {
        (LineKind::Change, Some(kind)) => ctx.t(kind.key()),
        (LineKind::Usage, _) => ctx.t_with(
            "billing.cause_usage",
            &[("meter", r.meter_name.as_deref().unwrap_or_default())],
        ),
        _ => ctx.t("billing.cause_period"),
    };
    let effective = if r.quantity.is_zero() {
        Decimal::ZERO
    } else {
        (r.cost / r.quantity).round_dp(4)
    };
    let last = r
        .charge_end
        .previous_day()
        .unwrap_or(r.charge_end)
        .max(r.charge_start);
    vec![
        r.customer,
        r.customer_id.to_string(),
        r.domain,
        r.country,
        invoice.number.clone(),
        r.order_id.to_string(),
        r.subscription_id.to_string(),
        r.vendor_ref,
        r.product_id.to_string(),
        r.sku,
        ctx.locale
            .pick(&r.name_es, &r.name_en, &r.name_pt)
            .to_string(),
        r.meter_name.clone().unwrap_or_default(),
        r.unit.clone().unwrap_or_default(),
        charge_type,
        r.unit_cost.normalize().to_string(),
        effective.normalize().to_string(),
        r.quantity.normalize().to_string(),
        r.quantity.normalize().to_string(),
        r.cost.to_string(),
        "0.00".into(),
        r.cost.to_string(),
        invoice.currency.clone(),
        r.charge_start.to_string(),
        last.to_string(),
        ctx.t(r.term.key()),
        ctx.t(r.billing.key()),
        r.unit_price.normalize().to_string(),
        r.price.to_string(),
        (r.price - r.cost).to_string(),
        match (r.change_id, &r.meter_id) {
            (Some(id), _) => id.to_string(),
            (None, Some(meter)) => {
                format!("usage:{}:{meter}:{}", r.subscription_id, r.charge_start)
            }
            (None, None) => format!("period:{}:{}", r.subscription_id, r.charge_start),
        },
        if r.adjustment {
            ctx.t("billing.yes")
        } else {
            String::new()
        },
    ]
}
