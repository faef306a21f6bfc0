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

pub fn router() -> Router<AppState> {
    Router::new().route("/staff", get(home))
}

#[derive(Template)]
#[template(path = "staff/home.html")]
struct HomePage {
    ctx: PageCtx,
    pending_access: i64,
    pending_programs: i64,
    resellers: i64,
    products: i64,
}

async fn home(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
) -> AppResult<Response> {
    let (pending_access, pending_programs, resellers, products): (i64, i64, i64, i64) =
        sqlx::query_as(
            "SELECT (SELECT count(*) FROM access_requests WHERE status = 'pending'),
                (SELECT count(*) FROM program_enrollments WHERE status = 'pending'),
                (SELECT count(*) FROM resellers),
                (SELECT count(*) FROM products WHERE status = 'active')",
        )
        .fetch_one(&state.db)
        .await?;
    Ok(page::ok(&HomePage {
        ctx,
        pending_access,
        pending_programs,
        resellers,
        products,
    }))
}
