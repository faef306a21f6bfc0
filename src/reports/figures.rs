//! The dashboard's arithmetic, without a database: which months it compares (the reseller's
//! month, in its time zone; billing months are UTC calendar months) and how a figure changed.

use rust_decimal::Decimal;
use time::OffsetDateTime;

use crate::billing::charges::Month;

/// The month the reseller is in at `now` (in its time zone `zone`) and the one before it.
pub fn months(now: OffsetDateTime, zone: Option<&str>) -> (Month, Month) {
    let this = Month::of(crate::i18n::local_date(now, zone));
    (this, this.previous())
}

/// How a figure moved from one month to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    Up,
    Down,
    Flat,
    /// Nothing the month before: no percentage means anything.
    New,
    /// Nothing either month.
    None,
}

impl Trend {
    /// The class of its badge.
    pub fn class(self) -> &'static str {
        match self {
            Trend::Up => "trend trend-up",
            Trend::Down => "trend trend-down",
            Trend::Flat | Trend::New | Trend::None => "trend",
        }
    }
}

/// The change from `before` to `now`: its direction and, when `before` is not zero, the percent
/// (to one decimal, half away from zero), signed.
pub fn change(now: Decimal, before: Decimal) -> (Trend, Option<Decimal>) {
    if before.is_zero() {
        return if now.is_zero() {
            (Trend::None, None)
        } else {
            (Trend::New, None)
        };
    }
    let percent = ((now - before) / before.abs() * Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let trend = if percent.is_zero() {
        Trend::Flat
    } else if percent.is_sign_positive() {
        Trend::Up
    } else {
        Trend::Down
    };
    (trend, Some(percent))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn the_month_is_the_resellers_own() {
        // 03:00 UTC on 1 December is still 30 November in Mexico City (UTC-6) and in São Paulo
        // (UTC-3, at midnight exactly it is the 1st).
        let at = datetime!(2026-12-01 03:00 UTC);
        let (this, last) = months(at, Some("America/Mexico_City"));
        assert_eq!(this.code(), "2026-11");
        assert_eq!(last.code(), "2026-10");
        let (this, _) = months(at, Some("America/Sao_Paulo"));
        assert_eq!(this.code(), "2026-12");
        let (this, _) = months(
            datetime!(2026-12-01 02:59:59 UTC),
            Some("America/Sao_Paulo"),
        );
        assert_eq!(this.code(), "2026-11");
        // No zone: UTC.
        let (this, last) = months(at, None);
        assert_eq!(
            (this.code(), last.code()),
            ("2026-12".into(), "2026-11".into())
        );
        // January's last month is the year before's December.
        let (this, last) = months(datetime!(2027-01-15 12:00 UTC), Some("America/Bogota"));
        assert_eq!(
            (this.code(), last.code()),
            ("2027-01".into(), "2026-12".into())
        );
    }

    #[test]
    fn changes_in_percent() {
        assert_eq!(change(d("150"), d("100")), (Trend::Up, Some(d("50.0"))));
        assert_eq!(change(d("50"), d("100")), (Trend::Down, Some(d("-50.0"))));
        assert_eq!(change(d("100"), d("100")), (Trend::Flat, Some(d("0.0"))));
        // 1/3 up: 33.3 %; 2/3: 66.7 % (half away from zero at the first decimal).
        assert_eq!(change(d("4"), d("3")), (Trend::Up, Some(d("33.3"))));
        assert_eq!(change(d("5"), d("3")), (Trend::Up, Some(d("66.7"))));
        assert_eq!(change(d("100.05"), d("100")), (Trend::Up, Some(d("0.1"))));
        assert_eq!(change(d("99.95"), d("100")), (Trend::Down, Some(d("-0.1"))));
    }

    #[test]
    fn empty_months_have_no_percentage() {
        assert_eq!(change(d("0"), d("0")), (Trend::None, None));
        assert_eq!(change(d("10"), d("0")), (Trend::New, None));
        assert_eq!(change(d("0"), d("10")), (Trend::Down, Some(d("-100.0"))));
        // A month of credits only (negative) against a positive one.
        assert_eq!(change(d("20"), d("-10")), (Trend::Up, Some(d("300.0"))));
    }
}
