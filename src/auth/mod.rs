//! Identity: sign-in with a password and a second factor (TOTP or a recovery code), MFA
//! enrolment, forgotten passwords, invitations, the profile, and the signed-in user of each
//! request. This module owns the `auth` session key.

pub mod browser;
pub mod device;
pub mod emails;
pub mod enrol;
pub mod language;
pub mod links;
pub mod password;
pub mod profile;
pub mod session;
pub mod session_store;
pub mod sign_in;
pub mod store;
pub mod throttle;
pub mod totp;

use tower_sessions::Session as TowerSession;

use crate::app::AppState;
use crate::i18n::Locale;

/// Sign-in, MFA, password and invitation pages, and the profile.
pub fn router() -> axum::Router<AppState> {
    sign_in::router()
        .merge(enrol::router())
        .merge(links::router())
        .merge(profile::router())
        .merge(language::router())
}

/// Saves a signed-in user's language choice to their account.
pub async fn remember_locale(
    state: &AppState,
    session: &TowerSession,
    locale: Locale,
) -> Result<(), crate::error::AppError> {
    if let Some(crate::identity::LoginState::SignedIn { user_id, .. }) =
        session::state_of(session).await?
    {
        store::set_locale(&state.db, user_id, locale).await?;
    }
    Ok(())
}
