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
    let (page_parts, request_id) = keep(&request);
    let session = request.extensions().get::<Session>().cloned();
    let response = next.run(request).await;
    replace(response, page_parts, session.as_ref(), request_id).await
}

/// The error page of `error` for a layer outside [`render`]: the session layer, when the
/// session cannot be read (the database out of reach). Without a session, in the language of
/// the request's cookie or browser.
pub fn page_for(
    request: &Request,
    error: crate::error::AppError,
) -> impl std::future::Future<Output = Response> + Send + 'static {
    // What the page needs is taken now: the request itself is not held across an await.
    let (page_parts, request_id) = keep(request);
    async move { replace(error.into_response(), page_parts, None, request_id).await }
}

/// What an error page needs of the request: its address, headers and signed-in user, and its id.
fn keep(request: &Request) -> (axum::http::request::Parts, String) {
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mut page_parts = Request::new(Body::empty()).into_parts().0;
    page_parts.uri = request.uri().clone();
    page_parts.headers = request.headers().clone();
    if let Some(user) = request.extensions().get::<crate::identity::CurrentUser>() {
        page_parts.extensions.insert(user.clone());
    }
    (page_parts, request_id)
}

/// `response` itself, or, for an error that is not a rendered page yet, the localized page.
async fn replace(
    response: Response,
    page_parts: axum::http::request::Parts,
    session: Option<&Session>,
    request_id: String,
) -> Response {
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
    let ctx = PageCtx::build(&page_parts, session).await;
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
