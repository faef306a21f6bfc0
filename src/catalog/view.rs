//! How the catalog reads on pages other features show: the term and billing offers of a product
//! as choices, and an offer in words.

use crate::catalog::rules::{Billing, Term};
use crate::web::PageCtx;

/// A term and billing offer to choose: `P1Y:annual`, its label, whether it is chosen.
#[derive(Clone, Debug)]
pub struct OfferChoice {
    pub code: String,
    pub label: String,
    pub chosen: bool,
}

impl OfferChoice {
    pub fn new(ctx: &PageCtx, term: Term, billing: Billing, chosen: bool) -> Self {
        Self {
            code: format!("{term}:{billing}"),
            label: format!("{} · {}", ctx.t(term.key()), ctx.t(billing.key())),
            chosen,
        }
    }

    /// Every term and billing pair that exists, those in `ticked` chosen.
    pub fn all(ctx: &PageCtx, ticked: &[String]) -> Vec<Self> {
        let mut all = Vec::new();
        for &t in Term::ALL {
            for &b in Billing::ALL.iter().filter(|b| b.fits(t)) {
                let mut choice = Self::new(ctx, t, b, false);
                choice.chosen = ticked.contains(&choice.code);
                all.push(choice);
            }
        }
        all
    }
}

/// An offer in words: "3-year commitment, billed monthly".
pub fn offer_text(ctx: &PageCtx, term: Term, billing: Billing) -> String {
    ctx.t_with(
        "catalog.offer",
        &[
            ("commitment", &ctx.t(term.commitment_key())),
            ("billed", &ctx.t(billing.billed_key())),
        ],
    )
}
