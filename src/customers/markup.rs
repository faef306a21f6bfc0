//! A customer's pricing card: its own markup over the reseller's default, effective from a day
//! (the steps and their rule are `catalog::markups`), set on the customer's page by owners and
//! admins. The card previews the margin and warns when the markup puts products above their
//! suggested retail price.

use rust_decimal::Decimal;
use time::Date;

pub use crate::catalog::markups::{
    MarkupForm, Step, effective, margin_preview, parse, upcoming, upcoming_texts,
};
use crate::fields::FieldErrors;

/// The customer page's pricing card.
pub struct PricingView {
    pub current: String,
    pub upcoming: Vec<String>,
    pub example: String,
    pub above_retail: Option<String>,
    pub form: MarkupForm,
    pub errors: FieldErrors,
    pub can_change: bool,
    pub today: String,
}

/// What the card needs read: the reseller's currency and default markup, the customer's steps,
/// and how many offers its markup puts above retail.
pub struct Pricing {
    pub currency: String,
    pub default: Decimal,
    pub steps: Vec<Step>,
    pub above_retail: i64,
    /// The highest markup that keeps every product at or below its suggested retail price.
    pub within_retail: Option<Decimal>,
}

impl PricingView {
    pub fn of(
        ctx: &crate::web::PageCtx,
        p: &Pricing,
        today: Date,
        can_change: bool,
        typed: Option<(MarkupForm, FieldErrors)>,
    ) -> Self {
        let percent = |m: Decimal| crate::i18n::format_decimal(ctx.locale, m, 2);
        let day = |d: Date| crate::i18n::format_date(ctx.locale, d);
        let default = percent(p.default);
        let (markup, own) = effective(p.default, &p.steps, today);
        let current = match own {
            Some(step) => ctx.t_with(
                "customers.markup.own",
                &[
                    ("markup", &percent(markup)),
                    ("date", &day(step.valid_from)),
                    ("default", &default),
                ],
            ),
            None => ctx.t_with("customers.markup.default", &[("markup", &default)]),
        };
        let back = ctx.t_with("customers.markup.back_to_default", &[("markup", &default)]);
        let upcoming = upcoming_texts(ctx, &p.steps, today, &back);
        let hundred = Decimal::ONE_HUNDRED;
        let (price, margin, share) = margin_preview(hundred, markup);
        let money = |a: Decimal| ctx.money(a, &p.currency);
        let example = ctx.t_with(
            "customers.markup.example",
            &[
                ("cost", &money(hundred)),
                ("price", &money(price)),
                ("margin", &money(margin)),
                (
                    "share",
                    &share
                        .map(|s| crate::i18n::format_decimal(ctx.locale, s, 1))
                        .unwrap_or_default(),
                ),
            ],
        );
        let above_retail = (p.above_retail > 0).then(|| {
            let warning = ctx.t_with(
                "customers.markup.above_retail",
                &[
                    ("markup", &percent(markup)),
                    ("count", &p.above_retail.to_string()),
                ],
            );
            match p.within_retail {
                Some(m) if m >= Decimal::ZERO => {
                    let within =
                        ctx.t_with("customers.markup.within_retail", &[("markup", &percent(m))]);
                    format!("{warning} {within}")
                }
                _ => warning,
            }
        });
        let (form, errors) = typed.unwrap_or_else(|| {
            let form = MarkupForm {
                markup: own
                    .map(|_| markup.normalize().to_string())
                    .unwrap_or_default(),
                valid_from: today.to_string(),
            };
            (form, FieldErrors::new())
        });
        Self {
            current,
            upcoming,
            example,
            above_retail,
            form,
            errors,
            can_change,
            today: today.to_string(),
        }
    }
}
