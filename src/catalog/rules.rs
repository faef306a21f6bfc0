//! Catalog rules without I/O: terms and billing frequencies, which price is in force on a date,
//! the reseller's price and margins, and the checks on a price row.

use rust_decimal::Decimal;
use time::Date;

crate::text_enum! {
    /// How long a subscription commits for (ISO 8601 durations, as the vendors name them).
    pub enum Term {
        Monthly = "P1M" => "term.P1M",
        Yearly = "P1Y" => "term.P1Y",
        ThreeYears = "P3Y" => "term.P3Y",
    }
}

impl Term {
    /// A term typed in a form or a file: its code in any case, spaces around ignored.
    pub fn parse(s: &str) -> Option<Self> {
        Term::ALL
            .iter()
            .copied()
            .find(|t| t.code().eq_ignore_ascii_case(s.trim()))
    }

    /// Months covered by one term.
    pub fn months(self) -> u32 {
        match self {
            Term::Monthly => 1,
            Term::Yearly => 12,
            Term::ThreeYears => 36,
        }
    }
}

crate::text_enum! {
    /// How often a term is invoiced.
    pub enum Billing {
        Monthly = "monthly" => "billing.monthly",
        Annual = "annual" => "billing.annual",
        Triennial = "triennial" => "billing.triennial",
    }
}

impl Term {
    /// The key of its name as a commitment ("3-year commitment").
    pub fn commitment_key(self) -> &'static str {
        match self {
            Term::Monthly => "catalog.commitment_P1M",
            Term::Yearly => "catalog.commitment_P1Y",
            Term::ThreeYears => "catalog.commitment_P3Y",
        }
    }
}

impl Billing {
    /// The key of how it is billed ("billed monthly").
    pub fn billed_key(self) -> &'static str {
        match self {
            Billing::Monthly => "catalog.billed_monthly",
            Billing::Annual => "catalog.billed_annual",
            Billing::Triennial => "catalog.billed_triennial",
        }
    }
}

/// The offer a form proposes first among `offers`: the one most resellers choose, a year's
/// commitment billed monthly, else a year billed yearly, else the first.
pub fn usual_offer(offers: &[(Term, Billing)]) -> Option<(Term, Billing)> {
    [
        (Term::Yearly, Billing::Monthly),
        (Term::Yearly, Billing::Annual),
    ]
    .into_iter()
    .find(|o| offers.contains(o))
    .or_else(|| offers.first().copied())
}

impl Billing {
    /// A billing frequency typed in a form or a file, in any case.
    pub fn parse(s: &str) -> Option<Self> {
        Billing::ALL
            .iter()
            .copied()
            .find(|b| b.code().eq_ignore_ascii_case(s.trim()))
    }

    pub fn months(self) -> u32 {
        match self {
            Billing::Monthly => 1,
            Billing::Annual => 12,
            Billing::Triennial => 36,
        }
    }

    /// A billing frequency can invoice a term only in periods that fit inside it.
    pub fn fits(self, term: Term) -> bool {
        self.months() <= term.months() && term.months() % self.months() == 0
    }
}

crate::text_enum! {
    /// What a product is for, as the catalog groups it.
    pub enum Category {
        Productivity = "productivity" => "category.productivity",
        Email = "email" => "category.email",
        Collaboration = "collaboration" => "category.collaboration",
        Security = "security" => "category.security",
        Analytics = "analytics" => "category.analytics",
        Ai = "ai" => "category.ai",
        Project = "project" => "category.project",
        Infrastructure = "infrastructure" => "category.infrastructure",
        Frontline = "frontline" => "category.frontline",
    }
}

crate::text_enum! {
    /// How a product is sold: seats for a term, or metered consumption.
    pub enum Kind {
        License = "license" => "kind.license",
        Consumption = "consumption" => "kind.consumption",
    }
}

crate::text_enum! {
    /// Whether a product can be ordered (a retired one stays for what was bought).
    pub enum ProductStatus {
        Active = "active" => "catalog.status_active",
        Retired = "retired" => "catalog.status_retired",
    }
}

pub const CURRENCIES: [&str; 2] = ["USD", "BRL"];

/// A price row: valid from `valid_from` (inclusive) until `valid_to` (exclusive, open if None).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PricePeriod {
    pub cost: Decimal,
    pub retail: Decimal,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
}

impl PricePeriod {
    pub fn covers(&self, day: Date) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day < to)
    }

    pub fn overlaps(&self, other: &PricePeriod) -> bool {
        let a_end = self.valid_to.unwrap_or(Date::MAX);
        let b_end = other.valid_to.unwrap_or(Date::MAX);
        self.valid_from < b_end && other.valid_from < a_end
    }
}

/// The price in force on `day` among the periods of one product, term, billing and currency.
pub fn price_on(periods: &[PricePeriod], day: Date) -> Option<&PricePeriod> {
    periods.iter().find(|p| p.covers(day))
}

/// The reseller's own unit price: cost plus the markup percentage, exact (decision 0019: only a
/// line's amount is rounded, once, to the cent).
pub fn your_price(cost: Decimal, markup_percent: Decimal) -> Decimal {
    cost * (Decimal::ONE + markup_percent / Decimal::ONE_HUNDRED)
}

/// What the reseller earns per unit at its own price and at the suggested retail price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Margins {
    pub your_price: Decimal,
    pub margin: Decimal,
    pub retail_margin: Decimal,
    /// Margin at the suggested retail price, as a percentage of that price.
    pub retail_margin_percent: Option<Decimal>,
}

pub fn margins(cost: Decimal, retail: Decimal, markup_percent: Decimal) -> Margins {
    let your = your_price(cost, markup_percent);
    let retail_margin = retail - cost;
    Margins {
        your_price: your,
        margin: your - cost,
        retail_margin,
        retail_margin_percent: (!retail.is_zero())
            .then(|| (retail_margin / retail * Decimal::ONE_HUNDRED).round_dp(1)),
    }
}

/// Parses an amount typed by staff or found in a CSV file: non-negative, at most 4 decimals,
/// `.` or `,` as the decimal mark. The error is a translation key.
pub fn parse_amount(input: &str) -> Result<Decimal, &'static str> {
    let s = input.trim();
    if s.is_empty() {
        return Err("form.required");
    }
    let normal = if s.contains(',') && !s.contains('.') {
        s.replace(',', ".")
    } else {
        s.to_string()
    };
    if !normal
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Err("catalog.invalid_amount");
    }
    let value: Decimal = normal.parse().map_err(|_| "catalog.invalid_amount")?;
    if value.is_sign_negative() {
        return Err("catalog.negative_amount");
    }
    if value.scale() > 4 || value > Decimal::from(10_000_000) {
        return Err("catalog.invalid_amount");
    }
    Ok(value.normalize())
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(input: &str) -> Result<Date, &'static str> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(input.trim(), format).map_err(|_| "catalog.invalid_date")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn period(cost: &str, from: Date, to: Option<Date>) -> PricePeriod {
        PricePeriod {
            cost: d(cost),
            retail: d(cost),
            valid_from: from,
            valid_to: to,
        }
    }

    #[test]
    fn the_price_in_force_depends_on_the_day() {
        let periods = vec![
            period("10", date!(2026 - 01 - 01), Some(date!(2026 - 12 - 01))),
            period("11", date!(2026 - 12 - 01), None),
        ];
        assert_eq!(
            price_on(&periods, date!(2026 - 11 - 30)).unwrap().cost,
            d("10")
        );
        assert_eq!(
            price_on(&periods, date!(2026 - 12 - 01)).unwrap().cost,
            d("11")
        );
        assert_eq!(
            price_on(&periods, date!(2030 - 01 - 01)).unwrap().cost,
            d("11")
        );
        assert!(price_on(&periods, date!(2025 - 12 - 31)).is_none());
    }

    #[test]
    fn overlapping_periods_are_detected() {
        let a = period("1", date!(2026 - 01 - 01), Some(date!(2026 - 02 - 01)));
        let b = period("1", date!(2026 - 02 - 01), None);
        let c = period("1", date!(2026 - 01 - 15), Some(date!(2026 - 01 - 20)));
        assert!(!a.overlaps(&b));
        assert!(a.overlaps(&c));
        assert!(!b.overlaps(&c));
        assert!(b.overlaps(&period("1", date!(2027 - 01 - 01), None)));
    }

    #[test]
    fn your_price_and_margins() {
        let m = margins(d("10.00"), d("12.50"), d("20"));
        assert_eq!(m.your_price, d("12.00"));
        assert_eq!(m.margin, d("2.00"));
        assert_eq!(m.retail_margin, d("2.50"));
        assert_eq!(m.retail_margin_percent, Some(d("20.0")));
        assert_eq!(your_price(d("3.3333"), d("15")), d("3.833295"));
        assert_eq!(margins(d("0"), d("0"), d("10")).retail_margin_percent, None);
    }

    #[test]
    fn amounts_are_exact_and_checked() {
        assert_eq!(parse_amount("12.5"), Ok(d("12.5")));
        assert_eq!(parse_amount(" 12,50 "), Ok(d("12.5")));
        assert_eq!(parse_amount("-1"), Err("catalog.negative_amount"));
        assert_eq!(parse_amount("abc"), Err("catalog.invalid_amount"));
        assert_eq!(parse_amount("1.23456"), Err("catalog.invalid_amount"));
        assert_eq!(parse_amount(""), Err("form.required"));
        assert_eq!(parse_amount("1e5"), Err("catalog.invalid_amount"));
    }

    #[test]
    fn terms_and_billing_fit_together() {
        assert!(Billing::Monthly.fits(Term::Yearly));
        assert!(Billing::Annual.fits(Term::ThreeYears));
        assert!(!Billing::Annual.fits(Term::Monthly));
        assert!(!Billing::Triennial.fits(Term::Yearly));
        assert_eq!(Term::parse("p1y"), Some(Term::Yearly));
        assert_eq!(Billing::parse("Annual"), Some(Billing::Annual));
        assert_eq!(Term::parse("P2Y"), None);
    }

    #[test]
    fn dates_are_iso() {
        assert_eq!(parse_date("2026-12-01").unwrap(), date!(2026 - 12 - 01));
        assert!(parse_date("2026-13-01").is_err());
    }

    #[test]
    fn the_usual_offer_is_a_year_billed_monthly() {
        use super::{Billing, Term, usual_offer};
        let all = [
            (Term::Monthly, Billing::Monthly),
            (Term::Yearly, Billing::Monthly),
            (Term::Yearly, Billing::Annual),
            (Term::ThreeYears, Billing::Annual),
        ];
        assert_eq!(usual_offer(&all), Some((Term::Yearly, Billing::Monthly)));
        assert_eq!(
            usual_offer(&[all[0], all[2]]),
            Some((Term::Yearly, Billing::Annual))
        );
        assert_eq!(usual_offer(&[all[3]]), Some(all[3]));
        assert_eq!(usual_offer(&[]), None);
    }
}
