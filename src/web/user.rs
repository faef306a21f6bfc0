//! The request extractors of the signed-in user: `CurrentUser`, `ResellerUser` (a reseller's
//! user, with its tenant) and `StaffUser`. The user is loaded into the request by the sign-in
//! middleware (`auth::session::load_user`); a half-signed-in session (MFA pending or not enrolled)
//! is sent to its next step, an anonymous one to the sign-in page, and neither reaches a handler.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::error::AppError;
use crate::identity::{CurrentUser, LoginState, ResellerUser, StaffUser};
use crate::web::keys;
use crate::web::page::see_other;

/// Why a page that needs a signed-in user cannot be shown: where the browser goes instead.
pub enum AuthRedirect {
    Login(String),
    SecondFactor,
    Enrol,
    Fail(AppError),
}

impl IntoResponse for AuthRedirect {
    fn into_response(self) -> Response {
        match self {
            AuthRedirect::Login(next) => {
                if next == "/" || next.is_empty() {
                    see_other("/login")
                } else {
                    let q: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
                    see_other(&format!("/login?next={q}"))
                }
            }
            AuthRedirect::SecondFactor => see_other("/login/mfa"),
            AuthRedirect::Enrol => see_other("/mfa/setup"),
            AuthRedirect::Fail(e) => e.into_response(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AuthRedirect;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let session = parts.extensions.get::<Session>().cloned();
        let state = match &session {
            Some(s) => s
                .get::<LoginState>(keys::AUTH)
                .await
                .map_err(|e| AuthRedirect::Fail(e.into()))?,
            None => None,
        };
        match state {
            Some(LoginState::Pending { enrol: true, .. }) => Err(AuthRedirect::Enrol),
            Some(LoginState::Pending { .. }) => Err(AuthRedirect::SecondFactor),
            _ => {
                let next = if parts.method == axum::http::Method::GET {
                    parts
                        .uri
                        .path_and_query()
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_default()
                } else {
                    String::new()
                };
                Err(AuthRedirect::Login(next))
            }
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ResellerUser {
    type Rejection = AuthRedirect;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        match user.reseller_id {
            Some(reseller_id) => Ok(Self { user, reseller_id }),
            None => Err(AuthRedirect::Fail(AppError::Forbidden)),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for StaffUser {
    type Rejection = AuthRedirect;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        if user.is_staff() {
            Ok(Self(user))
        } else {
            Err(AuthRedirect::Fail(AppError::Forbidden))
        }
    }
}
