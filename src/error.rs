//! The one error type of the web layer.
//!
//! A handler returns `Result<T, AppError>`. `AppError` turns into a status code and a marker in
//! the response's extensions; the error-page middleware (`web::errors`) sees the marker and renders
//! a localized page, so no internal detail ever reaches the user. Internal errors are logged here,
//! inside the request's span (which carries the request id).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub type AppResult<T, E = AppError> = Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request")]
    BadRequest,
    /// The CSRF token is missing or wrong, or the request came from another site.
    #[error("request refused: CSRF check failed")]
    Csrf,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unprocessable")]
    Unprocessable,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(e: tower_sessions::session::Error) -> Self {
        AppError::Internal(e.into())
    }
}

/// Which error page to render; placed in the response's extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    Csrf,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Timeout,
    PayloadTooLarge,
    UnsupportedMediaType,
    Unprocessable,
    TooManyRequests,
    Internal,
    Unavailable,
}

impl ErrorKind {
    pub fn from_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => ErrorKind::BadRequest,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            405 => ErrorKind::MethodNotAllowed,
            408 => ErrorKind::Timeout,
            413 => ErrorKind::PayloadTooLarge,
            415 => ErrorKind::UnsupportedMediaType,
            422 => ErrorKind::Unprocessable,
            429 => ErrorKind::TooManyRequests,
            503 => ErrorKind::Unavailable,
            s if s >= 500 => ErrorKind::Internal,
            _ => ErrorKind::BadRequest,
        }
    }

    /// The translation key of this page's title.
    pub fn title_key(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "error.bad_request.title",
            ErrorKind::Csrf => "error.csrf.title",
            ErrorKind::Forbidden => "error.forbidden.title",
            ErrorKind::NotFound => "error.not_found.title",
            ErrorKind::MethodNotAllowed => "error.method_not_allowed.title",
            ErrorKind::Timeout => "error.timeout.title",
            ErrorKind::PayloadTooLarge => "error.payload_too_large.title",
            ErrorKind::UnsupportedMediaType => "error.unsupported_media_type.title",
            ErrorKind::Unprocessable => "error.unprocessable.title",
            ErrorKind::TooManyRequests => "error.too_many_requests.title",
            ErrorKind::Internal => "error.internal.title",
            ErrorKind::Unavailable => "error.unavailable.title",
        }
    }

    /// The translation key of this page's message.
    pub fn message_key(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "error.bad_request.message",
            ErrorKind::Csrf => "error.csrf.message",
            ErrorKind::Forbidden => "error.forbidden.message",
            ErrorKind::NotFound => "error.not_found.message",
            ErrorKind::MethodNotAllowed => "error.method_not_allowed.message",
            ErrorKind::Timeout => "error.timeout.message",
            ErrorKind::PayloadTooLarge => "error.payload_too_large.message",
            ErrorKind::UnsupportedMediaType => "error.unsupported_media_type.message",
            ErrorKind::Unprocessable => "error.unprocessable.message",
            ErrorKind::TooManyRequests => "error.too_many_requests.message",
            ErrorKind::Internal => "error.internal.message",
            ErrorKind::Unavailable => "error.unavailable.message",
        }
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest => StatusCode::BAD_REQUEST,
            AppError::Csrf | AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            AppError::Csrf => ErrorKind::Csrf,
            other => ErrorKind::from_status(other.status()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(ref e) = self {
            tracing::error!(error = format!("{e:#}"), "internal error");
        }
        let mut response = self.status().into_response();
        if let AppError::TooManyRequests { retry_after_secs } = self {
            if let Ok(v) = retry_after_secs.to_string().parse() {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        response.extensions_mut().insert(self.kind());
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_statuses_and_pages() {
        assert_eq!(AppError::NotFound.status(), StatusCode::NOT_FOUND);
        assert_eq!(AppError::Csrf.status(), StatusCode::FORBIDDEN);
        assert_eq!(AppError::Csrf.kind(), ErrorKind::Csrf);
        assert_eq!(AppError::Forbidden.kind(), ErrorKind::Forbidden);
        let internal = AppError::Internal(anyhow::anyhow!("secret detail"));
        let response = internal.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            response.extensions().get::<ErrorKind>(),
            Some(&ErrorKind::Internal)
        );
        assert_eq!(
            ErrorKind::from_status(StatusCode::PAYLOAD_TOO_LARGE),
            ErrorKind::PayloadTooLarge
        );
        assert_eq!(
            ErrorKind::from_status(StatusCode::BAD_GATEWAY),
            ErrorKind::Internal
        );
    }
}
