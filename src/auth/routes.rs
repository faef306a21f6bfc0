//! Sign-in (password, then the authenticator code or a recovery code), MFA enrolment, sign-out,
//! forgotten passwords and invitations.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::auth::session::state_of;
use crate::auth::{emails, password, store, throttle, totp};
use crate::domain::Email;
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::i18n::Locale;
use crate::identity::{CurrentUser, LoginState, Role};
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::forms::Form;
use crate::web::keys;
use crate::web::page::{self, PageCtx, Rendered};
use crate::web::redirect::safe_next;

/// Session key of a seed being enrolled (sealed), and of recovery codes to show once.
const PENDING_SECRET: &str = "mfa_pending_secret";
const SHOW_CODES: &str = "mfa_show_codes";
/// Set when a signed-in user replaces their authenticator.
pub const REENROL: &str = "mfa_reenrol";

pub const RESET_VALID_MINUTES: i64 = 30;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/login/mfa", get(mfa_page).post(mfa_submit))
        .route("/mfa/setup", get(setup_page).post(setup_submit))
        .route("/mfa/recovery-codes", get(codes_page).post(codes_done))
        .route("/mfa/recovery-codes.txt", get(codes_download))
        .route("/logout", axum::routing::post(logout))
        .route("/password/forgot", get(forgot_page).post(forgot_submit))
        .route(
            "/password/reset/{token}",
            get(reset_page).post(reset_submit),
        )
        .route(
            "/invitation/{token}",
            get(invitation_page).post(invitation_submit),
        )
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    ctx: PageCtx,
    welcome: String,
}

async fn home(ctx: PageCtx, user: CurrentUser) -> Response {
    if user.is_staff() {
        return page::see_other("/staff");
    }
    let welcome = ctx.t_with("home.welcome", &[("name", &user.name)]);
    page::ok(&HomePage { ctx, welcome })
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

fn user_agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect()
}

async fn login_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::new();
    let email = Email::parse(&form.email)
        .map_err(|k| errors.add("email", k))
        .ok();
    if form.password.is_empty() {
        errors.add("password", "form.required");
    } else if form.password.chars().count() > password::MAX_LENGTH {
        errors.add("password", "form.too_long");
    }
    let next = safe_next(&form.next).unwrap_or("").to_string();
    let typed: String = form.email.chars().take(254).collect();
    let again = |ctx: PageCtx, errors: FieldErrors, message: Option<String>, status: StatusCode| {
        page::render(
            status,
            &LoginPage {
                ctx,
                email: typed.clone(),
                next: next.clone(),
                errors,
                message,
            },
        )
    };
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return Ok(again(ctx, errors, None, StatusCode::UNPROCESSABLE_ENTITY));
    };

    let account_key = format!("{}|{ip}", email.as_str().to_lowercase());
    let global_key = email.as_str().to_lowercase();
    let ip_key = ip.to_string();
    for (policy, key) in [
        (throttle::PASSWORD_ADDRESS, ip_key.as_str()),
        (throttle::PASSWORD_ACCOUNT, account_key.as_str()),
        (throttle::PASSWORD_ACCOUNT_GLOBAL, global_key.as_str()),
    ] {
        if let Some(secs) = throttle::locked(&state.db, policy, key).await? {
            let message = too_many(ctx.locale, secs);
            return Ok(again(
                ctx,
                errors,
                Some(message),
                StatusCode::TOO_MANY_REQUESTS,
            ));
        }
    }

    let record = store::find_for_login(&state.db, &email).await?;
    let hash = record
        .as_ref()
        .filter(|r| r.status == "active")
        .and_then(|r| r.password_hash.as_deref());
    let ok = state.passwords.verify(&form.password, hash).await?;
    let Some(record) = record.filter(|_| ok) else {
        let mut locked_for = None;
        for (policy, key) in [
            (throttle::PASSWORD_ADDRESS, ip_key.as_str()),
            (throttle::PASSWORD_ACCOUNT, account_key.as_str()),
            (throttle::PASSWORD_ACCOUNT_GLOBAL, global_key.as_str()),
        ] {
            if let Some(secs) = throttle::fail(&state.db, policy, key).await? {
                locked_for = Some(locked_for.map_or(secs, |s: i64| s.max(secs)));
            }
        }
        let actor =
            sqlx::query_scalar::<_, Uuid>("SELECT id FROM users WHERE email = $1::text::citext")
                .bind(email.as_str())
                .fetch_optional(&state.db)
                .await?;
        audit::record(
            &state.db,
            audit::Entry {
                actor,
                subject_type: Some("user"),
                details: serde_json::json!({ "email": email.as_str(), "user_agent": user_agent(&headers) }),
                ip: Some(ip),
                ..audit::Entry::new(if locked_for.is_some() { Action::SignInLocked } else { Action::SignInFailed })
            },
        )
        .await?;
        if let Some(secs) = locked_for {
            let message = too_many(ctx.locale, secs);
            return Ok(again(
                ctx,
                errors,
                Some(message),
                StatusCode::TOO_MANY_REQUESTS,
            ));
        }
        errors.add("_form", "login.failed");
        return Ok(again(ctx, errors, None, StatusCode::UNPROCESSABLE_ENTITY));
    };

    throttle::clear(&state.db, throttle::PASSWORD_ACCOUNT, &account_key).await?;
    // A new session id for the new privilege level; the second factor comes next.
    session.cycle_id().await?;
    session
        .insert(
            keys::AUTH,
            LoginState::Pending {
                user_id: record.id,
                epoch: record.session_epoch,
                enrol: !record.mfa_enabled,
                next: (!next.is_empty()).then_some(next),
            },
        )
        .await?;
    Ok(page::see_other(if record.mfa_enabled {
        "/login/mfa"
    } else {
        "/mfa/setup"
    }))
}

fn too_many(locale: Locale, secs: i64) -> String {
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
struct CodeForm {
    #[serde(default)]
    code: String,
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
    if let Some(secs) = throttle::locked(&state.db, throttle::SECOND_FACTOR, &key).await? {
        let message = too_many(ctx.locale, secs);
        return Ok(page::render(
            StatusCode::TOO_MANY_REQUESTS,
            &MfaPage {
                ctx,
                errors: FieldErrors::new(),
                message: Some(message),
            },
        ));
    }
    let code = form.code.trim();
    let mut used_recovery = false;
    let accepted = if code.is_empty() || code.len() > 40 {
        false
    } else if totp::looks_like_recovery_code(code) {
        used_recovery =
            store::use_recovery_code(&state.db, user_id, &totp::hash_recovery_code(code)).await?;
        used_recovery
    } else {
        check_totp(&state, user_id, code).await?
    };
    if !accepted {
        let locked = throttle::fail(&state.db, throttle::SECOND_FACTOR, &key).await?;
        audit::record(
            &state.db,
            audit::Entry {
                actor: Some(user_id),
                subject_type: Some("user"),
                subject_id: Some(key.clone()),
                details: serde_json::json!({ "user_agent": user_agent(&headers) }),
                ip: Some(ip),
                ..audit::Entry::new(if locked.is_some() {
                    Action::SecondFactorLocked
                } else {
                    Action::SecondFactorFailed
                })
            },
        )
        .await?;
        let mut errors = FieldErrors::new();
        let (status, message) = match locked {
            Some(secs) => (
                StatusCode::TOO_MANY_REQUESTS,
                Some(too_many(ctx.locale, secs)),
            ),
            None => {
                errors.add(
                    "code",
                    if code.is_empty() {
                        "form.required"
                    } else {
                        "mfa.invalid_code"
                    },
                );
                (StatusCode::UNPROCESSABLE_ENTITY, None)
            }
        };
        return Ok(page::render(
            status,
            &MfaPage {
                ctx,
                errors,
                message,
            },
        ));
    }
    throttle::clear(&state.db, throttle::SECOND_FACTOR, &key).await?;
    let destination =
        complete_sign_in(&state, &session, user_id, epoch, next, ip, &headers).await?;
    if used_recovery {
        let left = store::unused_recovery_codes(&state.db, user_id).await?;
        flash::push(
            &session,
            if left <= 2 { Level::Error } else { Level::Info },
            "mfa.recovery_used",
            &[("count", &left.to_string())],
        )
        .await;
    }
    Ok(page::see_other(&destination))
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

/// The second factor is done: new session id, signed in, recorded.
async fn complete_sign_in(
    state: &AppState,
    session: &Session,
    user_id: Uuid,
    epoch: i32,
    next: Option<String>,
    ip: std::net::IpAddr,
    headers: &HeaderMap,
) -> AppResult<String> {
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
    Ok(next
        .as_deref()
        .and_then(safe_next)
        .unwrap_or(home)
        .to_string())
}

// ---------------------------------------------------------------- enrolment

#[derive(Template)]
#[template(path = "auth/mfa_setup.html")]
struct SetupPage {
    ctx: PageCtx,
    qr_base64: String,
    secret_text: String,
    otpauth_url: String,
    errors: FieldErrors,
}

/// Who is enrolling: a pending first sign-in, or a signed-in user replacing the authenticator.
async fn enrolling(state: &AppState, session: &Session) -> AppResult<Option<(Uuid, String)>> {
    let user_id = match state_of(session).await? {
        Some(LoginState::Pending {
            user_id,
            enrol: true,
            ..
        }) => user_id,
        Some(LoginState::SignedIn { user_id, .. })
            if session.get::<bool>(REENROL).await?.unwrap_or(false) =>
        {
            user_id
        }
        _ => return Ok(None),
    };
    let email = store::load_signed_in(&state.db, user_id)
        .await?
        .map(|u| u.email)
        .ok_or(AppError::Forbidden)?;
    Ok(Some((user_id, email)))
}

async fn pending_secret(state: &AppState, session: &Session) -> AppResult<Vec<u8>> {
    if let Some(sealed) = session.get::<Vec<u8>>(PENDING_SECRET).await? {
        if let Ok(secret) = state.secrets.open(&sealed) {
            return Ok(secret);
        }
    }
    let secret = totp::new_secret();
    session
        .insert(PENDING_SECRET, state.secrets.seal(&secret))
        .await?;
    Ok(secret)
}

async fn setup_view(
    state: &AppState,
    session: &Session,
    ctx: PageCtx,
    email: &str,
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<Response> {
    let secret = pending_secret(state, session).await?;
    let (otpauth_url, qr_base64) = totp::enrolment(&secret, email)?;
    Ok(page::render(
        status,
        &SetupPage {
            ctx,
            qr_base64,
            secret_text: totp::secret_text(&secret),
            otpauth_url,
            errors,
        },
    ))
}

async fn setup_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
) -> AppResult<Response> {
    let Some((_, email)) = enrolling(&state, &session).await? else {
        return Ok(page::see_other("/login"));
    };
    setup_view(
        &state,
        &session,
        ctx,
        &email,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn setup_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> AppResult<Response> {
    let Some((user_id, email)) = enrolling(&state, &session).await? else {
        return Ok(page::see_other("/login"));
    };
    let secret = pending_secret(&state, &session).await?;
    let Some(step) = totp::matching_step(&secret, &form.code, totp::now()) else {
        let errors = FieldErrors::one(
            "code",
            if form.code.trim().is_empty() {
                "form.required"
            } else {
                "mfa.invalid_code"
            },
        );
        return setup_view(
            &state,
            &session,
            ctx,
            &email,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let codes = totp::new_recovery_codes();
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| totp::hash_recovery_code(c)).collect();
    let reenrol = session.get::<bool>(REENROL).await?.unwrap_or(false);
    let mut tx = state.db.begin().await?;
    store::set_totp(&mut *tx, user_id, &state.secrets.seal(&secret), step).await?;
    store::replace_recovery_codes(&mut tx, user_id, &hashes).await?;
    let reseller_id =
        sqlx::query_scalar::<_, Option<Uuid>>("SELECT reseller_id FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
    audit::record(
        &mut *tx,
        audit::Entry {
            reseller_id,
            actor: Some(user_id),
            subject_type: Some("user"),
            subject_id: Some(user_id.to_string()),
            ip: Some(ip),
            ..audit::Entry::new(if reenrol {
                Action::MfaReset
            } else {
                Action::MfaEnrolled
            })
        },
    )
    .await?;
    tx.commit().await?;

    session.remove::<Vec<u8>>(PENDING_SECRET).await?;
    session.remove::<bool>(REENROL).await?;
    session.insert(SHOW_CODES, &codes).await?;
    if !reenrol {
        // Enrolment completes the first sign-in.
        if let Some(LoginState::Pending { epoch, next, .. }) = state_of(&session).await? {
            let destination =
                complete_sign_in(&state, &session, user_id, epoch, next, ip, &headers).await?;
            session.insert("mfa_after_codes", destination).await?;
        }
    } else {
        session.cycle_id().await?;
        session.insert("mfa_after_codes", "/profile").await?;
    }
    Ok(page::see_other("/mfa/recovery-codes"))
}

#[derive(Template)]
#[template(path = "auth/recovery_codes.html")]
struct CodesPage {
    ctx: PageCtx,
    codes: Vec<String>,
}

async fn codes_page(ctx: PageCtx, session: Session, _user: CurrentUser) -> AppResult<Response> {
    let Some(codes) = session.get::<Vec<String>>(SHOW_CODES).await? else {
        return Ok(page::see_other("/"));
    };
    Ok(page::ok(&CodesPage { ctx, codes }))
}

async fn codes_download(session: Session, _user: CurrentUser, ctx: PageCtx) -> AppResult<Response> {
    let Some(codes) = session.get::<Vec<String>>(SHOW_CODES).await? else {
        return Err(AppError::NotFound);
    };
    let mut text = format!("{}\n\n", ctx.t("mfa.codes_file_title"));
    for c in codes {
        text.push_str(&c);
        text.push('\n');
    }
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"recovery-codes.txt\"",
            ),
        ],
        text,
    )
        .into_response();
    response.extensions_mut().insert(Rendered);
    Ok(response)
}

async fn codes_done(session: Session, _user: CurrentUser) -> AppResult<Response> {
    session.remove::<Vec<String>>(SHOW_CODES).await?;
    let destination = session
        .remove::<String>("mfa_after_codes")
        .await?
        .unwrap_or_else(|| "/".into());
    Ok(page::see_other(safe_next(&destination).unwrap_or("/")))
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

// ---------------------------------------------------------------- forgotten password

#[derive(Template)]
#[template(path = "auth/forgot.html")]
struct ForgotPage {
    ctx: PageCtx,
    email: String,
    errors: FieldErrors,
    sent: bool,
    message: Option<String>,
}

async fn forgot_page(ctx: PageCtx) -> Response {
    page::ok(&ForgotPage {
        ctx,
        email: String::new(),
        errors: FieldErrors::new(),
        sent: false,
        message: None,
    })
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    email: String,
}

async fn forgot_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    ClientIp(ip): ClientIp,
    Form(form): Form<ForgotForm>,
) -> AppResult<Response> {
    let typed: String = form.email.chars().take(254).collect();
    let email = match Email::parse(&form.email) {
        Ok(e) => e,
        Err(key) => {
            let errors = FieldErrors::one("email", key);
            return Ok(page::render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ForgotPage {
                    ctx,
                    email: typed,
                    errors,
                    sent: false,
                    message: None,
                },
            ));
        }
    };
    let ip_key = ip.to_string();
    if let Some(secs) = throttle::locked(&state.db, throttle::RESET_ADDRESS, &ip_key).await? {
        let message = too_many(ctx.locale, secs);
        return Ok(page::render(
            StatusCode::TOO_MANY_REQUESTS,
            &ForgotPage {
                ctx,
                email: typed,
                errors: FieldErrors::new(),
                sent: false,
                message: Some(message),
            },
        ));
    }
    // Every request counts towards the address's limit.
    throttle::fail(&state.db, throttle::RESET_ADDRESS, &ip_key).await?;

    let email_key = email.as_str().to_lowercase();
    let quiet = throttle::locked(&state.db, throttle::RESET_EMAIL, &email_key)
        .await?
        .is_some();
    if !quiet {
        throttle::fail(&state.db, throttle::RESET_EMAIL, &email_key).await?;
        let record = store::find_for_login(&state.db, &email).await?;
        if let Some(user) = record.filter(|r| r.status == "active") {
            let mut tx = state.db.begin().await?;
            let token = store::create_token(
                &mut *tx,
                user.id,
                "password_reset",
                time::Duration::minutes(RESET_VALID_MINUTES),
            )
            .await?;
            let locale = user
                .locale
                .as_deref()
                .and_then(Locale::from_code)
                .unwrap_or(ctx.locale);
            let link = state.config.link(&format!("/password/reset/{token}"));
            crate::mail::queue(
                &mut *tx,
                &emails::password_reset(locale, email.as_str(), &user.name, &link)?,
            )
            .await?;
            audit::record(
                &mut *tx,
                audit::Entry::on_user(Action::PasswordResetRequested, user.id, user.id, None, ip),
            )
            .await?;
            tx.commit().await?;
        }
    }
    // The same answer whether or not the account exists.
    Ok(page::ok(&ForgotPage {
        ctx,
        email: String::new(),
        errors: FieldErrors::new(),
        sent: true,
        message: None,
    }))
}

#[derive(Template)]
#[template(path = "auth/new_password.html")]
struct NewPasswordPage {
    ctx: PageCtx,
    action: String,
    title_key: &'static str,
    intro: String,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "auth/link_invalid.html")]
struct LinkInvalidPage {
    ctx: PageCtx,
    invitation: bool,
}

fn link_invalid(ctx: PageCtx, invitation: bool) -> Response {
    page::render(StatusCode::GONE, &LinkInvalidPage { ctx, invitation })
}

/// Tokens are URL-safe base64 of 32 bytes; anything else is not worth a database look-up.
fn plausible_token(token: &str) -> bool {
    token.len() == 43
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

async fn reset_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(token): Path<String>,
) -> AppResult<Response> {
    if !plausible_token(&token)
        || store::peek_token(&state.db, &token, "password_reset")
            .await?
            .is_none()
    {
        return Ok(link_invalid(ctx, false));
    }
    let intro = ctx.t("reset.intro");
    Ok(page::ok(&NewPasswordPage {
        ctx,
        action: format!("/password/reset/{token}"),
        title_key: "reset.title",
        intro,
        errors: FieldErrors::new(),
    }))
}

#[derive(Deserialize)]
struct NewPasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

fn check_new_password(form: &NewPasswordForm, email: &str) -> FieldErrors {
    let mut errors = FieldErrors::new();
    if let Err(key) = password::check_new(&form.password, email) {
        errors.add("password", key);
    }
    if form.password != form.password_confirm {
        errors.add("password_confirm", "password.mismatch");
    }
    errors
}

async fn reset_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    Form(form): Form<NewPasswordForm>,
) -> AppResult<Response> {
    if !plausible_token(&token) {
        return Ok(link_invalid(ctx, false));
    }
    let Some(owner) = store::peek_token(&state.db, &token, "password_reset").await? else {
        return Ok(link_invalid(ctx, false));
    };
    let errors = check_new_password(&form, &owner.email);
    if !errors.is_empty() {
        let intro = ctx.t("reset.intro");
        return Ok(page::render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NewPasswordPage {
                ctx,
                action: format!("/password/reset/{token}"),
                title_key: "reset.title",
                intro,
                errors,
            },
        ));
    }
    let hash = state.passwords.hash(&form.password).await?;
    let mut tx = state.db.begin().await?;
    // The database decides which of two simultaneous submissions uses the link.
    let Some(user_id) = store::consume_token(&mut *tx, &token, "password_reset").await? else {
        return Ok(link_invalid(ctx, false));
    };
    store::set_password(&mut *tx, user_id, &hash).await?;
    sqlx::query("UPDATE auth_tokens SET used_at = now() WHERE user_id = $1 AND purpose = 'password_reset' AND used_at IS NULL")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let locale = owner
        .locale
        .as_deref()
        .and_then(Locale::from_code)
        .unwrap_or(ctx.locale);
    crate::mail::queue(
        &mut *tx,
        &emails::password_changed(&state.config, locale, &owner.email, &owner.name)?,
    )
    .await?;
    audit::record(
        &mut *tx,
        audit::Entry::on_user(Action::PasswordReset, user_id, user_id, None, ip),
    )
    .await?;
    tx.commit().await?;
    let email_key = owner.email.to_lowercase();
    throttle::clear(&state.db, throttle::PASSWORD_ACCOUNT_GLOBAL, &email_key).await?;
    throttle::clear(
        &state.db,
        throttle::PASSWORD_ACCOUNT,
        &format!("{email_key}|{ip}"),
    )
    .await?;
    // Whatever this browser was doing, it starts again at the sign-in page.
    session.flush().await?;
    session.cycle_id().await?;
    flash::push(&session, Level::Success, "reset.done", &[]).await;
    Ok(page::see_other("/login"))
}

// ---------------------------------------------------------------- invitations

async fn invitation_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let owner = if plausible_token(&token) {
        store::peek_token(&state.db, &token, "invitation").await?
    } else {
        None
    };
    let Some(owner) = owner else {
        return Ok(link_invalid(ctx, true));
    };
    let intro = ctx.t_with(
        "invitation.intro",
        &[("name", &owner.name), ("email", &owner.email)],
    );
    Ok(page::ok(&NewPasswordPage {
        ctx,
        action: format!("/invitation/{token}"),
        title_key: "invitation.title",
        intro,
        errors: FieldErrors::new(),
    }))
}

async fn invitation_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    Form(form): Form<NewPasswordForm>,
) -> AppResult<Response> {
    let owner = if plausible_token(&token) {
        store::peek_token(&state.db, &token, "invitation").await?
    } else {
        None
    };
    let Some(owner) = owner else {
        return Ok(link_invalid(ctx, true));
    };
    let errors = check_new_password(&form, &owner.email);
    if !errors.is_empty() {
        let intro = ctx.t_with(
            "invitation.intro",
            &[("name", &owner.name), ("email", &owner.email)],
        );
        return Ok(page::render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NewPasswordPage {
                ctx,
                action: format!("/invitation/{token}"),
                title_key: "invitation.title",
                intro,
                errors,
            },
        ));
    }
    let hash = state.passwords.hash(&form.password).await?;
    let mut tx = state.db.begin().await?;
    let Some(user_id) = store::consume_token(&mut *tx, &token, "invitation").await? else {
        return Ok(link_invalid(ctx, true));
    };
    let epoch = store::set_password(&mut *tx, user_id, &hash).await?;
    let reseller_id =
        sqlx::query_scalar::<_, Option<Uuid>>("SELECT reseller_id FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
    audit::record(
        &mut *tx,
        audit::Entry {
            reseller_id,
            actor: Some(user_id),
            subject_type: Some("user"),
            subject_id: Some(user_id.to_string()),
            ip: Some(ip),
            ..audit::Entry::new(Action::InvitationAccepted)
        },
    )
    .await?;
    tx.commit().await?;
    // Straight on to setting up the second factor.
    session.cycle_id().await?;
    session
        .insert(
            keys::AUTH,
            LoginState::Pending {
                user_id,
                epoch,
                enrol: true,
                next: None,
            },
        )
        .await?;
    Ok(page::see_other("/mfa/setup"))
}
