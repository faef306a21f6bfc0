//! A customer tenant's users and their licences, as a vendor keeps them (Microsoft Entra ID
//! users with licences of the tenant's subscriptions; Google Workspace users of the domain).
//! The sandbox plays it here, with the vendor's rules: a user name in the tenant's domain and
//! unique in it; a licence needs a free seat of a subscription of the same tenant.

use rand::Rng;
use sqlx::PgPool;
use uuid::Uuid;

use crate::vendors::{VendorCode, VendorError, VendorErrorCode};

/// A user to create in a customer's tenant.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub vendor: VendorCode,
    pub tenant_ref: &'a str,
    pub tenant_domain: &'a str,
    /// The sign-in name (`ana@contoso.onmicrosoft.com`).
    pub user_name: &'a str,
    pub display_name: &'a str,
    /// Where the licences are used (ISO 3166 country code), which Microsoft requires.
    pub usage_location: &'a str,
    /// Idempotency: asking again with the same key answers the same user.
    pub request_key: &'a str,
}

/// A user the vendor created: its reference and the temporary password of its first sign-in.
#[derive(Debug, Clone)]
pub struct CreatedUser {
    pub vendor_ref: String,
    pub temporary_password: String,
}

/// What is done to a tenant's user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserChange<'a> {
    Block,
    Unblock,
    Delete,
    Assign { subscription_ref: &'a str },
    Unassign { subscription_ref: &'a str },
}

/// A change of a tenant's user to ask the vendor for.
#[derive(Debug, Clone)]
pub struct UserChangeRequest<'a> {
    pub vendor: VendorCode,
    pub tenant_domain: &'a str,
    pub user_ref: &'a str,
    /// Idempotency: asking again with the same key applies the change once.
    pub request_key: &'a str,
    pub change: UserChange<'a>,
}

/// A tenant's user as the vendor has it, with the subscriptions it holds a licence of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorUser {
    pub vendor_ref: String,
    pub user_name: String,
    pub display_name: String,
    pub usage_location: String,
    pub blocked: bool,
    /// The vendor's references of the subscriptions.
    pub licences: Vec<String>,
}

fn refused(code: VendorErrorCode, message: &str) -> VendorError {
    VendorError::Permanent {
        code,
        message: message.into(),
    }
}

fn internal(e: impl std::fmt::Display) -> VendorError {
    VendorError::Transient(format!("sandbox storage: {e}"))
}

/// A temporary password as vendors make them: 16 characters of letters and digits that cannot
/// be mistaken for each other, with at least one of each kind.
pub fn temporary_password() -> String {
    const LOWER: &[u8] = b"abcdefghjkmnpqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    let mut rng = rand::rng();
    let mut pick = |set: &[u8]| set[rng.random_range(0..set.len())] as char;
    let mut out: String = (0..13)
        .map(|i| match i % 3 {
            0 => pick(UPPER),
            1 => pick(LOWER),
            _ => pick(DIGITS),
        })
        .collect();
    out.push(pick(LOWER));
    out.push(pick(DIGITS));
    out.push(pick(UPPER));
    out
}

/// The sandbox's directory: users and licences in PostgreSQL.
pub(crate) async fn create_user(
    db: &PgPool,
    user: &NewUser<'_>,
) -> Result<CreatedUser, VendorError> {
    let domain = format!("@{}", user.tenant_domain.to_lowercase());
    if !user.user_name.to_lowercase().ends_with(&domain) {
        return Err(refused(
            VendorErrorCode::UserNameDomain,
            "The user name is not in the tenant's domain.",
        ));
    }
    let vendor_ref = format!("{}-user-{}", user.vendor.code(), Uuid::new_v4().simple());
    let mut tx = db.begin().await.map_err(internal)?;
    let inserted = sqlx::query_scalar!(
        "INSERT INTO sandbox_tenant_users
             (vendor, tenant_ref, user_name, display_name, usage_location, request_key, vendor_ref)
         VALUES ($1, $2, $3::text::citext, $4, $5, $6, $7)
         ON CONFLICT DO NOTHING RETURNING vendor_ref",
        user.vendor.code(),
        user.tenant_ref,
        user.user_name,
        user.display_name,
        user.usage_location,
        user.request_key,
        vendor_ref,
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let vendor_ref = match inserted {
        Some(r) => r,
        None => {
            // Asked again (a retry after a lost answer), or the name is taken.
            let again = sqlx::query_scalar!(
                "SELECT vendor_ref FROM sandbox_tenant_users WHERE request_key = $1",
                user.request_key,
            )
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
            again.ok_or_else(|| {
                refused(
                    VendorErrorCode::UserNameTaken,
                    "A user of the tenant has this name.",
                )
            })?
        }
    };
    tx.commit().await.map_err(internal)?;
    Ok(CreatedUser {
        vendor_ref,
        temporary_password: temporary_password(),
    })
}

pub(crate) async fn list_users(
    db: &PgPool,
    vendor: VendorCode,
    tenant_ref: &str,
) -> Result<Vec<VendorUser>, VendorError> {
    sqlx::query_as!(
        VendorUser,
        r#"SELECT u.vendor_ref, u.user_name::text AS "user_name!", u.display_name,
                  u.usage_location::text AS "usage_location!", u.blocked,
                  coalesce(array_agg(l.subscription_ref ORDER BY l.subscription_ref)
                           FILTER (WHERE l.subscription_ref IS NOT NULL), '{}') AS "licences!"
           FROM sandbox_tenant_users u
           LEFT JOIN sandbox_licences l ON l.user_ref = u.vendor_ref
           WHERE u.vendor = $1 AND u.tenant_ref = $2
           GROUP BY u.vendor, u.tenant_ref, u.user_name
           ORDER BY u.user_name"#,
        vendor.code(),
        tenant_ref,
    )
    .fetch_all(db)
    .await
    .map_err(internal)
}

pub(crate) async fn change_user(
    db: &PgPool,
    request: &UserChangeRequest<'_>,
) -> Result<(), VendorError> {
    let mut tx = db.begin().await.map_err(internal)?;
    let first = sqlx::query!(
        "INSERT INTO sandbox_user_changes (request_key, user_ref) VALUES ($1, $2)
         ON CONFLICT (request_key) DO NOTHING",
        request.request_key,
        request.user_ref,
    )
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    if first.rows_affected() == 0 {
        // Asked again: it was applied the first time.
        return Ok(());
    }
    let user = sqlx::query!(
        "SELECT vendor, tenant_ref FROM sandbox_tenant_users WHERE vendor_ref = $1 FOR UPDATE",
        request.user_ref,
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?
    .ok_or_else(|| refused(VendorErrorCode::NoSuchUser, "No such user."))?;
    match request.change {
        UserChange::Block | UserChange::Unblock => {
            sqlx::query!(
                "UPDATE sandbox_tenant_users SET blocked = $2 WHERE vendor_ref = $1",
                request.user_ref,
                request.change == UserChange::Block,
            )
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        }
        UserChange::Delete => {
            sqlx::query!(
                "DELETE FROM sandbox_tenant_users WHERE vendor_ref = $1",
                request.user_ref
            )
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        }
        UserChange::Assign { subscription_ref } => {
            // The subscription's row is locked: two assignments at once see each other.
            let seats = sqlx::query!(
                "SELECT quantity, status FROM sandbox_subscriptions
                 WHERE vendor_ref = $1 AND vendor = $2 AND tenant_ref = $3 FOR UPDATE",
                subscription_ref,
                user.vendor,
                user.tenant_ref,
            )
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?
            .ok_or_else(|| {
                refused(
                    VendorErrorCode::NotActive,
                    "No such subscription in this tenant.",
                )
            })?;
            if seats.status != "active" {
                return Err(refused(VendorErrorCode::NotActive, "Not active."));
            }
            let used = sqlx::query_scalar!(
                r#"SELECT count(*) AS "n!" FROM sandbox_licences WHERE subscription_ref = $1"#,
                subscription_ref,
            )
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
            if used >= seats.quantity as i64 {
                return Err(refused(
                    VendorErrorCode::NoFreeSeat,
                    "Every seat is assigned.",
                ));
            }
            sqlx::query!(
                "INSERT INTO sandbox_licences (subscription_ref, user_ref) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
                subscription_ref,
                request.user_ref,
            )
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        }
        UserChange::Unassign { subscription_ref } => {
            sqlx::query!(
                "DELETE FROM sandbox_licences WHERE subscription_ref = $1 AND user_ref = $2",
                subscription_ref,
                request.user_ref,
            )
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        }
    }
    tx.commit().await.map_err(internal)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_are_long_mixed_and_fresh() {
        let a = temporary_password();
        assert_eq!(a.chars().count(), 16);
        assert!(a.chars().any(|c| c.is_ascii_lowercase()));
        assert!(a.chars().any(|c| c.is_ascii_uppercase()));
        assert!(a.chars().any(|c| c.is_ascii_digit()));
        assert!(!a.contains(['0', 'O', 'l', 'I', '1']));
        assert_ne!(a, temporary_password());
    }
}
