//! Setting up the second factor: the authenticator (QR code and key), confirmed with a code,
//! and the ten recovery codes shown once. A first sign-in must finish it; a signed-in user
//! replaces their authenticator here after re-entering the password on the profile.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::auth::session::state_of;
use crate::auth::{emails, store, totp};
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::{CurrentUser, LoginState};
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::forms::Form;
use crate::web::page::{self, PageCtx, Rendered};
use crate::web::redirect::safe_next;

/// Session key of a seed being enrolled (sealed), and of recovery codes to show once.
const PENDING_SECRET: &str = "mfa_pending_secret";
const SHOW_CODES: &str = "mfa_show_codes";
/// Set when a signed-in user replaces their authenticator.
pub const REENROL: &str = "mfa_reenrol";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mfa/setup", get(setup_page).post(setup_submit))
        .route("/mfa/recovery-codes", get(codes_page).post(codes_done))
        .route("/mfa/recovery-codes.txt", get(codes_download))
}

use crate::auth::sign_in::{CodeForm, complete_sign_in};

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

/// Saves the confirmed authenticator and ten new recovery codes (the old ones stop working),
/// recorded, and for a replacement mails the user; the codes, to show once, and the user's
/// epoch. `None` when a first enrolment finds an authenticator already there.
async fn save_authenticator(
    state: &AppState,
    user_id: Uuid,
    secret: &[u8],
    step: i64,
    reenrol: bool,
    ip: std::net::IpAddr,
) -> AppResult<Option<(Vec<String>, i32)>> {
    let codes = totp::new_recovery_codes();
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| totp::hash_recovery_code(c)).collect();
    let mut tx = state.db.begin().await?;
    let sealed = state.secrets.seal(secret);
    let Some(epoch) = store::set_totp(&mut *tx, user_id, &sealed, step, reenrol).await? else {
        return Ok(None);
    };
    store::replace_recovery_codes(&mut tx, user_id, &hashes).await?;
    let reseller_id = store::reseller_of(&mut *tx, user_id).await?;
    let action = if reenrol {
        let change = emails::AccountChange::Authenticator;
        emails::queue_account_changed(&mut tx, state, user_id, change).await?;
        Action::MfaReset
    } else {
        Action::MfaEnrolled
    };
    let entry = audit::Entry::on_user(action, user_id, user_id, reseller_id, ip);
    audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    Ok(Some((codes, epoch)))
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
        let key = if form.code.trim().is_empty() {
            "form.required"
        } else {
            "mfa.invalid_code"
        };
        let (errors, status) = (
            FieldErrors::one("code", key),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        return setup_view(&state, &session, ctx, &email, errors, status).await;
    };
    let reenrol = session.get::<bool>(REENROL).await?.unwrap_or(false);
    let Some((codes, epoch)) =
        save_authenticator(&state, user_id, &secret, step, reenrol, ip).await?
    else {
        // Enrolled from another session meanwhile: this one starts again.
        session.flush().await?;
        flash::push(&session, Level::Error, "mfa.already_enrolled", &[]).await;
        return Ok(page::see_other("/login"));
    };
    session.remove::<Vec<u8>>(PENDING_SECRET).await?;
    session.remove::<bool>(REENROL).await?;
    session.insert(SHOW_CODES, &codes).await?;
    if !reenrol {
        // Enrolment completes the first sign-in.
        if let Some(LoginState::Pending { epoch, next, .. }) = state_of(&session).await? {
            let signed_in =
                complete_sign_in(&state, &session, user_id, epoch, next, ip, &headers).await?;
            session
                .insert("mfa_after_codes", &signed_in.destination)
                .await?;
            return Ok(signed_in.known_device(page::see_other("/mfa/recovery-codes")));
        }
    } else {
        // Every other session has ended (the epoch moved on); this one goes on.
        session.cycle_id().await?;
        let state = LoginState::SignedIn { user_id, epoch };
        session.insert(crate::web::keys::AUTH, state).await?;
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
