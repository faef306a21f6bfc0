//! Cross-site request forgery defence, applied to every state-changing request.
//!
//! 1. A request whose `Sec-Fetch-Site` says `cross-site`, or whose `Origin` is neither this
//!    portal's base URL nor the `Host` it was sent to, is refused (403) even with a valid token.
//! 2. A session that holds a token (every signed-in or signing-in session) has its forms carry it
//!    in the hidden field `csrf_token` (multipart forms too), or a script sends it in the
//!    `X-CSRF-Token` header. A visitor has no session row: their token is in a cookie of its
//!    own, and a form must carry the same value (a double-submit cookie, `__Host-` over https),
//!    so that viewing a page stores nothing. Tokens are compared in constant time; a missing or
//!    wrong token answers the localized 403 page.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use futures_util::StreamExt;
use rand::RngCore;
use sha2::Digest;
use tower_sessions::Session;

use crate::error::AppError;
use std::sync::{Arc, OnceLock};

use crate::config::Config;
use crate::identity::LoginState;
use crate::web::keys;

pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

/// A new random token.
fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The session's token, created on first use.
pub async fn token(session: &Session) -> Result<String, tower_sessions::session::Error> {
    if let Some(t) = session.get::<String>(keys::CSRF).await? {
        return Ok(t);
    }
    let t = new_token();
    session.insert(keys::CSRF, &t).await?;
    Ok(t)
}

/// The token a page's forms carry: the session's when it has one or is signing in, else the
/// visitor's cookie token (created for this response when the browser has none).
pub async fn page_token(parts: &Parts, session: Option<&Session>) -> String {
    if let Some(s) = session {
        let stored = s.get::<String>(keys::CSRF).await.ok().flatten();
        let signing_in = s
            .get::<LoginState>(keys::AUTH)
            .await
            .ok()
            .flatten()
            .is_some();
        if let Some(t) = stored {
            return t;
        }
        if signing_in {
            return token(s).await.unwrap_or_default();
        }
    }
    match parts.extensions.get::<VisitorToken>() {
        Some(v) => v.0.get_or_init(new_token).clone(),
        None => String::new(),
    }
}

/// The visitor's token of this request: from their cookie, or made when a page needs one.
#[derive(Clone)]
struct VisitorToken(Arc<OnceLock<String>>);

/// The name of the visitors' token cookie; `__Host-` pins it to this host over https.
fn visitor_cookie(config: &Config) -> &'static str {
    if config.secure_cookies() {
        "__Host-portal_csrf"
    } else {
        "portal_csrf"
    }
}

/// The visitor's token cookie, if the request has a well-formed one.
fn visitor_cookie_value<'h>(headers: &'h HeaderMap, config: &Config) -> Option<&'h str> {
    crate::web::cookies::value(headers, visitor_cookie(config)).filter(|v| {
        v.len() == 43
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// The middleware that gives pages the visitor's token, and sets its cookie when a page made
/// one.
pub async fn visitor(
    State(config): State<Arc<Config>>,
    mut request: Request,
    next: Next,
) -> Response {
    let slot = Arc::new(OnceLock::new());
    let had = match visitor_cookie_value(request.headers(), &config) {
        Some(v) => {
            let _ = slot.set(v.to_string());
            true
        }
        None => false,
    };
    request.extensions_mut().insert(VisitorToken(slot.clone()));
    let mut response = next.run(request).await;
    if let (false, Some(token)) = (had, slot.get()) {
        let secure = if config.secure_cookies() {
            "; Secure"
        } else {
            ""
        };
        let cookie = format!(
            "{}={token}; Path=/; SameSite=Lax; HttpOnly{secure}",
            visitor_cookie(&config)
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The middleware: lets safe methods through and checks every other one.
pub async fn verify(State(config): State<Arc<Config>>, request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    if !same_site(request.headers(), &config) {
        tracing::warn!("cross-site request refused");
        return AppError::Csrf.into_response();
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return AppError::Csrf.into_response();
    };
    // The session's token when it has one, else the visitor's cookie.
    let expected = match session.get::<String>(keys::CSRF).await {
        Ok(Some(t)) => t,
        Ok(None) => match visitor_cookie_value(request.headers(), &config) {
            Some(t) => t.to_string(),
            None => return AppError::Csrf.into_response(),
        },
        Err(e) => return AppError::from(e).into_response(),
    };

    let header_token = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(t) = header_token {
        return if equal(&t, &expected) {
            next.run(request).await
        } else {
            AppError::Csrf.into_response()
        };
    }

    // The token is in the body. A plain form, and anything sent before sign-in, is read whole
    // (bounded by a plain form's size), looked at and handed on; a signed-in user's multipart
    // form (an upload, up to the portal's body limit) only as far as its first fields, where
    // the portal's forms put the token, and streamed on from there.
    let (parts, body) = request.into_parts();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let multipart = content_type.starts_with("multipart/form-data");
    let signed_in = matches!(
        session.get::<LoginState>(keys::AUTH).await,
        Ok(Some(LoginState::SignedIn { .. }))
    );
    if multipart && signed_in {
        let mut stream = body.into_data_stream();
        let mut head = bytes::BytesMut::new();
        while head.len() < MULTIPART_HEAD_BYTES {
            match stream.next().await {
                Some(Ok(chunk)) => head.extend_from_slice(&chunk),
                Some(Err(_)) => return AppError::PayloadTooLarge.into_response(),
                None => break,
            }
        }
        let head = head.freeze();
        return match multipart_token(&content_type, head.clone()).await {
            Some(t) if equal(&t, &expected) => {
                let rest = futures_util::stream::once(async move { Ok(head) }).chain(stream);
                next.run(Request::from_parts(parts, Body::from_stream(rest)))
                    .await
            }
            _ => AppError::Csrf.into_response(),
        };
    }
    let bytes = match to_bytes(body, crate::config::FORM_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => return AppError::PayloadTooLarge.into_response(),
    };
    let found = if content_type.starts_with("application/x-www-form-urlencoded") {
        url::form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.into_owned())
    } else if multipart {
        multipart_token(&content_type, bytes.clone()).await
    } else {
        None
    };
    match found {
        Some(t) if equal(&t, &expected) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        _ => AppError::Csrf.into_response(),
    }
}

/// How much of a multipart body is read to find its token: the portal's upload forms carry it
/// first, so a few fields' worth.
const MULTIPART_HEAD_BYTES: usize = 16 * 1024;

async fn multipart_token(content_type: &str, bytes: bytes::Bytes) -> Option<String> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some(FIELD) {
            return field.text().await.ok();
        }
    }
    None
}

/// Whether the browser says the request comes from this site.
fn same_site(headers: &HeaderMap, config: &Config) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site == "cross-site" {
            return false;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let base = config.base_url.origin().ascii_serialization();
    if origin == base {
        return true;
    }
    // Same origin as the address the browser used (e.g. localhost instead of 127.0.0.1).
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match url::Url::parse(origin) {
        Ok(u) if u.host_str().is_some() => {
            let with_port = match u.port() {
                Some(p) => format!("{}:{p}", u.host_str().unwrap_or_default()),
                None => u.host_str().unwrap_or_default().to_string(),
            };
            !host.is_empty() && with_port.eq_ignore_ascii_case(host)
        }
        _ => false,
    }
}

/// Constant-time comparison (through hashes, so lengths leak nothing either).
fn equal(a: &str, b: &str) -> bool {
    let ha = sha2::Sha256::digest(a.as_bytes());
    let hb = sha2::Sha256::digest(b.as_bytes());
    ha.iter()
        .zip(hb.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::equal;

    #[test]
    fn tokens_compare_exactly() {
        assert!(equal("abc", "abc"));
        assert!(!equal("abc", "abd"));
        assert!(!equal("abc", "abcd"));
        assert!(!equal("", "abc"));
    }
}
