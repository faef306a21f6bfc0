//! A subscription change as the page's forms, the preview's query and the confirmation send
//! it, turned into what the rules are asked.

use crate::catalog::rules::{Billing, Term};
use crate::subscriptions::rules::{Asked, ChangeKind};

/// What is wrong with a change's form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormProblem {
    /// The quantity is not a whole number of seats in range: the user's to correct.
    Quantity,
    /// Not a form of the page (a kind, batch, product or term that no page offers).
    NotOurs,
}

/// A change as a form (the page's forms, the preview's query, the confirmation) sends it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub batch: String,
    #[serde(default)]
    pub auto_renew: String,
    #[serde(default)]
    pub product: String,
    /// A schedule's term and billing frequency ("P1Y/monthly"; empty: the current ones).
    #[serde(default)]
    pub offer: String,
    #[serde(default)]
    pub version: String,
}

impl ChangeForm {
    /// The change asked for, or what is wrong with the form.
    pub fn asked(&self) -> Result<Asked, FormProblem> {
        let quantity = self
            .quantity
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|q| (1..=crate::subscriptions::rules::MAX_CHANGE).contains(q))
            .ok_or(FormProblem::Quantity);
        match ChangeKind::from_code(self.kind.trim()) {
            Some(ChangeKind::AddSeats) => Ok(Asked::AddSeats(quantity?)),
            Some(ChangeKind::RemoveSeats) => {
                let batch = self.batch_id().ok_or(FormProblem::NotOurs)?;
                Ok(Asked::RemoveSeats {
                    batch,
                    seats: quantity?,
                })
            }
            Some(ChangeKind::AutoRenew) => match self.auto_renew.as_str() {
                "on" => Ok(Asked::AutoRenew(true)),
                "off" => Ok(Asked::AutoRenew(false)),
                _ => Err(FormProblem::NotOurs),
            },
            Some(ChangeKind::Suspend) => Ok(Asked::Suspend),
            Some(ChangeKind::Reactivate) => Ok(Asked::Reactivate),
            Some(ChangeKind::Cancel) => Ok(Asked::Cancel),
            Some(ChangeKind::Upgrade) => Ok(Asked::Upgrade(
                self.product_id().ok_or(FormProblem::NotOurs)?,
            )),
            Some(ChangeKind::Term) => {
                let (term, billing) = offer_of(self.offer.trim()).ok_or(FormProblem::NotOurs)?;
                Ok(Asked::Term { term, billing })
            }
            Some(ChangeKind::Schedule) => Ok(Asked::Schedule {
                product: self.product_id().ok_or(FormProblem::NotOurs)?,
                seats: quantity?,
                offer: match self.offer.trim() {
                    "" => None,
                    code => Some(offer_of(code).ok_or(FormProblem::NotOurs)?),
                },
            }),
            Some(ChangeKind::Unschedule) => Ok(Asked::Unschedule),
            Some(ChangeKind::Purchase | ChangeKind::Renewal | ChangeKind::Expiry) | None => {
                Err(FormProblem::NotOurs)
            }
        }
    }

    /// The product an upgrade or a schedule names.
    pub fn product_id(&self) -> Option<uuid::Uuid> {
        uuid::Uuid::parse_str(self.product.trim()).ok()
    }

    /// The batch a reduction names.
    pub fn batch_id(&self) -> Option<uuid::Uuid> {
        uuid::Uuid::parse_str(self.batch.trim()).ok()
    }

    /// The version the confirmation was made on.
    pub fn version(&self) -> Option<i32> {
        self.version.trim().parse().ok()
    }

    /// The same change, to confirm on `version`.
    pub fn confirming(self, version: i32) -> Self {
        Self {
            version: version.to_string(),
            ..self
        }
    }
}

/// A term and billing frequency as a form carries them ("P1Y/monthly").
pub fn offer_code(term: Term, billing: Billing) -> String {
    format!("{}/{}", term.code(), billing.code())
}

fn offer_of(code: &str) -> Option<(Term, Billing)> {
    let (term, billing) = code.split_once('/')?;
    Some((Term::from_code(term)?, Billing::from_code(billing)?))
}
