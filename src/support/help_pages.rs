//! The help centre (`/support/help`): the articles by topic, a search that forgives accents and
//! typos, and one article in the reader's language. Open to everyone, signed in or not (first
//! access and password recovery are read before signing in).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::support::help::{self, Article, Topic};
use crate::web::path::Path;
use crate::web::{PageCtx, page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/support/help", get(index))
        .route("/support/help/{slug}", get(show))
}

#[derive(Deserialize, Default)]
struct SearchParams {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "support/help.html")]
struct IndexPage {
    ctx: PageCtx,
    q: String,
    results_for: String,
    /// Each topic's label and articles (slug, title), when nothing is searched.
    topics: Vec<(String, Vec<(&'static str, String)>)>,
    /// What a search found (slug, title, topic).
    found: Vec<(&'static str, String, String)>,
}

async fn index(
    State(_state): State<AppState>,
    ctx: PageCtx,
    Query(p): Query<SearchParams>,
) -> AppResult<Response> {
    let q: String = p.q.trim().chars().take(100).collect();
    let articles = help::search(&q, ctx.locale);
    let (topics, found) = if q.is_empty() {
        let topics = Topic::ALL
            .iter()
            .map(|t| {
                let list = articles
                    .iter()
                    .filter(|a| a.topic == *t)
                    .map(|a| (a.slug, a.title.clone()))
                    .collect();
                (ctx.t(t.key()), list)
            })
            .collect();
        (topics, Vec::new())
    } else {
        let found = articles
            .iter()
            .map(|a| (a.slug, a.title.clone(), ctx.t(a.topic.key())))
            .collect();
        (Vec::new(), found)
    };
    Ok(page::ok(&IndexPage {
        results_for: ctx.t_with("help.results_for", &[("q", &q)]),
        q,
        topics,
        found,
        ctx,
    }))
}

#[derive(Template)]
#[template(path = "support/article.html")]
struct ArticlePage {
    ctx: PageCtx,
    article: &'static Article,
    topic: String,
    /// The other articles of its topic (slug, title).
    related: Vec<(&'static str, String)>,
}

async fn show(
    State(_state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
) -> AppResult<Response> {
    let article = help::article(&slug, ctx.locale).ok_or(AppError::NotFound)?;
    let related = help::search("", ctx.locale)
        .into_iter()
        .filter(|a| a.topic == article.topic && a.slug != article.slug)
        .map(|a| (a.slug, a.title.clone()))
        .collect();
    Ok(page::ok(&ArticlePage {
        topic: ctx.t(article.topic.key()),
        article,
        related,
        ctx,
    }))
}
