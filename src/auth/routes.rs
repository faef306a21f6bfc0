//! Sign-in pages.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;

use crate::auth::store;
use crate::domain::Email;
use crate::error::AppResult;
use crate::web::forms::{FieldErrors, Form};
use crate::web::page::{self, PageCtx};
use crate::web::redirect::safe_next;
use crate::web::{AppState, keys};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    ctx: PageCtx,
    email: String,
    next: String,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    ctx: PageCtx,
}

async fn home(ctx: PageCtx, session: Session) -> AppResult<Response> {
    if session
        .get::<crate::auth::SessionAuth>(keys::AUTH)
        .await?
        .is_none()
        || ctx.user.is_none()
    {
        return Ok(page::see_other("/login"));
    }
    Ok(page::ok(&HomePage { ctx }))
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(ctx: PageCtx, Query(q): Query<NextQuery>) -> Response {
    let next = q
        .next
        .as_deref()
        .and_then(safe_next)
        .unwrap_or("")
        .to_string();
    page::ok(&LoginPage {
        ctx,
        email: String::new(),
        next,
        errors: FieldErrors::new(),
    })
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

async fn login_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::new();
    let email = match Email::parse(&form.email) {
        Ok(e) => Some(e),
        Err(key) => {
            errors.add("email", key);
            None
        }
    };
    if form.password.is_empty() {
        errors.add("password", "form.required");
    } else if form.password.chars().count() > crate::auth::password::MAX_LENGTH {
        errors.add("password", "form.too_long");
    }
    let next = safe_next(&form.next).unwrap_or("").to_string();
    let keep = |ctx, errors| LoginPage {
        ctx,
        email: form.email.chars().take(254).collect(),
        next: next.clone(),
        errors,
    };
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return Ok(page::render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &keep(ctx, errors),
        ));
    };

    let record = store::find_for_login(&state.db, &email).await?;
    let hash = record
        .as_ref()
        .filter(|r| r.status == "active")
        .and_then(|r| r.password_hash.as_deref());
    let ok = state.passwords.verify(&form.password, hash).await?;
    if !ok {
        errors.add("_form", "login.failed");
        return Ok(page::render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &keep(ctx, errors),
        ));
    }
    // The second factor comes next; nothing else is reachable until it is done.
    errors.add("_form", "login.mfa_unavailable");
    Ok(page::render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &keep(ctx, errors),
    ))
}
