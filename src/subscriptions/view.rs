//! How subscriptions read on a page (the list, and the customer page's section).

use crate::subscriptions::store::SubscriptionRow;
use crate::web::PageCtx;

/// A subscription with its product name, term, dates and status in the page's language.
pub struct SubscriptionView {
    pub subscription: SubscriptionRow,
    pub name: String,
    pub term: String,
    pub dates: String,
    pub status: String,
    pub renewal: String,
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
            renewal: ctx.t(if s.auto_renew {
                "subscriptions.auto_renew_on"
            } else {
                "subscriptions.auto_renew_off"
            }),
            subscription: s,
        })
        .collect()
}
