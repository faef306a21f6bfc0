//! How the partner pages show what they share: country names and filters, program filters,
//! status filters with their "all" option, the status of a page with a form, and the answer
//! to a change that was refused.

use axum::response::Response;
use tower_sessions::Session;

use crate::countries;
use crate::error::AppResult;
use crate::web::PageCtx;
use crate::web::flash::{self, Level};
use crate::web::forms::Choice;
use crate::web::page;

/// The name of the country `code` in the page's language (the code itself when unknown).
pub fn country_name(ctx: &PageCtx, code: &str) -> String {
    countries::by_code(code)
        .map(|c| c.name(ctx.locale).to_string())
        .unwrap_or_else(|| code.to_string())
}

/// The code of a country filter: a known country, or empty (every country).
pub fn country_filter(raw: &str) -> String {
    countries::by_code(raw)
        .map(|c| c.code.to_string())
        .unwrap_or_default()
}

/// Every country, sorted in the page's language, `chosen` selected.
pub fn country_choices(ctx: &PageCtx, chosen: &str) -> Vec<Choice> {
    countries::sorted(ctx.locale)
        .into_iter()
        .map(|c| Choice {
            code: c.code,
            label: c.name(ctx.locale).to_string(),
            selected: c.code == chosen,
        })
        .collect()
}

/// A status filter's options: every status, then "all" (`all_key` its label); `None` is "all".
pub fn status_choices<T: Copy + PartialEq>(
    ctx: &PageCtx,
    all: &[T],
    chosen: Option<T>,
    code: fn(T) -> &'static str,
    key: fn(T) -> &'static str,
    all_key: &'static str,
) -> Vec<Choice> {
    let mut choices = Choice::list(all, chosen, code, |s| ctx.t(key(s)));
    choices.push(Choice {
        code: "all",
        label: ctx.t(all_key),
        selected: chosen.is_none(),
    });
    choices
}

/// The code of a program filter: at most 60 characters (a program code), else empty.
pub fn program_filter(raw: &str) -> String {
    if raw.len() <= 60 {
        raw.to_string()
    } else {
        String::new()
    }
}

/// A program of a filter (programs are data, so their codes are not `'static`).
pub struct ProgramChoice {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

/// The catalog's programs as a filter's options, `chosen` selected.
pub fn program_choices(
    programs: Vec<crate::catalog::store::Choice>,
    chosen: &str,
) -> Vec<ProgramChoice> {
    programs
        .into_iter()
        .map(|p| ProgramChoice {
            selected: p.code == chosen,
            code: p.code,
            label: p.name,
        })
        .collect()
}

/// Nothing changed, and the next page says why (`key`): the browser is sent to `to`.
pub async fn refused(session: &Session, key: &str, to: &str) -> AppResult<Response> {
    flash::push(session, Level::Error, key, &[]).await;
    Ok(page::see_other(to))
}
