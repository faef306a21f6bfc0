//! `portal bench-baseline`: the yardstick of the benchmark (`bench/run`). A minimal page on the
//! same stack, like TechEmpower's "Fortunes": axum, one indexed query through the same sqlx
//! pool settings, an Askama template, and nothing else (no session, no middleware). Every page
//! of the portal is measured as a share of what this page serves on the same machine in the
//! same run, so results compare across machines.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use sqlx::PgPool;

#[derive(Template)]
#[template(path = "bench/baseline.html")]
struct BaselinePage {
    rows: Vec<Row>,
}

struct Row {
    sku: String,
    name: String,
}

async fn page(State(db): State<PgPool>) -> Response {
    let rows =
        sqlx::query!("SELECT sku, name_en FROM products WHERE sku > '' ORDER BY sku LIMIT 12")
            .fetch_all(&db)
            .await;
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => {
            return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response();
        }
    };
    let page = BaselinePage {
        rows: rows
            .into_iter()
            .map(|r| Row {
                sku: r.sku,
                name: r.name_en,
            })
            .collect(),
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Serves the baseline page on `bind` until the process ends.
pub async fn serve(database_url: &str, bind: std::net::SocketAddr) -> anyhow::Result<()> {
    let db = crate::db::connect(database_url).await?;
    let app = Router::new().route("/", get(page)).with_state(db);
    let listener = tokio::net::TcpListener::bind(bind).await?;
    axum::serve(listener, app)
        .with_graceful_shutdown(crate::shutdown_signal())
        .await?;
    Ok(())
}
