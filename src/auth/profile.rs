//! The user's own profile: language, password, recent sign-ins, and the second factor
//! (new recovery codes, a new authenticator), each sensitive change confirmed with the password
//! and a current code.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::auth::{emails, password, store, throttle, totp};
use crate::error::AppResult;
use crate::fields::FieldErrors;
use crate::i18n::Locale;
use crate::identity::{CurrentUser, LoginState, Role};
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::forms::Form;
use crate::web::keys;
use crate::web::page::{self, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/profile", get(profile))
        .route("/profile/language", post(set_language))
        .route("/profile/password", post(change_password))
        .route("/profile/mfa", post(manage_mfa))
        .route("/profile/reminders", post(set_reminders))
}

/// A sign-in line for the table.
pub struct SignInRow {
    pub when: String,
    pub ip: String,
    pub ok: bool,
    /// The browser and system, in words; the header itself beside it, on hover.
    pub agent: String,
    pub agent_raw: String,
}

/// At most this many unused recovery codes, the profile warns: one lost phone from being
/// locked out.
const RECOVERY_CODES_LOW: i64 = 2;

#[derive(Template)]
#[template(path = "auth/profile.html")]
struct ProfilePage {
    ctx: PageCtx,
    user: CurrentUser,
    role_label: String,
    sign_ins: Vec<SignInRow>,
    codes_left_text: String,
    /// Few or no recovery codes left: a warning to make new ones.
    codes_low: bool,
    password_errors: FieldErrors,
    mfa_errors: FieldErrors,
    /// Subscription reminders by e-mail (for the users who change subscriptions).
    reminders: Option<bool>,
}

async fn render(
    state: &AppState,
    ctx: PageCtx,
    user: CurrentUser,
    password_errors: FieldErrors,
    mfa_errors: FieldErrors,
) -> AppResult<Response> {
    let status = if password_errors.is_empty() && mfa_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let sign_ins = store::recent_sign_ins(&state.db, user.id)
        .await?
        .into_iter()
        .map(|s| SignInRow {
            when: ctx.moment(s.at),
            ip: s.ip.unwrap_or_default(),
            ok: s.action == Action::SignIn,
            agent: agent_text(&ctx, s.user_agent.as_deref().unwrap_or_default()),
            agent_raw: s.user_agent.unwrap_or_default(),
        })
        .collect();
    let codes_left = store::unused_recovery_codes(&state.db, user.id).await?;
    let reminders = match user.role {
        Role::Owner | Role::Admin | Role::Sales => {
            Some(store::reminders(&state.db, user.id).await?)
        }
        Role::Billing | Role::Staff => None,
    };
    let role_label = ctx.t(user.role.key());
    let codes_left_text = ctx.t_with("profile.codes_left", &[("count", &codes_left.to_string())]);
    let codes_low = codes_left <= RECOVERY_CODES_LOW;
    Ok(page::render(
        status,
        &ProfilePage {
            ctx,
            user,
            role_label,
            sign_ins,
            codes_left_text,
            codes_low,
            password_errors,
            mfa_errors,
            reminders,
        },
    ))
}

async fn profile(
    State(state): State<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
) -> AppResult<Response> {
    render(&state, ctx, user, FieldErrors::new(), FieldErrors::new()).await
}

#[derive(Deserialize)]
struct LanguageForm {
    #[serde(default)]
    locale: String,
}

async fn set_language(
    State(state): State<AppState>,
    session: Session,
    user: CurrentUser,
    Form(form): Form<LanguageForm>,
) -> AppResult<Response> {
    let Some(locale) = Locale::from_code(&form.locale) else {
        return Err(crate::error::AppError::BadRequest);
    };
    store::set_locale(&state.db, user.id, locale).await?;
    session.insert(keys::LOCALE, locale).await?;
    flash::push(&session, Level::Success, "profile.language_saved", &[]).await;
    Ok(page::see_other("/profile"))
}

#[derive(Deserialize)]
struct RemindersForm {
    #[serde(default)]
    reminders: String,
}

/// Turns subscription reminders on (the box ticked) or off.
async fn set_reminders(
    State(state): State<AppState>,
    session: Session,
    user: CurrentUser,
    Form(form): Form<RemindersForm>,
) -> AppResult<Response> {
    let on = match form.reminders.as_str() {
        "on" => true,
        "" => false,
        _ => return Err(crate::error::AppError::BadRequest),
    };
    store::set_reminders(&state.db, user.id, on).await?;
    flash::push(&session, Level::Success, "profile.reminders_saved", &[]).await;
    Ok(page::see_other("/profile"))
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// Checks the current password (throttled like sign-in).
async fn confirm_password(
    state: &AppState,
    user: &CurrentUser,
    given: &str,
    ip: std::net::IpAddr,
) -> AppResult<Result<(), &'static str>> {
    let key = format!("{}|{ip}", user.email.to_lowercase());
    if throttle::attempt(&state.db, throttle::PASSWORD_ACCOUNT, &key)
        .await?
        .is_err()
    {
        return Ok(Err("login.locked_short"));
    }
    let hash = store::password_hash(&state.db, user.id).await?;
    if given.is_empty() || !state.passwords.verify(given, hash.as_deref()).await? {
        return Ok(Err("profile.wrong_password"));
    }
    throttle::succeeded(&state.db, throttle::PASSWORD_ACCOUNT, &key).await?;
    Ok(Ok(()))
}

async fn change_password(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::new();
    if let Err(key) = confirm_password(&state, &user, &form.current_password, ip).await? {
        errors.add("current_password", key);
    }
    if let Err(key) = password::check_new(&form.password, &user.email) {
        errors.add("password", key);
    }
    if form.password != form.password_confirm {
        errors.add("password_confirm", "password.mismatch");
    }
    if !errors.is_empty() {
        return render(&state, ctx, user, errors, FieldErrors::new()).await;
    }
    let hash = state.passwords.hash(&form.password).await?;
    let mut tx = state.db.begin().await?;
    // Every other session of this user ends (the epoch changes); this one carries on.
    let epoch = store::set_password(&mut *tx, user.id, &hash).await?;
    let locale = user.locale.unwrap_or(ctx.locale);
    state
        .mailer
        .queue(
            &mut *tx,
            &emails::password_changed(&state.config, locale, &user.email, &user.name)?,
        )
        .await?;
    audit::record(
        &mut *tx,
        audit::Entry::on_user(
            Action::PasswordChanged,
            user.id,
            user.id,
            user.reseller_id,
            ip,
        ),
    )
    .await?;
    tx.commit().await?;
    session.cycle_id().await?;
    session
        .insert(
            keys::AUTH,
            LoginState::SignedIn {
                user_id: user.id,
                epoch,
            },
        )
        .await?;
    flash::push(&session, Level::Success, "profile.password_changed", &[]).await;
    Ok(page::see_other("/profile"))
}

crate::text_enum! {
    /// What a user changes about their second factor.
    enum MfaChange {
        NewCodes = "new_codes",
        NewAuthenticator = "new_authenticator",
    }
}

#[derive(Deserialize)]
struct MfaForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    code: String,
}

async fn manage_mfa(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<MfaForm>,
) -> AppResult<Response> {
    let change = MfaChange::from_code(&form.action).ok_or(crate::error::AppError::BadRequest)?;
    let mut errors = FieldErrors::new();
    if let Err(key) = confirm_password(&state, &user, &form.current_password, ip).await? {
        errors.add("mfa_password", key);
    }
    // A current authenticator code (accepted once, like at sign-in).
    let key = user.id.to_string();
    let counted = throttle::attempt(&state.db, throttle::SECOND_FACTOR, &key).await?;
    let code_ok = match store::totp_secret(&state.db, user.id).await? {
        _ if counted.is_err() => false,
        Some(sealed) => {
            let secret = state.secrets.open(&sealed)?;
            match totp::matching_step(&secret, &form.code, totp::now()) {
                Some(step) => store::accept_totp_step(&state.db, user.id, step).await?,
                None => false,
            }
        }
        None => false,
    };
    if !code_ok {
        errors.add("mfa_code", "mfa.invalid_code");
    }
    if !errors.is_empty() {
        return render(&state, ctx, user, FieldErrors::new(), errors).await;
    }
    throttle::clear(&state.db, throttle::SECOND_FACTOR, &key).await?;
    if change == MfaChange::NewAuthenticator {
        session.insert(crate::auth::enrol::REENROL, true).await?;
        return Ok(page::see_other("/mfa/setup"));
    }
    let codes = totp::new_recovery_codes();
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| totp::hash_recovery_code(c)).collect();
    let mut tx = state.db.begin().await?;
    store::replace_recovery_codes(&mut tx, user.id, &hashes).await?;
    audit::record(
        &mut *tx,
        audit::Entry::on_user(
            Action::RecoveryCodesRegenerated,
            user.id,
            user.id,
            user.reseller_id,
            ip,
        ),
    )
    .await?;
    tx.commit().await?;
    session.insert("mfa_show_codes", &codes).await?;
    session.insert("mfa_after_codes", "/profile").await?;
    Ok(page::see_other("/mfa/recovery-codes"))
}

/// "Chrome on Windows", "Chrome", "on Windows", or "Other browser".
fn agent_text(ctx: &PageCtx, agent: &str) -> String {
    match crate::auth::browser::described(agent) {
        (Some(browser), Some(system)) => ctx.t_with(
            "profile.agent_on",
            &[("browser", browser), ("system", system)],
        ),
        (Some(browser), None) => browser.to_string(),
        (None, Some(system)) => ctx.t_with("profile.agent_other_on", &[("system", system)]),
        (None, None) => ctx.t("profile.agent_other"),
    }
}
