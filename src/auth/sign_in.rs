//! Signing in: the password, then the authenticator code or a recovery code (each throttled
//! per account and address), and signing out.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::auth::session::state_of;
use crate::auth::{device, emails, password, store, throttle, totp};
use crate::domain::Email;
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::i18n::Locale;
use crate::identity::{CurrentUser, LoginState, Role, UserStatus};
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::forms::Form;
use crate::web::keys;
use crate::web::page::{self, PageCtx};
use crate::web::redirect::safe_next;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/login/mfa", get(mfa_page).post(mfa_submit))
        .route("/logout", post(logout))
}

// ---------------------------------------------------------------- password step

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    ctx: PageCtx,
    email: String,
    next: String,
    errors: FieldErrors,
    message: Option<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(
    ctx: PageCtx,
    session: Session,
    Query(q): Query<NextQuery>,
) -> AppResult<Response> {
    if matches!(state_of(&session).await?, Some(LoginState::SignedIn { .. })) && ctx.user.is_some()
    {
        return Ok(page::see_other("/"));
    }
    let next = q
        .next
        .as_deref()
        .and_then(safe_next)
        .unwrap_or("")
        .to_string();
    Ok(page::ok(&LoginPage {
        ctx,
        email: String::new(),
        next,
        errors: FieldErrors::new(),
        message: None,
    }))
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub(crate) fn user_agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect()
}

impl LoginForm {
    /// The e-mail, when the form is complete; otherwise the messages beside its fields.
    fn parse(&self) -> Result<Email, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = Email::parse(&self.email)
            .map_err(|k| errors.add("email", k))
            .ok();
        if self.password.is_empty() {
            errors.add("password", "form.required");
        } else if self.password.chars().count() > password::MAX_LENGTH {
            errors.add("password", "form.too_long");
        }
        email.filter(|_| errors.is_empty()).ok_or(errors)
    }

    /// The sign-in page again, with what was typed (but the password).
    fn again(&self, ctx: PageCtx, errors: FieldErrors, message: Option<String>) -> Response {
        let status = if message.is_some() {
            StatusCode::TOO_MANY_REQUESTS
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let page = LoginPage {
            ctx,
            email: self.email.chars().take(254).collect(),
            next: safe_next(&self.next).unwrap_or("").to_string(),
            errors,
            message,
        };
        page::render(status, &page)
    }
}

/// A wrong password (already counted, with `locked_for` the lock that started): recorded.
async fn wrong_password(
    state: &AppState,
    locked_for: Option<i64>,
    email: &Email,
    ip: std::net::IpAddr,
    headers: &HeaderMap,
) -> AppResult<Option<i64>> {
    let action = if locked_for.is_some() {
        Action::SignInLocked
    } else {
        Action::SignInFailed
    };
    let entry = audit::Entry {
        actor: store::user_id_by_email(&state.db, email).await?,
        subject_type: Some("user"),
        details: serde_json::json!({ "email": email.as_str(), "user_agent": user_agent(headers) }),
        ip: Some(ip),
        ..audit::Entry::new(action)
    };
    audit::record(&state.db, entry).await?;
    Ok(locked_for)
}

async fn login_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let email = match form.parse() {
        Ok(email) => email,
        Err(errors) => return Ok(form.again(ctx, errors, None)),
    };
    let record = store::find_for_login(&state.db, &email).await?;
    // A browser that signed in to this account before counts apart from strangers.
    let now = time::OffsetDateTime::now_utc();
    let device = record
        .as_ref()
        .and_then(|r| device::known(&state.secrets, &headers, r.id, now));
    let keys = throttle::PasswordKeys::new(email.as_str(), ip, device.as_deref());
    let locked_if_wrong = match keys.attempt(&state.db).await? {
        Ok(lock) => lock,
        Err(secs) => {
            let message = too_many(ctx.locale, secs);
            return Ok(form.again(ctx, FieldErrors::new(), Some(message)));
        }
    };
    let hash = record
        .as_ref()
        .filter(|r| r.status == UserStatus::Active)
        .and_then(|r| r.password_hash.as_deref());
    let ok = state.passwords.verify(&form.password, hash).await?;
    let Some(record) = record.filter(|_| ok) else {
        return Ok(
            match wrong_password(&state, locked_if_wrong, &email, ip, &headers).await? {
                Some(secs) => {
                    let message = too_many(ctx.locale, secs);
                    form.again(ctx, FieldErrors::new(), Some(message))
                }
                None => form.again(ctx, FieldErrors::one("_form", "login.failed"), None),
            },
        );
    };
    keys.signed_in(&state.db).await?;
    // A new session id for the new privilege level; the second factor comes next.
    session.cycle_id().await?;
    let next = safe_next(&form.next).filter(|n| !n.is_empty());
    let pending = LoginState::Pending {
        user_id: record.id,
        epoch: record.session_epoch,
        enrol: !record.mfa_enabled,
        next: next.map(str::to_string),
    };
    session.insert(keys::AUTH, pending).await?;
    Ok(page::see_other(if record.mfa_enabled {
        "/login/mfa"
    } else {
        "/mfa/setup"
    }))
}

pub(crate) fn too_many(locale: Locale, secs: i64) -> String {
    crate::i18n::t_with(
        locale,
        "login.too_many",
        &[("minutes", &throttle::minutes(secs).to_string())],
    )
}

// ---------------------------------------------------------------- second factor

#[derive(Template)]
#[template(path = "auth/mfa.html")]
struct MfaPage {
    ctx: PageCtx,
    errors: FieldErrors,
    message: Option<String>,
}

async fn pending(session: &Session, enrol: bool) -> AppResult<Option<(Uuid, i32, Option<String>)>> {
    match state_of(session).await? {
        Some(LoginState::Pending {
            user_id,
            epoch,
            enrol: e,
            next,
        }) if e == enrol => Ok(Some((user_id, epoch, next))),
        _ => Ok(None),
    }
}

async fn mfa_page(ctx: PageCtx, session: Session) -> AppResult<Response> {
    if pending(&session, false).await?.is_none() {
        return Ok(page::see_other("/login"));
    }
    Ok(page::ok(&MfaPage {
        ctx,
        errors: FieldErrors::new(),
        message: None,
    }))
}

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    #[serde(default)]
    pub code: String,
}

/// Whether `code` is the user's authenticator code now or one of their unused recovery codes
/// (each accepted once); `(accepted, a recovery code was used)`.
async fn second_factor(state: &AppState, user_id: Uuid, code: &str) -> AppResult<(bool, bool)> {
    if code.is_empty() || code.len() > 40 {
        return Ok((false, false));
    }
    if totp::looks_like_recovery_code(code) {
        let hash = totp::hash_recovery_code(code);
        let used = store::use_recovery_code(&state.db, user_id, &hash).await?;
        return Ok((used, used));
    }
    Ok((check_totp(state, user_id, code).await?, false))
}

/// A wrong code (already counted, with `locked` the lock that started): recorded; the page
/// says why (or how long to wait).
async fn wrong_code(
    state: &AppState,
    ctx: PageCtx,
    (user_id, locked): (Uuid, Option<i64>),
    code: &str,
    ip: std::net::IpAddr,
    headers: &HeaderMap,
) -> AppResult<Response> {
    let key = user_id.to_string();
    let action = if locked.is_some() {
        Action::SecondFactorLocked
    } else {
        Action::SecondFactorFailed
    };
    let entry = audit::Entry {
        actor: Some(user_id),
        subject_type: Some("user"),
        subject_id: Some(key),
        details: serde_json::json!({ "user_agent": user_agent(headers) }),
        ip: Some(ip),
        ..audit::Entry::new(action)
    };
    audit::record(&state.db, entry).await?;
    let (status, errors, message) = match locked {
        Some(secs) => {
            let message = Some(too_many(ctx.locale, secs));
            (StatusCode::TOO_MANY_REQUESTS, FieldErrors::new(), message)
        }
        None => {
            let key = if code.is_empty() {
                "form.required"
            } else {
                "mfa.invalid_code"
            };
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                FieldErrors::one("code", key),
                None,
            )
        }
    };
    let page = MfaPage {
        ctx,
        errors,
        message,
    };
    Ok(page::render(status, &page))
}

async fn mfa_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> AppResult<Response> {
    let Some((user_id, epoch, next)) = pending(&session, false).await? else {
        return Ok(page::see_other("/login"));
    };
    let key = user_id.to_string();
    let counted = match throttle::attempt(&state.db, throttle::SECOND_FACTOR, &key).await? {
        Ok(counted) => counted,
        Err(secs) => {
            let message = Some(too_many(ctx.locale, secs));
            let page = MfaPage {
                ctx,
                errors: FieldErrors::new(),
                message,
            };
            return Ok(page::render(StatusCode::TOO_MANY_REQUESTS, &page));
        }
    };
    let code = form.code.trim();
    let (accepted, used_recovery) = second_factor(&state, user_id, code).await?;
    if !accepted {
        let who = (user_id, counted.lock_secs);
        return wrong_code(&state, ctx, who, code, ip, &headers).await;
    }
    throttle::clear(&state.db, throttle::SECOND_FACTOR, &key).await?;
    // A recovery code means the authenticator may be lost, or the account taken: every other
    // session ends, and the user is told.
    let epoch = if used_recovery {
        let mut tx = state.db.begin().await?;
        let epoch = store::end_sessions(&mut *tx, user_id).await?;
        let change = emails::AccountChange::RecoverySignIn;
        emails::queue_account_changed(&mut tx, &state, user_id, change).await?;
        tx.commit().await?;
        epoch
    } else {
        epoch
    };
    let signed_in = complete_sign_in(&state, &session, user_id, epoch, next, ip, &headers).await?;
    if used_recovery {
        let left = store::unused_recovery_codes(&state.db, user_id).await?;
        let level = if left <= 2 { Level::Error } else { Level::Info };
        let count = left.to_string();
        flash::push(&session, level, "mfa.recovery_used", &[("count", &count)]).await;
    }
    Ok(signed_in.known_device(page::see_other(&signed_in.destination)))
}

/// Checks an authenticator code and records its time step (accepted once, across sessions).
async fn check_totp(state: &AppState, user_id: Uuid, code: &str) -> AppResult<bool> {
    let Some(sealed) = store::totp_secret(&state.db, user_id).await? else {
        return Ok(false);
    };
    let secret = state.secrets.open(&sealed)?;
    match totp::matching_step(&secret, code, totp::now()) {
        Some(step) => Ok(store::accept_totp_step(&state.db, user_id, step).await?),
        None => Ok(false),
    }
}

/// A complete sign-in: where to go, and the cookie that makes this browser a known device of
/// the account.
pub(crate) struct SignedIn {
    pub destination: String,
    device: Option<axum::http::HeaderValue>,
}

impl SignedIn {
    /// `response` with the device cookie set.
    pub fn known_device(&self, mut response: Response) -> Response {
        if let Some(cookie) = &self.device {
            let headers = response.headers_mut();
            headers.append(axum::http::header::SET_COOKIE, cookie.clone());
        }
        response
    }
}

/// The second factor is done: new session id, signed in, recorded.
pub(crate) async fn complete_sign_in(
    state: &AppState,
    session: &Session,
    user_id: Uuid,
    epoch: i32,
    next: Option<String>,
    ip: std::net::IpAddr,
    headers: &HeaderMap,
) -> AppResult<SignedIn> {
    let user = store::load_signed_in(&state.db, user_id)
        .await?
        .ok_or(AppError::Forbidden)?;
    session.cycle_id().await?;
    session
        .insert(keys::AUTH, LoginState::SignedIn { user_id, epoch })
        .await?;
    if let Some(locale) = user.locale {
        session.insert(keys::LOCALE, locale).await?;
    }
    store::mark_signed_in(&state.db, user_id).await?;
    audit::record(
        &state.db,
        audit::Entry {
            reseller_id: user.reseller_id,
            actor: Some(user_id),
            subject_type: Some("user"),
            subject_id: Some(user_id.to_string()),
            details: serde_json::json!({ "user_agent": user_agent(headers) }),
            ip: Some(ip),
            ..audit::Entry::new(Action::SignIn)
        },
    )
    .await?;
    let home = if user.role == Role::Staff {
        "/staff"
    } else {
        "/"
    };
    let now = time::OffsetDateTime::now_utc();
    Ok(SignedIn {
        destination: next
            .as_deref()
            .and_then(safe_next)
            .unwrap_or(home)
            .to_string(),
        device: device::issue(&state.secrets, &state.config, user_id, now),
    })
}

// ---------------------------------------------------------------- sign-out

async fn logout(
    State(state): State<AppState>,
    session: Session,
    user: Option<CurrentUserOpt>,
    ClientIp(ip): ClientIp,
) -> AppResult<Response> {
    if let Some(CurrentUserOpt(u)) = user {
        audit::record(
            &state.db,
            audit::Entry::on_user(Action::SignOut, u.id, u.id, u.reseller_id, ip),
        )
        .await?;
    }
    // Deletes the session on the server, not just the cookie, and never reuses its id.
    session.flush().await?;
    session.cycle_id().await?;
    flash::push(&session, Level::Success, "login.signed_out", &[]).await;
    Ok(page::see_other("/login"))
}

/// The signed-in user when there is one (sign-out works for any session).
struct CurrentUserOpt(CurrentUser);

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for CurrentUserOpt {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .map(CurrentUserOpt))
    }
}
