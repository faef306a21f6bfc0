//! Path parameters that answer the localized 404 page when they don't parse: a malformed id in
//! a URL is a page that doesn't exist, exactly like a well-formed id of someone else's record.
//! Use it instead of axum's `Path` (whose rejection is a plain-text 400):
//! `Path(id): Path<Uuid>`, `Path((cart, line)): Path<(Uuid, Uuid)>`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// Typed path parameters; any that fail to parse make the request a 404.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(_) => Err(AppError::NotFound),
        }
    }
}
