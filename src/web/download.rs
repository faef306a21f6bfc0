//! File downloads: a CSV spreadsheets open correctly (UTF-8 with a byte-order mark, cells that
//! would run as formulas neutralised), sent as an attachment, whole or row by row.

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use tokio::sync::mpsc;

use crate::error::{AppError, AppResult};
use crate::web::page::Rendered;

/// An attachment named `filename` with `body` of type `content_type`.
pub fn attachment(filename: &str, content_type: &'static str, body: impl Into<Body>) -> Response {
    let disposition = format!("attachment; filename=\"{filename}\"");
    let mut response = (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body.into(),
    )
        .into_response();
    response.extensions_mut().insert(Rendered);
    response
}

/// The bytes of a CSV file with `header` and `rows`, as spreadsheets read it.
fn csv_bytes(header: &[String], rows: impl IntoIterator<Item = Vec<String>>) -> AppResult<Vec<u8>> {
    // A byte-order mark makes spreadsheets read the file as UTF-8 (accents intact).
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(csv_records(std::iter::once(header.to_vec()).chain(rows))?);
    Ok(bytes)
}

/// CSV records for `rows`, every cell formula-safe.
fn csv_records(rows: impl IntoIterator<Item = Vec<String>>) -> AppResult<Vec<u8>> {
    let csv_err = |e: csv::Error| AppError::Internal(e.into());
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        let cells = row.iter().map(|v| neutralise_formula(v));
        writer.write_record(cells).map_err(csv_err)?;
    }
    writer
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}

/// A spreadsheet cell that starts like a formula is neutralised with a leading apostrophe.
pub fn neutralise_formula(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// How many streamed downloads read the database at once, per portal instance.
static STREAMS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);
/// The longest a streamed download may take.
const STREAM_LIMIT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Where a streamed CSV download's rows go.
#[derive(Clone)]
pub struct Rows(mpsc::Sender<Result<Vec<String>, ()>>);

impl Rows {
    /// Sends one row; false when the client has gone away (stop reading then).
    pub async fn send(&self, row: Vec<String>) -> bool {
        self.0.send(Ok(row)).await.is_ok()
    }
}

/// A CSV download named `filename` with `header`, whose rows `produce` sends as it reads them
/// (in a task of its own): memory stays flat however many rows there are. If `produce` fails
/// half-way, the download breaks off (the browser reports it) instead of ending as if complete.
pub fn csv_streamed<F, Fut>(filename: &str, header: Vec<String>, produce: F) -> Response
where
    F: FnOnce(Rows) -> Fut,
    Fut: std::future::Future<Output = AppResult<()>> + Send + 'static,
{
    let (sender, receiver) = mpsc::channel(512);
    let reading = produce(Rows(sender.clone()));
    tokio::spawn(async move {
        // Each download holds a database connection while its client reads: a few at a time
        // (the others wait their turn without one), and none for longer than STREAM_LIMIT.
        let Ok(_turn) = STREAMS.acquire().await else {
            return;
        };
        if sender.is_closed() {
            return; // The client left while waiting.
        }
        let outcome = match tokio::time::timeout(STREAM_LIMIT, reading).await {
            Ok(outcome) => outcome,
            Err(_) => Err(AppError::Internal(anyhow::anyhow!(
                "took longer than {STREAM_LIMIT:?}"
            ))),
        };
        if let Err(e) = outcome {
            tracing::error!(error = %e, "a CSV download broke off");
            let _ = sender.send(Err(())).await;
        }
    });
    let body = Body::from_stream(csv_chunks(header, receiver));
    attachment(filename, "text/csv; charset=utf-8", body)
}

/// The bytes of a streamed CSV: the byte-order mark and header first, then the rows in chunks
/// of whatever has arrived (up to 256 rows).
fn csv_chunks(
    header: Vec<String>,
    receiver: mpsc::Receiver<Result<Vec<String>, ()>>,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let broken = || std::io::Error::other("the rows of the download could not be read");
    let first = csv_bytes(&header, []).map_err(|_| broken());
    let head = futures_util::stream::once(async move { first.map(Bytes::from) });
    let rows = futures_util::stream::unfold(Some(receiver), move |state| async move {
        let mut receiver = state?;
        let mut batch = vec![receiver.recv().await?];
        while batch.len() < 256 {
            match receiver.try_recv() {
                Ok(row) => batch.push(row),
                Err(_) => break,
            }
        }
        let rows: Result<Vec<_>, ()> = batch.into_iter().collect();
        match rows.map(csv_records) {
            Ok(Ok(bytes)) => Some((Ok(Bytes::from(bytes)), Some(receiver))),
            // Nothing more after a failure: the body ends with an error.
            _ => Some((Err(broken()), None)),
        }
    });
    // Fused: the body may be asked again after its end.
    futures_util::StreamExt::fuse(futures_util::StreamExt::chain(head, rows))
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_neutralised() {
        use super::neutralise_formula;
        assert_eq!(
            neutralise_formula("=HYPERLINK(\"x\")"),
            "'=HYPERLINK(\"x\")"
        );
        assert_eq!(neutralise_formula("+1"), "'+1");
        assert_eq!(neutralise_formula("@SUM"), "'@SUM");
        assert_eq!(neutralise_formula("Office 365"), "Office 365");
    }

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

    async fn collect(stream: impl Stream<Item = Result<Bytes, std::io::Error>>) -> (String, bool) {
        use futures_util::StreamExt;
        let mut text = String::new();
        let mut failed = false;
        let mut stream = std::pin::pin!(stream);
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(bytes) => text.push_str(std::str::from_utf8(&bytes).unwrap()),
                Err(_) => failed = true,
            }
        }
        (text, failed)
    }

    #[tokio::test]
    async fn a_streamed_csv_holds_every_row_sent_and_breaks_off_when_producing_fails() {
        let header = vec!["Pedido".to_string(), "Cliente".to_string()];
        let (sender, receiver) = mpsc::channel(4);
        let producer = tokio::spawn(async move {
            for n in 0..1000 {
                let row = vec![format!("ORD-{n:06}"), "=cmd".to_string()];
                sender.send(Ok(row)).await.unwrap();
            }
        });
        let (text, failed) = collect(csv_chunks(header.clone(), receiver)).await;
        producer.await.unwrap();
        assert!(!failed);
        assert!(text.starts_with("\u{feff}Pedido,Cliente\n"));
        assert_eq!(text.lines().count(), 1001);
        assert!(text.lines().nth(1000).unwrap().starts_with("ORD-000999,"));
        assert!(!text.contains(",=cmd"));

        let (sender, receiver) = mpsc::channel(4);
        tokio::spawn(async move {
            sender
                .send(Ok(vec!["ORD-1".into(), "x".into()]))
                .await
                .unwrap();
            sender.send(Err(())).await.unwrap();
        });
        let (text, failed) = collect(csv_chunks(header, receiver)).await;
        assert!(
            failed,
            "a failure must not look like a complete file: {text}"
        );
    }
}
