//! `/staff/resellers`: every reseller, with search and filters, a detail page with programs,
//! users and recent activity, and suspension (its users can still sign in, cannot order, and
//! see why) or reactivation.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit;
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::{ResellerStatus, StaffUser};
use crate::partners::rules;
use crate::partners::staff_store::{self, ResellerFilter, ResellerRow};
use crate::partners::store::{self, Account};
use crate::partners::view::{self, ProgramChoice};
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::{Choice, Form};
use crate::web::page::{self, PageCtx};
use crate::web::paging::{Page, Pager};
use crate::web::path::Path;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/resellers", get(list))
        .route("/staff/resellers/{id}", get(detail))
        .route("/staff/resellers/{id}/status", post(set_status))
}

#[derive(Deserialize, Default)]
struct Filters {
    #[serde(default)]
    q: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    program: String,
    #[serde(default)]
    page: Option<String>,
}

impl Filters {
    fn filter(&self) -> ResellerFilter {
        ResellerFilter {
            q: self.q.trim().chars().take(100).collect(),
            country: view::country_filter(&self.country),
            status: ResellerStatus::from_code(&self.status),
            program: view::program_filter(&self.program),
        }
    }
}

/// The list with `f`'s filters, at page `n`.
fn link(f: &ResellerFilter, n: i64) -> String {
    let qs: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("q", &f.q)
        .append_pair("country", &f.country)
        .append_pair("status", f.status.map_or("", ResellerStatus::code))
        .append_pair("program", &f.program)
        .append_pair("page", &n.to_string())
        .finish();
    format!("/staff/resellers?{qs}")
}

/// A reseller of the list, its country and status in the page's language.
pub struct Row {
    pub reseller: ResellerRow,
    pub country_name: String,
    pub status_label: String,
}

#[derive(Template)]
#[template(path = "staff/resellers.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<Row>,
    q: String,
    countries: Vec<Choice>,
    statuses: Vec<Choice>,
    programs: Vec<ProgramChoice>,
    summary: String,
    pager: Pager,
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Query(f): Query<Filters>,
) -> AppResult<Response> {
    let (filter, page) = (f.filter(), Page::of_table(f.page.as_deref()));
    let (rows, total) = staff_store::resellers(&state.db, &filter, page).await?;
    let programs = crate::catalog::store::programs(&state.db).await?;
    let rows = rows
        .into_iter()
        .map(|r| Row {
            country_name: view::country_name(&ctx, &r.country),
            status_label: ctx.t(r.status.key()),
            reseller: r,
        })
        .collect();
    Ok(page::ok(&ListPage {
        summary: ctx.t_count("resellers.count", "resellers.count_one", total),
        pager: page.links(total, |n| link(&filter, n)),
        countries: view::country_choices(&ctx, &filter.country),
        statuses: Choice::list(
            ResellerStatus::ALL,
            filter.status,
            ResellerStatus::code,
            |s| ctx.t(s.key()),
        ),
        programs: view::program_choices(programs, &filter.program),
        rows,
        q: filter.q,
        ctx,
    }))
}

/// A user of the reseller as the page lists them.
pub struct UserLine {
    pub name: String,
    pub email: String,
    pub role: String,
    pub status: String,
}

/// An entry of the reseller's recent activity.
pub struct ActivityLine {
    pub at: String,
    pub action: String,
    pub actor: String,
}

#[derive(Template)]
#[template(path = "staff/reseller.html")]
struct DetailPage {
    ctx: PageCtx,
    reseller: Account,
    suspended: bool,
    country_name: String,
    programs: Vec<(String, String, String)>,
    users: Vec<UserLine>,
    activity: Vec<ActivityLine>,
    reason: String,
    errors: FieldErrors,
}

async fn detail_view(
    state: &AppState,
    ctx: PageCtx,
    id: Uuid,
    reason: String,
    errors: FieldErrors,
) -> AppResult<Response> {
    let reseller = store::account(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let programs = staff_store::enrollments(&state.db, id).await?;
    let users = staff_store::users(&state.db, id).await?;
    let activity = staff_store::activity(&state.db, id).await?;
    let page = DetailPage {
        country_name: view::country_name(&ctx, &reseller.country),
        suspended: reseller.status == ResellerStatus::Suspended,
        programs: programs
            .into_iter()
            .map(|p| (p.name, ctx.t(p.status.key()), p.code))
            .collect(),
        users: users
            .into_iter()
            .map(|u| UserLine {
                role: ctx.t(u.role.key()),
                status: ctx.t(u.status.key()),
                name: u.name,
                email: u.email,
            })
            .collect(),
        activity: activity
            .into_iter()
            .map(|a| ActivityLine {
                at: ctx.moment(a.at),
                action: ctx.t(a.action.key()),
                actor: a.actor.unwrap_or_default(),
            })
            .collect(),
        reseller,
        reason,
        errors,
        ctx,
    };
    Ok(page::render(page::form_status(&page.errors), &page))
}

async fn detail(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    detail_view(&state, ctx, id, String::new(), FieldErrors::new()).await
}

#[derive(Deserialize)]
struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
}

async fn set_status(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    let status = ResellerStatus::from_code(&form.status).ok_or(AppError::BadRequest)?;
    let suspending = status == ResellerStatus::Suspended;
    // Suspending says why (its users see it); reactivating needs no reason.
    let reason = if suspending {
        match rules::reason(&form.reason, Some("resellers.reason_required")) {
            Ok(reason) => reason,
            Err(key) => {
                let typed = rules::typed_reason(&form.reason);
                let errors = FieldErrors::one("reason", key);
                return detail_view(&state, ctx, id, typed, errors).await;
            }
        }
    } else {
        form.reason.trim().to_string()
    };
    let mut tx = state.db.begin().await?;
    let shown = suspending.then_some(reason.as_str());
    if !staff_store::set_standing(&mut tx, id, status, shown).await? {
        return Err(AppError::NotFound);
    }
    let (action, message) = rules::standing_change(status);
    let entry = audit::Entry {
        reseller_id: Some(id),
        actor: Some(staff.id),
        subject_type: Some("reseller"),
        subject_id: Some(id.to_string()),
        details: serde_json::json!({ "reason": reason }),
        ip: Some(ip),
        ..audit::Entry::new(action)
    };
    let back = format!("/staff/resellers/{id}");
    flash::done(tx, &session, entry, message, &[], &back).await
}
