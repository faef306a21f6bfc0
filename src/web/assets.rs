//! Static files, compiled into the binary so the portal runs from any directory. URLs carry a
//! content hash (`?v=`), so browsers may keep them for a year.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use sha2::Digest;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../static/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/app.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../static/favicon.svg"),
    },
];

/// One hash over every asset: changes whenever any file changes.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut h = sha2::Sha256::new();
    for a in ASSETS {
        h.update(a.name.as_bytes());
        h.update(a.bytes);
    }
    hex::encode(&h.finalize()[..6])
});

pub fn url(name: &str) -> String {
    format!("/static/{name}?v={}", *VERSION)
}

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/static/{name}", get(serve))
}

#[derive(Deserialize)]
struct VersionQuery {
    v: Option<String>,
}

async fn serve(Path(name): Path<String>, Query(q): Query<VersionQuery>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let cache = if q.v.as_deref() == Some(VERSION.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        asset.bytes,
    )
        .into_response()
}
