//! SQL for accounts. Sign-in look-ups run outside a tenant (the e-mail is unique platform-wide).

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::Email;
use crate::i18n::Locale;

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
    pub role: String,
    pub status: String,
    pub password_hash: Option<String>,
    pub locale: Option<String>,
    pub session_epoch: i32,
}

pub async fn find_for_login(
    db: impl PgExecutor<'_>,
    email: &Email,
) -> sqlx::Result<Option<LoginRecord>> {
    sqlx::query_as!(
        LoginRecord,
        r#"SELECT id, name, role, status, password_hash, locale, session_epoch
           FROM users WHERE email = $1::text::citext"#,
        email.as_str()
    )
    .fetch_optional(db)
    .await
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
