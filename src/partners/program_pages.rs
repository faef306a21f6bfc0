//! `/partner/programs`: the vendor programs with this reseller's standing, requests with the
//! program's terms and conditions (the version, user, time and address are recorded), and
//! accepting a new version of the terms. Owners and admins request and accept; everyone sees.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::{ResellerUser, Role};
use crate::partners::programs::{self, EnrollmentStatus, ProgramStatus};
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::forms::Form;
use crate::web::page::{self, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/partner/programs", get(list))
        .route(
            "/partner/programs/{code}/request",
            get(request_page).post(request_submit),
        )
        .route(
            "/partner/programs/{code}/terms",
            get(terms_page).post(terms_submit),
        )
}

pub struct Row {
    pub program: ProgramStatus,
    pub status_label: String,
    pub explanation: Option<String>,
    pub needs_terms: bool,
}

#[derive(Template)]
#[template(path = "partners/programs.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<Row>,
    can_manage: bool,
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let status = crate::partners::store::reseller_status(&mut tx, me.reseller_id).await?;
    let list = programs::for_reseller(&mut tx, me.reseller_id).await?;
    tx.commit().await?;
    let rows = list
        .into_iter()
        .map(|p| {
            let key = match p.status {
                None if !p.offered_here => "programs.status_not_offered",
                None => "programs.status_none",
                Some(s) => s.key(),
            };
            let verdict = p.orderable(status);
            let needs_terms = verdict == Err(programs::NotOrderable::TermsOutdated);
            let explanation = match (&p.reason, p.status) {
                (Some(reason), Some(EnrollmentStatus::Rejected | EnrollmentStatus::Suspended)) => {
                    Some(ctx.t_with("programs.reason_is", &[("reason", reason)]))
                }
                _ if needs_terms => Some(ctx.t(programs::NotOrderable::TermsOutdated.key())),
                _ => None,
            };
            Row {
                status_label: ctx.t(key),
                explanation,
                needs_terms,
                program: p,
            }
        })
        .collect();
    Ok(page::ok(&ListPage {
        can_manage: me.user.role.manages_users(),
        ctx,
        rows,
    }))
}

#[derive(Template)]
#[template(path = "partners/program_request.html")]
struct RequestPage {
    ctx: PageCtx,
    program: ProgramStatus,
    version: i32,
    terms_title: String,
    terms_body: Vec<String>,
    /// Requesting access (true) or only accepting new terms (false).
    full_request: bool,
    domain: String,
    partner_id: String,
    errors: FieldErrors,
}

fn paragraphs(body: &str) -> Vec<String> {
    body.split("\n\n")
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

async fn load(
    state: &AppState,
    me: &ResellerUser,
    code: &str,
) -> AppResult<(ProgramStatus, programs::Terms, Option<String>)> {
    if code.len() > 60 {
        return Err(AppError::NotFound);
    }
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let program = programs::one_for_reseller(&mut tx, me.reseller_id, code)
        .await?
        .ok_or(AppError::NotFound)?;
    let terms = programs::current_terms(&mut *tx, program.program_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let partner_id: Option<String> =
        sqlx::query_scalar("SELECT partner_id FROM resellers WHERE id = $1")
            .bind(me.reseller_id)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok((program, terms, partner_id))
}

#[allow(clippy::too_many_arguments)]
fn render(
    ctx: PageCtx,
    program: ProgramStatus,
    terms: programs::Terms,
    full_request: bool,
    domain: String,
    partner_id: String,
    errors: FieldErrors,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page::render(
        status,
        &RequestPage {
            version: terms.version,
            terms_title: terms.title(ctx.locale).to_string(),
            terms_body: paragraphs(terms.body(ctx.locale)),
            ctx,
            program,
            full_request,
            domain,
            partner_id,
            errors,
        },
    )
}

async fn request_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(code): Path<String>,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    let (program, terms, partner_id) = load(&state, &me, &code).await?;
    if !program.may_request() {
        return Ok(page::see_other("/partner/programs"));
    }
    let domain = program.domain.clone().unwrap_or_default();
    Ok(render(
        ctx,
        program,
        terms,
        true,
        domain,
        partner_id.unwrap_or_default(),
        FieldErrors::new(),
    ))
}

#[derive(Deserialize)]
struct RequestForm {
    #[serde(default)]
    accept: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    partner_id: String,
}

/// Records the acceptance of `version` by the user, with time and address.
async fn accept_terms(
    tx: &mut sqlx::PgConnection,
    me: &ResellerUser,
    program_id: Uuid,
    version: i32,
    ip: std::net::IpAddr,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO program_terms_acceptances (reseller_id, program_id, version, user_id, ip)
         VALUES ($1, $2, $3, $4, $5::text::inet) ON CONFLICT DO NOTHING",
    )
    .bind(me.reseller_id)
    .bind(program_id)
    .bind(version)
    .bind(me.user.id)
    .bind(ip.to_string())
    .execute(tx)
    .await?;
    Ok(())
}

async fn request_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(code): Path<String>,
    Form(form): Form<RequestForm>,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    let (program, terms, _) = load(&state, &me, &code).await?;
    if !program.offered_here {
        flash::push(&session, Level::Error, "programs.not_offered_here", &[]).await;
        return Ok(page::see_other("/partner/programs"));
    }
    let mut errors = FieldErrors::new();
    if form.accept != "yes" {
        errors.add("accept", "programs.must_accept");
    }
    if form.version.trim().parse::<i32>().ok() != Some(terms.version) {
        // The terms changed while the page was open: read them again.
        errors.add("accept", "programs.terms_changed");
    }
    let domain = programs::parse_program_domain(program.vendor(), &form.domain)
        .map_err(|k| errors.add("domain", k))
        .ok();
    let partner_id = if program.requires_partner_id {
        programs::parse_partner_id(&form.partner_id)
            .map_err(|k| errors.add("partner_id", k))
            .ok()
    } else {
        None
    };
    let Some(domain) = domain.filter(|_| errors.is_empty()) else {
        let typed_domain: String = form.domain.chars().take(253).collect();
        let typed_partner: String = form.partner_id.chars().take(20).collect();
        return Ok(render(
            ctx,
            program,
            terms,
            true,
            typed_domain,
            typed_partner,
            errors,
        ));
    };

    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    // A new request, or again after a rejection; never twice while one is pending or approved.
    let stored: Option<String> = sqlx::query_scalar(
        "INSERT INTO program_enrollments AS e (reseller_id, program_id, status, domain, partner_id,
                                               requested_by, requested_at, updated_at)
         VALUES ($1, $2, 'pending', $3, $4, $5, now(), now())
         ON CONFLICT (reseller_id, program_id) DO UPDATE
             SET status = 'pending', domain = excluded.domain, partner_id = excluded.partner_id,
                 requested_by = excluded.requested_by, requested_at = now(), updated_at = now(),
                 reason = NULL, decided_by = NULL, decided_at = NULL
             WHERE e.status = 'rejected'
         RETURNING status",
    )
    .bind(me.reseller_id)
    .bind(program.program_id)
    .bind(domain.as_str())
    .bind(&partner_id)
    .bind(me.user.id)
    .fetch_optional(&mut *tx)
    .await?;
    if stored.is_none() {
        flash::push(&session, Level::Error, "programs.already_requested", &[]).await;
        return Ok(page::see_other("/partner/programs"));
    }
    accept_terms(&mut tx, &me, program.program_id, terms.version, ip).await?;
    if let Some(pid) = &partner_id {
        sqlx::query("UPDATE resellers SET partner_id = $2 WHERE id = $1 AND partner_id IS NULL")
            .bind(me.reseller_id)
            .bind(pid)
            .execute(&mut *tx)
            .await?;
    }
    let link = state.config.link("/partner/programs");
    crate::partners::program_mail::notify_admins(
        &mut tx,
        me.reseller_id,
        Some(me.user.id),
        &program.name,
        "submitted",
        None,
        &link,
    )
    .await?;
    audit::record(
        &mut *tx,
        audit::Entry {
            reseller_id: Some(me.reseller_id),
            actor: Some(me.user.id),
            subject_type: Some("program_enrollment"),
            subject_id: Some(format!("{}:{}", me.reseller_id, program.code)),
            details: serde_json::json!({ "program": program.code, "domain": domain.as_str(),
                                         "partner_id": partner_id, "terms_version": terms.version }),
            ip: Some(ip),
            ..audit::Entry::new(Action::ProgramRequested)
        },
    )
    .await?;
    tx.commit().await?;
    flash::push(
        &session,
        Level::Success,
        "programs.requested",
        &[("program", &program.name)],
    )
    .await;
    Ok(page::see_other("/partner/programs"))
}

async fn terms_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(code): Path<String>,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    let (program, terms, _) = load(&state, &me, &code).await?;
    if program.status != Some(EnrollmentStatus::Approved) {
        return Ok(page::see_other("/partner/programs"));
    }
    Ok(render(
        ctx,
        program,
        terms,
        false,
        String::new(),
        String::new(),
        FieldErrors::new(),
    ))
}

async fn terms_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(code): Path<String>,
    Form(form): Form<RequestForm>,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    let (program, terms, _) = load(&state, &me, &code).await?;
    if program.status != Some(EnrollmentStatus::Approved) {
        return Ok(page::see_other("/partner/programs"));
    }
    let mut errors = FieldErrors::new();
    if form.accept != "yes" {
        errors.add("accept", "programs.must_accept");
    }
    if form.version.trim().parse::<i32>().ok() != Some(terms.version) {
        errors.add("accept", "programs.terms_changed");
    }
    if !errors.is_empty() {
        return Ok(render(
            ctx,
            program,
            terms,
            false,
            String::new(),
            String::new(),
            errors,
        ));
    }
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    accept_terms(&mut tx, &me, program.program_id, terms.version, ip).await?;
    audit::record(
        &mut *tx,
        audit::Entry {
            reseller_id: Some(me.reseller_id),
            actor: Some(me.user.id),
            subject_type: Some("program_enrollment"),
            subject_id: Some(format!("{}:{}", me.reseller_id, program.code)),
            details: serde_json::json!({ "program": program.code, "terms_version": terms.version }),
            ip: Some(ip),
            ..audit::Entry::new(Action::ProgramTermsAccepted)
        },
    )
    .await?;
    tx.commit().await?;
    flash::push(
        &session,
        Level::Success,
        "programs.terms_accepted",
        &[("program", &program.name)],
    )
    .await;
    Ok(page::see_other("/partner/programs"))
}
