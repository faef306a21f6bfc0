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
    /// The database cannot be reached or has no connection free in time (a restart, an
    /// overload): a 503 with `Retry-After`, not a 500.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for AppError {
    /// A failure of a step that returns `anyhow` (queueing a job, the vendor) is still a 503
    /// when a database out of reach is its cause.
    fn from(e: anyhow::Error) -> Self {
        let cause = e.chain().find_map(|c| c.downcast_ref::<sqlx::Error>());
        if cause.is_some_and(unavailable) {
            AppError::Unavailable(format!("{e:#}"))
        } else {
            AppError::Internal(e)
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if unavailable(&e) {
            AppError::Unavailable(e.to_string())
        } else if unstorable_text(&e) {
            // A NUL byte (PostgreSQL stores no such text) in a field no check saw, a search:
            // the request is wrong, not the server.
            tracing::info!(error = %e, "text refused by the database");
            AppError::BadRequest
        } else {
            AppError::Internal(e.into())
        }
    }
}

/// Whether `e` says the database is out of reach for now, rather than that a query is wrong.
pub fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        // Class 08: connection exceptions; 53300: no connection slot left; 57P01-57P03: the
        // server is shutting down, crashed or starting.
        sqlx::Error::Database(d) => d.code().is_some_and(|c| {
            c.starts_with("08") || matches!(&*c, "53300" | "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// Whether `e` is PostgreSQL refusing a text it cannot store (22021: a NUL byte or an invalid
/// byte sequence; 22P05: a character without a translation).
fn unstorable_text(e: &sqlx::Error) -> bool {
    let code = e.as_database_error().and_then(|d| d.code());
    code.is_some_and(|c| c == "22021" || c == "22P05")
}

/// Seconds a client is asked to wait before trying again when the database is unavailable.
const UNAVAILABLE_RETRY_SECS: u64 = 5;

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
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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
        match &self {
            AppError::Internal(e) => tracing::error!(error = format!("{e:#}"), "internal error"),
            AppError::Unavailable(e) => tracing::warn!(error = %e, "database unavailable"),
            _ => {}
        }
        let mut response = self.status().into_response();
        let retry_after = match self {
            AppError::TooManyRequests { retry_after_secs } => Some(retry_after_secs),
            AppError::Unavailable(_) => Some(UNAVAILABLE_RETRY_SECS),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
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

    #[test]
    fn a_database_out_of_reach_is_a_503_to_retry_and_a_wrong_query_a_500() {
        let busy = AppError::from(sqlx::Error::PoolTimedOut).into_response();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.headers()[axum::http::header::RETRY_AFTER], "5");
        assert_eq!(
            busy.extensions().get::<ErrorKind>(),
            Some(&ErrorKind::Unavailable)
        );
        let down = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(
            AppError::from(down).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        let queued = anyhow::Error::from(sqlx::Error::PoolTimedOut).context("cannot queue a job");
        assert_eq!(
            AppError::from(queued).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        let failed = anyhow::anyhow!("the vendor refused");
        assert_eq!(
            AppError::from(failed).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        let wrong = AppError::from(sqlx::Error::RowNotFound).into_response();
        assert_eq!(wrong.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            wrong
                .headers()
                .get(axum::http::header::RETRY_AFTER)
                .is_none()
        );
    }
}
