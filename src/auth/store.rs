//! SQL for accounts. Sign-in look-ups run outside a tenant (the e-mail is unique platform-wide).

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::audit::Action;
use crate::domain::Email;
use crate::i18n::Locale;
use crate::identity::{CurrentUser, ResellerStatus, Role, UserStatus};

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("an account with this e-mail already exists")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Creates a distributor staff account.
pub async fn create_staff(
    db: impl PgExecutor<'_>,
    email: &Email,
    name: &str,
    password_hash: &str,
) -> Result<Uuid, CreateUserError> {
    let result = sqlx::query_scalar!(
        r#"INSERT INTO users (email, name, role, status, password_hash)
           VALUES ($1::text, $2, 'staff', 'active', $3)
           RETURNING id"#,
        email.as_str(),
        name,
        password_hash
    )
    .fetch_one(db)
    .await;
    match result {
        Ok(id) => Ok(id),
        Err(e) if crate::db::violated_constraint(&e) == Some("users_email_key") => {
            Err(CreateUserError::EmailTaken)
        }
        Err(e) => Err(e.into()),
    }
}

/// What sign-in needs to know about an account.
#[derive(Debug)]
pub struct LoginRecord {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub status: UserStatus,
    pub password_hash: Option<String>,
    pub locale: Option<Locale>,
    pub session_epoch: i32,
    pub mfa_enabled: bool,
}

pub async fn find_for_login(
    db: impl PgExecutor<'_>,
    email: &Email,
) -> sqlx::Result<Option<LoginRecord>> {
    sqlx::query_as!(
        LoginRecord,
        r#"SELECT id, name, role AS "role: Role", status AS "status: UserStatus", password_hash,
                  locale AS "locale: Locale", session_epoch,
                  totp_secret_enc IS NOT NULL AS "mfa_enabled!"
           FROM users WHERE email = $1::text::citext"#,
        email.as_str()
    )
    .fetch_optional(db)
    .await
}

/// Whether the user receives subscription reminders by e-mail.
pub async fn reminders(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        "SELECT subscription_reminders FROM users WHERE id = $1",
        user_id
    )
    .fetch_one(db)
    .await
}

pub async fn set_reminders(db: impl PgExecutor<'_>, user_id: Uuid, on: bool) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET subscription_reminders = $2, updated_at = now() WHERE id = $1",
        user_id,
        on,
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_locale(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    locale: Locale,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET locale = $2, updated_at = now() WHERE id = $1",
        user_id,
        locale.code()
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The signed-in user as every request loads it (with the session, `auth::session_store`).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct UserRow {
    pub id: Uuid,
    pub reseller_id: Option<Uuid>,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub status: UserStatus,
    pub locale: Option<Locale>,
    pub session_epoch: i32,
    pub reseller_status: Option<ResellerStatus>,
    pub suspended_reason: Option<String>,
    pub time_zone: Option<String>,
    #[serde(default)]
    pub sales_see_costs: bool,
}

impl UserRow {
    pub fn into_current(self) -> CurrentUser {
        CurrentUser {
            id: self.id,
            reseller_id: self.reseller_id,
            email: self.email,
            name: self.name,
            role: self.role,
            locale: self.locale,
            reseller_suspended: (self.reseller_status == Some(ResellerStatus::Suspended))
                .then(|| self.suspended_reason.unwrap_or_default()),
            time_zone: self.time_zone,
            sales_see_costs: self.sales_see_costs,
        }
    }
}

pub async fn load_signed_in(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT u.id, u.reseller_id, u.email::text AS "email!", u.name, u.role AS "role: Role",
                  u.status AS "status: UserStatus", u.locale AS "locale: Locale", u.session_epoch,
                  r.status AS "reseller_status?: ResellerStatus", r.suspended_reason AS "suspended_reason?",
                  r.time_zone AS "time_zone?",
                  coalesce(r.sales_see_costs, false) AS "sales_see_costs!"
           FROM users u LEFT JOIN resellers r ON r.id = u.reseller_id WHERE u.id = $1"#,
        user_id
    )
    .fetch_optional(db)
    .await
}

/// The encrypted TOTP seed of a user who has enrolled.
pub async fn totp_secret(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Option<Vec<u8>>> {
    let row = sqlx::query_scalar!("SELECT totp_secret_enc FROM users WHERE id = $1", user_id)
        .fetch_optional(db)
        .await?;
    Ok(row.flatten())
}

/// Records that `step` was used; `false` when it (or a later one) was used before. The
/// database decides, so two requests with the same code cannot both pass.
pub async fn accept_totp_step(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    step: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE users SET totp_last_step = $2
         WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
        user_id,
        step
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Saves a confirmed authenticator (the step used to confirm it counts as used); the user's
/// epoch, or `None` when refused. A first enrolment happens only while the account has none, so
/// a stale half-signed-in session cannot replace one; a replacement (`replace`: through the
/// profile, after the password and a current code) ends every other session.
pub async fn set_totp(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    sealed: &[u8],
    step: i64,
    replace: bool,
) -> sqlx::Result<Option<i32>> {
    sqlx::query_scalar!(
        "UPDATE users SET totp_secret_enc = $2, totp_last_step = $3, mfa_enabled_at = now(),
                session_epoch = session_epoch + CASE WHEN $4 THEN 1 ELSE 0 END,
                updated_at = now()
         WHERE id = $1 AND ($4 OR totp_secret_enc IS NULL)
         RETURNING session_epoch",
        user_id,
        sealed,
        step,
        replace
    )
    .fetch_optional(db)
    .await
}

/// Ends every session of the user (the epoch moves on); the new epoch, for the one session
/// that goes on.
pub async fn end_sessions(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<i32> {
    sqlx::query_scalar!(
        "UPDATE users SET session_epoch = session_epoch + 1, updated_at = now() WHERE id = $1
         RETURNING session_epoch",
        user_id
    )
    .fetch_one(db)
    .await
}

/// Replaces a user's recovery codes.
pub async fn replace_recovery_codes(
    tx: &mut sqlx::PgConnection,
    user_id: Uuid,
    hashes: &[Vec<u8>],
) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM recovery_codes WHERE user_id = $1", user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])",
        user_id,
        hashes
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Uses a recovery code: `true` once per code.
pub async fn use_recovery_code(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    hash: &[u8],
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE recovery_codes SET used_at = now()
         WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        user_id,
        hash
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn unused_recovery_codes(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<i64> {
    let n = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL"#,
        user_id
    )
    .fetch_one(db)
    .await?;
    Ok(n)
}

crate::text_enum! {
    /// What a link mailed to a user is for.
    pub enum TokenPurpose {
        Invitation = "invitation",
        PasswordReset = "password_reset",
    }
}

/// Ends a user's unused links of `purpose` (a new one, or a password set, replaces them).
pub async fn end_tokens(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    purpose: TokenPurpose,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE auth_tokens SET used_at = now()
         WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
        user_id,
        purpose.code(),
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The user with this sign-in e-mail, if there is one.
pub async fn user_id_by_email(
    db: impl PgExecutor<'_>,
    email: &Email,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM users WHERE email = $1::text::citext",
        email.as_str()
    )
    .fetch_optional(db)
    .await
}

/// The reseller a user belongs to (none for staff).
pub async fn reseller_of(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!("SELECT reseller_id FROM users WHERE id = $1", user_id)
        .fetch_one(db)
        .await
}

/// Creates a single-use link token; returns the token to put in the link.
pub async fn create_token(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    purpose: TokenPurpose,
    valid_for: time::Duration,
) -> sqlx::Result<String> {
    let (token, hash) = crate::crypto::new_token();
    sqlx::query!(
        "INSERT INTO auth_tokens (token_hash, user_id, purpose, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
        hash,
        user_id,
        purpose.code(),
        valid_for.whole_seconds() as f64
    )
    .execute(db)
    .await?;
    Ok(token)
}

/// Who a still-valid token belongs to (without using it up).
pub struct TokenOwner {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    pub locale: Option<Locale>,
}

pub async fn peek_token(
    db: impl PgExecutor<'_>,
    token: &str,
    purpose: TokenPurpose,
) -> sqlx::Result<Option<TokenOwner>> {
    let hash = crate::crypto::hash_token(token);
    sqlx::query_as!(
        TokenOwner,
        r#"SELECT u.id AS user_id, u.email::text AS "email!", u.name, u.locale AS "locale: Locale"
           FROM auth_tokens t JOIN users u ON u.id = t.user_id
           WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL
             AND t.expires_at > now() AND u.status <> 'deactivated'"#,
        hash,
        purpose.code()
    )
    .fetch_optional(db)
    .await
}

/// Uses a token up: the user it belongs to, once; `None` when it is unknown, used or expired.
pub async fn consume_token(
    db: impl PgExecutor<'_>,
    token: &str,
    purpose: TokenPurpose,
) -> sqlx::Result<Option<Uuid>> {
    let hash = crate::crypto::hash_token(token);
    sqlx::query_scalar!(
        "UPDATE auth_tokens SET used_at = now()
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
         RETURNING user_id",
        hash,
        purpose.code()
    )
    .fetch_optional(db)
    .await
}

/// Sets a new password, activates an invited account, and ends every existing session (the
/// epoch changes); returns the new epoch.
pub async fn set_password(db: impl PgExecutor<'_>, user_id: Uuid, hash: &str) -> sqlx::Result<i32> {
    sqlx::query_scalar!(
        "UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1,
                status = CASE WHEN status = 'invited' THEN 'active' ELSE status END,
                updated_at = now()
         WHERE id = $1 AND status <> 'deactivated'
         RETURNING session_epoch",
        user_id,
        hash
    )
    .fetch_one(db)
    .await
}

pub async fn password_hash(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Option<String>> {
    Ok(
        sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user_id)
            .fetch_optional(db)
            .await?
            .flatten(),
    )
}

pub async fn mark_signed_in(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET last_sign_in_at = now() WHERE id = $1",
        user_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A past sign-in, for the profile page.
pub struct SignIn {
    pub at: time::OffsetDateTime,
    pub ip: Option<String>,
    pub action: Action,
    pub user_agent: Option<String>,
}

pub async fn recent_sign_ins(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Vec<SignIn>> {
    sqlx::query_as!(
        SignIn,
        r#"SELECT at, host(ip) AS ip, action AS "action: Action", details->>'user_agent' AS user_agent
           FROM audit_log
           WHERE actor_user_id = $1 AND action IN ('sign_in', 'sign_in_failed', 'second_factor_failed')
           ORDER BY at DESC LIMIT 10"#,
        user_id
    )
    .fetch_all(db)
    .await
}
