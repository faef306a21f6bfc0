//! `/partner/programs`: the vendor programs with this reseller's standing, requests with the
//! program's terms and conditions (the version, user, time and address are recorded), and
//! accepting a new version of the terms. Owners and admins request and accept; everyone sees.

use std::net::IpAddr;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::domain::Domain;
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::{ResellerUser, Role};
use crate::partners::program_mail::{self, ProgramNews};
use crate::partners::programs::{self, EnrollmentStatus, ProgramStatus, Terms};
use crate::partners::rules::ProgramEvent;
use crate::partners::{store, view};
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::Form;
use crate::web::page::{self, PageCtx};
use crate::web::path::Path;

/// The programs page, where every change leads back.
const LIST: &str = "/partner/programs";

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

/// A program of the reseller with its terms in force, and the reseller's partner id.
struct Loaded {
    program: ProgramStatus,
    terms: Terms,
    partner_id: Option<String>,
}

async fn load(state: &AppState, me: &ResellerUser, code: &str) -> AppResult<Loaded> {
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
    let partner_id = store::partner_id(&mut tx, me.reseller_id).await?;
    tx.commit().await?;
    Ok(Loaded {
        program,
        terms,
        partner_id,
    })
}

/// The request page (`full_request`) or the new terms page, with the domain and partner id
/// shown in their fields.
fn render(
    ctx: PageCtx,
    loaded: Loaded,
    full_request: bool,
    (domain, partner_id): (String, String),
    errors: FieldErrors,
) -> Response {
    let Loaded { program, terms, .. } = loaded;
    let page = RequestPage {
        version: terms.version,
        terms_title: terms.title(ctx.locale).to_string(),
        terms_body: paragraphs(terms.body(ctx.locale)),
        ctx,
        program,
        full_request,
        domain,
        partner_id,
        errors,
    };
    page::render(page::form_status(&page.errors), &page)
}

async fn request_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(code): Path<String>,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    let loaded = load(&state, &me, &code).await?;
    if !loaded.program.may_request() {
        return Ok(page::see_other(LIST));
    }
    let domain = loaded.program.domain.clone().unwrap_or_default();
    let partner_id = loaded.partner_id.clone().unwrap_or_default();
    Ok(render(
        ctx,
        loaded,
        true,
        (domain, partner_id),
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

impl RequestForm {
    /// Whether the terms in force (`version`) were accepted.
    fn check_acceptance(&self, version: i32, errors: &mut FieldErrors) {
        if self.accept != "yes" {
            errors.add("accept", "programs.must_accept");
        }
        if self.version.trim().parse::<i32>().ok() != Some(version) {
            // The terms changed while the page was open: read them again.
            errors.add("accept", "programs.terms_changed");
        }
    }

    /// The domain and partner id of a request for `program`, with its terms accepted.
    fn request(
        &self,
        program: &ProgramStatus,
        version: i32,
    ) -> Result<(Domain, Option<String>), FieldErrors> {
        let mut errors = FieldErrors::new();
        self.check_acceptance(version, &mut errors);
        let domain = programs::parse_program_domain(program.vendor(), &self.domain)
            .map_err(|k| errors.add("domain", k))
            .ok();
        let partner_id = if program.requires_partner_id {
            programs::parse_partner_id(&self.partner_id)
                .map_err(|k| errors.add("partner_id", k))
                .ok()
        } else {
            None
        };
        match domain {
            Some(domain) if errors.is_empty() => Ok((domain, partner_id)),
            _ => Err(errors),
        }
    }

    /// The domain and partner id as typed, cut to what their fields hold.
    fn typed(&self) -> (String, String) {
        (
            self.domain.chars().take(253).collect(),
            self.partner_id.chars().take(20).collect(),
        )
    }
}

/// The audit entry of a change to the reseller's standing in `program`.
fn enrollment_entry<'a>(
    me: &ResellerUser,
    program: &ProgramStatus,
    action: Action,
    ip: IpAddr,
    details: serde_json::Value,
) -> audit::Entry<'a> {
    audit::Entry {
        reseller_id: Some(me.reseller_id),
        actor: Some(me.user.id),
        subject_type: Some("program_enrollment"),
        subject_id: Some(format!("{}:{}", me.reseller_id, program.code)),
        details,
        ip: Some(ip),
        ..audit::Entry::new(action)
    }
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
    let loaded = load(&state, &me, &code).await?;
    let (program, version) = (&loaded.program, loaded.terms.version);
    if !program.offered_here {
        return view::refused(&session, "programs.not_offered_here", LIST).await;
    }
    let (domain, partner_id) = match form.request(program, version) {
        Ok(request) => request,
        Err(errors) => return Ok(render(ctx, loaded, true, form.typed(), errors)),
    };
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let request = store::NewProgramRequest {
        program_id: program.program_id,
        domain: domain.as_str(),
        partner_id: partner_id.as_deref(),
        requested_by: me.user.id,
    };
    if !store::request_program(&mut tx, me.reseller_id, &request).await? {
        return view::refused(&session, "programs.already_requested", LIST).await;
    }
    let (reseller_id, program_id) = (me.reseller_id, program.program_id);
    store::accept_terms(&mut tx, reseller_id, program_id, version, me.user.id, ip).await?;
    if let Some(pid) = &partner_id {
        store::keep_partner_id(&mut tx, reseller_id, pid).await?;
    }
    let link = state.config.link(LIST);
    let news = ProgramNews {
        program: &program.name,
        event: ProgramEvent::Submitted,
        reason: None,
        link: &link,
    };
    program_mail::notify_admins(&mut tx, &state.mailer, reseller_id, Some(me.user.id), &news)
        .await?;
    let details = serde_json::json!({ "program": program.code, "domain": domain.as_str(),
                                      "partner_id": partner_id, "terms_version": version });
    let entry = enrollment_entry(&me, program, Action::ProgramRequested, ip, details);
    let name = [("program", program.name.as_str())];
    flash::done(tx, &session, entry, "programs.requested", &name, LIST).await
}

async fn terms_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(code): Path<String>,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    let loaded = load(&state, &me, &code).await?;
    if loaded.program.status != Some(EnrollmentStatus::Approved) {
        return Ok(page::see_other(LIST));
    }
    Ok(render(
        ctx,
        loaded,
        false,
        Default::default(),
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
    let loaded = load(&state, &me, &code).await?;
    if loaded.program.status != Some(EnrollmentStatus::Approved) {
        return Ok(page::see_other(LIST));
    }
    let mut errors = FieldErrors::new();
    form.check_acceptance(loaded.terms.version, &mut errors);
    if !errors.is_empty() {
        return Ok(render(ctx, loaded, false, Default::default(), errors));
    }
    let (program, version) = (&loaded.program, loaded.terms.version);
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let (reseller_id, program_id) = (me.reseller_id, program.program_id);
    store::accept_terms(&mut tx, reseller_id, program_id, version, me.user.id, ip).await?;
    let details = serde_json::json!({ "program": program.code, "terms_version": version });
    let entry = enrollment_entry(&me, program, Action::ProgramTermsAccepted, ip, details);
    let name = [("program", program.name.as_str())];
    flash::done(tx, &session, entry, "programs.terms_accepted", &name, LIST).await
}
