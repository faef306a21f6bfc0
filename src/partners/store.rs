//! SQL for resellers and their users.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::Email;
use crate::i18n::Locale;
use crate::identity::{ResellerStatus, Role, UserStatus};

/// A user of a reseller, as the users page lists them.
#[derive(Debug)]
pub struct Member {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub status: UserStatus,
    pub last_sign_in_at: Option<time::OffsetDateTime>,
    pub mfa_enabled: bool,
}

/// The reseller's users; runs in a tenant transaction (RLS shows this reseller's rows only).
pub async fn members(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<Vec<Member>> {
    sqlx::query_as!(
        Member,
        r#"SELECT id, email::text AS "email!", name, role AS "role: Role", status AS "status: UserStatus",
                  last_sign_in_at, totp_secret_enc IS NOT NULL AS "mfa_enabled!"
           FROM users WHERE reseller_id = $1
           ORDER BY status = 'deactivated', role = 'owner' DESC, name"#,
        reseller_id
    )
    .fetch_all(tx)
    .await
}

/// One of the reseller's users, locked for a change.
pub async fn member(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<Option<Member>> {
    sqlx::query_as!(
        Member,
        r#"SELECT id, email::text AS "email!", name, role AS "role: Role", status AS "status: UserStatus",
                  last_sign_in_at, totp_secret_enc IS NOT NULL AS "mfa_enabled!"
           FROM users WHERE reseller_id = $1 AND id = $2
           FOR UPDATE"#,
        reseller_id,
        user_id
    )
    .fetch_optional(tx)
    .await
}

/// Locks the reseller's active owners and counts them (so two demotions cannot race past the
/// last-owner rule).
pub async fn lock_owners(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM users WHERE reseller_id = $1 AND role = 'owner' AND status <> 'deactivated'
         FOR UPDATE",
        reseller_id
    )
    .fetch_all(tx)
    .await
}

/// The reseller's public id (`R-…`), which vendors know it by (transfer tokens name it).
pub async fn public_id(db: impl sqlx::PgExecutor<'_>, reseller_id: Uuid) -> sqlx::Result<String> {
    sqlx::query_scalar!("SELECT public_id FROM resellers WHERE id = $1", reseller_id)
        .fetch_one(db)
        .await
}

pub async fn reseller_name(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<String> {
    sqlx::query_scalar!(
        "SELECT legal_name FROM resellers WHERE id = $1",
        reseller_id
    )
    .fetch_one(tx)
    .await
}

/// Whether the reseller may order (staff can suspend it).
pub async fn reseller_status(
    tx: &mut PgConnection,
    reseller_id: Uuid,
) -> sqlx::Result<ResellerStatus> {
    sqlx::query_scalar!(
        r#"SELECT status AS "status: ResellerStatus" FROM resellers WHERE id = $1"#,
        reseller_id
    )
    .fetch_one(tx)
    .await
}

/// Creates an invited user; `None` when the address already has an account (on any reseller:
/// the database decides, not a check first).
pub async fn invite(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    email: &Email,
    name: &str,
    role: Role,
    invited_by: Uuid,
    locale: Locale,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "INSERT INTO users (reseller_id, email, name, role, status, invited_by, locale)
         VALUES ($1, $2::text, $3, $4, 'invited', $5, $6)
         ON CONFLICT (email) DO NOTHING
         RETURNING id",
        reseller_id,
        email.as_str(),
        name,
        role.code(),
        invited_by,
        locale.code(),
    )
    .fetch_optional(tx)
    .await
}

pub async fn set_role(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user_id: Uuid,
    role: Role,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET role = $3, updated_at = now() WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        user_id,
        role.code(),
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Deactivates a user; the epoch moves on, so every session of theirs ends at once.
pub async fn deactivate(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET status = 'deactivated', session_epoch = session_epoch + 1, updated_at = now()
         WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        user_id,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Back to where they were: active if they had set a password, else invited.
pub async fn reactivate(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET status = CASE WHEN password_hash IS NULL THEN 'invited' ELSE 'active' END,
                session_epoch = session_epoch + 1, updated_at = now()
         WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        user_id,
    )
    .execute(tx)
    .await?;
    Ok(())
}
