//! An invoice's figures, without I/O: its number, and its totals from its lines (each line
//! already rounded once to the cent, decision 0019): the subtotal is the sum of the lines, the
//! totals per customer add up to it, and nothing is rounded again.
//!
//! An invoice is what the distributor bills a reseller: its amounts are the reseller's cost.
//! Each line also carries the reseller's price for it (what it charges its customer, with its
//! markup), so that the invoice shows the margin.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use uuid::Uuid;

crate::text_enum! {
    /// What caused a line: a billing period, a change, or usage.
    pub enum LineKind {
        Recurring = "recurring" => "billing.kind_recurring",
        Change = "change" => "billing.kind_change",
        Usage = "usage" => "billing.kind_usage",
        Credit = "credit" => "billing.kind_credit",
    }
}

crate::text_enum! {
    /// Where an issued invoice stands: as issued, or corrected by credit notes (in part, or
    /// for all it billed).
    pub enum Status {
        Issued = "issued" => "billing.status_issued",
        PartlyCredited = "partly_credited" => "billing.status_partly_credited",
        Credited = "credited" => "billing.status_credited",
    }
}

impl Status {
    /// The status of an invoice of `total` whose credit notes add up to `credited`.
    pub fn of(total: Decimal, credited: Decimal) -> Self {
        if credited <= Decimal::ZERO {
            Status::Issued
        } else if credited < total {
            Status::PartlyCredited
        } else {
            Status::Credited
        }
    }
}

/// An invoice's number: `INV-2026-000123`, the year it was issued and its place in the
/// installation's sequence.
pub fn number(year: i32, sequence: i64) -> String {
    format!("INV-{year:04}-{sequence:06}")
}

/// What a line of an invoice adds up: its cost (what the distributor bills the reseller), its
/// price (what the reseller charges its customer) and whose it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    pub customer_id: Uuid,
    pub cost: Decimal,
    pub price: Decimal,
}

/// Sums of lines: cost, price and margin.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sums {
    pub lines: i64,
    pub cost: Decimal,
    pub price: Decimal,
    pub margin: Decimal,
}

impl Sums {
    pub fn add(&mut self, line: &Line) {
        self.lines += 1;
        self.cost += line.cost;
        self.price += line.price;
        self.margin += line.price - line.cost;
    }
}

/// An invoice's totals: the whole (the total is the cost with its tax), and per customer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub subtotal: Sums,
    pub tax: Decimal,
    pub total: Decimal,
    pub customers: BTreeMap<Uuid, Sums>,
}

impl Totals {
    /// Adds a line.
    pub fn add(&mut self, line: &Line) {
        self.subtotal.add(line);
        self.customers
            .entry(line.customer_id)
            .or_default()
            .add(line);
        self.total = self.subtotal.cost + self.tax;
    }

    /// Sets the tax, as the vendor states it.
    pub fn with_tax(mut self, tax: Decimal) -> Self {
        self.tax = tax;
        self.total = self.subtotal.cost + tax;
        self
    }
}

/// The totals of `lines`, with `tax` as the vendor states it (zero when it states none).
pub fn totals(lines: &[Line], tax: Decimal) -> Totals {
    let mut totals = Totals::default();
    for line in lines {
        totals.add(line);
    }
    totals.with_tax(tax)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbers_carry_the_year_and_six_digits_at_least() {
        assert_eq!(number(2026, 123), "INV-2026-000123");
        assert_eq!(number(2027, 1_234_567), "INV-2027-1234567");
    }

    #[test]
    fn credit_notes_credit_an_invoice_in_part_or_whole() {
        let d = |c| Decimal::new(c, 2);
        assert_eq!(Status::of(d(10_000), d(0)), Status::Issued);
        assert_eq!(Status::of(d(10_000), d(1)), Status::PartlyCredited);
        assert_eq!(Status::of(d(10_000), d(9_999)), Status::PartlyCredited);
        assert_eq!(Status::of(d(10_000), d(10_000)), Status::Credited);
        // A whole invoice credited that held negative lines: its positive lines were credited.
        assert_eq!(Status::of(d(10_000), d(12_000)), Status::Credited);
    }

    proptest! {
        /// The subtotal is the sum of the lines and the customers' totals add up to it, to the
        /// cent, whatever the lines.
        #[test]
        fn customers_add_up_to_the_invoice(
            lines in proptest::collection::vec((0u128..5, -500_000i64..5_000_000, 0i64..4_000_000), 0..200),
            tax in 0i64..1_000_000,
        ) {
            let lines: Vec<Line> = lines
                .into_iter()
                .map(|(c, price, cost)| Line {
                    customer_id: Uuid::from_u128(c),
                    cost: Decimal::new(cost, 2),
                    price: Decimal::new(price, 2),
                })
                .collect();
            let t = totals(&lines, Decimal::new(tax, 2));
            let sum: Decimal = lines.iter().map(|l| l.cost).sum();
            prop_assert_eq!(t.subtotal.cost, sum);
            prop_assert_eq!(t.total, sum + Decimal::new(tax, 2));
            let by_customer: Decimal = t.customers.values().map(|s| s.cost).sum();
            let resale: Decimal = t.customers.values().map(|s| s.price).sum();
            let margins: Decimal = t.customers.values().map(|s| s.margin).sum();
            prop_assert_eq!(by_customer, t.subtotal.cost);
            prop_assert_eq!(resale, t.subtotal.price);
            prop_assert_eq!(margins, t.subtotal.price - t.subtotal.cost);
            prop_assert!(t.subtotal.cost.scale() <= 2);
        }
    }
}
