//! File downloads: a CSV spreadsheets open correctly (UTF-8 with a byte-order mark, cells that
//! would run as formulas neutralised), sent as an attachment.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, AppResult};
use crate::web::page::Rendered;

/// An attachment named `filename` with `body` of type `content_type`.
pub fn attachment(filename: &str, content_type: &'static str, body: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{filename}\"");
    let mut response = (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response();
    response.extensions_mut().insert(Rendered);
    response
}

/// The bytes of a CSV file with `header` and `rows`, as spreadsheets read it.
pub fn csv_bytes(
    header: &[String],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> AppResult<Vec<u8>> {
    let csv_err = |e: csv::Error| AppError::Internal(e.into());
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header).map_err(csv_err)?;
    for row in rows {
        let cells = row
            .iter()
            .map(|v| crate::catalog::rules::neutralise_formula(v));
        writer.write_record(cells).map_err(csv_err)?;
    }
    let body = writer
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    // A byte-order mark makes spreadsheets read the file as UTF-8 (accents intact).
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(body);
    Ok(bytes)
}

/// A CSV download named `filename`.
pub fn csv(
    filename: &str,
    header: &[String],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> AppResult<Response> {
    Ok(attachment(
        filename,
        "text/csv; charset=utf-8",
        csv_bytes(header, rows)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_files_open_as_utf8_and_never_run_formulas() {
        let bytes = csv_bytes(
            &["Cliente".to_string(), "Total".to_string()],
            [vec!["São João".to_string(), "=1+1".to_string()]],
        )
        .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("São João"));
        assert!(!text.contains(",=1+1"), "{text}");
    }
}
