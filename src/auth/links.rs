//! The links mailed to users: the forgotten-password link (valid once for 30 minutes) and the
//! invitation; both lead to choosing a password, which `choose_password` checks and sets for
//! both, using the link once whatever the retries.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use sqlx::{Postgres, Transaction};
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::auth::sign_in::too_many;
use crate::auth::store::{TokenOwner, TokenPurpose};
use crate::auth::{emails, password, store, throttle};
use crate::domain::Email;
use crate::error::AppResult;
use crate::fields::FieldErrors;
use crate::i18n::Locale;
use crate::identity::{LoginState, UserStatus};
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::forms::Form;
use crate::web::keys;
use crate::web::page::{self, PageCtx};

pub const RESET_VALID_MINUTES: i64 = 30;

pub fn router() -> Router<AppState> {
    Router::new()
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

/// Mails a reset link to `email` when it is an active account, unless that address has been
/// sent enough for now (silently: the page never says whether the account exists).
async fn send_reset_link(
    state: &AppState,
    locale: Locale,
    email: &Email,
    ip: std::net::IpAddr,
) -> AppResult<()> {
    let email_key = email.as_str().to_lowercase();
    // Every request counts towards the e-mail's limit.
    if throttle::attempt(&state.db, throttle::RESET_EMAIL, &email_key)
        .await?
        .is_err()
    {
        return Ok(());
    }
    let record = store::find_for_login(&state.db, email).await?;
    let Some(user) = record.filter(|r| r.status == UserStatus::Active) else {
        return Ok(());
    };
    let mut tx = state.db.begin().await?;
    let valid_for = time::Duration::minutes(RESET_VALID_MINUTES);
    let purpose = TokenPurpose::PasswordReset;
    let token = store::create_token(&mut *tx, user.id, purpose, valid_for).await?;
    let locale = user.locale.unwrap_or(locale);
    let link = state.config.link(&format!("/password/reset/{token}"));
    let mail = emails::password_reset(locale, email.as_str(), &user.name, &link)?;
    state.mailer.queue(&mut *tx, &mail).await?;
    let entry = audit::Entry::on_user(Action::PasswordResetRequested, user.id, user.id, None, ip);
    audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

async fn forgot_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    ClientIp(ip): ClientIp,
    Form(form): Form<ForgotForm>,
) -> AppResult<Response> {
    let again = |ctx, errors, message: Option<String>| {
        let status = if message.is_some() {
            StatusCode::TOO_MANY_REQUESTS
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let page = ForgotPage {
            ctx,
            email: form.email.chars().take(254).collect(),
            errors,
            sent: false,
            message,
        };
        page::render(status, &page)
    };
    let email = match Email::parse(&form.email) {
        Ok(e) => e,
        Err(key) => return Ok(again(ctx, FieldErrors::one("email", key), None)),
    };
    let ip_key = ip.to_string();
    // Every request counts towards the address's limit.
    if let Err(secs) = throttle::attempt(&state.db, throttle::RESET_ADDRESS, &ip_key).await? {
        let message = too_many(ctx.locale, secs);
        return Ok(again(ctx, FieldErrors::new(), Some(message)));
    }
    send_reset_link(&state, ctx.locale, &email, ip).await?;
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

/// The two links that lead to choosing a password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    Reset,
    Invitation,
}

impl Link {
    fn purpose(self) -> TokenPurpose {
        match self {
            Link::Reset => TokenPurpose::PasswordReset,
            Link::Invitation => TokenPurpose::Invitation,
        }
    }

    fn action(self, token: &str) -> String {
        match self {
            Link::Reset => format!("/password/reset/{token}"),
            Link::Invitation => format!("/invitation/{token}"),
        }
    }

    /// The password page of this link for `owner`, with `errors`.
    fn page(self, ctx: PageCtx, token: &str, owner: &TokenOwner, errors: FieldErrors) -> Response {
        let (title_key, intro) = match self {
            Link::Reset => ("reset.title", ctx.t("reset.intro")),
            Link::Invitation => (
                "invitation.title",
                ctx.t_with(
                    "invitation.intro",
                    &[("name", &owner.name), ("email", &owner.email)],
                ),
            ),
        };
        let status = crate::web::page::form_status(&errors);
        let page = NewPasswordPage {
            action: self.action(token),
            title_key,
            intro,
            errors,
            ctx,
        };
        page::render(status, &page)
    }

    /// The page of a link that expired, was used, or never existed (410).
    fn invalid(self, ctx: PageCtx) -> Response {
        let invitation = self == Link::Invitation;
        page::render(StatusCode::GONE, &LinkInvalidPage { ctx, invitation })
    }

    /// The user the link is for, while it can be used.
    async fn owner(self, state: &AppState, token: &str) -> AppResult<Option<TokenOwner>> {
        if !plausible_token(token) {
            return Ok(None);
        }
        Ok(store::peek_token(&state.db, token, self.purpose()).await?)
    }
}

/// Tokens are URL-safe base64 of 32 bytes; anything else is not worth a database look-up.
fn plausible_token(token: &str) -> bool {
    token.len() == 43
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
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

/// A password chosen through a link: set, and the link used, in the transaction the caller
/// finishes.
struct Chosen {
    tx: Transaction<'static, Postgres>,
    user_id: Uuid,
    epoch: i32,
    owner: TokenOwner,
}

/// The step both links share: checks the link and the new password, then sets it, using the
/// link once (the database decides which of two simultaneous submissions does). `Err` is the
/// page to answer instead.
async fn choose_password(
    state: &AppState,
    ctx: PageCtx,
    link: Link,
    token: &str,
    form: &NewPasswordForm,
) -> AppResult<Result<Chosen, Response>> {
    let Some(owner) = link.owner(state, token).await? else {
        return Ok(Err(link.invalid(ctx)));
    };
    let errors = check_new_password(form, &owner.email);
    if !errors.is_empty() {
        return Ok(Err(link.page(ctx, token, &owner, errors)));
    }
    let hash = state.passwords.hash(&form.password).await?;
    let mut tx = state.db.begin().await?;
    let Some(user_id) = store::consume_token(&mut *tx, token, link.purpose()).await? else {
        return Ok(Err(link.invalid(ctx)));
    };
    let epoch = store::set_password(&mut *tx, user_id, &hash).await?;
    Ok(Ok(Chosen {
        tx,
        user_id,
        epoch,
        owner,
    }))
}

/// The page of a link: the password form, or why the link cannot be used.
async fn link_page(state: &AppState, ctx: PageCtx, link: Link, token: &str) -> AppResult<Response> {
    Ok(match link.owner(state, token).await? {
        Some(owner) => link.page(ctx, token, &owner, FieldErrors::new()),
        None => link.invalid(ctx),
    })
}

async fn reset_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(token): Path<String>,
) -> AppResult<Response> {
    link_page(&state, ctx, Link::Reset, &token).await
}

async fn reset_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    Form(form): Form<NewPasswordForm>,
) -> AppResult<Response> {
    let locale = ctx.locale;
    let mut chosen = match choose_password(&state, ctx, Link::Reset, &token, &form).await? {
        Ok(chosen) => chosen,
        Err(page) => return Ok(page),
    };
    let (user_id, owner) = (chosen.user_id, &chosen.owner);
    // Other reset links of the account stop working too.
    store::end_tokens(&mut *chosen.tx, user_id, TokenPurpose::PasswordReset).await?;
    let locale = owner.locale.unwrap_or(locale);
    let email = emails::password_changed(&state.config, locale, &owner.email, &owner.name)?;
    state.mailer.queue(&mut *chosen.tx, &email).await?;
    let entry = audit::Entry::on_user(Action::PasswordReset, user_id, user_id, None, ip);
    audit::record(&mut *chosen.tx, entry).await?;
    chosen.tx.commit().await?;
    throttle::PasswordKeys::new(&owner.email, ip, None)
        .reset(&state.db)
        .await?;
    // Whatever this browser was doing, it starts again at the sign-in page.
    session.flush().await?;
    session.cycle_id().await?;
    flash::push(&session, Level::Success, "reset.done", &[]).await;
    Ok(page::see_other("/login"))
}

async fn invitation_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(token): Path<String>,
) -> AppResult<Response> {
    link_page(&state, ctx, Link::Invitation, &token).await
}

async fn invitation_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    Form(form): Form<NewPasswordForm>,
) -> AppResult<Response> {
    let mut chosen = match choose_password(&state, ctx, Link::Invitation, &token, &form).await? {
        Ok(chosen) => chosen,
        Err(page) => return Ok(page),
    };
    let user_id = chosen.user_id;
    let reseller_id = store::reseller_of(&mut *chosen.tx, user_id).await?;
    let entry = audit::Entry {
        reseller_id,
        ..audit::Entry::on_user(
            Action::InvitationAccepted,
            user_id,
            user_id,
            reseller_id,
            ip,
        )
    };
    audit::record(&mut *chosen.tx, entry).await?;
    chosen.tx.commit().await?;
    // Straight on to setting up the second factor.
    session.cycle_id().await?;
    let pending = LoginState::Pending {
        user_id,
        epoch: chosen.epoch,
        enrol: true,
        next: None,
    };
    session.insert(keys::AUTH, pending).await?;
    Ok(page::see_other("/mfa/setup"))
}
