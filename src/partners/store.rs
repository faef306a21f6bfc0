//! SQL for resellers and their users.

use sqlx::PgConnection;
use uuid::Uuid;

/// A user of a reseller, as the users page lists them.
#[derive(Debug, sqlx::FromRow)]
pub struct Member {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub status: String,
    pub last_sign_in_at: Option<time::OffsetDateTime>,
    pub mfa_enabled: bool,
}

/// The reseller's users; runs in a tenant transaction (RLS shows this reseller's rows only).
pub async fn members(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<Vec<Member>> {
    sqlx::query_as::<_, Member>(
        "SELECT id, email::text AS email, name, role, status, last_sign_in_at,
                totp_secret_enc IS NOT NULL AS mfa_enabled
         FROM users WHERE reseller_id = $1
         ORDER BY status = 'deactivated', role = 'owner' DESC, name",
    )
    .bind(reseller_id)
    .fetch_all(tx)
    .await
}

pub async fn member(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<Option<Member>> {
    sqlx::query_as::<_, Member>(
        "SELECT id, email::text AS email, name, role, status, last_sign_in_at,
                totp_secret_enc IS NOT NULL AS mfa_enabled
         FROM users WHERE reseller_id = $1 AND id = $2
         FOR UPDATE",
    )
    .bind(reseller_id)
    .bind(user_id)
    .fetch_optional(tx)
    .await
}

/// Locks the reseller's active owners and counts them (so two demotions cannot race past the
/// last-owner rule).
pub async fn lock_owners(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM users WHERE reseller_id = $1 AND role = 'owner' AND status <> 'deactivated'
         FOR UPDATE",
    )
    .bind(reseller_id)
    .fetch_all(tx)
    .await
}

/// The reseller's public id (`R-…`), which vendors know it by (transfer tokens name it).
pub async fn public_id(db: impl sqlx::PgExecutor<'_>, reseller_id: Uuid) -> sqlx::Result<String> {
    sqlx::query_scalar("SELECT public_id FROM resellers WHERE id = $1")
        .bind(reseller_id)
        .fetch_one(db)
        .await
}

pub async fn reseller_name(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<String> {
    sqlx::query_scalar("SELECT legal_name FROM resellers WHERE id = $1")
        .bind(reseller_id)
        .fetch_one(tx)
        .await
}
