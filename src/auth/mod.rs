//! Identity: sign-in, the signed-in user in the session, and staff accounts.
//!
//! This module owns the `auth` and `nav_user` session keys. The full identity journeys (MFA,
//! invitations, password reset, reseller users) build on what is here.

pub mod password;
pub mod routes;
pub mod store;

use tower_sessions::Session;

use crate::i18n::Locale;
use crate::web::AppState;

pub use routes::router;

/// Session key of the header's user summary (`web::page::NavUser`).
pub const NAV_USER: &str = "nav_user";

/// The signed-in user of a session, with the epoch that must still match the user's.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SessionAuth {
    pub user_id: uuid::Uuid,
    pub session_epoch: i32,
}

/// Saves a signed-in user's language choice to their account.
pub async fn remember_locale(
    state: &AppState,
    session: &Session,
    locale: Locale,
) -> Result<(), crate::error::AppError> {
    if let Some(auth) = session.get::<SessionAuth>(crate::web::keys::AUTH).await? {
        store::set_locale(&state.db, auth.user_id, locale).await?;
    }
    Ok(())
}
