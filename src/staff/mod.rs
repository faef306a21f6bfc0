//! The staff console's home: the queues that need the distributor's attention. Each feature
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

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff", get(home))
        .merge(jobs::router())
}

#[derive(Template)]
#[template(path = "staff/home.html")]
struct HomePage {
    ctx: PageCtx,
    pending_access: i64,
    pending_programs: i64,
    resellers: i64,
    products: i64,
    jobs: crate::jobs::Counts,
}

async fn home(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
) -> AppResult<Response> {
    let counts = sqlx::query!(
        r#"SELECT (SELECT count(*) FROM access_requests WHERE status = 'pending') AS "access!",
                  (SELECT count(*) FROM program_enrollments WHERE status = 'pending') AS "programs!",
                  (SELECT count(*) FROM resellers) AS "resellers!",
                  (SELECT count(*) FROM products WHERE status = 'active') AS "products!""#
    )
    .fetch_one(&state.db)
    .await?;
    let jobs = crate::jobs::counts(&state.db).await?;
    Ok(page::ok(&HomePage {
        jobs,
        ctx,
        pending_access: counts.access,
        pending_programs: counts.programs,
        resellers: counts.resellers,
        products: counts.products,
    }))
}
