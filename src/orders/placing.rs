//! What the reseller adds when it places an order, without I/O: its own purchase-order reference
//! (optional) and, before the first Microsoft purchase for a customer, the customer's acceptance
//! of the Microsoft Customer Agreement as Partner Center requires the partner to attest it (who
//! accepted it, their e-mail and the day).

use serde::Deserialize;
use time::Date;

use crate::domain::Email;
use crate::fields::{FieldErrors, trimmed};

/// The longest purchase-order reference, in characters.
pub const PO_REFERENCE_MAX: usize = 40;
/// The longest name of who accepted the agreement.
pub const SIGNER_NAME_MAX: usize = 120;
/// Where Microsoft publishes the agreement the customer accepts.
pub const MCA_LINK: &str = "https://www.microsoft.com/licensing/docs/customeragreement";

/// The place form as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PlaceForm {
    #[serde(default)]
    pub quote: String,
    #[serde(default)]
    pub po_reference: String,
    #[serde(default)]
    pub mca_name: String,
    #[serde(default)]
    pub mca_email: String,
    #[serde(default)]
    pub mca_date: String,
}

/// The customer's acceptance of the Microsoft Customer Agreement, as attested.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acceptance {
    pub name: String,
    pub email: String,
    pub accepted_on: Date,
}

/// What the place form adds to the order, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placing {
    pub po_reference: Option<String>,
    /// Present when the order needed it (Microsoft lines, no acceptance on record).
    pub acceptance: Option<Acceptance>,
}

/// Checks the place form. `needs_acceptance`: the cart has Microsoft lines and the customer's
/// acceptance is not on record yet. `today` is the reseller's day: an acceptance cannot be dated
/// after it, nor before the agreement existed (2019).
pub fn placing(
    form: &PlaceForm,
    needs_acceptance: bool,
    today: Date,
) -> Result<Placing, FieldErrors> {
    let mut errors = FieldErrors::new();
    let po_reference = match trimmed(&form.po_reference, PO_REFERENCE_MAX) {
        Ok(po) if po.is_empty() => None,
        Ok(po) if po.contains(['\n', '\r', '\t']) => {
            errors.add("po_reference", "form.control_characters");
            None
        }
        Ok(po) => Some(po),
        Err(key) => {
            errors.add("po_reference", key);
            None
        }
    };
    let acceptance = if needs_acceptance {
        acceptance(form, today, &mut errors)
    } else {
        None
    };
    if errors.is_empty() {
        Ok(Placing {
            po_reference,
            acceptance,
        })
    } else {
        Err(errors)
    }
}

fn acceptance(form: &PlaceForm, today: Date, errors: &mut FieldErrors) -> Option<Acceptance> {
    let name = match trimmed(&form.mca_name, SIGNER_NAME_MAX) {
        Ok(name) if name.is_empty() => Err("form.required"),
        Ok(name) if name.contains(['\n', '\r', '\t']) => Err("form.control_characters"),
        other => other,
    }
    .map_err(|key| errors.add("mca_name", key))
    .ok();
    let email = Email::parse(&form.mca_email)
        .map_err(|key| errors.add("mca_email", key))
        .ok();
    let accepted_on = accepted_on(&form.mca_date, today)
        .map_err(|key| errors.add("mca_date", key))
        .ok();
    Some(Acceptance {
        name: name?,
        email: email?.as_str().to_string(),
        accepted_on: accepted_on?,
    })
}

/// The day the customer accepted: `YYYY-MM-DD` (what a date field sends), from 2019 to today.
fn accepted_on(input: &str, today: Date) -> Result<Date, &'static str> {
    if input.trim().is_empty() {
        return Err("form.required");
    }
    let day = crate::catalog::rules::parse_date(input).map_err(|_| "form.invalid_date")?;
    if day > today {
        Err("orders.agreement.future_date")
    } else if day.year() < 2019 {
        Err("orders.agreement.too_old")
    } else {
        Ok(day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 12 - 04);

    fn form(po: &str, name: &str, email: &str, day: &str) -> PlaceForm {
        PlaceForm {
            po_reference: po.into(),
            mca_name: name.into(),
            mca_email: email.into(),
            mca_date: day.into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_reference_is_optional_trimmed_and_bounded() {
        let empty = placing(&form("  ", "", "", ""), false, TODAY).unwrap();
        assert_eq!(empty.po_reference, None);
        assert_eq!(empty.acceptance, None);
        let typed = placing(&form(" PO-2026/117 ", "", "", ""), false, TODAY).unwrap();
        assert_eq!(typed.po_reference.as_deref(), Some("PO-2026/117"));
        let long = placing(&form(&"x".repeat(41), "", "", ""), false, TODAY).unwrap_err();
        assert_eq!(long.get("po_reference"), Some("form.too_long"));
        let broken = placing(&form("PO\n17", "", "", ""), false, TODAY).unwrap_err();
        assert_eq!(broken.get("po_reference"), Some("form.control_characters"));
    }

    #[test]
    fn an_acceptance_needs_who_their_email_and_a_day_until_today() {
        let ok = placing(
            &form("", " Ana Pérez ", "ana@cliente.example", "2026-12-04"),
            true,
            TODAY,
        )
        .unwrap();
        assert_eq!(
            ok.acceptance,
            Some(Acceptance {
                name: "Ana Pérez".into(),
                email: "ana@cliente.example".into(),
                accepted_on: TODAY,
            })
        );
        let missing = placing(&form("", "", "", ""), true, TODAY).unwrap_err();
        assert_eq!(missing.get("mca_name"), Some("form.required"));
        assert_eq!(missing.get("mca_email"), Some("form.required"));
        assert_eq!(missing.get("mca_date"), Some("form.required"));
        let wrong = placing(&form("", "Ana", "ana", "2026-12-05"), true, TODAY).unwrap_err();
        assert_eq!(wrong.get("mca_name"), None);
        assert_eq!(wrong.get("mca_email"), Some("form.invalid_email"));
        assert_eq!(wrong.get("mca_date"), Some("orders.agreement.future_date"));
        let old = placing(&form("", "Ana", "a@b.example", "2018-12-31"), true, TODAY).unwrap_err();
        assert_eq!(old.get("mca_date"), Some("orders.agreement.too_old"));
        let typo = placing(&form("", "Ana", "a@b.example", "04/12/2026"), true, TODAY).unwrap_err();
        assert_eq!(typo.get("mca_date"), Some("form.invalid_date"));
    }

    #[test]
    fn without_microsoft_lines_the_acceptance_fields_are_ignored() {
        let placed = placing(&form("", "", "not-an-email", "tomorrow"), false, TODAY).unwrap();
        assert_eq!(placed.acceptance, None);
    }
}
