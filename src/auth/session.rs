//! The signed-in user of a request.
//!
//! The session holds a `LoginState` (`crate::identity`): `Pending` after the password (the
//! second factor, or its enrolment, comes next) or `SignedIn`. This middleware loads the
//! signed-in user from the database on every request (with the session, in one query), so a
//! deactivated user, a password reset elsewhere (the session epoch) or a role change takes
//! effect at once. Handlers ask for
//! `CurrentUser`, `ResellerUser` or `StaffUser` (`crate::web::user`); a pending session reaches
//! nothing but the MFA step.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tower_sessions::Session;

use crate::auth::session_store::LOADED_USER;
use crate::auth::store::UserRow;
use crate::error::AppError;
use crate::identity::LoginState;
use crate::web::keys;

/// Session key of when the session was last extended (Unix seconds).
const EXTENDED_AT: &str = "extended_at";
/// A session is written to extend its inactivity expiry at most this often, not on every
/// request (its expiry moves forward only when it is saved).
const EXTEND_EVERY_SECS: i64 = 60;

/// Extends a signed-in session's inactivity expiry when the last extension is a minute old:
/// an active user stays signed in, and a request costs a session write once a minute at most.
async fn keep_alive(session: &Session) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let last = session.get::<i64>(EXTENDED_AT).await.ok().flatten();
    if last.is_none_or(|at| now - at >= EXTEND_EVERY_SECS) {
        let _ = session.insert(EXTENDED_AT, now).await;
    }
}

/// Loads the signed-in user of the session into the request (and ends sessions that are no
/// longer valid). Runs inside the session layer, before the error pages and the routes.
pub async fn load_user(mut request: Request, next: Next) -> Response {
    if let Some(session) = request.extensions().get::<Session>().cloned() {
        let login = match session.get::<LoginState>(keys::AUTH).await {
            Ok(login) => login,
            // A state this version cannot read is no sign-in.
            Err(tower_sessions::session::Error::SerdeJson(_)) => None,
            // The store could not read the session: the database is out of reach.
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the session");
                let unavailable = AppError::Unavailable(e.to_string());
                return crate::web::errors::page_for(&request, unavailable).await;
            }
        };
        if let Some(LoginState::SignedIn { user_id, epoch }) = login {
            // Loaded with the session in the same query (`session_store`): none when the
            // user no longer exists.
            let loaded = session.get::<UserRow>(LOADED_USER).await;
            match loaded.map(|u| u.filter(|u| u.id == user_id)) {
                Ok(Some(user))
                    if user.session_epoch == epoch
                        && user.status == crate::identity::UserStatus::Active =>
                {
                    keep_alive(&session).await;
                    request.extensions_mut().insert(user.into_current());
                }
                Ok(_) => {
                    // Deactivated, deleted, or signed out everywhere: this session is over.
                    let _ = session.flush().await;
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot load the signed-in user");
                    return crate::web::errors::page_for(&request, AppError::from(e)).await;
                }
            }
        }
    }
    next.run(request).await
}

/// Reads the session's login state.
pub async fn state_of(session: &Session) -> Result<Option<LoginState>, AppError> {
    Ok(session.get::<LoginState>(keys::AUTH).await?)
}
