//! The signed-in user of a request.
//!
//! The session holds a `LoginState`: `Pending` after the password (the second factor, or its
//! enrolment, comes next) or `SignedIn`. A middleware loads the signed-in user from the database
//! on every request, so a deactivated user, a password reset elsewhere (the session epoch) or a
//! role change takes effect at once. Handlers ask for `CurrentUser`, `ResellerUser` or
//! `StaffUser`; a pending session reaches nothing but the MFA step.

use axum::extract::{FromRef, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

use crate::error::AppError;
use crate::i18n::Locale;
use crate::web::page::see_other;
use crate::web::{AppState, keys};

/// Where a session stands.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum LoginState {
    /// The password was right; the second factor comes next (`enrol`: set it up first).
    Pending {
        user_id: Uuid,
        epoch: i32,
        enrol: bool,
        next: Option<String>,
    },
    SignedIn {
        user_id: Uuid,
        epoch: i32,
    },
}

/// A reseller user's role, or distributor staff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Staff,
    Owner,
    Admin,
    Sales,
    Billing,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "staff" => Some(Role::Staff),
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "sales" => Some(Role::Sales),
            "billing" => Some(Role::Billing),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Sales => "sales",
            Role::Billing => "billing",
        }
    }

    /// Owners and admins manage the reseller's users and account.
    pub fn manages_users(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// The signed-in user, loaded for this request.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: Uuid,
    pub reseller_id: Option<Uuid>,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub locale: Option<Locale>,
    /// Why the user's reseller is suspended, when it is (they may sign in, not order).
    pub reseller_suspended: Option<String>,
    /// The reseller's time zone (IANA name), which its users' pages show times in.
    pub time_zone: Option<String>,
}

impl CurrentUser {
    pub fn is_staff(&self) -> bool {
        self.role == Role::Staff
    }

    /// Refuses (403) unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// Loads the signed-in user of the session into the request (and ends sessions that are no
/// longer valid). Runs inside the session layer, before the error pages and the routes.
pub async fn load_user(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(session) = request.extensions().get::<Session>().cloned() {
        if let Ok(Some(LoginState::SignedIn { user_id, epoch })) =
            session.get::<LoginState>(keys::AUTH).await
        {
            match crate::auth::store::load_signed_in(&state.db, user_id).await {
                Ok(Some(user)) if user.session_epoch == epoch && user.status == "active" => {
                    request.extensions_mut().insert(user.into_current());
                }
                Ok(_) => {
                    // Deactivated, deleted, or signed out everywhere: this session is over.
                    let _ = session.flush().await;
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot load the signed-in user");
                    return AppError::from(e).into_response();
                }
            }
        }
    }
    next.run(request).await
}

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

impl<S> FromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
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

/// A signed-in user of a reseller (not staff), with the reseller's id.
#[derive(Clone, Debug)]
pub struct ResellerUser {
    pub user: CurrentUser,
    pub reseller_id: Uuid,
}

impl<S> FromRequestParts<S> for ResellerUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AuthRedirect;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        match user.reseller_id {
            Some(reseller_id) => Ok(Self { user, reseller_id }),
            None => Err(AuthRedirect::Fail(AppError::Forbidden)),
        }
    }
}

/// A signed-in member of the distributor's staff.
#[derive(Clone, Debug)]
pub struct StaffUser(pub CurrentUser);

impl<S> FromRequestParts<S> for StaffUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
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

/// Reads the session's login state.
pub async fn state_of(session: &Session) -> Result<Option<LoginState>, AppError> {
    Ok(session.get::<LoginState>(keys::AUTH).await?)
}
