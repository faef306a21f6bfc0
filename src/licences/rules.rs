//! The rules of a tenant's users and licences, without a database: what a user name may be, and
//! the states of users, assignments and changes.

crate::text_enum! {
    /// A tenant user as the portal knows it.
    pub enum UserStatus {
        /// Asked of the vendor, not made yet.
        Creating = "creating" => "licences.status_creating",
        Active = "active" => "licences.status_active",
        Blocked = "blocked" => "licences.status_blocked",
        /// The vendor refused to create it (its change says why).
        Failed = "failed" => "licences.status_failed",
    }
}

crate::text_enum! {
    /// A licence assigned to a user: it holds a seat from the moment it is asked for.
    pub enum AssignmentStatus {
        Assigning = "assigning" => "licences.assigning",
        Assigned = "assigned" => "licences.assigned",
        Removing = "removing" => "licences.removing",
    }
}

crate::text_enum! {
    /// What a change does to a tenant's user.
    pub enum LicenceChangeKind {
        CreateUser = "create_user" => "licences.kind_create_user",
        Block = "block" => "licences.kind_block",
        Unblock = "unblock" => "licences.kind_unblock",
        DeleteUser = "delete_user" => "licences.kind_delete_user",
        Assign = "assign" => "licences.kind_assign",
        Unassign = "unassign" => "licences.kind_unassign",
    }
}

crate::text_enum! {
    /// Where a change is: waiting for the vendor, applied, or refused.
    pub enum LicenceChangeStatus {
        Pending = "pending" => "licences.change_pending",
        Applied = "applied" => "licences.change_applied",
        Failed = "failed" => "licences.change_failed",
    }
}

crate::text_enum! {
    /// A file of bulk changes: previewed until applied, then sent to the vendor, then done.
    pub enum BatchStatus {
        Draft = "draft" => "licences.batch_draft",
        Applying = "applying" => "licences.batch_applying",
        Done = "done" => "licences.batch_done",
    }
}

/// How long seats stay unassigned before the portal suggests fewer at renewal.
pub const IDLE_SEATS_AFTER: time::Duration = time::Duration::days(30);

/// Where a subscription's licences stand against its seats, when it needs the reseller's eye.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alignment {
    /// More licences assigned than seats (the vendor reduced them): remove `by` or add seats.
    Over { by: i32 },
    /// `seats` seats unassigned, with nothing assigned, removed or added for
    /// [`IDLE_SEATS_AFTER`]: fewer at renewal?
    Idle { seats: i32 },
}

/// The alignment of `assigned` licences on `seats` seats whose licences and seats last changed
/// at `quiet_since`, at `now`.
pub fn alignment(
    seats: i32,
    assigned: i32,
    quiet_since: time::OffsetDateTime,
    now: time::OffsetDateTime,
) -> Option<Alignment> {
    if assigned > seats {
        return Some(Alignment::Over {
            by: assigned - seats,
        });
    }
    if assigned < seats && now - quiet_since >= IDLE_SEATS_AFTER {
        return Some(Alignment::Idle {
            seats: seats - assigned,
        });
    }
    None
}

/// The longest local part of a user name (before the `@`), as in an e-mail address.
const LOCAL_PART_MAX: usize = 64;

/// The sign-in name of a new user of the tenant on `domain`: what was typed, with the domain
/// added when only the part before `@` was; lower case. `Err` is the message key.
pub fn user_name(typed: &str, domain: &str) -> Result<String, &'static str> {
    let typed = typed.trim().to_lowercase();
    if typed.is_empty() {
        return Err("licences.user_name_required");
    }
    let domain = domain.to_lowercase();
    let local = match typed.rsplit_once('@') {
        Some((local, at)) if at == domain => local.to_string(),
        Some(_) => return Err("licences.user_name_domain"),
        None => typed,
    };
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '\'');
    let well_formed = (1..=LOCAL_PART_MAX).contains(&local.len())
        && local.chars().all(allowed)
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    if !well_formed {
        return Err("licences.user_name_invalid");
    }
    Ok(format!("{local}@{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn seats_idle_for_thirty_days_or_fewer_than_the_licences_are_pointed_out() {
        let now = datetime!(2026-12-01 12:00 UTC);
        let long_ago = datetime!(2026-10-31 12:00 UTC);
        let lately = datetime!(2026-11-20 12:00 UTC);
        assert_eq!(
            alignment(10, 7, long_ago, now),
            Some(Alignment::Idle { seats: 3 })
        );
        assert_eq!(alignment(10, 7, lately, now), None);
        assert_eq!(alignment(10, 10, long_ago, now), None);
        assert_eq!(
            alignment(10, 12, lately, now),
            Some(Alignment::Over { by: 2 })
        );
        assert_eq!(
            alignment(10, 0, datetime!(2026-11-01 12:00 UTC), now),
            Some(Alignment::Idle { seats: 10 })
        );
    }

    #[test]
    fn a_user_name_is_in_the_tenants_domain_and_well_formed() {
        let domain = "Contoso.onmicrosoft.com";
        assert_eq!(
            user_name(" Ana.Lopez ", domain).unwrap(),
            "ana.lopez@contoso.onmicrosoft.com"
        );
        assert_eq!(
            user_name("ana@CONTOSO.onmicrosoft.com", domain).unwrap(),
            "ana@contoso.onmicrosoft.com"
        );
        assert_eq!(
            user_name("o'neil", domain).unwrap(),
            "o'neil@contoso.onmicrosoft.com"
        );
        assert_eq!(user_name("", domain), Err("licences.user_name_required"));
        assert_eq!(
            user_name("ana@fabrikam.com", domain),
            Err("licences.user_name_domain")
        );
        for bad in [
            ".ana",
            "ana.",
            "a..b",
            "ana lopez",
            "añá",
            "a@b@contoso.onmicrosoft.com",
        ] {
            assert!(user_name(bad, domain).is_err(), "{bad}");
        }
        assert!(user_name(&"a".repeat(64), domain).is_ok());
        assert!(user_name(&"a".repeat(65), domain).is_err());
    }
}
