//! `/staff/jobs`: the background jobs that gave up (their last error, when, how many attempts),
//! and a retry button for the kinds retried from here; the queue's counts are on the console's
//! home. The retry policy is docs/decisions/0015-job-retry-policy.md.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use tower_sessions::Session;

use crate::app::AppState;
use crate::audit;
use crate::error::AppResult;
use crate::identity::StaffUser;
use crate::jobs::{self, JobKind};
use crate::web::PageCtx;
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::page;
use crate::web::path::Path;

/// The most dead jobs the page lists (the latest).
const LISTED: i64 = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/jobs", get(list))
        .route("/staff/jobs/{id}/retry", post(retry))
}

/// A dead job as the page shows it.
pub struct Row {
    pub id: i64,
    pub kind: String,
    pub attempts: i32,
    pub error: String,
    pub created: String,
    pub failed: String,
    pub retry: bool,
    /// The staff page of the order it provisioned.
    pub order_link: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/jobs.html")]
struct ListPage {
    ctx: PageCtx,
    counts: jobs::Counts,
    rows: Vec<Row>,
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
) -> AppResult<Response> {
    let counts = jobs::counts(&state.db).await?;
    let dead = jobs::dead(&state.db, LISTED).await?;
    let rows = dead
        .into_iter()
        .map(|j| {
            let kind = JobKind::from_code(&j.kind);
            Row {
                id: j.id,
                kind: kind.map_or_else(|| j.kind.clone(), |k| ctx.t(k.key())),
                attempts: j.attempts,
                error: j.last_error.unwrap_or_default().chars().take(500).collect(),
                created: ctx.moment(j.created_at),
                failed: j.finished_at.map(|t| ctx.moment(t)).unwrap_or_default(),
                retry: j.has_payload && kind.is_some_and(JobKind::retried_from_the_list),
                order_link: j
                    .reseller_id
                    .zip(j.order_id)
                    .map(|(r, o)| format!("/staff/orders/{r}/{o}")),
            }
        })
        .collect();
    Ok(page::ok(&ListPage { ctx, counts, rows }))
}

async fn retry(
    State(state): State<AppState>,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let back = "/staff/jobs";
    let mut tx = state.db.begin().await?;
    let Some(kind) = jobs::retry(&mut *tx, id).await? else {
        flash::push(&session, Level::Error, "jobs.not_retried", &[]).await;
        return Ok(page::see_other(back));
    };
    let entry = audit::Entry {
        actor: Some(staff.id),
        subject_type: Some("job"),
        subject_id: Some(id.to_string()),
        details: serde_json::json!({ "kind": kind.code() }),
        ip: Some(ip),
        ..audit::Entry::new(audit::Action::JobRetried)
    };
    let number = id.to_string();
    flash::done(
        tx,
        &session,
        entry,
        "jobs.retried",
        &[("id", &number)],
        back,
    )
    .await
}
