//! The form extractor shared by every feature: it turns bad bodies into a 400/413/415 page
//! instead of a plain text rejection. (What a form's checks produce is in `crate::fields`.)

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// An option of a select (a filter's value, a role): its code, its label, whether it is the
/// one chosen. Templates compare nothing: `selected` says it.
#[derive(Clone, Debug)]
pub struct Choice {
    pub code: &'static str,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    /// The options of every value in `all`, labelled by `label`, `chosen` selected.
    pub fn list<T: Copy + PartialEq>(
        all: &[T],
        chosen: Option<T>,
        code: fn(T) -> &'static str,
        label: impl Fn(T) -> String,
    ) -> Vec<Choice> {
        all.iter()
            .map(|&v| Choice {
                code: code(v),
                label: label(v),
                selected: chosen == Some(v),
            })
            .collect()
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
        if !valid_utf8(&bytes) {
            tracing::info!("form rejected: not UTF-8");
            return Err(AppError::BadRequest);
        }
        // serde_html_form reads repeated keys (checkboxes) into a Vec, as browsers send them.
        serde_html_form::from_bytes(&bytes).map(Form).map_err(|e| {
            tracing::info!(error = %e, "form rejected");
            AppError::BadRequest
        })
    }
}

/// A form that may carry files: a plain form (no files), or a multipart one whose file fields
/// are kept apart (an empty file field, sent when none was chosen, is left out). Its fields
/// read into `T` as a plain form's would.
pub struct FormWithFiles<T> {
    pub form: T,
    /// Each file: the name of its field, the name the browser gave, its bytes.
    pub files: Vec<(String, String, bytes::Bytes)>,
}

impl<S, T> FromRequest<S> for FormWithFiles<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let Form(form) = Form::<T>::from_request(req, state).await?;
            return Ok(Self {
                form,
                files: Vec::new(),
            });
        }
        let refused = |status: axum::http::StatusCode| {
            if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::BadRequest
            }
        };
        let mut multipart = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|_| AppError::BadRequest)?;
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut files = Vec::new();
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| refused(e.status()))?
        {
            let name = field.name().unwrap_or_default().to_string();
            match field.file_name().map(str::to_string) {
                Some(file_name) => {
                    let bytes = field.bytes().await.map_err(|e| refused(e.status()))?;
                    if !bytes.is_empty() || !file_name.is_empty() {
                        files.push((name, file_name, bytes));
                    }
                }
                None => {
                    let text = field.text().await.map_err(|e| refused(e.status()))?;
                    fields.push((name, text));
                }
            }
        }
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&fields)
            .finish();
        let form = serde_html_form::from_str(&encoded).map_err(|e| {
            tracing::info!(error = %e, "form rejected");
            AppError::BadRequest
        })?;
        Ok(Self { form, files })
    }
}

/// Whether every name and value of an urlencoded body decodes to UTF-8 (the decoder would
/// otherwise replace what does not, and save a mangled text without a word).
fn valid_utf8(body: &[u8]) -> bool {
    body.split(|b| *b == b'&').all(|pair| {
        pair.split(|b| *b == b'=').all(|part| {
            let decoded: Vec<u8> = percent_encoding::percent_decode(part).collect();
            std::str::from_utf8(&decoded).is_ok()
        })
    })
}

/// The file of a multipart form's `file` field: its name as the browser gave it and its bytes
/// (none when no file, or an empty one, was sent). A body beyond the route's limit is a 413.
pub async fn uploaded_file(
    mut multipart: axum::extract::Multipart,
) -> Result<Option<(String, bytes::Bytes)>, AppError> {
    let refused = |status: axum::http::StatusCode| {
        if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::BadRequest
        }
    };
    let mut file = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| refused(e.status()))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or_default().to_string();
            let bytes = field.bytes().await.map_err(|e| refused(e.status()))?;
            file = Some((name, bytes));
        }
    }
    Ok(file.filter(|(_, b)| !b.is_empty()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn bodies_that_are_not_utf8_are_found() {
        assert!(super::valid_utf8(b"name=A%C3%A7%C3%A3o+s.a.&x=1&flag"));
        assert!(!super::valid_utf8(b"name=%FF%FE"));
        assert!(!super::valid_utf8(b"%C3=1"));
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
}
