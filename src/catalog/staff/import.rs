//! `/staff/catalog/import` and `/staff/catalog/export.csv`: the price list as CSV. An import is
//! checked row by row and applied in one transaction or not at all, with every rejected row and
//! its reason shown (`catalog::import` reads and applies the file).

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::catalog::import::{self, Rejection};
use crate::catalog::routes::today;
use crate::error::AppResult;
use crate::identity::StaffUser;
use crate::web::PageCtx;
use crate::web::client_ip::ClientIp;
use crate::web::page;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/staff/catalog/import",
            get(import_page)
                .post(import_submit)
                // The file may be as large as the import takes (the form's limit is lower).
                .layer(DefaultBodyLimit::max(import::MAX_BYTES + 64 * 1024)),
        )
        .route("/staff/catalog/export.csv", get(export))
}

/// A rejected row as the page lists it: its line and why.
pub struct RejectedRow {
    pub line: usize,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "catalog/staff_import.html")]
struct ImportPage {
    ctx: PageCtx,
    error: Option<String>,
    rejected: Vec<RejectedRow>,
    applied: Option<usize>,
}

async fn import_page(ctx: PageCtx, _staff: StaffUser) -> Response {
    page::ok(&ImportPage {
        ctx,
        error: None,
        rejected: Vec::new(),
        applied: None,
    })
}

fn describe(ctx: &PageCtx, rejected: Vec<Rejection>) -> Vec<RejectedRow> {
    rejected
        .into_iter()
        .map(|r| {
            let text = ctx.t(r.key);
            RejectedRow {
                line: r.line,
                reason: if r.detail.is_empty() {
                    text
                } else {
                    format!("{text} ({})", r.detail)
                },
            }
        })
        .collect()
}

async fn import_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    multipart: Multipart,
) -> AppResult<Response> {
    let fail = |ctx: PageCtx, key: &str, rejected: Vec<RejectedRow>| {
        let error = Some(ctx.t(key));
        let page = ImportPage {
            ctx,
            error,
            rejected,
            applied: None,
        };
        Ok(page::render(StatusCode::UNPROCESSABLE_ENTITY, &page))
    };
    let Some((_, bytes)) = crate::web::forms::uploaded_file(multipart).await? else {
        return fail(ctx, "import.no_file", Vec::new());
    };
    let (mut lines, rejected) = match import::parse(&bytes) {
        Ok(parsed) => parsed,
        Err(key) => return fail(ctx, key, Vec::new()),
    };
    if !rejected.is_empty() {
        let list = describe(&ctx, rejected);
        return fail(ctx, "import.rejected", list);
    }
    lines.sort_by_key(|l| (l.valid_from, l.line));
    let mut tx = state.db.begin().await?;
    let mut rejected = import::apply(&mut tx, &lines, staff.id).await?;
    if !rejected.is_empty() {
        // Nothing is applied: the transaction is dropped, rolled back.
        drop(tx);
        rejected.sort_by_key(|r| r.line);
        let list = describe(&ctx, rejected);
        return fail(ctx, "import.rejected", list);
    }
    let entry = audit::Entry {
        actor: Some(staff.id),
        subject_type: Some("prices"),
        details: serde_json::json!({ "rows": lines.len() }),
        ip: Some(ip),
        ..audit::Entry::new(Action::PriceListImported)
    };
    audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    Ok(page::ok(&ImportPage {
        ctx,
        error: None,
        rejected: Vec::new(),
        applied: Some(lines.len()),
    }))
}

async fn export(State(state): State<AppState>, _staff: StaffUser) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let body = import::export(&mut conn, today()).await?;
    Ok(crate::web::download::attachment(
        "price-list.csv",
        "text/csv; charset=utf-8",
        body,
    ))
}
