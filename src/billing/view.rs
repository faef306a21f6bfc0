//! Invoices as their pages and files show them, in the reader's language.

use rust_decimal::Decimal;
use uuid::Uuid;

use crate::billing::charges::Month;
use crate::billing::invoice::LineKind;
use crate::billing::store::credit_notes::CreditNote;
use crate::billing::store::invoices::{CustomerPart, Invoice, Line};
use crate::billing::store::seats::{Counted, Summary};
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
    pub status: &'static str,
    pub status_label: String,
}

pub fn invoice_row(ctx: &PageCtx, i: &Invoice) -> InvoiceRow {
    InvoiceRow {
        status: i.status().code(),
        status_label: ctx.t(i.status().key()),
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

/// The unbilled estimate of the current month, as the list shows it.
pub struct Unbilled {
    pub title: String,
    /// The cost, the reseller's price and what the estimate says it is; none while it is made.
    pub figures: Option<(String, String, String)>,
}

pub fn unbilled(
    ctx: &PageCtx,
    month: crate::billing::charges::Month,
    estimate: Option<crate::billing::store::estimates::Estimate>,
) -> Unbilled {
    let month = ctx.month(month.first_day());
    Unbilled {
        title: ctx.t_with("billing.unbilled_title", &[("month", &month)]),
        figures: estimate.map(|e| {
            let at = ctx.moment(e.computed_at);
            (
                ctx.money(e.cost, &e.currency),
                ctx.money(e.price, &e.currency),
                ctx.t_with("billing.unbilled_estimate", &[("at", &at)]),
            )
        }),
    }
}

/// The figures of an invoice's header.
pub struct Totals {
    pub subtotal: String,
    pub tax: String,
    pub total: String,
    pub resale: String,
    pub margin: String,
    /// What credit notes credited (shown negative) and the total after them, when any did.
    pub credited: Option<(String, String)>,
    pub status: &'static str,
    pub status_label: String,
}

pub fn totals(ctx: &PageCtx, i: &Invoice) -> Totals {
    let status = i.status();
    Totals {
        subtotal: ctx.money(i.subtotal, &i.currency),
        tax: ctx.money(i.tax, &i.currency),
        total: ctx.money(i.total, &i.currency),
        resale: ctx.money(i.resale, &i.currency),
        margin: ctx.money(i.resale - i.subtotal, &i.currency),
        credited: (i.credited > Decimal::ZERO).then(|| {
            (
                ctx.money(-i.credited, &i.currency),
                ctx.money(i.total - i.credited, &i.currency),
            )
        }),
        status: status.code(),
        status_label: ctx.t(status.key()),
    }
}

/// A credit note of an invoice, as its page lists it.
pub struct CreditNoteRow {
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub number: String,
    pub issued: String,
    pub reason: String,
    pub lines: String,
    pub total: String,
    pub resale: String,
}

pub fn credit_note_rows(
    ctx: &PageCtx,
    notes: Vec<CreditNote>,
    invoice: &Invoice,
) -> Vec<CreditNoteRow> {
    let currency = invoice.currency.as_str();
    notes
        .into_iter()
        .map(|n| CreditNoteRow {
            id: n.id,
            invoice_id: invoice.id,
            issued: ctx.moment(n.issued_at),
            lines: crate::i18n::format_integer(ctx.locale, i64::from(n.lines)),
            total: ctx.money(-n.total, currency),
            resale: ctx.money(-n.resale, currency),
            number: n.number,
            reason: n.reason,
        })
        .collect()
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
    /// The credit note that credited it.
    pub credited_by: Option<String>,
    /// Whether a credit note may still credit it (it charges, and no note credited it yet).
    pub creditable: bool,
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
    let subscription_link = l
        .subscription_id
        .map(|id| format!("/subscriptions/{id}"))
        .unwrap_or_default();
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
        (LineKind::Credit, _, _) => (ctx.t("billing.kind_credit"), None),
        _ => (ctx.t("billing.cause_period"), None),
    };
    let product = line_product(
        ctx,
        l.reason.as_deref(),
        [&l.name_es, &l.name_en, &l.name_pt],
    );
    LineRow {
        creditable: l.credited_by.is_none() && l.cost > Decimal::ZERO,
        credited_by: l.credited_by,
        line_no: l.line_no,
        product,
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

/// What a line bills, in the reader's language: its product, or a one-off credit's reason.
pub fn line_product(ctx: &PageCtx, reason: Option<&str>, names: [&str; 3]) -> String {
    match reason {
        Some(reason) => reason.to_string(),
        None => ctx.locale.pick(names[0], names[1], names[2]).to_string(),
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
pub fn dates(ctx: &PageCtx, start: time::Date, end: time::Date) -> String {
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

/// An invoice's seat reconciliation, as its page shows it.
pub struct SeatSummary {
    /// "42 subscriptions reconciled, 3 differ", or none when the invoice has none.
    pub said: Option<String>,
    /// The vendor's counts are still being asked.
    pub pending: bool,
    pub rows: Vec<SeatRow>,
}

/// A subscription whose seats differ.
pub struct SeatRow {
    pub subscription_id: Uuid,
    pub customer: String,
    pub product: String,
    pub billed: i32,
    pub assigned: i32,
    pub vendor: String,
    pub flags: Vec<String>,
}

pub fn seat_summary(ctx: &PageCtx, s: Summary, differing: Vec<Counted>) -> SeatSummary {
    let said = (s.subscriptions > 0).then(|| {
        ctx.t_with(
            "billing.seats_said",
            &[
                (
                    "all",
                    &crate::i18n::format_integer(ctx.locale, s.subscriptions),
                ),
                (
                    "differ",
                    &crate::i18n::format_integer(ctx.locale, s.differing),
                ),
            ],
        )
    });
    SeatSummary {
        said,
        pending: s.pending > 0,
        rows: differing
            .into_iter()
            .map(|c| SeatRow {
                flags: crate::billing::seats::flags(c.billed, c.assigned, c.vendor)
                    .into_iter()
                    .map(|f| ctx.t(f.key()))
                    .collect(),
                subscription_id: c.subscription_id,
                product: ctx
                    .locale
                    .pick(&c.name_es, &c.name_en, &c.name_pt)
                    .to_string(),
                customer: c.customer,
                billed: c.billed,
                assigned: c.assigned,
                vendor: c
                    .vendor
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "…".into()),
            })
            .collect(),
    }
}
