//! Which language a request is answered in, and the language selector's route.
//!
//! Order: the signed-in user's setting (kept in the session), then the `portal_lang` cookie, then
//! `Accept-Language`, then Spanish.

use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, extract::State};
use serde::Deserialize;
use tower_sessions::Session;

use crate::error::AppError;
use crate::i18n::Locale;
use crate::web::page::Rendered;
use crate::web::redirect::safe_next;
use crate::web::{AppState, keys};

pub const COOKIE: &str = "portal_lang";

pub fn router() -> Router<AppState> {
    Router::new().route("/language/{code}", get(switch))
}

/// The locale for a request with these headers and this session setting.
pub fn resolve(headers: &HeaderMap, session_locale: Option<Locale>) -> Locale {
    if let Some(l) = session_locale {
        return l;
    }
    if let Some(l) = cookie_locale(headers) {
        return l;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::from_accept_language)
        .unwrap_or_default()
}

fn cookie_locale(headers: &HeaderMap) -> Option<Locale> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .and_then(|(_, value)| Locale::from_code(value.trim()))
}

/// The selector's link to `locale`, coming back to `current` (a path on this site).
pub fn switch_link(locale: Locale, current: &str) -> String {
    let next: String = url::form_urlencoded::byte_serialize(current.as_bytes()).collect();
    format!("/language/{}?next={next}", locale.code())
}

#[derive(Deserialize)]
struct SwitchQuery {
    next: Option<String>,
}

/// `GET /language/{code}?next=/path`: remembers the choice in a cookie (and, when signed in, in
/// the session) and goes back to the page the user was on.
async fn switch(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<SwitchQuery>,
    session: Session,
) -> Result<Response, AppError> {
    let locale = Locale::from_code(&code).ok_or(AppError::NotFound)?;
    if session.get::<Locale>(keys::LOCALE).await?.is_some() {
        session.insert(keys::LOCALE, locale).await?;
        crate::auth::remember_locale(&state, &session, locale).await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn session_then_cookie_then_browser_then_spanish() {
        let h = headers(&[
            ("cookie", "a=b; portal_lang=pt-BR"),
            ("accept-language", "en"),
        ]);
        assert_eq!(resolve(&h, Some(Locale::En)), Locale::En);
        assert_eq!(resolve(&h, None), Locale::PtBr);
        let h = headers(&[("cookie", "portal_lang=xx"), ("accept-language", "en-GB")]);
        assert_eq!(resolve(&h, None), Locale::En);
        assert_eq!(resolve(&headers(&[]), None), Locale::Es);
    }

    #[test]
    fn switch_links_carry_the_current_page() {
        assert_eq!(
            switch_link(Locale::PtBr, "/catalog?q=a b&x=1"),
            "/language/pt-BR?next=%2Fcatalog%3Fq%3Da+b%26x%3D1"
        );
    }
}
