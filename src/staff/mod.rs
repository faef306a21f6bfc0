//! The staff console's home: the queues that need the distributor's attention (and how long
//! they have waited) and the platform's figures. Each feature
//! keeps its own staff pages (`src/<feature>/…staff.rs`) under `/staff/…`.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use crate::app::AppState;
use crate::error::AppResult;
use crate::identity::StaffUser;
use crate::web::page::{self, PageCtx};

mod jobs;
pub mod store;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff", get(home))
        .merge(jobs::router())
}

#[derive(Template)]
#[template(path = "staff/home.html")]
struct HomePage {
    ctx: PageCtx,
    f: store::Figures,
    /// How long the oldest access and program requests have waited.
    access_waited: Option<String>,
    program_waited: Option<String>,
    resellers_in_all: String,
    jobs: crate::jobs::Counts,
}

async fn home(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
) -> AppResult<Response> {
    let now = time::OffsetDateTime::now_utc();
    let f = store::figures(&state.db, now.date()).await?;
    let jobs = crate::jobs::counts(&state.db).await?;
    let waited = |since: Option<time::OffsetDateTime>| {
        since.map(|at| {
            let (n, many, one) = store::waited(at, now);
            ctx.t_with(
                "staff.oldest_waited",
                &[("age", &ctx.t_count(many, one, n))],
            )
        })
    };
    Ok(page::ok(&HomePage {
        access_waited: waited(f.oldest_access),
        program_waited: waited(f.oldest_program),
        resellers_in_all: ctx.t_count(
            "staff.resellers_in_all_many",
            "staff.resellers_in_all_one",
            f.resellers,
        ),
        f,
        jobs,
        ctx,
    }))
}
