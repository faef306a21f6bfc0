//! The language selector. `GET /language/{code}?next=/path` (a link, for visitors) only
//! remembers the choice in a cookie: a link anyone can send must not change an account.
//! `POST /language/{code}` (a form with its CSRF token, for signed-in users) also keeps it in
//! the session and on the account (pages and e-mails).

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;

use crate::app::AppState;
use crate::error::AppError;
use crate::i18n::Locale;
use crate::web::keys;
use crate::web::locale::COOKIE;
use crate::web::page::Rendered;
use crate::web::redirect::safe_next;

pub fn router() -> Router<AppState> {
    Router::new().route("/language/{code}", get(switch).post(choose))
}

#[derive(Deserialize)]
struct SwitchQuery {
    next: Option<String>,
}

/// Remembers the choice in the cookie and goes back to the page the user was on.
async fn switch(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<SwitchQuery>,
) -> Result<Response, AppError> {
    let locale = Locale::from_code(&code).ok_or(AppError::NotFound)?;
    Ok(back(&state, locale, query.next.as_deref()))
}

/// A signed-in user's choice: the cookie, the session and the account.
async fn choose(
    State(state): State<AppState>,
    Path(code): Path<String>,
    session: Session,
    Form(form): Form<SwitchQuery>,
) -> Result<Response, AppError> {
    let locale = Locale::from_code(&code).ok_or(AppError::NotFound)?;
    if session.get::<Locale>(keys::LOCALE).await?.is_some() {
        session.insert(keys::LOCALE, locale).await?;
    }
    super::remember_locale(&state, &session, locale).await?;
    Ok(back(&state, locale, form.next.as_deref()))
}

/// The redirect to `next` (a page of this site) with the language cookie.
fn back(state: &AppState, locale: Locale, next: Option<&str>) -> Response {
    let target = next.and_then(safe_next).unwrap_or("/").to_string();
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{secure}",
        locale.code()
    );
    let mut response = (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, target), (header::SET_COOKIE, cookie)],
    )
        .into_response();
    response.extensions_mut().insert(Rendered);
    response
}
