//! The rules of the partner pages, without any web or database type: where an access request
//! stands, what staff decisions do to a program request (and what they tell the reseller), what
//! a change of a reseller's standing records, and the checks shared by their forms.

use crate::audit::Action;
use crate::fields::{FieldErrors, trimmed};
use crate::identity::ResellerStatus;
use crate::partners::programs::EnrollmentStatus;

crate::text_enum! {
    /// Where a company's request for an account stands.
    pub enum AccessRequestStatus {
        Pending = "pending" => "access.status_pending",
        Approved = "approved" => "access.status_approved",
        Rejected = "rejected" => "access.status_rejected",
    }
}

/// The value of a queue's status filter: `all` (every status, `None`), one status, or anything
/// else: `default` (the queue opens on what waits for a decision).
pub fn queue_filter<T>(raw: &str, parse: fn(&str) -> Option<T>, default: T) -> Option<T> {
    if raw == "all" {
        None
    } else {
        Some(parse(raw).unwrap_or(default))
    }
}

crate::text_enum! {
    /// What staff decide about a reseller's program request (the key is the button's label).
    pub enum ProgramDecision {
        Approve = "approve" => "access.approve",
        Reject = "reject" => "access.reject",
        Suspend = "suspend" => "programs.suspend",
        Reinstate = "reinstate" => "programs.reinstate",
    }
}

impl ProgramDecision {
    /// Rejecting and suspending say why (the reseller is told).
    pub fn needs_reason(self) -> bool {
        matches!(self, ProgramDecision::Reject | ProgramDecision::Suspend)
    }

    /// What the reseller's owners and admins are told.
    pub fn event(self) -> ProgramEvent {
        match self {
            ProgramDecision::Approve => ProgramEvent::Approved,
            ProgramDecision::Reject => ProgramEvent::Rejected,
            ProgramDecision::Suspend => ProgramEvent::Suspended,
            ProgramDecision::Reinstate => ProgramEvent::Reinstated,
        }
    }

    /// The staff's message once the decision is taken.
    pub fn done_key(self) -> &'static str {
        match self {
            ProgramDecision::Approve => "programs.decided_approved",
            ProgramDecision::Reject => "programs.decided_rejected",
            ProgramDecision::Suspend => "programs.decided_suspended",
            ProgramDecision::Reinstate => "programs.decided_reinstated",
        }
    }

    /// Whether the button is the page's main action (the others are drawn as dangerous).
    pub fn is_primary(self) -> bool {
        matches!(self, ProgramDecision::Approve | ProgramDecision::Reinstate)
    }
}

/// What a staff decision does to a program request in `status`: the audit action and the status
/// it moves to. `None` when the decision does not fit the status (decided by someone else in the
/// meantime), which the page says instead of changing anything.
pub fn decide(
    status: EnrollmentStatus,
    decision: ProgramDecision,
) -> Option<(Action, EnrollmentStatus)> {
    use EnrollmentStatus as S;
    use ProgramDecision as D;
    match (status, decision) {
        (S::Pending, D::Approve) => Some((Action::ProgramApproved, S::Approved)),
        (S::Pending, D::Reject) => Some((Action::ProgramRejected, S::Rejected)),
        (S::Approved, D::Suspend) => Some((Action::ProgramSuspended, S::Suspended)),
        (S::Suspended, D::Reinstate) => Some((Action::ProgramReinstated, S::Approved)),
        _ => None,
    }
}

/// What happened to a program request, as the e-mail to the reseller says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgramEvent {
    Submitted,
    Approved,
    Rejected,
    Suspended,
    Reinstated,
}

impl ProgramEvent {
    pub fn subject_key(self) -> &'static str {
        match self {
            ProgramEvent::Submitted => "mail.program.submitted_subject",
            ProgramEvent::Approved => "mail.program.approved_subject",
            ProgramEvent::Rejected => "mail.program.rejected_subject",
            ProgramEvent::Suspended => "mail.program.suspended_subject",
            ProgramEvent::Reinstated => "mail.program.reinstated_subject",
        }
    }

    pub fn body_key(self) -> &'static str {
        match self {
            ProgramEvent::Submitted => "mail.program.submitted_body",
            ProgramEvent::Approved => "mail.program.approved_body",
            ProgramEvent::Rejected => "mail.program.rejected_body",
            ProgramEvent::Suspended => "mail.program.suspended_body",
            ProgramEvent::Reinstated => "mail.program.reinstated_body",
        }
    }
}

/// What moving a reseller to `status` records, and the staff's message.
pub fn standing_change(status: ResellerStatus) -> (Action, &'static str) {
    match status {
        ResellerStatus::Suspended => (Action::ResellerSuspended, "resellers.suspended_flash"),
        ResellerStatus::Active => (Action::ResellerReactivated, "resellers.reactivated_flash"),
    }
}

/// The longest reason staff may give for a decision.
pub const REASON_MAX: usize = 1000;

/// A decision's reason, trimmed, at most [`REASON_MAX`] characters; when it is required,
/// `missing` is the message for an empty one.
pub fn reason(input: &str, missing: Option<&'static str>) -> Result<String, &'static str> {
    let reason = input.trim();
    match missing {
        Some(key) if reason.is_empty() => Err(key),
        _ if reason.chars().count() > REASON_MAX => Err("form.too_long"),
        _ => Ok(reason.to_string()),
    }
}

/// The reason as typed, cut to what the field holds, to show it again beside its error.
pub fn typed_reason(input: &str) -> String {
    input.chars().take(REASON_MAX).collect()
}

/// A required text field, trimmed and at most `max` characters; an error is added beside
/// `field` (and the value is then empty).
pub fn required(errors: &mut FieldErrors, field: &'static str, value: &str, max: usize) -> String {
    match trimmed(value, max) {
        Ok(v) if v.is_empty() => {
            errors.add(field, "form.required");
            v
        }
        Ok(v) => v,
        Err(k) => {
            errors.add(field, k);
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_follow_the_status() {
        use EnrollmentStatus::*;
        assert_eq!(
            decide(Pending, ProgramDecision::Approve),
            Some((Action::ProgramApproved, Approved))
        );
        assert_eq!(
            decide(Pending, ProgramDecision::Reject),
            Some((Action::ProgramRejected, Rejected))
        );
        assert_eq!(
            decide(Approved, ProgramDecision::Suspend),
            Some((Action::ProgramSuspended, Suspended))
        );
        assert_eq!(
            decide(Suspended, ProgramDecision::Reinstate),
            Some((Action::ProgramReinstated, Approved))
        );
        assert_eq!(decide(Approved, ProgramDecision::Approve), None);
        assert_eq!(decide(Rejected, ProgramDecision::Approve), None);
        assert_eq!(ProgramDecision::from_code("delete"), None);
        // Nothing moves a rejected request: the reseller sends a new one.
        for d in ProgramDecision::ALL {
            assert_eq!(decide(Rejected, *d), None, "{d}");
        }
    }

    #[test]
    fn decisions_say_what_they_did() {
        assert!(ProgramDecision::Reject.needs_reason());
        assert!(ProgramDecision::Suspend.needs_reason());
        assert!(!ProgramDecision::Approve.needs_reason());
        assert_eq!(
            ProgramDecision::Reinstate.event().body_key(),
            "mail.program.reinstated_body"
        );
        assert_eq!(
            ProgramDecision::Suspend.done_key(),
            "programs.decided_suspended"
        );
        assert_eq!(
            standing_change(ResellerStatus::Suspended),
            (Action::ResellerSuspended, "resellers.suspended_flash")
        );
    }

    #[test]
    fn queue_filters_open_on_pending() {
        let parse = AccessRequestStatus::from_code;
        let pending = AccessRequestStatus::Pending;
        assert_eq!(queue_filter("", parse, pending), Some(pending));
        assert_eq!(queue_filter("nope", parse, pending), Some(pending));
        assert_eq!(
            queue_filter("rejected", parse, pending),
            Some(AccessRequestStatus::Rejected)
        );
        assert_eq!(queue_filter("all", parse, pending), None);
    }

    #[test]
    fn reasons_are_bounded_and_required_when_asked() {
        assert_eq!(
            reason("  ", Some("access.reason_required")),
            Err("access.reason_required")
        );
        assert_eq!(reason("  ", None), Ok(String::new()));
        assert_eq!(reason(" late ", None), Ok("late".into()));
        assert_eq!(reason(&"x".repeat(1001), None), Err("form.too_long"));
        assert_eq!(typed_reason(&"é".repeat(1200)).chars().count(), 1000);
        let mut errors = FieldErrors::new();
        assert_eq!(required(&mut errors, "name", "  Ana ", 10), "Ana");
        assert_eq!(required(&mut errors, "city", " ", 10), "");
        assert_eq!(errors.get("city"), Some("form.required"));
    }
}
