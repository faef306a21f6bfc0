//! One-time messages shown on the next page ("Saved", "Link sent"), kept in the session.

use axum::response::Response;
use serde::{Deserialize, Serialize};
use sqlx::{Postgres, Transaction};
use tower_sessions::Session;

use crate::audit;
use crate::error::AppResult;
use crate::web::keys;
use crate::web::page::see_other;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum Level {
    Success,
    Info,
    Error,
}

/// A message: a translation key with its `%{name}` arguments, translated when shown.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Flash {
    pub level: Level,
    pub key: String,
    pub args: Vec<(String, String)>,
}

impl Flash {
    pub fn css(&self) -> &'static str {
        match self.level {
            Level::Success => "flash flash-success",
            Level::Info => "flash flash-info",
            Level::Error => "flash flash-error",
        }
    }

    /// The message in `locale`.
    pub fn text(&self, locale: &crate::i18n::Locale) -> String {
        let args: Vec<(&str, &str)> = self
            .args
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        crate::i18n::t_with(*locale, &self.key, &args)
    }
}

/// Adds a message for the next page.
pub async fn push(session: &Session, level: Level, key: &str, args: &[(&str, &str)]) {
    let mut list: Vec<Flash> = session
        .get(keys::FLASH)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    list.push(Flash {
        level,
        key: key.to_string(),
        args: args
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    });
    if let Err(e) = session.insert(keys::FLASH, list).await {
        tracing::warn!(error = %e, "cannot store a flash message");
    }
}

/// Takes the pending messages (each is shown once).
pub async fn take(session: &Session) -> Vec<Flash> {
    match session.get::<Vec<Flash>>(keys::FLASH).await {
        Ok(Some(list)) => {
            let _ = session.remove::<Vec<Flash>>(keys::FLASH).await;
            list
        }
        _ => Vec::new(),
    }
}

/// The end of a change that worked: its audit entry (in the same transaction), the commit, a
/// success message for the next page, and the browser sent to `to` (303).
pub async fn done<'a>(
    mut tx: Transaction<'_, Postgres>,
    session: &Session,
    entry: impl Into<Option<audit::Entry<'a>>>,
    message: &str,
    args: &[(&str, &str)],
    to: &str,
) -> AppResult<Response> {
    if let Some(entry) = entry.into() {
        audit::record(&mut *tx, entry).await?;
    }
    tx.commit().await?;
    push(session, Level::Success, message, args).await;
    Ok(see_other(to))
}
