//! Error pages. Any response with an error status that is not already a rendered page (an
//! `AppError`, a rejected extractor, an unknown route, a body over the limit, a timeout, a panic)
//! is replaced here by a localized page with the same status. Nothing internal is shown.

use askama::Template;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use tower_sessions::Session;

use crate::error::ErrorKind;
use crate::web::REQUEST_ID;
use crate::web::page::{PageCtx, Rendered};

#[derive(Template)]
#[template(path = "errors/error.html")]
pub struct ErrorPage {
    pub ctx: PageCtx,
    pub status: u16,
    pub title: String,
    pub message: String,
    pub request_id: String,
}

pub async fn render(request: Request, next: Next) -> Response {
    // Keep what the page needs before the request is consumed.
    let (parts, body) = request.into_parts();
    let session = parts.extensions.get::<Session>().cloned();
    let request_id = parts
        .headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mut page_parts = Request::new(Body::empty()).into_parts().0;
    page_parts.uri = parts.uri.clone();
    page_parts.headers = parts.headers.clone();
    if let Some(user) = parts.extensions.get::<crate::identity::CurrentUser>() {
        page_parts.extensions.insert(user.clone());
    }
    let response = next.run(Request::from_parts(parts, body)).await;

    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<Rendered>().is_some()
    {
        return response;
    }
    let kind = response
        .extensions()
        .get::<ErrorKind>()
        .copied()
        .unwrap_or_else(|| ErrorKind::from_status(status));
    let ctx = PageCtx::build(&page_parts, session.as_ref()).await;
    let page = ErrorPage {
        status: status.as_u16(),
        title: ctx.t(kind.title_key()),
        message: ctx.t(kind.message_key()),
        request_id,
        ctx,
    };
    let html = match page.render() {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, "cannot render the error page");
            format!(
                "<!DOCTYPE html><title>{0}</title><h1>{0}</h1>",
                status.as_u16()
            )
        }
    };
    let mut fresh = (status, Html(html)).into_response();
    // Keep the headers that matter to clients (Allow on 405, Retry-After on 429).
    for name in [header::ALLOW, header::RETRY_AFTER, header::SET_COOKIE] {
        for value in response.headers().get_all(&name) {
            fresh.headers_mut().append(name.clone(), value.clone());
        }
    }
    fresh
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    fresh
}
