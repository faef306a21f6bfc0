//! The vendors' rules for changing a subscription, without I/O: what the portal checks before it
//! asks, and what the sandbox enforces when asked (as the real APIs do).
//!
//! Microsoft (new commerce): seats can be added at any time; each addition is a batch that can
//! be reduced or cancelled within 168 hours of being added, and not after until renewal.
//! Google Workspace: an annual plan's seats go up, never down until renewal; the flexible plan
//! (monthly) goes up or down at any time. Only an active subscription changes. Mid-term a term
//! only gets longer, for both (Google: flexible to annual at any time, annual to flexible only
//! at renewal).

use time::OffsetDateTime;

use crate::catalog::rules::Term;
use crate::vendors::{SuspensionReason, VendorCode, VendorErrorCode};

/// How long after seats are added Microsoft lets them be reduced for a refund.
pub const CANCELLATION_WINDOW: time::Duration = time::Duration::hours(168);

/// When the window to reduce seats added at `added_at` closes: `None` where the vendor has no
/// such window (Google: reductions follow the plan instead).
pub fn window_closes(vendor: VendorCode, added_at: OffsetDateTime) -> Option<OffsetDateTime> {
    match vendor {
        VendorCode::Microsoft => Some(added_at + CANCELLATION_WINDOW),
        VendorCode::Google => None,
    }
}

/// Whether seats added at `added_at` to a subscription of `vendor` on `term` can be reduced at
/// `now`: the vendor's reason otherwise.
pub fn may_reduce(
    vendor: VendorCode,
    term: Term,
    added_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), VendorErrorCode> {
    match vendor {
        VendorCode::Microsoft => match window_closes(vendor, added_at) {
            Some(closes) if now < closes => Ok(()),
            _ => Err(VendorErrorCode::WindowClosed),
        },
        VendorCode::Google if term == Term::Monthly => Ok(()),
        VendorCode::Google => Err(VendorErrorCode::CommitmentLocked),
    }
}

/// Whether a suspension for `reason` can be lifted by the reseller: only its own.
pub fn may_reactivate(reason: Option<SuspensionReason>) -> Result<(), VendorErrorCode> {
    match reason {
        None | Some(SuspensionReason::Reseller) => Ok(()),
        Some(_) => Err(VendorErrorCode::SuspendedByVendor),
    }
}

/// Whether a subscription on `from` can move to `to` now, mid-term: only to a longer term.
pub fn may_change_term_now(from: Term, to: Term) -> Result<(), VendorErrorCode> {
    if to.months() > from.months() {
        Ok(())
    } else {
        Err(VendorErrorCode::TermNotLonger)
    }
}

/// Whether a subscription's seats can go to `seats` within the product's limits.
pub fn seats_allowed(seats: i32, min: i32, max: i32) -> Result<(), VendorErrorCode> {
    if seats < min.max(1) {
        Err(VendorErrorCode::BelowMinimum)
    } else if seats > max {
        Err(VendorErrorCode::SeatLimit)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn mid_term_a_term_only_gets_longer() {
        assert_eq!(may_change_term_now(Term::Monthly, Term::Yearly), Ok(()));
        assert_eq!(may_change_term_now(Term::Yearly, Term::ThreeYears), Ok(()));
        for (from, to) in [
            (Term::Yearly, Term::Monthly),
            (Term::Yearly, Term::Yearly),
            (Term::ThreeYears, Term::Yearly),
        ] {
            assert_eq!(
                may_change_term_now(from, to),
                Err(VendorErrorCode::TermNotLonger)
            );
        }
    }

    #[test]
    fn microsoft_seats_can_be_reduced_for_168_hours_after_they_were_added() {
        let added = datetime!(2026-11-26 14:05 UTC);
        let ms = VendorCode::Microsoft;
        assert_eq!(
            window_closes(ms, added),
            Some(datetime!(2026-12-03 14:05 UTC))
        );
        assert_eq!(may_reduce(ms, Term::Yearly, added, added), Ok(()));
        assert_eq!(
            may_reduce(ms, Term::Yearly, added, datetime!(2026-12-03 14:04:59 UTC)),
            Ok(())
        );
        assert_eq!(
            may_reduce(ms, Term::Yearly, added, datetime!(2026-12-03 14:05 UTC)),
            Err(VendorErrorCode::WindowClosed)
        );
        // Monthly terms too: the window is the vendor's, whatever the term.
        assert_eq!(
            may_reduce(ms, Term::Monthly, added, datetime!(2026-12-10 00:00 UTC)),
            Err(VendorErrorCode::WindowClosed)
        );
    }

    #[test]
    fn google_annual_plans_never_go_down_and_the_flexible_plan_always_can() {
        let added = datetime!(2026-01-10 09:00 UTC);
        let g = VendorCode::Google;
        assert_eq!(window_closes(g, added), None);
        assert_eq!(
            may_reduce(g, Term::Yearly, added, added),
            Err(VendorErrorCode::CommitmentLocked)
        );
        assert_eq!(
            may_reduce(g, Term::Monthly, added, datetime!(2026-11-10 09:00 UTC)),
            Ok(())
        );
    }

    #[test]
    fn only_the_resellers_own_suspension_is_lifted_by_the_reseller() {
        assert_eq!(may_reactivate(Some(SuspensionReason::Reseller)), Ok(()));
        for vendors in [
            SuspensionReason::TermsPending,
            SuspensionReason::RenewalCancel,
            SuspensionReason::TrialEnded,
        ] {
            assert_eq!(
                may_reactivate(Some(vendors)),
                Err(VendorErrorCode::SuspendedByVendor)
            );
        }
    }

    #[test]
    fn seats_stay_within_the_product_limits() {
        assert_eq!(seats_allowed(1, 1, 300), Ok(()));
        assert_eq!(seats_allowed(300, 1, 300), Ok(()));
        assert_eq!(seats_allowed(301, 1, 300), Err(VendorErrorCode::SeatLimit));
        assert_eq!(seats_allowed(0, 1, 300), Err(VendorErrorCode::BelowMinimum));
        assert_eq!(seats_allowed(4, 5, 300), Err(VendorErrorCode::BelowMinimum));
    }
}
