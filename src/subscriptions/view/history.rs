//! A subscription's history as its page shows it: its own changes and its licences', latest
//! first, each described in the reader's language (the description serves the change previews
//! too).

use rust_decimal::Decimal;

use crate::catalog::rules::{Billing, Term};
use crate::subscriptions::rules::ChangeKind;
use crate::subscriptions::store::HistoryRow;
use crate::web::PageCtx;

/// A change of the history as the page shows it.
pub struct HistoryView {
    /// The row's id in the page (`change-…`), which an invoice line links to.
    pub anchor: Option<String>,
    pub when: String,
    pub actor: String,
    pub what: String,
    pub money: String,
    pub status: &'static str,
    pub status_label: String,
    pub reason: Option<String>,
}

/// The subscription's changes and its licences' (`licences`), latest first, `limit` at most.
pub fn history(
    ctx: &PageCtx,
    rows: Vec<HistoryRow>,
    licences: Vec<(time::OffsetDateTime, crate::licences::view::HistoryLine)>,
    limit: usize,
) -> Vec<HistoryView> {
    let own = rows.into_iter().map(|h| (h.requested_at, own_line(ctx, h)));
    let given = licences.into_iter().map(|(at, l)| {
        let line = HistoryView {
            anchor: None,
            when: l.at,
            actor: l.actor,
            what: l.what,
            money: String::new(),
            status: l.status,
            status_label: l.status_label,
            reason: l.reason,
        };
        (at, line)
    });
    let mut all: Vec<_> = own.chain(given).collect();
    // Stable: what happened at the same moment keeps its order (the subscription's first).
    all.sort_by_key(|line| std::cmp::Reverse(line.0));
    all.into_iter().take(limit).map(|(_, line)| line).collect()
}

fn own_line(ctx: &PageCtx, h: HistoryRow) -> HistoryView {
    {
        HistoryView {
            anchor: Some(format!("change-{}", h.id)),
            when: ctx.moment(h.requested_at),
            actor: match h.actor.as_deref() {
                None | Some("system") => ctx.t("subscriptions.actor_system"),
                Some(name) => name.to_string(),
            },
            what: describe(
                ctx,
                Described {
                    kind: h.kind,
                    before: h.seats_before,
                    after: h.seats_after,
                    auto_renew: h.auto_renew,
                    product: h.product(ctx.locale),
                    next_quantity: h.next_quantity,
                    offer: h.term_after.zip(h.billing_after),
                    until: h.end_after,
                },
            ),
            money: if h.amount.is_zero() {
                String::new()
            } else {
                signed_money(ctx, h.amount, &h.currency)
            },
            status: h.status.code(),
            status_label: ctx.t(h.status.key()),
            reason: h.error.map(|code| ctx.t(code.key())),
        }
    }
}

/// "+5 seats (10 → 15)", "−2 seats (15 → 13)", "Auto-renew turned off".
pub(super) fn describe(ctx: &PageCtx, change: Described<'_>) -> String {
    let Described {
        kind,
        before,
        after,
        auto_renew,
        product,
        next_quantity,
        offer,
        until,
    } = change;
    let n = |v: i32| crate::i18n::format_integer(ctx.locale, v as i64);
    match kind {
        ChangeKind::Purchase => ctx.t_with("subscriptions.what_purchase", &[("seats", &n(after))]),
        ChangeKind::AddSeats | ChangeKind::RemoveSeats => {
            let key = if kind == ChangeKind::AddSeats {
                "subscriptions.what_add"
            } else {
                "subscriptions.what_remove"
            };
            let args = [
                ("seats", n((after - before).abs())),
                ("before", n(before)),
                ("after", n(after)),
            ];
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            ctx.t_with(key, &args)
        }
        ChangeKind::AutoRenew => ctx.t(if auto_renew == Some(false) {
            "subscriptions.what_auto_renew_off"
        } else {
            "subscriptions.what_auto_renew_on"
        }),
        ChangeKind::Suspend => ctx.t("subscriptions.what_suspend"),
        ChangeKind::Reactivate => ctx.t("subscriptions.what_reactivate"),
        ChangeKind::Cancel => ctx.t("subscriptions.what_cancel"),
        ChangeKind::Upgrade => ctx.t_with("subscriptions.what_upgrade", &[("product", product)]),
        ChangeKind::Term => ctx.t_with(
            "subscriptions.what_term",
            &[
                (
                    "offer",
                    &offer.map(|o| offer_label(ctx, o)).unwrap_or_default(),
                ),
                (
                    "date",
                    &until
                        .map(|d| crate::i18n::format_date(ctx.locale, d))
                        .unwrap_or_default(),
                ),
            ],
        ),
        ChangeKind::Schedule => with_offer(
            ctx,
            ctx.t_with(
                "subscriptions.what_schedule",
                &[
                    ("product", product),
                    ("seats", &n(next_quantity.unwrap_or(after))),
                ],
            ),
            offer,
        ),
        ChangeKind::Unschedule => ctx.t("subscriptions.what_unschedule"),
        ChangeKind::Renewal => with_offer(
            ctx,
            ctx.t_with(
                "subscriptions.what_renewal",
                &[("product", product), ("seats", &n(after))],
            ),
            offer,
        ),
        ChangeKind::Expiry => ctx.t("subscriptions.what_expiry"),
    }
}

/// A change as [`describe`] words it.
pub(super) struct Described<'a> {
    pub(super) kind: ChangeKind,
    pub(super) before: i32,
    pub(super) after: i32,
    pub(super) auto_renew: Option<bool>,
    pub(super) product: &'a str,
    pub(super) next_quantity: Option<i32>,
    /// The term and billing a schedule, a renewal or a longer term takes (unknown for older
    /// changes), and a longer term's last day.
    pub(super) offer: Option<(Term, Billing)>,
    pub(super) until: Option<time::Date>,
}

/// "Yearly · Monthly billing".
pub(super) fn offer_label(ctx: &PageCtx, (term, billing): (Term, Billing)) -> String {
    format!("{} · {}", ctx.t(term.key()), ctx.t(billing.key()))
}

/// `text` followed by the term and billing, when known.
pub(super) fn with_offer(ctx: &PageCtx, text: String, offer: Option<(Term, Billing)>) -> String {
    match offer {
        Some(offer) => format!("{text}, {}", offer_label(ctx, offer)),
        None => text,
    }
}

/// "charge US$ 31.25" or "refund US$ 12.50".
fn signed_money(ctx: &PageCtx, amount: Decimal, currency: &str) -> String {
    let key = if amount < Decimal::ZERO {
        "subscriptions.refund_of"
    } else {
        "subscriptions.charge_of"
    };
    ctx.t_with(key, &[("amount", &ctx.money(amount.abs(), currency))])
}
