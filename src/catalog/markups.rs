//! Markups over the reseller's default, effective from a day: a customer's own (set on its
//! page) and a product's (set on the pricing page). A step gives a markup from its day on; an
//! empty one goes back to the default. The one rule of which markup prices what: a customer's
//! own markup, else the product's, else the reseller's default (`markup_for`).

use rust_decimal::Decimal;
use serde::Deserialize;
use time::Date;

use crate::fields::FieldErrors;

/// How far ahead a markup may be set to start.
pub const MOST_DAYS_AHEAD: i64 = 730;

/// The markup form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct MarkupForm {
    #[serde(default)]
    pub markup: String,
    #[serde(default)]
    pub valid_from: String,
}

/// One step of a customer's pricing: from `valid_from` on, its markup (none: the default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub valid_from: Date,
    pub markup_percent: Option<Decimal>,
}

/// Checks the form: a markup (0 to 500 %, two decimals) or nothing (back to the default), from
/// a day between `today` and two years ahead (empty: today). A past day is refused: what was
/// ordered then kept its price.
pub fn parse(form: &MarkupForm, today: Date) -> Result<Step, FieldErrors> {
    let mut errors = FieldErrors::new();
    let markup = if form.markup.trim().is_empty() {
        None
    } else {
        parse_markup(&form.markup)
            .map_err(|k| errors.add("markup", k))
            .ok()
    };
    let valid_from = if form.valid_from.trim().is_empty() {
        Some(today)
    } else {
        match crate::catalog::rules::parse_date(&form.valid_from) {
            Err(_) => {
                errors.add("valid_from", "form.invalid_date");
                None
            }
            Ok(day) if day < today => {
                errors.add("valid_from", "customers.markup.past");
                None
            }
            Ok(day) if (day - today).whole_days() > MOST_DAYS_AHEAD => {
                errors.add("valid_from", "customers.markup.too_far");
                None
            }
            Ok(day) => Some(day),
        }
    };
    match valid_from {
        Some(valid_from) if errors.is_empty() => Ok(Step {
            valid_from,
            markup_percent: markup,
        }),
        _ => Err(errors),
    }
}

/// The markup that prices the customer on `day`: the newest step whose day has come, its markup
/// or the reseller's `default`; and that step, when one applies.
pub fn effective(default: Decimal, steps: &[Step], day: Date) -> (Decimal, Option<&Step>) {
    let step = steps
        .iter()
        .filter(|s| s.valid_from <= day)
        .max_by_key(|s| s.valid_from);
    let markup = step.and_then(|s| s.markup_percent).unwrap_or(default);
    (markup, step.filter(|s| s.markup_percent.is_some()))
}

/// The steps still to come after `day`, soonest first.
pub fn upcoming(steps: &[Step], day: Date) -> Vec<&Step> {
    let mut later: Vec<&Step> = steps.iter().filter(|s| s.valid_from > day).collect();
    later.sort_by_key(|s| s.valid_from);
    later
}

/// The steps still to come after `day`, as the pricing cards list them ("From 10/12/2026:
/// 15,00 %"); `back` is what a step back to the default says.
pub fn upcoming_texts(
    ctx: &crate::web::PageCtx,
    steps: &[Step],
    day: Date,
    back: &str,
) -> Vec<String> {
    upcoming(steps, day)
        .into_iter()
        .map(|s| {
            let markup = match s.markup_percent {
                Some(m) => format!("{} %", crate::i18n::format_decimal(ctx.locale, m, 2)),
                None => back.to_string(),
            };
            let date = crate::i18n::format_date(ctx.locale, s.valid_from);
            ctx.t_with(
                "customers.markup.from",
                &[("date", &date), ("markup", &markup)],
            )
        })
        .collect()
}

/// What a cost becomes at `markup`: the price and the margin, and the margin's share of the
/// price in percent (none for a free price).
pub fn margin_preview(cost: Decimal, markup: Decimal) -> (Decimal, Decimal, Option<Decimal>) {
    let price = crate::catalog::rules::your_price(cost, markup);
    let margin = price - cost;
    let share =
        (price > Decimal::ZERO).then(|| (margin / price * Decimal::ONE_HUNDRED).round_dp(1));
    (price, margin, share)
}

/// The markups that price one customer's products (or the catalog's, for no customer) on a day.
#[derive(Clone, Debug, Default)]
pub struct Markups {
    /// The reseller's default.
    pub default: Decimal,
    /// The customer's own markup in force, if it has one.
    pub customer: Option<Decimal>,
    /// The products with a markup of their own in force.
    pub products: std::collections::HashMap<uuid::Uuid, Decimal>,
}

impl Markups {
    /// The markup that prices `product` (`markup_for`).
    pub fn of(&self, product: uuid::Uuid) -> Decimal {
        markup_for(
            self.default,
            self.products.get(&product).copied(),
            self.customer,
        )
    }
}

/// Which markup prices a product for a customer: the customer's own, else the product's, else the
/// reseller's default.
pub fn markup_for(
    default: Decimal,
    product: Option<Decimal>,
    customer: Option<Decimal>,
) -> Decimal {
    customer.or(product).unwrap_or(default)
}

/// A percentage from 0 to 500 with at most two decimals; the error is a translation key.
pub fn parse_markup(input: &str) -> Result<Decimal, &'static str> {
    let value =
        crate::catalog::rules::parse_amount(input.trim().trim_end_matches('%')).map_err(|k| {
            if k == "form.required" {
                k
            } else {
                "pricing.invalid"
            }
        })?;
    if value > Decimal::from(500) || value.scale() > 2 {
        return Err("pricing.invalid");
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 12 - 04);

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn form(markup: &str, from: &str) -> MarkupForm {
        MarkupForm {
            markup: markup.into(),
            valid_from: from.into(),
        }
    }

    #[test]
    fn a_markup_starts_today_or_later_and_an_empty_one_goes_back_to_the_default() {
        assert_eq!(
            parse(&form("25", ""), TODAY).unwrap(),
            Step {
                valid_from: TODAY,
                markup_percent: Some(d("25"))
            }
        );
        let back = parse(&form(" ", "2027-01-01"), TODAY).unwrap();
        assert_eq!(
            (back.valid_from, back.markup_percent),
            (date!(2027 - 01 - 01), None)
        );
        let past = parse(&form("25", "2026-12-03"), TODAY).unwrap_err();
        assert_eq!(past.get("valid_from"), Some("customers.markup.past"));
        let far = parse(&form("25", "2029-01-01"), TODAY).unwrap_err();
        assert_eq!(far.get("valid_from"), Some("customers.markup.too_far"));
        let wrong = parse(&form("600", "mañana"), TODAY).unwrap_err();
        assert_eq!(wrong.get("markup"), Some("pricing.invalid"));
        assert_eq!(wrong.get("valid_from"), Some("form.invalid_date"));
    }

    #[test]
    fn the_newest_step_whose_day_has_come_prices_the_customer() {
        let steps = [
            Step {
                valid_from: date!(2026 - 11 - 01),
                markup_percent: Some(d("30")),
            },
            Step {
                valid_from: date!(2026 - 12 - 10),
                markup_percent: None,
            },
            Step {
                valid_from: date!(2027 - 01 - 01),
                markup_percent: Some(d("15")),
            },
        ];
        let default = d("20");
        assert_eq!(effective(default, &steps, date!(2026 - 10 - 31)).0, default);
        let (now, step) = effective(default, &steps, TODAY);
        assert_eq!(
            (now, step.map(|s| s.valid_from)),
            (d("30"), Some(date!(2026 - 11 - 01)))
        );
        // Back to the default from the 10th: no own markup applies.
        assert_eq!(
            effective(default, &steps, date!(2026 - 12 - 10)),
            (default, None)
        );
        assert_eq!(effective(default, &steps, date!(2027 - 02 - 01)).0, d("15"));
        let later: Vec<Date> = upcoming(&steps, TODAY)
            .iter()
            .map(|s| s.valid_from)
            .collect();
        assert_eq!(later, [date!(2026 - 12 - 10), date!(2027 - 01 - 01)]);
        assert_eq!(effective(default, &[], TODAY), (default, None));
    }

    #[test]
    fn a_customers_markup_comes_before_a_products_which_comes_before_the_default() {
        let default = d("20");
        assert_eq!(markup_for(default, None, None), default);
        assert_eq!(markup_for(default, Some(d("5")), None), d("5"));
        assert_eq!(markup_for(default, Some(d("5")), Some(d("30"))), d("30"));
        assert_eq!(markup_for(default, None, Some(d("0"))), d("0"));
    }

    #[test]
    fn the_preview_gives_price_margin_and_its_share() {
        assert_eq!(
            margin_preview(d("100"), d("25")),
            (d("125"), d("25"), Some(d("20.0")))
        );
        assert_eq!(margin_preview(d("0"), d("25")).2, None);
    }

    #[test]
    fn markups_are_bounded_percentages() {
        assert_eq!(parse_markup("15").unwrap().to_string(), "15");
        assert_eq!(parse_markup("12,5 %").unwrap().to_string(), "12.5");
        assert_eq!(parse_markup("501"), Err("pricing.invalid"));
        assert_eq!(parse_markup("-1"), Err("pricing.invalid"));
        assert_eq!(parse_markup("1.234"), Err("pricing.invalid"));
        assert_eq!(parse_markup(""), Err("form.required"));
    }
}
