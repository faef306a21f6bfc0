//! An invoice's files, for the whole invoice or one customer's part: the licence summary (its
//! billing periods and changes), the consumption summary (its usage by meter) and the
//! reconciliation file (every line, its columns modelled on Partner Center's), each as CSV or
//! XLSX. The rows are typed cells, written as numbers and dates in the spreadsheet and plainly
//! in the CSV (a dot for decimals, ISO dates), so that any program reads them the same.

use rust_decimal::Decimal;

use crate::billing::charges::Month;
use crate::billing::invoice::LineKind;
use crate::billing::store::invoices::{Invoice, Line};
use crate::billing::store::seats::Counted;
use crate::web::PageCtx;
use crate::web::spreadsheet::{Cell, Column};

/// Which file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum File {
    Licences,
    Consumption,
    Reconciliation,
    /// Seat reconciliation: per subscription, the seats billed, assigned and at the vendor.
    Seats,
}

/// In which format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl File {
    /// `licences.xlsx` and the like; none for another name.
    pub fn parse(name: &str) -> Option<(File, Format)> {
        let (stem, ext) = name.rsplit_once('.')?;
        let file = match stem {
            "licences" => File::Licences,
            "consumption" => File::Consumption,
            "reconciliation" => File::Reconciliation,
            "seats" => File::Seats,
            _ => return None,
        };
        let format = match ext {
            "csv" => Format::Csv,
            "xlsx" => Format::Xlsx,
            _ => return None,
        };
        Some((file, format))
    }

    /// The lines it holds.
    pub fn kinds(self) -> &'static [LineKind] {
        match self {
            File::Licences => &[LineKind::Recurring, LineKind::Change, LineKind::Credit],
            File::Consumption => &[LineKind::Usage],
            File::Reconciliation => LineKind::ALL,
            File::Seats => &[],
        }
    }

    fn stem(self) -> &'static str {
        match self {
            File::Licences => "licences",
            File::Consumption => "consumption",
            File::Reconciliation => "reconciliation",
            File::Seats => "seats",
        }
    }

    /// The sheet's name, in the reader's language.
    pub fn title(self, ctx: &PageCtx) -> String {
        ctx.t(match self {
            File::Licences => "billing.file_licences",
            File::Consumption => "billing.file_consumption",
            File::Reconciliation => "billing.file_reconciliation",
            File::Seats => "billing.file_seats",
        })
    }

    /// Its columns: the message key of each header and its width.
    fn columns(self) -> &'static [(&'static str, f64)] {
        match self {
            File::Licences => &LICENCE_COLUMNS,
            File::Consumption => &CONSUMPTION_COLUMNS,
            File::Reconciliation => &RECONCILIATION_COLUMNS,
            File::Seats => &SEAT_COLUMNS,
        }
    }

    /// Its columns in the reader's language.
    pub fn header(self, ctx: &PageCtx) -> Vec<Column> {
        self.columns()
            .iter()
            .map(|(key, width)| Column {
                header: ctx.t(key),
                width: *width,
            })
            .collect()
    }

    /// A download's name: the reseller, the month, the customer when it is one customer's, and
    /// the file (`nube-andina_2026-11_papeleria-la-esperanza_consumption.xlsx`).
    pub fn name(
        self,
        reseller: &str,
        invoice: &Invoice,
        customer: Option<&str>,
        f: Format,
    ) -> String {
        let mut name = format!(
            "{}_{}",
            crate::text::file_part(reseller),
            Month::of(invoice.period).code()
        );
        if let Some(c) = customer {
            name.push('_');
            name.push_str(&crate::text::file_part(c));
        }
        let ext = match f {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        };
        format!("{}_{}.{ext}", name.trim_start_matches('_'), self.stem())
    }

    /// A line as a row of this file (the seat reconciliation has rows of its own).
    pub fn row(self, ctx: &PageCtx, invoice: &Invoice, r: Line) -> Vec<Cell> {
        match self {
            File::Licences => licence_row(ctx, r),
            File::Consumption => consumption_row(ctx, r),
            File::Reconciliation | File::Seats => reconciliation_row(ctx, invoice, r),
        }
    }
}

const SEAT_COLUMNS: [(&str, f64); 10] = [
    ("billing.csv_customer", 28.0),
    ("billing.csv_customer_id", 38.0),
    ("billing.csv_subscription", 38.0),
    ("billing.csv_vendor_subscription", 30.0),
    ("billing.csv_sku", 16.0),
    ("billing.csv_product", 32.0),
    ("billing.seats_billed", 12.0),
    ("billing.seats_assigned", 12.0),
    ("billing.seats_vendor", 12.0),
    ("billing.seats_differences", 40.0),
];

/// A reconciled subscription as a row of the seat reconciliation.
pub fn seat_row(ctx: &PageCtx, c: Counted) -> Vec<Cell> {
    let differences = crate::billing::seats::flags(c.billed, c.assigned, c.vendor)
        .into_iter()
        .map(|f| ctx.t(f.key()))
        .collect::<Vec<_>>()
        .join("; ");
    vec![
        Cell::Text(c.customer),
        Cell::Text(c.customer_id.to_string()),
        Cell::Text(c.subscription_id.to_string()),
        Cell::Text(c.vendor_ref),
        Cell::Text(c.sku),
        Cell::Text(
            ctx.locale
                .pick(&c.name_es, &c.name_en, &c.name_pt)
                .to_string(),
        ),
        Cell::Number(Decimal::from(c.billed)),
        Cell::Number(Decimal::from(c.assigned)),
        c.vendor
            .map_or(Cell::Empty, |v| Cell::Number(Decimal::from(v))),
        Cell::Text(differences),
    ]
}

const LICENCE_COLUMNS: [(&str, f64); 14] = [
    ("billing.csv_customer", 28.0),
    ("billing.csv_domain", 28.0),
    ("billing.csv_product", 32.0),
    ("billing.csv_sku", 16.0),
    ("billing.csv_charge_type", 22.0),
    ("billing.csv_charge_start", 12.0),
    ("billing.csv_charge_end", 12.0),
    ("billing.csv_quantity", 10.0),
    ("billing.csv_unit_price", 12.0),
    ("billing.csv_subtotal", 12.0),
    ("billing.csv_your_unit_price", 12.0),
    ("billing.csv_your_price", 12.0),
    ("billing.csv_margin", 12.0),
    ("billing.csv_adjustment", 10.0),
];

const CONSUMPTION_COLUMNS: [(&str, f64); 14] = [
    ("billing.csv_customer", 28.0),
    ("billing.csv_domain", 28.0),
    ("billing.csv_product", 20.0),
    ("billing.csv_meter", 40.0),
    ("billing.csv_unit", 12.0),
    ("billing.csv_charge_start", 12.0),
    ("billing.csv_charge_end", 12.0),
    ("billing.csv_quantity", 14.0),
    ("billing.csv_unit_price", 12.0),
    ("billing.csv_subtotal", 12.0),
    ("billing.csv_your_unit_price", 12.0),
    ("billing.csv_your_price", 12.0),
    ("billing.csv_margin", 12.0),
    ("billing.csv_adjustment", 10.0),
];

/// The columns of the reconciliation file, modelled on Partner Center's, then the reseller's
/// price, the margin and what caused each line.
const RECONCILIATION_COLUMNS: [(&str, f64); 31] = [
    ("billing.csv_customer", 28.0),
    ("billing.csv_customer_id", 38.0),
    ("billing.csv_domain", 28.0),
    ("billing.csv_country", 8.0),
    ("billing.csv_invoice", 18.0),
    ("billing.csv_order", 38.0),
    ("billing.csv_subscription", 38.0),
    ("billing.csv_vendor_subscription", 30.0),
    ("billing.csv_product_id", 38.0),
    ("billing.csv_sku", 16.0),
    ("billing.csv_product", 32.0),
    ("billing.csv_meter", 32.0),
    ("billing.csv_unit", 10.0),
    ("billing.csv_charge_type", 22.0),
    ("billing.csv_unit_price", 12.0),
    ("billing.csv_effective_unit_price", 12.0),
    ("billing.csv_quantity", 10.0),
    ("billing.csv_billable_quantity", 10.0),
    ("billing.csv_subtotal", 12.0),
    ("billing.csv_tax", 10.0),
    ("billing.csv_total", 12.0),
    ("billing.csv_currency", 8.0),
    ("billing.csv_charge_start", 12.0),
    ("billing.csv_charge_end", 12.0),
    ("billing.csv_term", 16.0),
    ("billing.csv_billing_cycle", 16.0),
    ("billing.csv_your_unit_price", 12.0),
    ("billing.csv_your_price", 12.0),
    ("billing.csv_margin", 12.0),
    ("billing.csv_event", 38.0),
    ("billing.csv_adjustment", 10.0),
];

/// What caused a line, in the reader's language.
fn charge_type(ctx: &PageCtx, r: &Line) -> String {
    match (r.kind, r.change_kind) {
        (LineKind::Change, Some(kind)) => ctx.t(kind.key()),
        (LineKind::Usage, _) => ctx.t_with(
            "billing.cause_usage",
            &[("meter", r.meter_name.as_deref().unwrap_or_default())],
        ),
        (LineKind::Credit, _) => ctx.t("billing.kind_credit"),
        _ => ctx.t("billing.cause_period"),
    }
}

/// An id, or nothing (a credit has no subscription).
fn id(id: Option<uuid::Uuid>) -> Cell {
    id.map_or(Cell::Empty, |id| Cell::Text(id.to_string()))
}

/// The last day a line covers (its end is the day after).
fn last_day(r: &Line) -> time::Date {
    r.charge_end
        .previous_day()
        .unwrap_or(r.charge_end)
        .max(r.charge_start)
}

fn adjustment(ctx: &PageCtx, r: &Line) -> Cell {
    if r.adjustment {
        Cell::Text(ctx.t("billing.yes"))
    } else {
        Cell::Empty
    }
}

/// The product, or a credit's reason.
fn product(ctx: &PageCtx, r: &Line) -> String {
    match &r.reason {
        Some(reason) => reason.clone(),
        None => ctx
            .locale
            .pick(&r.name_es, &r.name_en, &r.name_pt)
            .to_string(),
    }
}

fn licence_row(ctx: &PageCtx, r: Line) -> Vec<Cell> {
    let what = [Cell::Text(r.sku.clone()), Cell::Text(charge_type(ctx, &r))];
    summary_row(ctx, r, what)
}

fn consumption_row(ctx: &PageCtx, r: Line) -> Vec<Cell> {
    let what = [
        Cell::Text(r.meter_name.clone().unwrap_or_default()),
        Cell::Text(r.unit.clone().unwrap_or_default()),
    ];
    summary_row(ctx, r, what)
}

/// A row of a summary (licences or consumption): the customer, its domain and the product,
/// `what` the summary says of the line, then its dates, quantity and money.
fn summary_row(ctx: &PageCtx, r: Line, what: [Cell; 2]) -> Vec<Cell> {
    let mut row = vec![
        Cell::Text(r.customer.clone()),
        Cell::Text(r.domain.clone()),
        Cell::Text(product(ctx, &r)),
    ];
    row.extend(what);
    row.extend([
        Cell::Date(r.charge_start),
        Cell::Date(last_day(&r)),
        Cell::Number(r.quantity),
        Cell::Number(r.unit_cost),
        Cell::Money(r.cost),
        Cell::Number(r.unit_price),
        Cell::Money(r.price),
        Cell::Money(r.price - r.cost),
        adjustment(ctx, &r),
    ]);
    row
}

fn reconciliation_row(ctx: &PageCtx, invoice: &Invoice, r: Line) -> Vec<Cell> {
    let effective = if r.quantity.is_zero() {
        Decimal::ZERO
    } else {
        (r.cost / r.quantity).round_dp(4)
    };
    let subscription = r.subscription_id.map(|s| s.to_string()).unwrap_or_default();
    let event = match (r.change_id, &r.meter_id, r.credit_id) {
        (Some(id), _, _) => id.to_string(),
        (_, _, Some(id)) => format!("credit:{id}"),
        (None, Some(meter), _) => format!("usage:{subscription}:{meter}:{}", r.charge_start),
        (None, None, None) => format!("period:{subscription}:{}", r.charge_start),
    };
    vec![
        Cell::Text(r.customer.clone()),
        Cell::Text(r.customer_id.to_string()),
        Cell::Text(r.domain.clone()),
        Cell::Text(r.country.clone()),
        Cell::Text(invoice.number.clone()),
        id(r.order_id),
        id(r.subscription_id),
        Cell::Text(r.vendor_ref.clone()),
        id(r.product_id),
        Cell::Text(r.sku.clone()),
        Cell::Text(product(ctx, &r)),
        Cell::Text(r.meter_name.clone().unwrap_or_default()),
        Cell::Text(r.unit.clone().unwrap_or_default()),
        Cell::Text(charge_type(ctx, &r)),
        Cell::Number(r.unit_cost),
        Cell::Number(effective),
        Cell::Number(r.quantity),
        Cell::Number(r.quantity),
        Cell::Money(r.cost),
        Cell::Money(Decimal::ZERO),
        Cell::Money(r.cost),
        Cell::Text(invoice.currency.clone()),
        Cell::Date(r.charge_start),
        Cell::Date(last_day(&r)),
        r.term.map_or(Cell::Empty, |t| Cell::Text(ctx.t(t.key()))),
        r.billing
            .map_or(Cell::Empty, |b| Cell::Text(ctx.t(b.key()))),
        Cell::Number(r.unit_price),
        Cell::Money(r.price),
        Cell::Money(r.price - r.cost),
        Cell::Text(event),
        adjustment(ctx, &r),
    ]
}

/// A cell as CSV text: numbers plainly (a dot for decimals), amounts with two decimals, ISO
/// dates.
pub fn csv_text(cell: Cell) -> String {
    match cell {
        Cell::Text(t) => t,
        Cell::Money(m) => format!("{:.2}", crate::subscriptions::proration::cents(m)),
        Cell::Number(n) => n.normalize().to_string(),
        Cell::Date(d) => d.to_string(),
        Cell::Empty => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_and_parsed() {
        assert_eq!(
            File::parse("licences.xlsx"),
            Some((File::Licences, Format::Xlsx))
        );
        assert_eq!(
            File::parse("consumption.csv"),
            Some((File::Consumption, Format::Csv))
        );
        assert_eq!(
            File::parse("reconciliation.csv"),
            Some((File::Reconciliation, Format::Csv))
        );
        for bad in ["licences", "licences.pdf", "../x.csv", "usage.csv", ""] {
            assert_eq!(File::parse(bad), None, "{bad}");
        }
        assert_eq!(csv_text(Cell::Money("12.5".parse().unwrap())), "12.50");
        assert_eq!(csv_text(Cell::Number("1.500000".parse().unwrap())), "1.5");
        assert_eq!(csv_text(Cell::Money("-0.125".parse().unwrap())), "-0.13");
    }
}
