//! The changes of a tenant's users and licences: recorded as pending (a licence takes or
//! releases its seat at once), then applied or failed by the vendor's answer.

use sqlx::PgConnection;
use uuid::Uuid;

use super::{Tenant, User, licensable};
use crate::db::{OnConstraint, SaveError};
use crate::licences::rules::{
    AssignmentStatus, LicenceChangeKind, LicenceChangeStatus, UserStatus,
};
use crate::vendors::{VendorCode, VendorErrorCode};

/// A new user of the tenant, as the form gave it.
pub struct NewUser<'a> {
    pub user_name: &'a str,
    pub display_name: &'a str,
    pub usage_location: &'a str,
}

/// Records a new user (being created) and its change; the change's id. A user name the tenant
/// has already is refused beside its field.
pub async fn create_user(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant_id: Uuid,
    user: &NewUser<'_>,
    actor: Uuid,
) -> Result<(Uuid, Uuid), SaveError> {
    let change_id = Uuid::new_v4();
    let user_id = sqlx::query_scalar!(
        "INSERT INTO tenant_users
             (reseller_id, tenant_id, user_name, display_name, usage_location, pending_change)
         VALUES ($1, $2, $3::text::citext, $4, $5, $6) RETURNING id",
        reseller_id,
        tenant_id,
        user.user_name,
        user.display_name,
        user.usage_location,
        change_id,
    )
    .fetch_one(&mut *tx)
    .await
    .on_constraint(
        "tenant_users_name_key",
        "user_name",
        "licences.user_name_taken",
    )?;
    insert_change(
        tx,
        reseller_id,
        change_id,
        tenant_id,
        user_id,
        None,
        LicenceChangeKind::CreateUser,
        actor,
    )
    .await?;
    Ok((user_id, change_id))
}

#[allow(clippy::too_many_arguments)]
async fn insert_change(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
    tenant_id: Uuid,
    user_id: Uuid,
    subscription_id: Option<Uuid>,
    kind: LicenceChangeKind,
    actor: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO licence_changes
             (reseller_id, id, tenant_id, tenant_user_id, subscription_id, kind, actor_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        reseller_id,
        id,
        tenant_id,
        user_id,
        subscription_id,
        kind.code(),
        actor,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Why a change of a user cannot be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Another change of the user waits for the vendor.
    Pending,
    /// Not possible in the user's state (blocking a blocked user, a licence of a user the
    /// vendor has not made).
    State,
    /// The licence is already held, or not held to remove.
    Unchanged,
    /// Not a subscription of this tenant.
    NotLicensable,
    /// Every seat has its licence.
    NoFreeSeat,
}

/// Records `kind` on the locked user (and, for a licence, takes or releases its seat); the
/// change's id.
pub async fn record(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant: &Tenant,
    user: &User,
    kind: LicenceChangeKind,
    subscription: Option<Uuid>,
    actor: Uuid,
) -> anyhow::Result<Result<Uuid, Refused>> {
    if user.pending_change.is_some() {
        return Ok(Err(Refused::Pending));
    }
    let allowed = match kind {
        LicenceChangeKind::Block => user.status == UserStatus::Active,
        LicenceChangeKind::Unblock => user.status == UserStatus::Blocked,
        LicenceChangeKind::DeleteUser => {
            matches!(user.status, UserStatus::Active | UserStatus::Blocked)
        }
        LicenceChangeKind::Assign | LicenceChangeKind::Unassign => {
            matches!(user.status, UserStatus::Active | UserStatus::Blocked)
        }
        LicenceChangeKind::CreateUser => false,
    };
    if !allowed {
        return Ok(Err(Refused::State));
    }
    let change_id = Uuid::new_v4();
    if let Some(subscription_id) = subscription {
        let licensable = licensable(tx, reseller_id, tenant, user.id).await?;
        let Some(found) = licensable
            .iter()
            .find(|l| l.subscription_id == subscription_id)
        else {
            return Ok(Err(Refused::NotLicensable));
        };
        match (kind, found.held) {
            (LicenceChangeKind::Assign, None) => {
                // The seat is taken here or refused by the database (two at once included).
                let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
                let taken = sqlx::query!(
                    "INSERT INTO licence_assignments (reseller_id, subscription_id, tenant_user_id)
                     VALUES ($1, $2, $3)",
                    reseller_id,
                    subscription_id,
                    user.id,
                )
                .execute(&mut *savepoint)
                .await
                .on_constraint(
                    "licence_assignments_within_seats",
                    "subscription",
                    "no_free_seat",
                );
                match taken {
                    Ok(_) => savepoint.commit().await?,
                    Err(SaveError::Refused(_)) => return Ok(Err(Refused::NoFreeSeat)),
                    Err(SaveError::Db(e)) => return Err(e.into()),
                }
            }
            (LicenceChangeKind::Unassign, Some(AssignmentStatus::Assigned)) => {
                sqlx::query!(
                    "UPDATE licence_assignments SET status = 'removing'
                     WHERE reseller_id = $1 AND subscription_id = $2 AND tenant_user_id = $3",
                    reseller_id,
                    subscription_id,
                    user.id,
                )
                .execute(&mut *tx)
                .await?;
            }
            _ => return Ok(Err(Refused::Unchanged)),
        }
    } else if matches!(
        kind,
        LicenceChangeKind::Assign | LicenceChangeKind::Unassign
    ) {
        return Ok(Err(Refused::NotLicensable));
    }
    insert_change(
        tx,
        reseller_id,
        change_id,
        tenant.id,
        user.id,
        subscription,
        kind,
        actor,
    )
    .await?;
    sqlx::query!(
        "UPDATE tenant_users SET pending_change = $3, updated_at = now()
         WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        user.id,
        change_id,
    )
    .execute(&mut *tx)
    .await?;
    Ok(Ok(change_id))
}

/// A change as its job reads it.
#[derive(Debug, Clone)]
pub struct Change {
    pub id: Uuid,
    pub kind: LicenceChangeKind,
    pub status: LicenceChangeStatus,
    pub tenant_user_id: Uuid,
    pub subscription_id: Option<Uuid>,
    pub vendor: VendorCode,
    pub tenant_ref: Option<String>,
    pub tenant_domain: String,
    pub user_name: Option<String>,
    pub display_name: Option<String>,
    pub usage_location: Option<String>,
    pub user_ref: Option<String>,
    pub subscription_ref: Option<String>,
}

pub async fn change(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Change>> {
    sqlx::query_as!(
        Change,
        r#"SELECT c.id, c.kind AS "kind: LicenceChangeKind",
                  c.status AS "status: LicenceChangeStatus", c.tenant_user_id, c.subscription_id,
                  t.vendor AS "vendor: VendorCode", t.tenant_ref, t.domain AS tenant_domain,
                  u.user_name::text AS "user_name?", u.display_name AS "display_name?",
                  u.usage_location::text AS "usage_location?", u.vendor_ref AS user_ref,
                  s.vendor_ref AS "subscription_ref?"
           FROM licence_changes c
           JOIN customer_tenants t ON t.reseller_id = c.reseller_id AND t.id = c.tenant_id
           LEFT JOIN tenant_users u ON u.reseller_id = c.reseller_id AND u.id = c.tenant_user_id
           LEFT JOIN subscriptions s ON s.reseller_id = c.reseller_id AND s.id = c.subscription_id
           WHERE c.reseller_id = $1 AND c.id = $2"#,
        reseller_id,
        id,
    )
    .fetch_optional(tx)
    .await
}

/// Records the vendor's acceptance of a pending change; `created` carries a new user's
/// reference and its sealed temporary password. `false` when it was decided meanwhile.
pub async fn apply(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    change: &Change,
    created: Option<(&str, &[u8])>,
) -> sqlx::Result<bool> {
    if !decide(
        tx,
        reseller_id,
        change.id,
        LicenceChangeStatus::Applied,
        None,
        created.map(|c| c.1),
    )
    .await?
    {
        return Ok(false);
    }
    let user = change.tenant_user_id;
    match change.kind {
        LicenceChangeKind::CreateUser => {
            let vendor_ref = created.map(|c| c.0);
            sqlx::query!(
                "UPDATE tenant_users SET status = 'active', vendor_ref = $3
                 WHERE reseller_id = $1 AND id = $2",
                reseller_id,
                user,
                vendor_ref,
            )
            .execute(&mut *tx)
            .await?;
        }
        LicenceChangeKind::Block | LicenceChangeKind::Unblock => {
            let status = if change.kind == LicenceChangeKind::Block {
                UserStatus::Blocked
            } else {
                UserStatus::Active
            };
            sqlx::query!(
                "UPDATE tenant_users SET status = $3 WHERE reseller_id = $1 AND id = $2",
                reseller_id,
                user,
                status.code(),
            )
            .execute(&mut *tx)
            .await?;
        }
        LicenceChangeKind::DeleteUser => {
            // Its licences are freed with it (the seat count follows, by the trigger).
            sqlx::query!(
                "DELETE FROM licence_assignments WHERE reseller_id = $1 AND tenant_user_id = $2",
                reseller_id,
                user,
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "DELETE FROM tenant_users WHERE reseller_id = $1 AND id = $2",
                reseller_id,
                user,
            )
            .execute(&mut *tx)
            .await?;
            return Ok(true);
        }
        LicenceChangeKind::Assign => {
            held(tx, reseller_id, user, change.subscription_id).await?;
        }
        LicenceChangeKind::Unassign => {
            drop_licence(tx, reseller_id, user, change.subscription_id).await?;
        }
    }
    release(tx, reseller_id, user, change.id).await?;
    Ok(true)
}

/// Records the vendor's refusal (`code`): what the change held is given back (a seat being
/// assigned, a licence being removed stays). `false` when it was decided meanwhile.
pub async fn fail(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    change: &Change,
    code: VendorErrorCode,
) -> sqlx::Result<bool> {
    if !decide(
        tx,
        reseller_id,
        change.id,
        LicenceChangeStatus::Failed,
        Some(code),
        None,
    )
    .await?
    {
        return Ok(false);
    }
    let user = change.tenant_user_id;
    match change.kind {
        LicenceChangeKind::CreateUser => {
            sqlx::query!(
                "UPDATE tenant_users SET status = 'failed' WHERE reseller_id = $1 AND id = $2",
                reseller_id,
                user,
            )
            .execute(&mut *tx)
            .await?;
        }
        LicenceChangeKind::Assign => {
            drop_licence(tx, reseller_id, user, change.subscription_id).await?;
        }
        LicenceChangeKind::Unassign => {
            held(tx, reseller_id, user, change.subscription_id).await?;
        }
        LicenceChangeKind::Block | LicenceChangeKind::Unblock | LicenceChangeKind::DeleteUser => {}
    }
    release(tx, reseller_id, user, change.id).await?;
    Ok(true)
}

/// The user's licence of the subscription is assigned (applied, or its removal refused).
async fn held(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user: Uuid,
    subscription: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE licence_assignments SET status = 'assigned'
         WHERE reseller_id = $1 AND tenant_user_id = $2 AND subscription_id = $3",
        reseller_id,
        user,
        subscription,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// The user's licence of the subscription is gone (removed, or its assignment refused): its
/// seat is free again (the trigger counts it).
async fn drop_licence(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user: Uuid,
    subscription: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM licence_assignments
         WHERE reseller_id = $1 AND tenant_user_id = $2 AND subscription_id = $3",
        reseller_id,
        user,
        subscription,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Sets a pending change's outcome; `false` when it is not pending any more.
async fn decide(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
    status: LicenceChangeStatus,
    error: Option<VendorErrorCode>,
    secret: Option<&[u8]>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE licence_changes SET status = $3, error = $4, secret = $5, decided_at = now()
         WHERE reseller_id = $1 AND id = $2 AND status = 'pending'",
        reseller_id,
        id,
        status.code(),
        error.map(VendorErrorCode::code),
        secret,
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The user is free for its next change.
async fn release(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user: Uuid,
    change: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE tenant_users SET pending_change = NULL, updated_at = now()
         WHERE reseller_id = $1 AND id = $2 AND pending_change = $3",
        reseller_id,
        user,
        change,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// The sealed temporary password of the user's creation, taken (erased) so it is shown once,
/// and only to who created the user.
pub async fn take_password(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user: Uuid,
    actor: Uuid,
) -> sqlx::Result<Option<Vec<u8>>> {
    sqlx::query_scalar!(
        r#"WITH taken AS (
               SELECT id, secret FROM licence_changes
               WHERE reseller_id = $1 AND tenant_user_id = $2 AND kind = 'create_user'
                 AND status = 'applied' AND secret IS NOT NULL AND actor_id = $3
               FOR UPDATE)
           UPDATE licence_changes c SET secret = NULL FROM taken
           WHERE c.reseller_id = $1 AND c.id = taken.id
           RETURNING taken.secret AS "secret!""#,
        reseller_id,
        user,
        actor,
    )
    .fetch_optional(tx)
    .await
}
