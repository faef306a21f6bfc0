//! What a subscription is charged for a calendar month (UTC), without I/O (issue 18). Charges
//! come from the subscription's history:
//! - the recurring charge of each billing period that starts in the month (billed in advance),
//!   at the seats and unit price held on the period's first day; a period cut short by the
//!   term's end is charged for its days;
//! - the money effect of each change applied in the month, as the change recorded it (the
//!   prorated price of seats added, the credit of seats reduced within their window, an
//!   upgrade's difference), computed by `subscriptions::proration` when it was previewed, so
//!   that what a preview showed is what is billed.
//!
//! Amounts stay exact until each line is rounded once to the cent (decision 0019).

use rust_decimal::Decimal;
use time::{Date, Month as CalendarMonth};

use crate::catalog::rules::Billing;
use crate::subscriptions::proration::{self, Period};

/// A calendar month of billing (UTC), written `2026-11`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: CalendarMonth,
}

impl Month {
    /// `YYYY-MM`; the error is a message key.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        const INVALID: &str = "billing.period_invalid";
        let (y, m) = s.trim().split_once('-').ok_or(INVALID)?;
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(INVALID);
        }
        let year: i32 = y.parse().map_err(|_| INVALID)?;
        let month: u8 = m.parse().map_err(|_| INVALID)?;
        let month = CalendarMonth::try_from(month).map_err(|_| INVALID)?;
        if !(2000..=9999).contains(&year) {
            return Err(INVALID);
        }
        Ok(Self { year, month })
    }

    /// The month of `day`.
    pub fn of(day: Date) -> Self {
        Self {
            year: day.year(),
            month: day.month(),
        }
    }

    pub fn first_day(self) -> Date {
        Date::from_calendar_date(self.year, self.month, 1).unwrap_or(Date::MIN)
    }

    pub fn next(self) -> Self {
        Self::of(proration::add_months(self.first_day(), 1))
    }

    pub fn previous(self) -> Self {
        Self::of(proration::add_months(self.first_day(), -1))
    }

    /// The first day after the month.
    pub fn end(self) -> Date {
        self.next().first_day()
    }

    pub fn contains(self, day: Date) -> bool {
        self.first_day() <= day && day < self.end()
    }

    /// Whether the month is over on `today`: only an ended month is billed.
    pub fn closed(self, today: Date) -> bool {
        today >= self.end()
    }

    /// `2026-11`.
    pub fn code(self) -> String {
        format!("{:04}-{:02}", self.year, u8::from(self.month))
    }
}

/// What a subscription held from a day on: its seats at a unit price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    pub from: Date,
    pub seats: i32,
    pub unit_price: Decimal,
}

/// One term of a subscription, as its history tells it.
#[derive(Clone, Debug)]
pub struct Term {
    pub start: Date,
    pub end: Date,
    pub billing: Billing,
    /// By day, the first on or before `start`.
    pub held: Vec<Held>,
    /// The day it stopped being billed within the term (cancelled, expired), if it did.
    pub stopped: Option<Date>,
}

impl Term {
    /// What the term held on `day`.
    fn held_on(&self, day: Date) -> Option<Held> {
        self.held.iter().rev().find(|h| h.from <= day).copied()
    }
}

/// A recurring charge: one billing period's seats at its unit price, rounded once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recurring {
    pub period: Period,
    pub seats: i32,
    pub unit_price: Decimal,
    pub amount: Decimal,
}

/// The recurring charges of `term` for `month`: one for each billing period that starts in the
/// month while the term runs and has not stopped.
pub fn recurring(term: &Term, month: Month) -> Vec<Recurring> {
    let months = proration::period_months(term.billing);
    let mut charges = Vec::new();
    for k in 0.. {
        let start = proration::add_months(term.start, k * months);
        if start >= term.end || start >= month.end() || term.stopped.is_some_and(|s| s <= start) {
            break;
        }
        if start < month.first_day() {
            continue;
        }
        let Some(held) = term.held_on(start) else {
            continue;
        };
        let whole = Period {
            start,
            end: proration::add_months(term.start, (k + 1) * months),
        };
        let end = whole.end.min(term.end);
        let per_period = held.unit_price * Decimal::from(held.seats);
        let amount = if end < whole.end {
            proration::prorate(per_period, whole, start, end)
        } else {
            proration::cents(per_period)
        };
        charges.push(Recurring {
            period: Period { start, end },
            seats: held.seats,
            unit_price: held.unit_price,
            amount,
        });
    }
    charges
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    fn month(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    fn term(start: Date, end: Date, billing: Billing, held: &[(Date, i32, &str)]) -> Term {
        Term {
            start,
            end,
            billing,
            held: held
                .iter()
                .map(|&(from, seats, price)| Held {
                    from,
                    seats,
                    unit_price: price.parse().unwrap(),
                })
                .collect(),
            stopped: None,
        }
    }

    #[test]
    fn periods_are_written_and_read_as_year_and_month() {
        assert_eq!(month("2026-11").code(), "2026-11");
        assert_eq!(month(" 2026-02 ").end(), date!(2026 - 03 - 01));
        assert_eq!(month("2026-12").next(), month("2027-01"));
        assert_eq!(month("2026-01").previous(), month("2025-12"));
        for bad in [
            "2026-13", "2026-00", "26-11", "2026/11", "2026-1", "", "abcd-ef", "2026-+1",
        ] {
            assert_eq!(Month::parse(bad), Err("billing.period_invalid"), "{bad}");
        }
        assert!(month("2026-11").closed(date!(2026 - 12 - 01)));
        assert!(!month("2026-11").closed(date!(2026 - 11 - 30)));
        assert!(month("2026-11").contains(date!(2026 - 11 - 30)));
    }

    #[test]
    fn a_monthly_billed_year_is_charged_each_month_at_the_seats_held_on_its_first_day() {
        let t = term(
            date!(2026 - 01 - 31),
            date!(2027 - 01 - 31),
            Billing::Monthly,
            &[
                (date!(2026 - 01 - 31), 10, "13.2"),
                (date!(2026 - 03 - 10), 15, "13.2"),
            ],
        );
        assert_eq!(recurring(&t, month("2025-12")), []);
        let jan = recurring(&t, month("2026-01"));
        assert_eq!(jan.len(), 1);
        assert_eq!(jan[0].amount, "132.00".parse().unwrap());
        // Periods count from the start: 31 Jan, 28 Feb, 31 Mar.
        let feb = recurring(&t, month("2026-02"));
        assert_eq!(feb[0].period.start, date!(2026 - 02 - 28));
        assert_eq!(feb[0].period.end, date!(2026 - 03 - 31));
        // Five seats added on 10 March (their prorated charge is the change's own): April's
        // period is charged for fifteen.
        let apr = recurring(&t, month("2026-03"));
        assert_eq!(apr[0].seats, 15);
        assert_eq!(apr[0].amount, "198.00".parse().unwrap());
        assert_eq!(recurring(&t, month("2027-01")), []);
    }

    #[test]
    fn an_annual_charge_falls_in_its_first_month_and_a_stopped_term_is_charged_no_more() {
        let mut t = term(
            date!(2026 - 05 - 15),
            date!(2029 - 05 - 15),
            Billing::Annual,
            &[(date!(2026 - 05 - 15), 3, "0.015")],
        );
        assert_eq!(
            recurring(&t, month("2026-05"))[0].amount,
            "0.05".parse().unwrap()
        );
        assert_eq!(recurring(&t, month("2026-06")), []);
        assert_eq!(recurring(&t, month("2027-05")).len(), 1);
        t.stopped = Some(date!(2027 - 05 - 15));
        assert_eq!(recurring(&t, month("2027-05")), []);
        // A last period cut short by the term's end is charged for its days.
        let short = term(
            date!(2026 - 01 - 01),
            date!(2026 - 07 - 02),
            Billing::Annual,
            &[(date!(2026 - 01 - 01), 1, "365")],
        );
        assert_eq!(
            recurring(&short, month("2026-01"))[0].amount,
            "182.00".parse().unwrap()
        );
    }

    proptest! {
        /// Month after month, every billing period of a term is charged once, and the charges
        /// add up to the price of the seats held for the term's days.
        #[test]
        fn each_period_is_charged_once_and_the_months_add_up(
            start_day in 0i64..1500,
            billing in 0usize..3,
            seats in 1i32..300,
            cents_price in 1i64..100_000,
        ) {
            let start = date!(2025 - 01 - 01) + time::Duration::days(start_day);
            let billing = [Billing::Monthly, Billing::Annual, Billing::Triennial][billing];
            let end = proration::add_months(start, 36);
            let price = Decimal::new(cents_price, 2);
            let t = term(start, end, billing, &[]);
            let t = Term { held: vec![Held { from: start, seats, unit_price: price }], ..t };
            let mut m = Month::of(start);
            let mut periods = Vec::new();
            let mut total = Decimal::ZERO;
            while m.first_day() < end {
                for c in recurring(&t, m) {
                    prop_assert!(m.contains(c.period.start));
                    periods.push(c.period);
                    total += c.amount;
                }
                m = m.next();
            }
            let expected = 36 / proration::period_months(billing);
            prop_assert_eq!(periods.len() as i32, expected);
            for pair in periods.windows(2) {
                prop_assert_eq!(pair[0].end, pair[1].start);
            }
            prop_assert_eq!(periods[0].start, start);
            prop_assert_eq!(periods.last().map(|p| p.end), Some(end));
            prop_assert_eq!(total, proration::cents(price * Decimal::from(seats)) * Decimal::from(expected));
        }
    }
}
