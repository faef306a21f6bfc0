//! Form handling shared by every feature: field errors keyed by field name (each a translation
//! key), and a form extractor that turns bad bodies into a 400/413/415 page instead of a plain
//! text rejection.

use std::collections::BTreeMap;

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// Messages beside fields: field name → translation key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<&'static str, &'static str>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// One error on one field.
    pub fn one(field: &'static str, key: &'static str) -> Self {
        let mut errors = Self::new();
        errors.add(field, key);
        errors
    }

    /// Records an error on `field` (the first one for a field wins).
    pub fn add(&mut self, field: &'static str, key: &'static str) {
        self.0.entry(field).or_insert(key);
    }

    /// The translation key of `field`'s error, if any.
    pub fn get(&self, field: &str) -> Option<&'static str> {
        self.0.get(field).copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// `axum::Form` whose rejections become our error pages.
pub struct Form<T>(pub T);

impl<S, T> FromRequest<S> for Form<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let urlencoded = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !urlencoded {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(r) if r.status().as_u16() == 413 => return Err(AppError::PayloadTooLarge),
            Err(_) => return Err(AppError::BadRequest),
        };
        // serde_html_form reads repeated keys (checkboxes) into a Vec, as browsers send them.
        serde_html_form::from_bytes(&bytes).map(Form).map_err(|e| {
            tracing::info!(error = %e, "form rejected");
            AppError::BadRequest
        })
    }
}

/// Trims a text field and bounds its length in characters.
pub fn trimmed(value: &str, max_chars: usize) -> Result<String, &'static str> {
    let v = value.trim();
    if v.chars().count() > max_chars {
        Err("form.too_long")
    } else {
        Ok(v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_error_per_field_wins() {
        let mut e = FieldErrors::new();
        e.add("email", "form.required");
        e.add("email", "form.invalid_email");
        assert_eq!(e.get("email"), Some("form.required"));
        assert_eq!(e.get("password"), None);
        assert_eq!(e.len(), 1);
    }

    #[derive(serde::Deserialize, Debug)]
    struct Sample {
        #[serde(default)]
        name: String,
        #[serde(default)]
        offers: Vec<String>,
    }

    #[test]
    fn repeated_keys_fill_lists() {
        let s: Sample =
            serde_html_form::from_bytes(b"name=a&offers=P1Y%3Aannual&offers=P1M%3Amonthly")
                .unwrap();
        assert_eq!(s.name, "a");
        assert_eq!(s.offers, ["P1Y:annual", "P1M:monthly"]);
        let s: Sample = serde_html_form::from_bytes(b"csrf_token=x").unwrap();
        assert!(s.offers.is_empty());
    }

    #[test]
    fn trimming_counts_characters_not_bytes() {
        assert_eq!(trimmed("  ação  ", 4), Ok("ação".to_string()));
        assert_eq!(trimmed("ação!", 4), Err("form.too_long"));
    }
}
