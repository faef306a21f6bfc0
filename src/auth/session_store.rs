//! Where sessions are kept: the `sessions` table, through tower-sessions' `SessionStore`.
//!
//! Two things a generic store cannot do:
//! - **The signed-in user comes with the session, in one query.** Every signed-in request needs
//!   both; the row keeps the session's user (`user_id`, taken from its `LoginState` when saved),
//!   and loading joins the user and their reseller. The loaded user is handed to the request as
//!   the session entry [`LOADED_USER`], which is never saved.
//! - **The cookie is not in the table**: a row is found by the SHA-256 of the session id, so a
//!   copy of the database (a backup, a log of queries) holds no session anyone could use.

use std::collections::HashMap;

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use sqlx::types::Json;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use uuid::Uuid;

use crate::auth::store::UserRow;
use crate::i18n::Locale;
use crate::identity::{LoginState, ResellerStatus, Role, UserStatus};
use crate::web::keys;

/// The session entry holding the user loaded with the session (filled on load, never saved).
pub const LOADED_USER: &str = "loaded_user";

type Data = HashMap<String, serde_json::Value>;

/// The portal's session store.
#[derive(Clone, Debug)]
pub struct PgSessions {
    db: PgPool,
}

impl PgSessions {
    pub fn new(db: PgPool) -> Self {
        Self { db }
    }
}

/// What a row stores of a session: its data without the loaded user, and whose it is.
fn stored(record: &Record) -> (Data, Option<Uuid>) {
    let mut data = record.data.clone();
    data.remove(LOADED_USER);
    let user_id = data
        .get(keys::AUTH)
        .and_then(|v| serde_json::from_value::<LoginState>(v.clone()).ok())
        .map(|state| match state {
            LoginState::Pending { user_id, .. } | LoginState::SignedIn { user_id, .. } => user_id,
        });
    (data, user_id)
}

fn id_hash(id: &Id) -> Vec<u8> {
    Sha256::digest(id.to_string().as_bytes()).to_vec()
}

fn backend(e: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

impl PgSessions {
    /// Writes `record`; an existing row is replaced only when `replace` (a new session's id
    /// that is taken already is not). Whether a row was written.
    async fn write(&self, record: &Record, replace: bool) -> session_store::Result<bool> {
        let (data, user_id) = stored(record);
        let written = sqlx::query!(
            "INSERT INTO sessions (id_hash, user_id, data, expires_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id_hash) DO UPDATE
             SET user_id = excluded.user_id, data = excluded.data, expires_at = excluded.expires_at
             WHERE $5",
            id_hash(&record.id),
            user_id,
            Json(&data) as _,
            record.expiry_date,
            replace
        )
        .execute(&self.db)
        .await
        .map_err(backend)?;
        Ok(written.rows_affected() == 1)
    }
}

#[async_trait]
impl SessionStore for PgSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A new id that is taken already (2^-128 per pair) is drawn again.
        while !self.write(record, false).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write(record, true).await.map(|_| ())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let row = sqlx::query!(
            r#"SELECT s.data AS "data: Json<Data>", s.expires_at,
                      u.id AS "id?", u.reseller_id, u.email::text AS "email?", u.name AS "name?",
                      u.role AS "role?: Role", u.status AS "status?: UserStatus",
                      u.locale AS "locale?: Locale", u.session_epoch AS "session_epoch?",
                      r.status AS "reseller_status?: ResellerStatus",
                      r.suspended_reason AS "suspended_reason?", r.time_zone AS "time_zone?",
                      coalesce(r.sales_see_costs, false) AS "sales_see_costs!"
               FROM sessions s
               LEFT JOIN users u ON u.id = s.user_id
               LEFT JOIN resellers r ON r.id = u.reseller_id
               WHERE s.id_hash = $1 AND s.expires_at > now()"#,
            id_hash(session_id)
        )
        .fetch_optional(&self.db)
        .await
        .map_err(backend)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut data = row.data.0;
        if let (Some(id), Some(email), Some(name), Some(role), Some(status), Some(epoch)) = (
            row.id,
            row.email,
            row.name,
            row.role,
            row.status,
            row.session_epoch,
        ) {
            let user = UserRow {
                id,
                reseller_id: row.reseller_id,
                email,
                name,
                role,
                status,
                locale: row.locale,
                session_epoch: epoch,
                reseller_status: row.reseller_status,
                suspended_reason: row.suspended_reason,
                time_zone: row.time_zone,
                sales_see_costs: row.sales_see_costs,
            };
            let user = serde_json::to_value(user)
                .map_err(|e| session_store::Error::Encode(e.to_string()))?;
            data.insert(LOADED_USER.to_string(), user);
        }
        Ok(Some(Record {
            id: *session_id,
            data,
            expiry_date: row.expires_at,
        }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        sqlx::query!(
            "DELETE FROM sessions WHERE id_hash = $1",
            id_hash(session_id)
        )
        .execute(&self.db)
        .await
        .map_err(backend)?;
        Ok(())
    }
}

impl PgSessions {
    /// Deletes the sessions that have expired (run every minute).
    pub async fn delete_expired(&self) -> sqlx::Result<u64> {
        let done = sqlx::query!("DELETE FROM sessions WHERE expires_at < now()")
            .execute(&self.db)
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn record(auth: Option<LoginState>) -> Record {
        let mut data = Data::new();
        data.insert("csrf".into(), serde_json::json!("token"));
        if let Some(state) = auth {
            data.insert(keys::AUTH.into(), serde_json::to_value(state).unwrap());
        }
        data.insert(LOADED_USER.into(), serde_json::json!({"id": "x"}));
        Record {
            id: Id::default(),
            data,
            expiry_date: OffsetDateTime::now_utc(),
        }
    }

    #[test]
    fn a_row_keeps_whose_session_it_is_and_never_the_loaded_user() {
        let user_id = Uuid::new_v4();
        let signed_in = record(Some(LoginState::SignedIn { user_id, epoch: 3 }));
        let (data, owner) = stored(&signed_in);
        assert_eq!(owner, Some(user_id));
        assert!(!data.contains_key(LOADED_USER));
        assert_eq!(data["csrf"], "token");

        let pending = record(Some(LoginState::Pending {
            user_id,
            epoch: 3,
            enrol: false,
            next: None,
        }));
        assert_eq!(stored(&pending).1, Some(user_id));
        assert_eq!(stored(&record(None)).1, None);
    }

    #[test]
    fn the_table_holds_a_hash_of_the_cookie_not_the_cookie() {
        let id = Id::default();
        let hash = id_hash(&id);
        assert_eq!(hash.len(), 32);
        assert_ne!(hash, id.to_string().into_bytes());
        assert_eq!(hash, id_hash(&id));
    }
}
