//! Money over time, without I/O: billing periods and proration by day. What a change's preview
//! shows is what billing charges, because both call this module.
//!
//! A subscription is billed per period (a month, a year or three years from its start, by its
//! billing frequency); an amount per period is spread over the period's days. Proration uses
//! *cumulative rounding*: the part of a period from day `a` to day `b` is the rounded amount
//! up to `b` less the rounded amount up to `a`, so the parts of a period always add up to the
//! whole to the cent, however it is cut.

use rust_decimal::{Decimal, RoundingStrategy};
use time::Date;

use crate::catalog::rules::Billing;

/// The date `months` months after `date`, on the same day of the month or the month's last
/// day when it is shorter (31 Jan + 1 month = 28 or 29 Feb).
pub fn add_months(date: Date, months: i32) -> Date {
    let total = date.year() * 12 + (u8::from(date.month()) as i32 - 1) + months;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = time::Month::try_from((month0 + 1) as u8).unwrap_or(time::Month::January);
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(date)
}

/// How many months one billing period of `billing` lasts.
pub fn period_months(billing: Billing) -> i32 {
    match billing {
        Billing::Monthly => 1,
        Billing::Annual => 12,
        Billing::Triennial => 36,
    }
}

/// A billing period: from `start` (included) to `end` (excluded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub start: Date,
    pub end: Date,
}

impl Period {
    pub fn days(self) -> i64 {
        (self.end - self.start).whole_days()
    }

    /// Whether `day` falls in the period.
    pub fn contains(self, day: Date) -> bool {
        self.start <= day && day < self.end
    }
}

/// The billing period of a subscription that started on `start` and is billed by `billing`
/// which contains `day` (the last one, ending at `term_end`, when `day` is at or past it; the
/// first when `day` is before the start). Periods are counted from the start each time, so
/// 31 January billed monthly bills from 28 February, then from 31 March.
pub fn period_containing(start: Date, billing: Billing, term_end: Date, day: Date) -> Period {
    let months = period_months(billing);
    let mut k = 0;
    loop {
        let from = add_months(start, k * months);
        let to = add_months(start, (k + 1) * months).min(term_end);
        if day < to || to >= term_end {
            return Period {
                start: from,
                end: to.max(from),
            };
        }
        k += 1;
    }
}

/// Rounds to the cent, half away from zero: the one rounding of money.
pub fn cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The rounded share of `amount` for the first `days` days of a period of `of` days.
fn share(amount: Decimal, days: i64, of: i64) -> Decimal {
    if of <= 0 {
        return Decimal::ZERO;
    }
    let days = days.clamp(0, of);
    cents(amount * Decimal::from(days) / Decimal::from(of))
}

/// The part of `amount` (per `period`) for the days from `from` (included) to `to`
/// (excluded), both held within the period; zero when `to` is not after `from`.
pub fn prorate(amount: Decimal, period: Period, from: Date, to: Date) -> Decimal {
    let of = period.days();
    let a = (from - period.start).whole_days().clamp(0, of);
    let b = (to - period.start).whole_days().clamp(0, of);
    if b <= a {
        return Decimal::ZERO;
    }
    share(amount, b, of) - share(amount, a, of)
}

/// What changing the seats of a subscription by `seats` (negative: fewer) on `day` costs now:
/// the price of those seats from `day` to the end of its billing period. A charge when
/// positive, a refund when negative.
pub fn seat_change(unit_price: Decimal, seats: i32, period: Period, day: Date) -> Decimal {
    let amount = unit_price * Decimal::from(seats.unsigned_abs());
    let part = prorate(amount, period, day, period.end);
    if seats < 0 { -part } else { part }
}

/// The price per billing period of `seats` seats at `unit_price`.
pub fn per_period(unit_price: Decimal, seats: i32) -> Decimal {
    cents(unit_price * Decimal::from(seats))
}

/// What `seats` seats at `unit_price` (per billing period) cost from `day` to the end of the
/// term (`term_end`, excluded): the rest of the current period and every later one, each cut
/// as billing cuts it (a last period shortened by the term's end is prorated over its whole
/// length). Zero once the term has ended; the whole term before it starts.
pub fn remaining(
    unit_price: Decimal,
    seats: i32,
    billing: Billing,
    start: Date,
    term_end: Date,
    day: Date,
) -> Decimal {
    let amount = unit_price * Decimal::from(seats);
    let months = period_months(billing);
    let mut total = Decimal::ZERO;
    for k in 0.. {
        let whole = Period {
            start: add_months(start, k * months),
            end: add_months(start, (k + 1) * months),
        };
        if whole.start >= term_end || whole.end <= whole.start {
            break;
        }
        if whole.end <= day {
            continue;
        }
        total += prorate(amount, whole, day.max(whole.start), whole.end.min(term_end));
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn remaining_is_the_rest_of_the_period_and_every_later_one() {
        // 10 seats at 12.00 a month, 12 days left of a 30-day period, then one whole month.
        let start = date!(2026 - 01 - 15);
        let end = date!(2027 - 01 - 15);
        let today = date!(2026 - 12 - 03);
        assert_eq!(
            remaining(d("12.00"), 10, Billing::Monthly, start, end, today),
            d("168.00")
        );
        // A year billed once: 182 of its 365 days left (500 less 500 × 183/365 rounded).
        let start = date!(2026 - 06 - 01);
        let end = date!(2027 - 06 - 01);
        let today = date!(2026 - 12 - 01);
        assert_eq!(
            remaining(d("100"), 5, Billing::Annual, start, end, today),
            d("249.32")
        );
        // Before it starts: the whole term; on its last day's morning after: nothing.
        assert_eq!(
            remaining(
                d("100"),
                5,
                Billing::Annual,
                start,
                end,
                date!(2026 - 01 - 01)
            ),
            d("500")
        );
        assert_eq!(
            remaining(d("100"), 5, Billing::Annual, start, end, end),
            d("0")
        );
        // Three years billed monthly, on its first day: 36 months.
        let end = add_months(start, 36);
        assert_eq!(
            remaining(d("7.25"), 4, Billing::Monthly, start, end, start),
            d("1044.00")
        );
    }

    #[test]
    fn months_are_added_on_the_same_day_or_the_last_of_a_shorter_month() {
        assert_eq!(add_months(date!(2026 - 01 - 31), 1), date!(2026 - 02 - 28));
        assert_eq!(add_months(date!(2028 - 01 - 31), 1), date!(2028 - 02 - 29));
        assert_eq!(add_months(date!(2026 - 11 - 15), 12), date!(2027 - 11 - 15));
        assert_eq!(add_months(date!(2026 - 12 - 01), 1), date!(2027 - 01 - 01));
        assert_eq!(add_months(date!(2026 - 03 - 10), -3), date!(2025 - 12 - 10));
    }

    #[test]
    fn the_period_of_a_day_counts_from_the_start_each_time() {
        let start = date!(2026 - 01 - 31);
        let end = add_months(start, 12);
        let p = period_containing(start, Billing::Monthly, end, date!(2026 - 03 - 15));
        assert_eq!(
            p,
            Period {
                start: date!(2026 - 02 - 28),
                end: date!(2026 - 03 - 31)
            }
        );
        let p = period_containing(start, Billing::Monthly, end, date!(2026 - 03 - 31));
        assert_eq!(p.start, date!(2026 - 03 - 31));
        // Annual billing on a yearly term: one period, the whole term.
        let p = period_containing(start, Billing::Annual, end, date!(2026 - 09 - 01));
        assert_eq!(p, Period { start, end });
        // Past the end: the last period.
        let p = period_containing(start, Billing::Monthly, end, date!(2027 - 05 - 01));
        assert_eq!(p.end, end);
        // Before the start: the first.
        let p = period_containing(start, Billing::Monthly, end, date!(2025 - 05 - 01));
        assert_eq!(p.start, start);
    }

    #[test]
    fn five_seats_added_mid_month_cost_the_days_left() {
        // US$ 12.50 a seat a month; 5 seats added on 16 Nov in a period 1 Nov – 1 Dec (30 days):
        // 15 days left of 30 = half of 62.50.
        let period = Period {
            start: date!(2026 - 11 - 01),
            end: date!(2026 - 12 - 01),
        };
        assert_eq!(
            seat_change(d("12.50"), 5, period, date!(2026 - 11 - 16)),
            d("31.25")
        );
        // Removed the same day: the same amount back.
        assert_eq!(
            seat_change(d("12.50"), -5, period, date!(2026 - 11 - 16)),
            d("-31.25")
        );
        // Removed three days later: three days are paid.
        assert_eq!(
            seat_change(d("12.50"), -5, period, date!(2026 - 11 - 19)),
            d("-25.00")
        );
        // On the period's first day: the whole period.
        assert_eq!(seat_change(d("12.50"), 5, period, period.start), d("62.50"));
        assert_eq!(per_period(d("12.50"), 15), d("187.50"));
    }

    #[test]
    fn proration_outside_the_period_is_nothing() {
        let period = Period {
            start: date!(2026 - 11 - 01),
            end: date!(2026 - 12 - 01),
        };
        assert_eq!(
            prorate(
                d("100"),
                period,
                date!(2026 - 12 - 05),
                date!(2026 - 12 - 09)
            ),
            d("0")
        );
        assert_eq!(
            prorate(
                d("100"),
                period,
                date!(2026 - 11 - 20),
                date!(2026 - 11 - 10)
            ),
            d("0")
        );
        assert_eq!(
            prorate(
                d("100"),
                period,
                date!(2026 - 10 - 01),
                date!(2027 - 01 - 01)
            ),
            d("100")
        );
    }

    fn a_date() -> impl Strategy<Value = Date> {
        (2024i32..2030, 1u8..=12, 1u8..=31).prop_map(|(y, m, d)| {
            let month = time::Month::try_from(m).unwrap();
            Date::from_calendar_date(y, month, d.min(month.length(y))).unwrap()
        })
    }

    fn an_amount() -> impl Strategy<Value = Decimal> {
        (0i64..10_000_000).prop_map(|c| Decimal::new(c, 2))
    }

    fn a_billing() -> impl Strategy<Value = Billing> {
        prop_oneof![
            Just(Billing::Monthly),
            Just(Billing::Annual),
            Just(Billing::Triennial)
        ]
    }

    proptest! {
        // Failures are printed with their input, not written into the checkout.
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn the_prorated_parts_of_a_period_add_up_to_the_whole(
            start in a_date(),
            billing in a_billing(),
            amount in an_amount(),
            cuts in proptest::collection::vec(0i64..1200, 0..8),
        ) {
            let end = add_months(start, period_months(billing));
            let period = Period { start, end };
            let mut days: Vec<i64> = cuts.into_iter().map(|c| c % (period.days() + 1)).collect();
            days.push(0);
            days.push(period.days());
            days.sort_unstable();
            let total: Decimal = days
                .windows(2)
                .map(|w| prorate(amount, period, start + time::Duration::days(w[0]), start + time::Duration::days(w[1])))
                .sum();
            prop_assert_eq!(total, amount);
        }

        #[test]
        fn what_remains_of_a_term_is_what_its_days_left_are_charged(
            start in a_date(),
            billing in a_billing(),
            unit in an_amount(),
            seats in 1i32..5000,
            offset in 0i64..1200,
        ) {
            // A one-year term (three for triennial billing): what remains on a day is what is
            // left after the part already run, period by period, so the run part and the
            // remainder add up to the whole term, and a later day never has more left.
            let years = if billing == Billing::Triennial { 36 } else { 12 };
            let end = add_months(start, years);
            let day = start + time::Duration::days(offset % (end - start).whole_days());
            let whole = remaining(unit, seats, billing, start, end, start);
            prop_assert_eq!(
                whole,
                per_period(unit, seats) * Decimal::from(years / period_months(billing))
            );
            let left = remaining(unit, seats, billing, start, end, day);
            let period = period_containing(start, billing, end, day);
            let run: Decimal = (0..)
                .map(|k| add_months(start, k * period_months(billing)))
                .take_while(|p| *p < period.start)
                .map(|_| per_period(unit, seats))
                .sum::<Decimal>()
                + prorate(unit * Decimal::from(seats), period, period.start, day);
            prop_assert_eq!(run + left, whole);
            let tomorrow = remaining(unit, seats, billing, start, end, day + time::Duration::days(1));
            prop_assert!(tomorrow <= left);
        }

        #[test]
        fn seats_added_then_removed_the_same_day_net_to_zero(
            start in a_date(),
            billing in a_billing(),
            unit in an_amount(),
            seats in 1i32..5000,
            offset in 0i64..1100,
        ) {
            let end = add_months(start, period_months(billing));
            let period = Period { start, end };
            let day = start + time::Duration::days(offset % period.days());
            let added = seat_change(unit, seats, period, day);
            let removed = seat_change(unit, -seats, period, day);
            prop_assert_eq!(added + removed, Decimal::ZERO);
            prop_assert!(added >= Decimal::ZERO);
            prop_assert!(added <= per_period(unit, seats));
        }

        #[test]
        fn a_refund_later_in_the_window_is_never_more_than_the_charge(
            start in a_date(),
            unit in an_amount(),
            seats in 1i32..5000,
            offset in 0i64..28,
            used in 0i64..8,
        ) {
            let period = Period { start, end: add_months(start, 1) };
            let added_on = start + time::Duration::days(offset);
            let removed_on = added_on + time::Duration::days(used);
            let charge = seat_change(unit, seats, period, added_on);
            let refund = -seat_change(unit, -seats, period, removed_on);
            prop_assert!(refund <= charge);
            prop_assert_eq!(charge - refund, prorate(unit * Decimal::from(seats), period, added_on, removed_on));
        }

        #[test]
        fn every_day_of_a_term_has_one_period(
            start in a_date(),
            billing in a_billing(),
            offset in 0i64..1100,
        ) {
            let end = add_months(start, 36);
            let day = start + time::Duration::days(offset % (end - start).whole_days());
            let p = period_containing(start, billing, end, day);
            prop_assert!(p.contains(day));
            prop_assert!(p.days() > 0);
        }
    }
}
