//! Cross-site request forgery defence, applied to every state-changing request.
//!
//! 1. A request whose `Sec-Fetch-Site` says `cross-site`, or whose `Origin` is neither this
//!    portal's base URL nor the `Host` it was sent to, is refused (403) even with a valid token.
//! 2. The session holds a random token; every form carries it in the hidden field `csrf_token`
//!    (multipart forms too), or a script sends it in the `X-CSRF-Token` header. It is compared in
//!    constant time. A missing or wrong token answers the localized 403 page.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand::RngCore;
use sha2::Digest;
use tower_sessions::Session;

use crate::error::AppError;
use std::sync::Arc;

use crate::config::Config;
use crate::identity::LoginState;
use crate::web::keys;

pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

/// The session's token, created on first use.
pub async fn token(session: &Session) -> Result<String, tower_sessions::session::Error> {
    if let Some(t) = session.get::<String>(keys::CSRF).await? {
        return Ok(t);
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let t = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    session.insert(keys::CSRF, &t).await?;
    Ok(t)
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
    let expected = match session.get::<String>(keys::CSRF).await {
        Ok(Some(t)) => t,
        Ok(None) => return AppError::Csrf.into_response(),
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

    // The token is in the body: read it (bounded), look, and hand the same bytes on. Only a
    // signed-in user's request may be as large as an upload; before that, a plain form's size.
    let signed_in = matches!(
        session.get::<LoginState>(keys::AUTH).await,
        Ok(Some(LoginState::SignedIn { .. }))
    );
    let limit = if signed_in {
        config.max_body_bytes
    } else {
        crate::config::FORM_BODY_BYTES
    };
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return AppError::PayloadTooLarge.into_response(),
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let found = if content_type.starts_with("application/x-www-form-urlencoded") {
        url::form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.into_owned())
    } else if content_type.starts_with("multipart/form-data") {
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
