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
use uuid::Uuid;

use crate::catalog::rules::Billing;
use crate::subscriptions::proration::{self, Period};
use crate::subscriptions::rules::ChangeKind;

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

/// What a subscription held from a day on: its product and seats at a unit price and cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    pub from: Date,
    pub product_id: Uuid,
    pub seats: i32,
    pub unit_price: Decimal,
    pub unit_cost: Decimal,
}

/// One term of a subscription, as its history tells it.
#[derive(Clone, Debug)]
pub struct Term {
    pub start: Date,
    pub end: Date,
    pub billing: Billing,
    /// By day, the first on or before `start`.
    pub held: Vec<Held>,
    /// The day it stopped being billed within the term (cancelled, replaced by a new term).
    pub stopped: Option<Date>,
    /// Its first billing period was charged by the change that started it (a longer term now).
    pub first_charged: bool,
}

impl Term {
    /// What the term held on `day`.
    fn held_on(&self, day: Date) -> Option<Held> {
        self.held.iter().rev().find(|h| h.from <= day).copied()
    }

    /// The billing period of the term that contains `day`.
    fn period_of(&self, day: Date) -> Period {
        proration::period_containing(self.start, self.billing, self.end, day)
    }
}

/// A recurring charge: one billing period's seats at its unit price and cost, each rounded once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recurring {
    pub period: Period,
    pub product_id: Uuid,
    pub seats: i32,
    pub unit_price: Decimal,
    pub unit_cost: Decimal,
    pub price: Decimal,
    pub cost: Decimal,
}

/// The recurring charges of `term` for `month`: one for each billing period that starts in the
/// month while the term runs and had not stopped before it (a period stopped on its first day is
/// charged, and refunded whole by the change that stopped it).
pub fn recurring(term: &Term, month: Month) -> Vec<Recurring> {
    let months = proration::period_months(term.billing);
    let mut charges = Vec::new();
    for k in 0.. {
        let start = proration::add_months(term.start, k * months);
        if start >= term.end || start >= month.end() || term.stopped.is_some_and(|s| s < start) {
            break;
        }
        if start < month.first_day() || (k == 0 && term.first_charged) {
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
        let of = |unit: Decimal| {
            let per_period = unit * Decimal::from(held.seats);
            if end < whole.end {
                proration::prorate(per_period, whole, start, end)
            } else {
                proration::cents(per_period)
            }
        };
        let (price, cost) = (of(held.unit_price), of(held.unit_cost));
        if price.is_zero() && cost.is_zero() {
            // A consumption plan's own period costs nothing: only its usage is billed.
            continue;
        }
        charges.push(Recurring {
            period: Period { start, end },
            product_id: held.product_id,
            seats: held.seats,
            unit_price: held.unit_price,
            unit_cost: held.unit_cost,
            price,
            cost,
        });
    }
    charges
}

/// An applied change of a subscription, as its history recorded it.
#[derive(Clone, Debug)]
pub struct Event {
    pub id: Uuid,
    pub kind: ChangeKind,
    /// The day it was applied (UTC).
    pub day: Date,
    pub seats_before: i32,
    pub seats_after: i32,
    /// Its money effect, prorated when it was previewed: the reseller's price and its cost.
    pub amount: Decimal,
    pub cost: Decimal,
    pub product_after: Option<Uuid>,
    pub unit_price_after: Option<Decimal>,
    pub unit_cost_after: Option<Decimal>,
    pub billing_after: Option<Billing>,
    pub start_after: Option<Date>,
    pub end_after: Option<Date>,
    /// Its line is on an invoice already.
    pub billed: bool,
}

/// What caused a charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// A billing period of the subscription.
    Period,
    /// A change (its id): seats added or reduced, an upgrade, a cancellation, a new term.
    Change(Uuid),
}

/// One charge of a subscription for a month: an invoice line before it is numbered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Charge {
    pub cause: Cause,
    pub product_id: Uuid,
    /// The days it covers.
    pub period: Period,
    /// Seats (a change: the seats it added, negative when it removed some).
    pub quantity: i32,
    /// Per seat and billing period (an upgrade: the difference).
    pub unit_price: Decimal,
    pub unit_cost: Decimal,
    pub price: Decimal,
    pub cost: Decimal,
    /// Caused in an earlier month (applied after that month was billed, or never billed).
    pub adjustment: bool,
}

/// The terms a subscription had, from its history in the order it happened (a purchase first).
pub fn terms(events: &[Event]) -> Vec<Term> {
    walk(events, |_, _, _| {})
}

/// Walks the history, building the terms; `money` sees each change with a money effect, the
/// term it fell in once applied, and what that term held after it.
fn walk(events: &[Event], mut money: impl FnMut(&Event, &Term, Held)) -> Vec<Term> {
    let mut terms: Vec<Term> = Vec::new();
    for e in events {
        match e.kind {
            // A subscription is bought once: a second purchase in its history is no new term.
            ChangeKind::Purchase if !terms.is_empty() => continue,
            ChangeKind::Purchase | ChangeKind::Renewal | ChangeKind::Term => {
                let (Some(product_id), Some(unit_price), Some(unit_cost)) =
                    (e.product_after, e.unit_price_after, e.unit_cost_after)
                else {
                    continue;
                };
                let before = terms.last_mut();
                let start = match (e.kind, before) {
                    (ChangeKind::Renewal, Some(t)) => e.start_after.unwrap_or(t.end),
                    (ChangeKind::Term, Some(t)) => {
                        t.stopped = Some(t.stopped.map_or(e.day, |s| s.min(e.day)));
                        e.start_after.unwrap_or(e.day)
                    }
                    _ => e.start_after.unwrap_or(e.day),
                };
                let billing = e.billing_after.unwrap_or(Billing::Monthly);
                let end = e
                    .end_after
                    .unwrap_or_else(|| proration::add_months(start, 12))
                    .max(start);
                terms.push(Term {
                    start,
                    end,
                    billing,
                    held: vec![Held {
                        from: start,
                        product_id,
                        seats: e.seats_after,
                        unit_price,
                        unit_cost,
                    }],
                    stopped: None,
                    first_charged: e.kind == ChangeKind::Term,
                });
            }
            ChangeKind::AddSeats | ChangeKind::RemoveSeats | ChangeKind::Upgrade => {
                let Some(t) = terms.last_mut() else { continue };
                let Some(now) = t.held_on(e.day).or(t.held.last().copied()) else {
                    continue;
                };
                t.held.push(Held {
                    from: e.day.max(t.start),
                    seats: e.seats_after,
                    product_id: e.product_after.unwrap_or(now.product_id),
                    unit_price: e.unit_price_after.unwrap_or(now.unit_price),
                    unit_cost: e.unit_cost_after.unwrap_or(now.unit_cost),
                });
            }
            ChangeKind::Cancel => {
                if let Some(t) = terms.last_mut() {
                    t.stopped = Some(e.day);
                }
            }
            _ => {}
        }
        if e.amount.is_zero() && e.cost.is_zero() {
            continue;
        }
        if let Some(t) = terms.last()
            && let Some(held) = t.held_on(e.day).or(t.held.last().copied())
        {
            money(e, t, held);
        }
    }
    terms
}

/// The seats a subscription's history charges for on `day`: those its term held that day, none
/// when no term covered it (not bought yet, cancelled, ended) or when its seats cost nothing (a
/// consumption subscription, billed by its usage).
pub fn seats_on(events: &[Event], day: Date) -> Option<i32> {
    terms(events)
        .iter()
        .rev()
        .find(|t| t.start <= day && day < t.end && t.stopped.is_none_or(|s| day < s))
        .and_then(|t| t.held_on(day))
        .filter(|h| !(h.unit_price.is_zero() && h.unit_cost.is_zero()))
        .map(|h| h.seats)
}

/// What a subscription is charged on the invoice of `month`: the billing periods that start in
/// it, and each change applied before its end that no invoice has billed yet (those applied in
/// an earlier month are adjustments).
pub fn for_month(events: &[Event], month: Month) -> Vec<Charge> {
    let mut charges = Vec::new();
    let terms = walk(events, |e, term, held| {
        if e.billed || e.day >= month.end() {
            return;
        }
        let period = term.period_of(e.day.max(term.start));
        let (quantity, unit_price, unit_cost) = match e.kind {
            ChangeKind::Upgrade => (
                e.seats_after,
                e.unit_price_after.unwrap_or(held.unit_price),
                e.unit_cost_after.unwrap_or(held.unit_cost),
            ),
            ChangeKind::Term => (e.seats_after, held.unit_price, held.unit_cost),
            _ => (
                e.seats_after - e.seats_before,
                held.unit_price,
                held.unit_cost,
            ),
        };
        let quantity = if e.kind == ChangeKind::Cancel {
            -e.seats_before
        } else {
            quantity
        };
        charges.push(Charge {
            cause: Cause::Change(e.id),
            product_id: held.product_id,
            period: Period {
                start: e.day.clamp(period.start, period.end),
                end: period.end,
            },
            quantity,
            unit_price,
            unit_cost,
            price: e.amount,
            cost: e.cost,
            adjustment: e.day < month.first_day(),
        });
    });
    for term in &terms {
        for r in recurring(term, month) {
            charges.push(Charge {
                cause: Cause::Period,
                product_id: r.product_id,
                period: r.period,
                quantity: r.seats,
                unit_price: r.unit_price,
                unit_cost: r.unit_cost,
                price: r.price,
                cost: r.cost,
                adjustment: false,
            });
        }
    }
    charges.sort_by_key(|c| (c.period.start, matches!(c.cause, Cause::Change(_))));
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
                    product_id: PRODUCT,
                    seats,
                    unit_price: price.parse().unwrap(),
                    unit_cost: Decimal::ZERO,
                })
                .collect(),
            stopped: None,
            first_charged: false,
        }
    }

    const PRODUCT: Uuid = Uuid::from_u128(7);

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn event(kind: ChangeKind, day: Date, before: i32, after: i32) -> Event {
        Event {
            id: Uuid::from_u128(u128::from(day.ordinal()) * 1000 + after as u128),
            kind,
            day,
            seats_before: before,
            seats_after: after,
            amount: Decimal::ZERO,
            cost: Decimal::ZERO,
            product_after: None,
            unit_price_after: None,
            unit_cost_after: None,
            billing_after: None,
            start_after: None,
            end_after: None,
            billed: false,
        }
    }

    /// A purchase of `seats` at 12.50 (cost 10.00) on `day`, a year billed monthly.
    fn purchase(day: Date, seats: i32) -> Event {
        Event {
            product_after: Some(PRODUCT),
            unit_price_after: Some(d("12.50")),
            unit_cost_after: Some(d("10.00")),
            billing_after: Some(Billing::Monthly),
            start_after: Some(day),
            end_after: Some(proration::add_months(day, 12)),
            ..event(ChangeKind::Purchase, day, 0, seats)
        }
    }

    /// Seats added on `day` as the subscription's preview prices them.
    fn add_seats(day: Date, before: i32, seats: i32, term_start: Date) -> Event {
        let end = proration::add_months(term_start, 12);
        let period = proration::period_containing(term_start, Billing::Monthly, end, day);
        Event {
            amount: proration::seat_change(d("12.50"), seats, period, day),
            cost: proration::seat_change(d("10.00"), seats, period, day),
            ..event(ChangeKind::AddSeats, day, before, before + seats)
        }
    }

    #[test]
    fn the_seats_charged_on_a_day_follow_the_history() {
        let bought = date!(2026 - 10 - 03);
        let added = date!(2026 - 11 - 18);
        let history = [purchase(bought, 10), add_seats(added, 10, 5, bought)];
        assert_eq!(seats_on(&history, date!(2026 - 10 - 02)), None);
        assert_eq!(seats_on(&history, bought), Some(10));
        assert_eq!(seats_on(&history, date!(2026 - 11 - 17)), Some(10));
        assert_eq!(seats_on(&history, date!(2026 - 11 - 30)), Some(15));
        // After its term ends (it did not renew), and after a cancellation: none.
        assert_eq!(seats_on(&history, date!(2027 - 10 - 03)), None);
        let cancelled = [
            purchase(bought, 10),
            event(ChangeKind::Cancel, date!(2026 - 10 - 05), 10, 10),
        ];
        assert_eq!(seats_on(&cancelled, date!(2026 - 10 - 04)), Some(10));
        assert_eq!(seats_on(&cancelled, date!(2026 - 10 - 05)), None);
        // Seats that cost nothing (a consumption plan) are not counted.
        let free = [Event {
            unit_price_after: Some(Decimal::ZERO),
            unit_cost_after: Some(Decimal::ZERO),
            ..purchase(bought, 1)
        }];
        assert_eq!(seats_on(&free, date!(2026 - 10 - 20)), None);
    }

    #[test]
    fn a_month_bills_its_periods_and_the_changes_applied_in_it() {
        let bought = date!(2026 - 10 - 10);
        let history = [
            purchase(bought, 10),
            add_seats(date!(2026 - 11 - 25), 10, 5, bought),
        ];
        let nov = for_month(&history, month("2026-11"));
        assert_eq!(nov.len(), 2);
        // The period of 10 Nov – 10 Dec at the ten seats held on its first day…
        assert_eq!(nov[0].cause, Cause::Period);
        assert_eq!(
            (nov[0].quantity, nov[0].price, nov[0].cost),
            (10, d("125.00"), d("100.00"))
        );
        assert_eq!(nov[0].period.start, date!(2026 - 11 - 10));
        // …and the five seats added on the 25th for the 15 of its 30 days left.
        assert_eq!(nov[1].cause, Cause::Change(history[1].id));
        assert_eq!(
            (nov[1].quantity, nov[1].price, nov[1].cost),
            (5, d("31.25"), d("25.00"))
        );
        assert_eq!(
            (nov[1].period.start, nov[1].period.end),
            (date!(2026 - 11 - 25), date!(2026 - 12 - 10))
        );
        assert!(!nov[1].adjustment);
        // December's period is charged for fifteen; a change billed already is not billed again.
        let mut billed = history.clone();
        billed[1].billed = true;
        let dec = for_month(&billed, month("2026-12"));
        assert_eq!(dec.len(), 1);
        assert_eq!((dec[0].quantity, dec[0].price), (15, d("187.50")));
        // One that was never billed comes on the next invoice as an adjustment.
        let late = for_month(&history, month("2026-12"));
        assert_eq!(late.len(), 2);
        assert!(
            late.iter()
                .any(|c| c.adjustment && c.cause == Cause::Change(history[1].id))
        );
        // Nothing before it was bought.
        assert_eq!(for_month(&history, month("2026-09")), []);
        // A purchase recorded twice is bought once.
        let twice = [purchase(bought, 10), purchase(bought, 10)];
        assert_eq!(for_month(&twice, month("2026-11")).len(), 1);
    }

    #[test]
    fn a_renewal_starts_a_term_at_its_new_price_and_a_cancellation_stops_the_charges() {
        let bought = date!(2025 - 12 - 01);
        let renewal = Event {
            product_after: Some(PRODUCT),
            unit_price_after: Some(d("13.00")),
            unit_cost_after: Some(d("10.40")),
            billing_after: Some(Billing::Monthly),
            end_after: Some(date!(2027 - 12 - 01)),
            ..event(ChangeKind::Renewal, date!(2026 - 12 - 01), 4, 4)
        };
        let history = [purchase(bought, 4), renewal];
        let t = terms(&history);
        assert_eq!(t.len(), 2);
        assert_eq!(
            (t[1].start, t[1].end),
            (date!(2026 - 12 - 01), date!(2027 - 12 - 01))
        );
        let dec = for_month(&history, month("2026-12"));
        assert_eq!(dec.len(), 1);
        assert_eq!((dec[0].price, dec[0].cost), (d("52.00"), d("41.60")));
        // Cancelled on 5 January: the refund is the change's own, and February is not charged.
        let cancel = Event {
            amount: d("-44.00"),
            cost: d("-35.20"),
            ..event(ChangeKind::Cancel, date!(2027 - 01 - 05), 4, 4)
        };
        let history = [history[0].clone(), history[1].clone(), cancel];
        let jan = for_month(&history, month("2027-01"));
        assert_eq!(
            jan.iter().map(|c| c.price).collect::<Vec<_>>(),
            [d("52.00"), d("-44.00")]
        );
        assert_eq!(jan[1].quantity, -4);
        let mut billed = history.clone();
        billed[2].billed = true;
        assert_eq!(for_month(&billed, month("2027-02")), []);
    }

    #[test]
    fn a_longer_term_now_is_charged_by_its_change_and_then_monthly() {
        let bought = date!(2026 - 06 - 01);
        let longer = Event {
            amount: d("300.00"),
            cost: d("240.00"),
            product_after: Some(PRODUCT),
            unit_price_after: Some(d("11.00")),
            unit_cost_after: Some(d("8.80")),
            billing_after: Some(Billing::Monthly),
            start_after: Some(date!(2026 - 09 - 15)),
            end_after: Some(date!(2029 - 09 - 15)),
            ..event(ChangeKind::Term, date!(2026 - 09 - 15), 10, 10)
        };
        let history = [purchase(bought, 10), longer];
        let sep = for_month(&history, month("2026-09"));
        // 1 Sep's period of the old term, and the change (its refund and the new first period).
        assert_eq!(
            sep.iter().map(|c| c.price).collect::<Vec<_>>(),
            [d("125.00"), d("300.00")]
        );
        let mut billed = history.clone();
        billed[1].billed = true;
        let oct = for_month(&billed, month("2026-10"));
        assert_eq!(oct.len(), 1);
        assert_eq!(
            (oct[0].period.start, oct[0].price),
            (date!(2026 - 10 - 15), d("110.00"))
        );
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
        assert_eq!(jan[0].price, "132.00".parse().unwrap());
        // Periods count from the start: 31 Jan, 28 Feb, 31 Mar.
        let feb = recurring(&t, month("2026-02"));
        assert_eq!(feb[0].period.start, date!(2026 - 02 - 28));
        assert_eq!(feb[0].period.end, date!(2026 - 03 - 31));
        // Five seats added on 10 March (their prorated charge is the change's own): April's
        // period is charged for fifteen.
        let apr = recurring(&t, month("2026-03"));
        assert_eq!(apr[0].seats, 15);
        assert_eq!(apr[0].price, "198.00".parse().unwrap());
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
            recurring(&t, month("2026-05"))[0].price,
            "0.05".parse().unwrap()
        );
        assert_eq!(recurring(&t, month("2026-06")), []);
        assert_eq!(recurring(&t, month("2027-05")).len(), 1);
        t.stopped = Some(date!(2027 - 05 - 14));
        assert_eq!(recurring(&t, month("2027-05")), []);
        // A last period cut short by the term's end is charged for its days.
        let short = term(
            date!(2026 - 01 - 01),
            date!(2026 - 07 - 02),
            Billing::Annual,
            &[(date!(2026 - 01 - 01), 1, "365")],
        );
        assert_eq!(
            recurring(&short, month("2026-01"))[0].price,
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
            let held = Held { from: start, product_id: PRODUCT, seats, unit_price: price, unit_cost: price };
            let t = Term { held: vec![held], ..t };
            let mut m = Month::of(start);
            let mut periods = Vec::new();
            let mut total = Decimal::ZERO;
            while m.first_day() < end {
                for c in recurring(&t, m) {
                    prop_assert!(m.contains(c.period.start));
                    periods.push(c.period);
                    total += c.price;
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

        /// Bought and cancelled within its first month, a subscription is charged its price for
        /// the days it was active, to the cent: the period's charge less the change's refund.
        #[test]
        fn a_cancelled_subscription_is_charged_for_the_days_it_was_active(
            start_day in 0i64..1500,
            active in 0i64..28,
            seats in 1i32..500,
            cents_price in 1i64..1_000_000,
        ) {
            let bought = date!(2025 - 01 - 01) + time::Duration::days(start_day);
            let price = Decimal::new(cents_price, 4);
            let cancelled = bought + time::Duration::days(active);
            let period = proration::period_containing(bought, Billing::Monthly, proration::add_months(bought, 12), bought);
            let refund = proration::seat_change(price, -seats, period, cancelled);
            let mut history = [
                Event { unit_price_after: Some(price), unit_cost_after: Some(price), ..purchase(bought, seats) },
                Event { amount: refund, cost: refund, ..event(ChangeKind::Cancel, cancelled, seats, seats) },
            ];
            let mut m = Month::of(bought);
            let mut total = Decimal::ZERO;
            for _ in 0..3 {
                for c in for_month(&history, m) {
                    total += c.price;
                    if let Cause::Change(id) = c.cause {
                        history.iter_mut().filter(|e| e.id == id).for_each(|e| e.billed = true);
                    }
                }
                m = m.next();
            }
            let expected = proration::cents(
                price * Decimal::from(seats) * Decimal::from(active) / Decimal::from(period.days()),
            );
            prop_assert_eq!(total, expected);
        }
    }
}
