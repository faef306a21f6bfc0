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
