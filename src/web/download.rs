//! File downloads: a CSV spreadsheets open correctly (UTF-8 with a byte-order mark, cells that
//! would run as formulas neutralised), sent as an attachment, whole or row by row.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use futures_util::future::BoxFuture;
use sqlx::{PgConnection, PgPool};
use tokio::sync::{Semaphore, mpsc};
use uuid::Uuid;

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

/// A file whose name came from a user (any characters): an ASCII name for old clients (other
/// characters as `_`) and the exact one, percent-encoded (RFC 6266), for the others; served
/// as a download that the browser never renders in the page's origin.
pub fn named_attachment(name: &str, content_type: &'static str, body: impl Into<Body>) -> Response {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let exact = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{exact}");
    let mut response = (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        body.into(),
    )
        .into_response();
    response.extensions_mut().insert(Rendered);
    response
}

/// A CSV file named `filename` with `header` and `rows` (a small one, made whole).
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

/// The same, separated by `delimiter`.
pub fn csv_with(
    filename: &str,
    delimiter: u8,
    header: &[String],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> AppResult<Response> {
    Ok(attachment(
        filename,
        "text/csv; charset=utf-8",
        csv_bytes_with(delimiter, header, rows)?,
    ))
}

/// A CSV file's separator: `sep` when it names one (`comma`, `semicolon`), otherwise a comma
/// for English readers and a semicolon for the others, whose spreadsheets expect it.
pub fn delimiter(locale: crate::i18n::Locale, sep: &str) -> u8 {
    match (sep, locale) {
        ("comma", _) => b',',
        ("semicolon", _) => b';',
        (_, crate::i18n::Locale::En) => b',',
        _ => b';',
    }
}

/// The link to an export with the other separator than its readers' default, offered beside it
/// (a spreadsheet set up for another region expects the other one), and its label's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherSeparator {
    pub link: String,
    pub key: &'static str,
}

/// An export's link with the other separator's beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherExport {
    pub link: String,
    pub other: OtherSeparator,
}

impl OtherExport {
    pub fn of(locale: crate::i18n::Locale, link: String) -> Self {
        Self {
            other: other_separator(locale, &link),
            link,
        }
    }
}

pub fn other_separator(locale: crate::i18n::Locale, link: &str) -> OtherSeparator {
    let (sep, key) = if delimiter(locale, "") == b';' {
        ("comma", "download.with_commas")
    } else {
        ("semicolon", "download.with_semicolons")
    };
    let glue = if link.contains('?') { '&' } else { '?' };
    OtherSeparator {
        link: format!("{link}{glue}sep={sep}"),
        key,
    }
}

/// The bytes of a CSV file with `header` and `rows`, as spreadsheets read it.
fn csv_bytes(header: &[String], rows: impl IntoIterator<Item = Vec<String>>) -> AppResult<Vec<u8>> {
    csv_bytes_with(b',', header, rows)
}

fn csv_bytes_with(
    delimiter: u8,
    header: &[String],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> AppResult<Vec<u8>> {
    // A byte-order mark makes spreadsheets read the file as UTF-8 (accents intact).
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(csv_records(
        delimiter,
        std::iter::once(header.to_vec()).chain(rows),
    )?);
    Ok(bytes)
}

/// CSV records for `rows`, every cell formula-safe.
fn csv_records(delimiter: u8, rows: impl IntoIterator<Item = Vec<String>>) -> AppResult<Vec<u8>> {
    let csv_err = |e: csv::Error| AppError::Internal(e.into());
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(Vec::new());
    for row in rows {
        let cells = row.iter().map(|v| neutralise_formula(v));
        writer.write_record(cells).map_err(csv_err)?;
    }
    writer
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}

/// A spreadsheet cell that starts like a formula is neutralised with a leading apostrophe, except
/// a negative number and a phone number (`+52 55 5555-5555`: digits, spaces, dashes, dots and
/// brackets after the plus, which can call no function and reach no cell).
pub fn neutralise_formula(cell: &str) -> String {
    let phone = cell.strip_prefix('+').is_some_and(|rest| {
        rest.chars().filter(char::is_ascii_digit).count() >= 6
            && rest.starts_with(|c: char| c.is_ascii_digit() || c == '(')
            && rest
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
    });
    if phone {
        return cell.to_string();
    }
    // A negative number (`-25.50`, a credit) is a number to a spreadsheet, not a formula.
    let number = cell.len() > 1
        && cell.starts_with('-')
        && cell[1..].chars().all(|c| c.is_ascii_digit() || c == '.')
        && cell[1..].chars().filter(|&c| c == '.').count() <= 1
        && cell[1..].starts_with(|c: char| c.is_ascii_digit());
    if !number && cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// How many streamed downloads read the database at once, per portal instance.
static STREAMS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);
/// How many of them one reseller, and one user, may hold: one user's slow downloads cannot
/// take every turn, nor one reseller's users.
static PER_RESELLER: Shares = Shares::new(2);
static PER_USER: Shares = Shares::new(1);
/// The longest a streamed download may take.
const STREAM_LIMIT: Duration = Duration::from_secs(15 * 60);
/// The longest a client may take to read what was sent before its download is broken off (its
/// database connection goes back to the others).
const SLOW_READER: Duration = Duration::from_secs(60);

/// Turns shared per key (a reseller, a user): at most `cap` each at once.
struct Shares {
    cap: usize,
    keys: std::sync::Mutex<Option<HashMap<Uuid, Arc<Semaphore>>>>,
}

impl Shares {
    const fn new(cap: usize) -> Self {
        Self {
            cap,
            keys: std::sync::Mutex::new(None),
        }
    }

    /// Waits for one of `key`'s turns.
    async fn turn(&self, key: Uuid) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let semaphore = {
            let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
            let keys = keys.get_or_insert_with(HashMap::new);
            // Keys nobody holds or waits for are forgotten.
            keys.retain(|_, s| Arc::strong_count(s) > 1);
            let cap = self.cap;
            keys.entry(key)
                .or_insert_with(|| Arc::new(Semaphore::new(cap)))
                .clone()
        };
        semaphore.acquire_owned().await.ok()
    }
}

/// Whose a download is: the reseller and the user it is for.
#[derive(Clone, Copy, Debug)]
pub struct Owner {
    pub reseller_id: Uuid,
    pub user_id: Uuid,
}

/// Where a streamed CSV download's rows go, and how long a row may wait for the client to read
/// what came before it.
#[derive(Clone)]
pub struct Rows {
    sender: mpsc::Sender<Result<Vec<String>, ()>>,
    patience: Duration,
}

impl Rows {
    /// Sends one row; false when the client has gone away or reads too slowly (stop reading
    /// then).
    pub async fn send(&self, row: Vec<String>) -> bool {
        matches!(
            tokio::time::timeout(self.patience, self.sender.send(Ok(row))).await,
            Ok(Ok(()))
        )
    }
}

/// A CSV download of `owner`'s rows read in a tenant transaction of its reseller, cells
/// separated by `delimiter` (see [`delimiter`]): `read` sends each row to the `Rows` as the
/// database returns them.
pub fn tenant_csv<F>(
    pool: PgPool,
    owner: Owner,
    filename: &str,
    delimiter: u8,
    header: Vec<String>,
    read: F,
) -> Response
where
    F: for<'t> FnOnce(&'t mut PgConnection, &'t Rows) -> BoxFuture<'t, sqlx::Result<()>>
        + Send
        + 'static,
{
    csv_streamed(filename, delimiter, header, owner, move |rows| async move {
        let mut tx = crate::db::tenant_tx(&pool, owner.reseller_id).await?;
        read(&mut tx, &rows).await?;
        tx.commit().await?;
        Ok(())
    })
}

/// A CSV download named `filename` with `header`, whose rows `produce` sends as it reads them
/// (in a task of its own): memory stays flat however many rows there are. If `produce` fails
/// half-way, the download breaks off (the browser reports it) instead of ending as if complete.
fn csv_streamed<F, Fut>(
    filename: &str,
    delimiter: u8,
    header: Vec<String>,
    owner: Owner,
    produce: F,
) -> Response
where
    F: FnOnce(Rows) -> Fut,
    Fut: std::future::Future<Output = AppResult<()>> + Send + 'static,
{
    let (sender, receiver) = mpsc::channel(512);
    let reading = produce(Rows {
        sender: sender.clone(),
        patience: SLOW_READER,
    });
    tokio::spawn(async move {
        // Each download holds a database connection while its client reads: a few at a time
        // (the others wait their turn without one), a fair share per user and reseller, and
        // none for longer than STREAM_LIMIT.
        let Some(_user) = PER_USER.turn(owner.user_id).await else {
            return;
        };
        let Some(_reseller) = PER_RESELLER.turn(owner.reseller_id).await else {
            return;
        };
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
    let body = Body::from_stream(csv_chunks(delimiter, header, receiver));
    attachment(filename, "text/csv; charset=utf-8", body)
}

/// Where a spreadsheet download's rows go.
pub struct SheetRows {
    sender: mpsc::Sender<Vec<crate::web::spreadsheet::Cell>>,
}

impl SheetRows {
    /// Sends one row; false when the writer has stopped.
    pub async fn send(&self, row: Vec<crate::web::spreadsheet::Cell>) -> bool {
        self.sender.send(row).await.is_ok()
    }
}

/// The content type of an XLSX file.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A spreadsheet download of `owner`'s rows read in a tenant transaction of its reseller:
/// `read` sends each row as the database returns them to a writer in constant-memory mode (on a
/// blocking thread, through a temporary file), and the finished file is sent from the disk.
/// Memory stays flat whatever the rows; the file exists only until it is opened for sending.
pub async fn tenant_xlsx<F>(
    pool: PgPool,
    owner: Owner,
    filename: &str,
    sheet: String,
    columns: Vec<crate::web::spreadsheet::Column>,
    read: F,
) -> AppResult<Response>
where
    F: for<'t> FnOnce(&'t mut PgConnection, &'t SheetRows) -> BoxFuture<'t, sqlx::Result<()>>
        + Send
        + 'static,
{
    let failed = |e: String| AppError::Internal(anyhow::anyhow!("a spreadsheet failed: {e}"));
    let _user = PER_USER.turn(owner.user_id).await;
    let _reseller = PER_RESELLER.turn(owner.reseller_id).await;
    let _turn = STREAMS.acquire().await.map_err(|e| failed(e.to_string()))?;
    let path = std::env::temp_dir().join(format!("portal-{}.xlsx", Uuid::new_v4()));
    let (sender, receiver) = mpsc::channel(1024);
    let target = path.clone();
    let writer = tokio::task::spawn_blocking(move || {
        crate::web::spreadsheet::write(&target, &sheet, &columns, receiver)
    });
    let rows = SheetRows { sender };
    let reading = async {
        let mut tx = crate::db::tenant_tx(&pool, owner.reseller_id).await?;
        read(&mut tx, &rows).await?;
        tx.commit().await
    };
    let read = tokio::time::timeout(STREAM_LIMIT, reading).await;
    drop(rows);
    let written = writer.await;
    let outcome = match (read, written) {
        (Ok(Ok(())), Ok(Ok(_))) => Ok(()),
        (Err(_), _) => Err(failed(format!("took longer than {STREAM_LIMIT:?}"))),
        (Ok(Err(e)), _) => Err(AppError::from(e)),
        (_, Ok(Err(e))) => Err(failed(e.to_string())),
        (_, Err(e)) => Err(failed(e.to_string())),
    };
    let file = match outcome {
        Ok(()) => tokio::fs::File::open(&path)
            .await
            .map_err(|e| failed(e.to_string())),
        Err(e) => Err(e),
    };
    // Open (or failed), the file needs no name any more.
    let _ = tokio::fs::remove_file(&path).await;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file?));
    Ok(attachment(filename, XLSX, body))
}

/// The bytes of a streamed CSV: the byte-order mark and header first, then the rows in chunks
/// of whatever has arrived (up to 256 rows).
fn csv_chunks(
    delimiter: u8,
    header: Vec<String>,
    receiver: mpsc::Receiver<Result<Vec<String>, ()>>,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let broken = || std::io::Error::other("the rows of the download could not be read");
    let first = csv_bytes_with(delimiter, &header, []).map_err(|_| broken());
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
        match rows.map(|rows| csv_records(delimiter, rows)) {
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
    fn the_other_separator_is_offered_beside_the_readers_default() {
        use crate::i18n::Locale;
        assert_eq!(
            super::other_separator(Locale::Es, "/orders/export.csv?q=a"),
            super::OtherSeparator {
                link: "/orders/export.csv?q=a&sep=comma".into(),
                key: "download.with_commas",
            }
        );
        let en = super::other_separator(Locale::En, "/customers/export.csv");
        assert_eq!(en.link, "/customers/export.csv?sep=semicolon");
        assert_eq!(super::delimiter(Locale::En, "semicolon"), b';');
        assert_eq!(super::delimiter(Locale::PtBr, "comma"), b',');
    }

    #[tokio::test]
    async fn a_reader_too_slow_is_let_go() {
        let (sender, mut receiver) = mpsc::channel(1);
        let patience = Duration::from_millis(50);
        let rows = Rows { sender, patience };
        assert!(rows.send(vec!["1".into()]).await);
        // Nothing read for the patience: the second row is not sent, the reading stops.
        assert!(!rows.send(vec!["2".into()]).await);
        assert_eq!(receiver.recv().await, Some(Ok(vec!["1".to_string()])));
    }

    /// A download whose client never reads: its rows fill the channel and it waits, holding
    /// its turn.
    fn stalled(owner: Owner) -> Response {
        csv_streamed("a.csv", b',', vec!["h".into()], owner, |rows| async move {
            while rows.send(vec!["row".into()]).await {}
            Ok(())
        })
    }

    #[tokio::test]
    async fn one_users_stalled_downloads_keep_no_other_reseller_waiting() {
        let a = Owner {
            reseller_id: Uuid::from_u128(10),
            user_id: Uuid::from_u128(11),
        };
        let _stalled: Vec<Response> = (0..4).map(|_| stalled(a)).collect();
        let b = Owner {
            reseller_id: Uuid::from_u128(20),
            user_id: Uuid::from_u128(21),
        };
        let response = csv_streamed("b.csv", b',', vec!["h".into()], b, |rows| async move {
            rows.send(vec!["b's row".into()]).await;
            Ok(())
        });
        let body = tokio::time::timeout(
            Duration::from_secs(20),
            axum::body::to_bytes(response.into_body(), 1 << 20),
        )
        .await
        .expect("the other reseller's download is not kept waiting")
        .unwrap();
        assert!(String::from_utf8_lossy(&body).contains("b's row"));
    }

    #[tokio::test]
    async fn a_key_holds_at_most_its_share_of_turns_and_others_are_not_kept_waiting() {
        let shares = Shares::new(2);
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let first = shares.turn(a).await.unwrap();
        let _second = shares.turn(a).await.unwrap();
        let third = tokio::time::timeout(Duration::from_millis(50), shares.turn(a)).await;
        assert!(third.is_err(), "a third turn for the same key waits");
        assert!(shares.turn(b).await.is_some(), "another key has its own");
        drop(first);
        assert!(shares.turn(a).await.is_some());
    }

    #[test]
    fn formulas_are_neutralised() {
        use super::neutralise_formula;
        assert_eq!(
            neutralise_formula("=HYPERLINK(\"x\")"),
            "'=HYPERLINK(\"x\")"
        );
        assert_eq!(neutralise_formula("+1"), "'+1");
        assert_eq!(neutralise_formula("+52 55 5555-5555"), "+52 55 5555-5555");
        assert_eq!(
            neutralise_formula("+55 (11) 4003.1234"),
            "+55 (11) 4003.1234"
        );
        assert_eq!(neutralise_formula("+52 55 A1"), "'+52 55 A1");
        assert_eq!(
            neutralise_formula("+5255555555+cmd|' /C calc'!A0"),
            "'+5255555555+cmd|' /C calc'!A0"
        );
        assert_eq!(neutralise_formula("@SUM"), "'@SUM");
        assert_eq!(neutralise_formula("Office 365"), "Office 365");
        assert_eq!(neutralise_formula("-25.50"), "-25.50");
        assert_eq!(neutralise_formula("-1+2"), "'-1+2");
        assert_eq!(neutralise_formula("-.5"), "'-.5");
        assert_eq!(neutralise_formula("-"), "'-");
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
        let (text, failed) = collect(csv_chunks(b',', header.clone(), receiver)).await;
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
        let (text, failed) = collect(csv_chunks(b';', header, receiver)).await;
        assert!(
            failed,
            "a failure must not look like a complete file: {text}"
        );
    }
}
