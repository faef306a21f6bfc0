//! Order rules without I/O: what makes a cart line orderable, and the totals.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::catalog::rules::{Billing, Term};

/// Why a line cannot be ordered; each is a translation key (`orders.refused.<key>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    CustomerInactive,
    ProductRetired,
    NotOffered,
    NoPrice,
    Quantity,
    NeedsTenant,
    NeedsBase,
    Program(crate::partners::programs::NotOrderable),
    Empty,
}

impl Refusal {
    pub fn key(self) -> &'static str {
        match self {
            Refusal::CustomerInactive => "orders.refused.customer_inactive",
            Refusal::ProductRetired => "orders.refused.product_retired",
            Refusal::NotOffered => "orders.refused.not_offered",
            Refusal::NoPrice => "orders.refused.no_price",
            Refusal::Quantity => "orders.refused.quantity",
            Refusal::NeedsTenant => "orders.refused.needs_tenant",
            Refusal::NeedsBase => "orders.refused.needs_base",
            Refusal::Program(why) => why.key(),
            Refusal::Empty => "orders.refused.empty",
        }
    }
}

/// What the checks of one line need to know.
#[derive(Clone, Debug)]
pub struct LineFacts {
    pub product_active: bool,
    pub offered: bool,
    pub has_price: bool,
    pub quantity: i32,
    pub min_seats: i32,
    pub max_seats: i32,
    pub has_tenant: bool,
    pub is_addon: bool,
    /// The base product is in the same cart or already subscribed for the customer.
    pub base_present: bool,
    pub program: Result<(), crate::partners::programs::NotOrderable>,
}

/// The first reason this line cannot be ordered, if any.
pub fn check_line(f: &LineFacts) -> Result<(), Refusal> {
    f.program.map_err(Refusal::Program)?;
    if !f.product_active {
        return Err(Refusal::ProductRetired);
    }
    if !f.offered {
        return Err(Refusal::NotOffered);
    }
    if !f.has_price {
        return Err(Refusal::NoPrice);
    }
    if f.quantity < f.min_seats || f.quantity > f.max_seats {
        return Err(Refusal::Quantity);
    }
    if !f.has_tenant {
        return Err(Refusal::NeedsTenant);
    }
    if f.is_addon && !f.base_present {
        return Err(Refusal::NeedsBase);
    }
    Ok(())
}

/// Rounds an amount to the cent (half away from zero): the one rounding of a line.
pub fn cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The amount of one line per billing period: unit × quantity, rounded to the cent.
pub fn line_total(unit: Decimal, quantity: i32) -> Decimal {
    cents(unit * Decimal::from(quantity))
}

/// The end of the first term starting on `start`.
pub fn term_end(start: time::Date, term: Term) -> time::Date {
    let months = term.months() as i32;
    let total = start.year() * 12 + (u8::from(start.month()) as i32 - 1) + months;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = time::Month::try_from((month0 + 1) as u8).unwrap_or(time::Month::January);
    let last_day = month.length(year);
    time::Date::from_calendar_date(year, month, start.day().min(last_day)).unwrap_or(start)
}

/// Whether a billing frequency can be chosen for a term (`Billing::fits`).
pub fn fits(term: Term, billing: Billing) -> bool {
    billing.fits(term)
}

/// The order statuses, in the order filters list them.
pub const STATUSES: [&str; 5] = [
    "failed",
    "submitted",
    "provisioning",
    "completed",
    "rejected",
];

/// A status filter from a query string: a known status, or empty (all).
pub fn status_filter(raw: &str) -> String {
    if STATUSES.contains(&raw) {
        raw.to_string()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn ok_facts() -> LineFacts {
        LineFacts {
            product_active: true,
            offered: true,
            has_price: true,
            quantity: 10,
            min_seats: 1,
            max_seats: 300,
            has_tenant: true,
            is_addon: false,
            base_present: false,
            program: Ok(()),
        }
    }

    #[test]
    fn lines_are_checked_in_order() {
        assert_eq!(check_line(&ok_facts()), Ok(()));
        let mut f = ok_facts();
        f.quantity = 301;
        assert_eq!(check_line(&f), Err(Refusal::Quantity));
        let mut f = ok_facts();
        f.is_addon = true;
        assert_eq!(check_line(&f), Err(Refusal::NeedsBase));
        f.base_present = true;
        assert_eq!(check_line(&f), Ok(()));
        let mut f = ok_facts();
        f.program = Err(crate::partners::programs::NotOrderable::Pending);
        f.quantity = 0;
        assert_eq!(
            check_line(&f),
            Err(Refusal::Program(
                crate::partners::programs::NotOrderable::Pending
            ))
        );
        let mut f = ok_facts();
        f.has_tenant = false;
        assert_eq!(check_line(&f), Err(Refusal::NeedsTenant));
    }

    #[test]
    fn totals_round_once_per_line() {
        let unit: Decimal = "14.7840".parse().unwrap();
        assert_eq!(line_total(unit, 3).to_string(), "44.35");
        assert_eq!(line_total("0.005".parse().unwrap(), 1).to_string(), "0.01");
        assert_eq!(line_total("12.5".parse().unwrap(), 10), Decimal::from(125));
    }

    #[test]
    fn terms_end_on_the_same_day_months_later() {
        assert_eq!(
            term_end(date!(2026 - 11 - 24), Term::Yearly),
            date!(2027 - 11 - 24)
        );
        assert_eq!(
            term_end(date!(2026 - 01 - 31), Term::Monthly),
            date!(2026 - 02 - 28)
        );
        assert_eq!(
            term_end(date!(2026 - 12 - 15), Term::Monthly),
            date!(2027 - 01 - 15)
        );
        assert_eq!(
            term_end(date!(2024 - 02 - 29), Term::ThreeYears),
            date!(2027 - 02 - 28)
        );
    }

    #[test]
    fn unknown_status_filters_mean_all() {
        assert_eq!(status_filter("failed"), "failed");
        assert_eq!(status_filter("FAILED"), "");
        assert_eq!(status_filter("'; drop"), "");
    }
}
