//! `GET /language/{code}?next=/path`, the language selector: remembers the choice in a cookie
//! and, for a signed-in user, in the session and on their account (pages and e-mails).

use axum::Router;
use axum::extract::{Path, Query, State};
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
    Router::new().route("/language/{code}", get(switch))
}

#[derive(Deserialize)]
struct SwitchQuery {
    next: Option<String>,
}

/// Remembers the choice and goes back to the page the user was on.
async fn switch(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<SwitchQuery>,
    session: Session,
) -> Result<Response, AppError> {
    let locale = Locale::from_code(&code).ok_or(AppError::NotFound)?;
    if session.get::<Locale>(keys::LOCALE).await?.is_some() {
        session.insert(keys::LOCALE, locale).await?;
        super::remember_locale(&state, &session, locale).await?;
    }
    let target = query
        .next
        .as_deref()
        .and_then(safe_next)
        .unwrap_or("/")
        .to_string();
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
    Ok(response)
}
