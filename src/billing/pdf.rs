//! An invoice as a PDF, in the reader's language: its header (who bills whom, the month, the
//! status), its totals and credit notes, each customer's part and, up to [`LINES`], its lines
//! per customer with the days they cover. A larger invoice's PDF stops there and says so; the
//! reconciliation file has every line. So the PDF stays a bounded document in memory, however
//! large the invoice.

use crate::billing::store::credit_notes::{CreditNote, Credited};
use crate::billing::store::invoices::{BilledTo, CustomerPart, Invoice, Line};
use crate::billing::view;
use crate::web::PageCtx;
use crate::web::pdf::{Align, Column, Document};

/// The most lines an invoice's PDF lists.
pub const LINES: i64 = 2_000;

/// What the PDF shows of an invoice.
pub struct InvoicePdf<'a> {
    pub invoice: &'a Invoice,
    pub to: &'a BilledTo,
    /// The first customers' parts, by name, and how many customers there are.
    pub parts: &'a [CustomerPart],
    pub customers: i64,
    /// The first lines, per customer (at most [`LINES`]).
    pub lines: Vec<Line>,
    pub notes: Vec<CreditNote>,
}

impl InvoicePdf<'_> {
    pub fn render(self, ctx: &PageCtx) -> Vec<u8> {
        let i = self.invoice;
        let title = format!("{} {}", ctx.t("billing.invoice"), i.number);
        let mut doc = Document::new(&title, &format!("{} · {}", ctx.t("app.name"), i.number));
        doc.title(&title);
        let totals = view::totals(ctx, i);
        let tax_id = format!("{} ({})", self.to.tax_id, self.to.country);
        let (period, issued) = (ctx.month(i.period), ctx.moment(i.issued_at));
        doc.facts(
            &[
                (&ctx.t("billing.pdf_issuer"), &ctx.t("app.name")),
                (&ctx.t("billing.pdf_billed_to"), &self.to.legal_name),
                (&ctx.t("billing.pdf_tax_id"), &tax_id),
                (&ctx.t("billing.period"), &period),
                (&ctx.t("billing.issued"), &issued),
                (&ctx.t("billing.pdf_currency"), &i.currency),
                (&ctx.t("billing.status"), &totals.status_label),
            ],
            Align::Left,
        );
        doc.heading(&ctx.t("billing.pdf_totals"));
        let mut sums = vec![
            (ctx.t("billing.subtotal"), totals.subtotal.clone()),
            (ctx.t("billing.tax"), totals.tax.clone()),
            (ctx.t("billing.total"), totals.total.clone()),
        ];
        if let Some((credited, after)) = &totals.credited {
            sums.push((ctx.t("billing.credited"), credited.clone()));
            sums.push((ctx.t("billing.after_credits"), after.clone()));
        }
        sums.push((ctx.t("billing.resale"), totals.resale.clone()));
        sums.push((ctx.t("billing.margin"), totals.margin.clone()));
        let pairs: Vec<(&str, &str)> = sums.iter().map(|(l, v)| (l.as_str(), v.as_str())).collect();
        doc.facts(&pairs, Align::Right);
        doc.paragraph(&ctx.t("billing.amounts_are_cost"));

        if !self.notes.is_empty() {
            doc.heading(&ctx.t("billing.credit_notes"));
            let columns = [
                Column::left(95.0),
                Column::left(95.0),
                Column::left(235.0),
                Column::right(90.0),
            ];
            doc.table(
                &columns,
                &[
                    &ctx.t("billing.number"),
                    &ctx.t("billing.issued"),
                    &ctx.t("billing.credit_reason"),
                    &ctx.t("billing.amount"),
                ],
            );
            for n in view::credit_note_rows(ctx, self.notes, i) {
                doc.row(
                    &columns,
                    &[&n.number, &n.issued, &n.reason, &n.total],
                    false,
                );
            }
            doc.end_table();
        }

        doc.heading(&ctx.t("billing.by_customer"));
        let columns = [
            Column::left(215.0),
            Column::right(45.0),
            Column::right(85.0),
            Column::right(85.0),
            Column::right(85.0),
        ];
        doc.table(
            &columns,
            &[
                &ctx.t("orders.customer"),
                &ctx.t("billing.lines"),
                &ctx.t("billing.amount"),
                &ctx.t("billing.resale"),
                &ctx.t("billing.margin"),
            ],
        );
        for c in view::customer_rows(ctx, self.parts, &i.currency, None) {
            doc.row(
                &columns,
                &[&c.name, &c.lines, &c.cost, &c.price, &c.margin],
                false,
            );
        }
        doc.end_table();
        if self.customers > self.parts.len() as i64 {
            doc.paragraph(&ctx.t_with(
                "billing.more_customers",
                &[
                    ("listed", &self.parts.len().to_string()),
                    ("all", &self.customers.to_string()),
                ],
            ));
        }

        doc.heading(&ctx.t("billing.pdf_lines"));
        let shown = self.lines.len() as i64;
        let columns = [
            Column::left(24.0),
            Column::left(196.0),
            Column::left(104.0),
            Column::right(42.0),
            Column::right(74.0),
            Column::right(75.0),
        ];
        let header = [
            "#",
            &ctx.t("catalog.product"),
            &ctx.t("billing.covers"),
            &ctx.t("orders.quantity"),
            &ctx.t("billing.unit_price"),
            &ctx.t("billing.amount"),
        ];
        for group in view::line_groups(ctx, self.lines, self.parts, &i.currency) {
            doc.table(&columns, &header);
            doc.row(&[Column::left(515.0)], &[&group.customer], true);
            for l in group.lines {
                doc.row(
                    &columns,
                    &[
                        &l.line_no.to_string(),
                        &l.product,
                        &l.dates,
                        &l.quantity,
                        &l.unit_cost,
                        &l.cost,
                    ],
                    false,
                );
                // What caused it, beneath, when it is more than its billing period.
                let mut said = Vec::new();
                if l.cause_link.is_some() || l.adjustment {
                    said.push(l.cause.clone());
                }
                if l.adjustment {
                    said.push(ctx.t("billing.adjustment"));
                }
                if let Some(n) = &l.credited_by {
                    said.push(format!("{} {n}", ctx.t("billing.credited_by")));
                }
                if !said.is_empty() {
                    doc.row(&columns, &["", &said.join(" · ")], false);
                }
            }
            doc.end_table();
        }
        if i64::from(i.lines) > shown {
            doc.paragraph(&ctx.t_with(
                "billing.pdf_more_lines",
                &[("shown", &shown.to_string()), ("all", &i.lines.to_string())],
            ));
        }
        doc.finish()
    }
}

/// What the PDF of a credit note shows: the note, the invoice it corrects, whom it credits and
/// each line it credits.
pub struct CreditNotePdf<'a> {
    pub note: &'a CreditNote,
    pub invoice: &'a Invoice,
    pub to: &'a BilledTo,
    pub lines: Vec<Credited>,
}

impl CreditNotePdf<'_> {
    pub fn render(self, ctx: &PageCtx) -> Vec<u8> {
        let (n, i) = (self.note, self.invoice);
        let title = format!("{} {}", ctx.t("billing.credit_note"), n.number);
        let mut doc = Document::new(&title, &format!("{} · {}", ctx.t("app.name"), n.number));
        doc.title(&title);
        let tax_id = format!("{} ({})", self.to.tax_id, self.to.country);
        let corrects = format!("{} ({})", i.number, ctx.month(i.period));
        let issued = ctx.moment(n.issued_at);
        doc.facts(
            &[
                (&ctx.t("billing.pdf_issuer"), &ctx.t("app.name")),
                (&ctx.t("billing.pdf_credited_to"), &self.to.legal_name),
                (&ctx.t("billing.pdf_tax_id"), &tax_id),
                (&ctx.t("billing.pdf_corrects"), &corrects),
                (&ctx.t("billing.issued"), &issued),
                (&ctx.t("billing.pdf_currency"), &i.currency),
            ],
            Align::Left,
        );
        doc.paragraph(&format!("{}: {}", ctx.t("billing.credit_reason"), n.reason));
        doc.heading(&ctx.t("billing.pdf_totals"));
        // A note credits no tax (invoices state none yet): its total is its subtotal.
        let total = ctx.money(n.total, &i.currency);
        let tax = ctx.money(rust_decimal::Decimal::ZERO, &i.currency);
        doc.facts(
            &[
                (&ctx.t("billing.subtotal"), &total),
                (&ctx.t("billing.tax"), &tax),
                (&ctx.t("billing.pdf_credited_total"), &total),
            ],
            Align::Right,
        );
        doc.heading(&ctx.t("billing.pdf_credited_lines"));
        let columns = [
            Column::left(40.0),
            Column::left(150.0),
            Column::left(155.0),
            Column::left(110.0),
            Column::right(60.0),
        ];
        doc.table(
            &columns,
            &[
                &ctx.t("billing.pdf_invoice_line"),
                &ctx.t("orders.customer"),
                &ctx.t("catalog.product"),
                &ctx.t("billing.covers"),
                &ctx.t("billing.amount"),
            ],
        );
        for l in self.lines {
            let names = [l.name_es.as_str(), &l.name_en, &l.name_pt];
            let product = view::line_product(ctx, l.reason.as_deref(), names);
            doc.row(
                &columns,
                &[
                    &l.line_no.to_string(),
                    &l.customer,
                    &product,
                    &view::dates(ctx, l.charge_start, l.charge_end),
                    &ctx.money(l.cost, &i.currency),
                ],
                false,
            );
        }
        doc.end_table();
        doc.finish()
    }
}
