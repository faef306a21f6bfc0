//! How subscriptions read on a page: the list and the customer page's section, and one
//! subscription's facts, seat batches, change previews and refusals; its history in `history`.

use rust_decimal::Decimal;
use time::OffsetDateTime;

use crate::catalog::rules::{Billing, Term};
use crate::subscriptions::changes::Context;
use crate::subscriptions::form::{ChangeForm, offer_code};
use crate::subscriptions::proration;
use crate::subscriptions::rules::{Batch, ChangeKind, Plan, Refusal, SubscriptionStatus};
use crate::subscriptions::store::{Detail, SubscriptionRow};
use crate::web::PageCtx;
use crate::web::forms::Choice;

mod history;
use history::{Described, describe, offer_label, with_offer};
pub use history::{HistoryView, history};

/// A subscription with its product name, term, dates and status in the page's language.
pub struct SubscriptionView {
    pub subscription: SubscriptionRow,
    pub name: String,
    pub term: String,
    pub dates: String,
    pub status: String,
    pub renewal: String,
    /// "Assigned: 7".
    pub assigned: String,
    /// Seats idle for a month, or fewer than the licences.
    pub alignment: Option<String>,
}

/// What the reseller should know about a subscription's licences against its seats.
pub fn alignment(
    ctx: &PageCtx,
    seats: i32,
    assigned: i32,
    quiet_since: time::OffsetDateTime,
) -> Option<String> {
    use crate::licences::rules::Alignment;
    let now = time::OffsetDateTime::now_utc();
    let n = |v: i32| crate::i18n::format_integer(ctx.locale, v as i64);
    crate::licences::rules::alignment(seats, assigned, quiet_since, now).map(|a| match a {
        Alignment::Over { by } => ctx.t_with("licences.over_assigned", &[("by", &n(by))]),
        Alignment::Idle { seats } => ctx.t_with("licences.idle_seats", &[("seats", &n(seats))]),
    })
}

pub fn rows(ctx: &PageCtx, subs: Vec<SubscriptionRow>) -> Vec<SubscriptionView> {
    subs.into_iter()
        .map(|s| SubscriptionView {
            name: s.name(ctx.locale).to_string(),
            term: format!("{} · {}", ctx.t(s.term.key()), ctx.t(s.billing.key())),
            dates: format!(
                "{} – {}",
                crate::i18n::format_date(ctx.locale, s.start_date),
                crate::i18n::format_date(ctx.locale, s.end_date)
            ),
            status: ctx.t(s.status.key()),
            alignment: alignment(ctx, s.quantity, s.assigned, s.quiet_since),
            assigned: ctx.t_with(
                "licences.assigned_short",
                &[(
                    "assigned",
                    &crate::i18n::format_integer(ctx.locale, s.assigned as i64),
                )],
            ),
            renewal: ctx.t(if s.auto_renew {
                "subscriptions.auto_renew_on"
            } else {
                "subscriptions.auto_renew_off"
            }),
            subscription: s,
        })
        .collect()
}

/// The subscription's facts as its pages show them.
pub struct Facts {
    pub id: uuid::Uuid,
    pub customer_id: uuid::Uuid,
    pub customer: String,
    pub order_id: uuid::Uuid,
    pub name: String,
    pub sku: String,
    pub vendor: String,
    pub tenant_domain: String,
    pub vendor_ref: String,
    pub quantity: i32,
    /// "7 of 10 seats assigned".
    pub assigned: String,
    /// Seats idle for a month, or fewer than the licences.
    pub alignment: Option<String>,
    pub term: String,
    pub dates: String,
    pub renewal: String,
    pub auto_renew: bool,
    pub status: &'static str,
    pub status_label: String,
    pub unit_price: String,
    pub price_locked: String,
    pub per_period: String,
    pub pending: bool,
    pub version: i32,
    /// Active with no change waiting: the change forms are offered (to those who may change).
    pub open_to_changes: bool,
    /// Suspended with no change waiting: reactivation is offered.
    pub reactivable: bool,
    /// Why it is suspended, when it is.
    pub suspension: Option<String>,
    /// What is scheduled for renewal ("Business Basic, 8 seats").
    pub scheduled: Option<String>,
    /// Seats can be reduced in batches (Microsoft's windows, Google's flexible plan).
    pub reducible: bool,
}

pub fn facts(ctx: &PageCtx, s: &Detail) -> Facts {
    use crate::catalog::rules::Term;
    use crate::vendors::VendorCode;
    let date = |d| crate::i18n::format_date(ctx.locale, d);
    Facts {
        id: s.id,
        customer_id: s.customer_id,
        customer: s.customer.clone(),
        order_id: s.order_id,
        name: s.name(ctx.locale).to_string(),
        sku: s.sku.clone(),
        vendor: ctx.t(s.vendor.key()),
        tenant_domain: s.tenant_domain.clone(),
        vendor_ref: s.vendor_ref.clone(),
        quantity: s.quantity,
        alignment: alignment(ctx, s.quantity, s.assigned, s.quiet_since),
        assigned: {
            let n = |v: i32| crate::i18n::format_integer(ctx.locale, v as i64);
            ctx.t_with(
                "subscriptions.assigned_of",
                &[("assigned", &n(s.assigned)), ("seats", &n(s.quantity))],
            )
        },
        term: format!("{} · {}", ctx.t(s.term.key()), ctx.t(s.billing.key())),
        dates: format!("{} – {}", date(s.start_date), date(s.end_date)),
        renewal: ctx.t(if s.auto_renew {
            "subscriptions.auto_renew_on"
        } else {
            "subscriptions.auto_renew_off"
        }),
        auto_renew: s.auto_renew,
        status: s.status.code(),
        status_label: ctx.t(s.status.key()),
        unit_price: ctx.unit_price(s.unit_price, &s.currency),
        price_locked: ctx.t_with(
            "subscriptions.price_locked_until",
            &[("date", &date(s.end_date))],
        ),
        per_period: format!(
            "{} {}",
            ctx.money(proration::per_period(s.unit_price, s.quantity), &s.currency),
            ctx.t(per_key(s.billing))
        ),
        pending: s.pending_change.is_some(),
        version: s.version,
        open_to_changes: s.status == SubscriptionStatus::Active && s.pending_change.is_none(),
        reactivable: s.status == SubscriptionStatus::Suspended
            && s.pending_change.is_none()
            && crate::vendors::rules::may_reactivate(s.suspension).is_ok(),
        scheduled: s.next_quantity.map(|seats| {
            fn pick(n: &Option<String>) -> &str {
                n.as_deref().unwrap_or_default()
            }
            let name = ctx.locale.pick(
                pick(&s.next_name_es),
                pick(&s.next_name_en),
                pick(&s.next_name_pt),
            );
            let text = ctx.t_with(
                "subscriptions.scheduled_as",
                &[
                    ("product", name),
                    (
                        "seats",
                        &crate::i18n::format_integer(ctx.locale, seats as i64),
                    ),
                ],
            );
            with_offer(ctx, text, s.next_term.zip(s.next_billing))
        }),
        suspension: (s.status == SubscriptionStatus::Suspended)
            .then(|| s.suspension.map(|r| ctx.t(r.key())))
            .flatten(),
        reducible: s.vendor == VendorCode::Microsoft || s.term == Term::Monthly,
    }
}

/// "per month", "per year", "per 3 years".
pub fn per_key(billing: Billing) -> &'static str {
    match billing {
        Billing::Monthly => "subscriptions.per_month",
        Billing::Annual => "subscriptions.per_year",
        Billing::Triennial => "subscriptions.per_three_years",
    }
}

/// A product a form offers, with its price per billing period for one seat.
pub struct TargetView {
    pub id: uuid::Uuid,
    pub label: String,
    pub current: bool,
}

/// The products the change forms offer: upgrades now; the same product, upgrades and
/// downgrades at renewal.
pub struct Targets {
    pub upgrades: Vec<TargetView>,
    pub at_renewal: Vec<TargetView>,
    /// The terms and billing frequencies the renewal may take (the current one selected).
    pub offers: Vec<OfferChoice>,
    /// The longer terms it can move to now, with their prices.
    pub longer: Vec<OfferChoice>,
}

/// A term and billing frequency as the schedule form offers it.
pub struct OfferChoice {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

pub fn targets(ctx: &PageCtx, s: &Detail, context: &Context) -> Targets {
    let per = ctx.t(per_key(s.billing));
    let label = |name: &str, price: Option<Decimal>| match price {
        Some(p) => format!("{name} — {} {per}", ctx.money(p, &s.currency)),
        None => name.to_string(),
    };
    let priced = context
        .targets
        .iter()
        .zip(&context.candidates)
        .filter(|(_, c)| c.unit_price.is_some());
    let upgrades = priced
        .clone()
        .filter(|(t, _)| t.upgrade)
        .map(|(t, c)| TargetView {
            id: t.product_id,
            label: label(t.name(ctx.locale), c.unit_price),
            current: false,
        })
        .collect();
    let mut at_renewal = vec![TargetView {
        id: s.product_id,
        label: label(s.name(ctx.locale), context.renewal_price),
        current: true,
    }];
    at_renewal.extend(priced.map(|(t, c)| TargetView {
        id: t.product_id,
        label: label(t.name(ctx.locale), c.unit_price),
        current: false,
    }));
    let mut pairs: Vec<(Term, Billing)> =
        context.offers.iter().map(|o| (o.term, o.billing)).collect();
    pairs.push((s.term, s.billing));
    pairs.sort_by_key(|(t, b)| (t.months(), b.months()));
    pairs.dedup();
    let offers = pairs
        .into_iter()
        .map(|(term, billing)| OfferChoice {
            code: offer_code(term, billing),
            label: format!("{} · {}", ctx.t(term.key()), ctx.t(billing.key())),
            selected: (term, billing) == (s.term, s.billing),
        })
        .collect();
    let longer = context
        .offers
        .iter()
        .filter(|o| o.product_id == s.product_id && o.term.months() > s.term.months())
        .map(|o| OfferChoice {
            code: offer_code(o.term, o.billing),
            label: format!(
                "{} — {} {}",
                offer_label(ctx, (o.term, o.billing)),
                ctx.money(o.unit_price, &s.currency),
                ctx.t(per_key(o.billing))
            ),
            selected: false,
        })
        .collect();
    Targets {
        upgrades,
        at_renewal,
        offers,
        longer,
    }
}

/// A seat batch with its window in the reader's time zone.
pub struct BatchView {
    pub id: uuid::Uuid,
    pub added: i32,
    pub quantity: i32,
    pub added_at: String,
    /// "can be reduced until … — 2 days 4 h left", "closed on …", or nothing (no window).
    pub window: String,
    pub open: bool,
    /// Why a reduction of this batch was refused, and what was typed.
    pub problem: Option<String>,
    pub typed: String,
}

pub fn batches(
    ctx: &PageCtx,
    s: &Detail,
    batches: &[Batch],
    now: OffsetDateTime,
) -> Vec<BatchView> {
    batches
        .iter()
        .map(|b| {
            let open = b.quantity > 0
                && crate::vendors::rules::may_reduce(s.vendor, s.term, b.added_at, now).is_ok();
            let window = match b.window_closes_at {
                Some(closes) if closes > now => ctx.t_with(
                    "subscriptions.window_open",
                    &[
                        ("until", &ctx.moment(closes)),
                        ("left", &time_left(ctx, closes - now)),
                    ],
                ),
                Some(closed) => ctx.t_with(
                    "subscriptions.window_closed",
                    &[("date", &ctx.moment(closed))],
                ),
                None if open => ctx.t("subscriptions.window_flexible"),
                None => ctx.t("subscriptions.window_commitment"),
            };
            BatchView {
                id: b.id,
                added: b.added,
                quantity: b.quantity,
                added_at: ctx.moment(b.added_at),
                window,
                open,
                problem: None,
                typed: String::new(),
            }
        })
        .collect()
}

/// "2 days 4 h", "5 h 12 min".
pub fn time_left(ctx: &PageCtx, left: time::Duration) -> String {
    let minutes = left.whole_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    let n = |v: i64| crate::i18n::format_integer(ctx.locale, v);
    if days > 0 {
        ctx.t_with(
            "subscriptions.left_days",
            &[("days", &n(days)), ("hours", &n(hours))],
        )
    } else {
        ctx.t_with(
            "subscriptions.left_hours",
            &[("hours", &n(hours)), ("minutes", &n(mins))],
        )
    }
}

/// A change's plan as the preview shows it.
pub struct PlanView {
    pub what: String,
    pub seats_before: i32,
    pub seats_after: i32,
    /// "Charged now" / "Refunded now" / nothing (no money effect).
    pub money_label: String,
    pub money: String,
    pub money_explained: String,
    pub per_period_before: String,
    pub per_period_after: String,
    /// The new price applies at renewal (a schedule), not now.
    pub at_renewal: bool,
    pub deadline: Option<String>,
    /// "Active → Suspended".
    pub status_change: Option<String>,
}

pub fn plan(
    ctx: &PageCtx,
    s: &Detail,
    context: &Context,
    plan: &Plan,
    now: OffsetDateTime,
) -> PlanView {
    let product = match plan.product_after {
        Some(id) if id == s.product_id => s.name(ctx.locale).to_string(),
        Some(id) => context
            .targets
            .iter()
            .find(|t| t.product_id == id)
            .map(|t| t.name(ctx.locale).to_string())
            .unwrap_or_default(),
        None => String::new(),
    };
    let date = |d| crate::i18n::format_date(ctx.locale, d);
    let last_day = plan.period.end.previous_day().unwrap_or(plan.period.end);
    let per = ctx.t(per_key(s.billing));
    let (money_label, money_explained) = if plan.amount.is_zero() {
        (ctx.t("subscriptions.no_money_effect"), String::new())
    } else {
        let label = if plan.amount < Decimal::ZERO {
            "subscriptions.refunded_now"
        } else {
            "subscriptions.charged_now"
        };
        let explained = ctx.t_with(
            "subscriptions.prorated",
            &[("from", &date(now.date())), ("to", &date(last_day))],
        );
        (ctx.t(label), explained)
    };
    PlanView {
        what: describe(
            ctx,
            Described {
                kind: plan.kind,
                before: plan.seats_before,
                after: plan.seats_after,
                auto_renew: plan.auto_renew,
                product: &product,
                next_quantity: plan.next_quantity,
                offer: plan.term_after.zip(plan.billing_after),
                until: plan.end_after,
            },
        ),
        at_renewal: plan.kind == ChangeKind::Schedule,
        seats_before: plan.seats_before,
        seats_after: plan.seats_after,
        money_label,
        money: ctx.money(plan.amount.abs(), &s.currency),
        money_explained,
        per_period_before: format!("{} {per}", ctx.money(plan.per_period_before, &s.currency)),
        per_period_after: format!(
            "{} {}",
            ctx.money(plan.per_period_after, &s.currency),
            ctx.t(per_key(plan.billing_after.unwrap_or(s.billing)))
        ),
        status_change: plan
            .status_after
            .map(|after| format!("{} → {}", ctx.t(s.status.key()), ctx.t(after.key()))),
        deadline: plan.window_closes.map(|closes| {
            let n = crate::i18n::format_integer(
                ctx.locale,
                (plan.seats_after - plan.seats_before) as i64,
            );
            ctx.t_with(
                "subscriptions.deadline",
                &[("seats", &n), ("until", &ctx.moment(closes))],
            )
        }),
    }
}

/// What the audit log keeps of a change.
pub fn audit_details(change_id: uuid::Uuid, plan: &Plan) -> serde_json::Value {
    serde_json::json!({
        "change": change_id,
        "kind": plan.kind.code(),
        "seats_before": plan.seats_before,
        "seats_after": plan.seats_after,
        "amount": plan.amount.to_string(),
        "auto_renew": plan.auto_renew,
    })
}

/// Why a change was not made, for the page.
pub struct Problem {
    pub message: String,
    /// The batch the refused reduction was for (its form shows the message).
    pub batch: Option<uuid::Uuid>,
}

impl Problem {
    pub fn refusal(ctx: &PageCtx, refusal: Refusal) -> Self {
        let message = match refusal {
            Refusal::WindowClosed { closed_at } => {
                ctx.t_with(refusal.key(), &[("date", &ctx.moment(closed_at))])
            }
            Refusal::MoreThanTheBatch { left } => ctx.t_with(
                refusal.key(),
                &[(
                    "left",
                    &crate::i18n::format_integer(ctx.locale, left as i64),
                )],
            ),
            Refusal::BelowAssigned { assigned, unassign } => {
                let n = |v: i32| crate::i18n::format_integer(ctx.locale, v as i64);
                ctx.t_with(
                    refusal.key(),
                    &[("assigned", &n(assigned)), ("unassign", &n(unassign))],
                )
            }
            _ => ctx.t(refusal.key()),
        };
        Self {
            message,
            batch: None,
        }
    }

    pub fn stale(ctx: &PageCtx) -> Self {
        Self {
            message: ctx.t("subscriptions.stale"),
            batch: None,
        }
    }
}

/// Where a refused change's message goes on the page, with what was typed.
#[derive(Default)]
pub struct Placed {
    /// Above the page (a refused renewal change, a stale version).
    pub general: Option<String>,
    /// Beside the add-seats form.
    pub add: Option<String>,
    pub add_typed: String,
}

/// Puts `problem` beside the form it came from (`batches` get theirs).
pub fn place(problem: Option<Problem>, form: &ChangeForm, batches: &mut [BatchView]) -> Placed {
    let Some(problem) = problem else {
        return Placed::default();
    };
    match (ChangeKind::from_code(form.kind.trim()), problem.batch) {
        (Some(ChangeKind::AddSeats), _) => Placed {
            general: None,
            add: Some(problem.message),
            add_typed: form.quantity.clone(),
        },
        (Some(ChangeKind::RemoveSeats), Some(id)) if batches.iter().any(|b| b.id == id) => {
            if let Some(b) = batches.iter_mut().find(|b| b.id == id) {
                b.problem = Some(problem.message);
                b.typed = form.quantity.clone();
            }
            Placed::default()
        }
        _ => Placed {
            general: Some(problem.message),
            ..Placed::default()
        },
    }
}

/// The choices of the list's filters and sorts, with the current ones selected.
pub struct ListChoices {
    pub statuses: Vec<Choice>,
    pub vendors: Vec<Choice>,
    pub terms: Vec<Choice>,
    pub renewals: Vec<Choice>,
    pub renews: Vec<(String, String, bool)>,
    pub sorts: Vec<Choice>,
}

pub fn list_choices(ctx: &PageCtx, f: &crate::subscriptions::store::Filter) -> ListChoices {
    use crate::catalog::rules::Term;
    use crate::subscriptions::rules::{RENEWS_WITHIN, SubscriptionSort};
    use crate::vendors::VendorCode;
    ListChoices {
        statuses: Choice::list(
            SubscriptionStatus::ALL,
            f.status,
            SubscriptionStatus::code,
            |s| ctx.t(s.key()),
        ),
        vendors: Choice::list(VendorCode::ALL, f.vendor, VendorCode::code, |v| {
            ctx.t(v.key())
        }),
        terms: Choice::list(Term::ALL, f.term, Term::code, |t| ctx.t(t.key())),
        renewals: [("auto", true), ("manual", false)]
            .into_iter()
            .map(|(code, on)| Choice {
                code,
                label: ctx.t(if on {
                    "subscriptions.auto_renew_on"
                } else {
                    "subscriptions.auto_renew_off"
                }),
                selected: f.auto_renew == Some(on),
            })
            .collect(),
        renews: RENEWS_WITHIN
            .iter()
            .map(|&d| {
                let days = crate::i18n::format_integer(ctx.locale, d as i64);
                (
                    d.to_string(),
                    ctx.t_with("subscriptions.renews_within_days", &[("days", &days)]),
                    f.renews_within == Some(d),
                )
            })
            .collect(),
        sorts: Choice::list(
            SubscriptionSort::ALL,
            Some(f.sort),
            SubscriptionSort::code,
            |s| ctx.t(s.key()),
        ),
    }
}
