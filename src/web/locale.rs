//! Which language a request is answered in, and the links of the language selector (its route,
//! which also saves a signed-in user's choice, is `auth::language`).
//!
//! Order: the signed-in user's setting (kept in the session), then the `portal_lang` cookie, then
//! `Accept-Language`, then Spanish.

use axum::http::{HeaderMap, header};

use crate::i18n::Locale;

pub const COOKIE: &str = "portal_lang";

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
    crate::web::cookies::value(headers, COOKIE).and_then(|v| Locale::from_code(v.trim()))
}

/// The selector's link to `locale`, coming back to `current` (a path on this site).
pub fn switch_link(locale: Locale, current: &str) -> String {
    let next: String = url::form_urlencoded::byte_serialize(current.as_bytes()).collect();
    format!("/language/{}?next={next}", locale.code())
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
