//! `/staff/catalog/vendors`: the vendors and their programs (with the countries each program is
//! offered in), created and renamed by staff.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;

use crate::app::AppState;
use crate::audit::Action;
use crate::catalog::forms::{ProgramInput, parse_countries, valid_code};
use crate::catalog::staff::entry;
use crate::catalog::staff::store::{self as staff_store, ProgramRow};
use crate::catalog::store;
use crate::error::{AppError, AppResult};
use crate::fields::{FieldErrors, trimmed};
use crate::identity::StaffUser;
use crate::web::PageCtx;
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::Form;
use crate::web::page;
use crate::web::path::Path;

const PAGE: &str = "/staff/catalog/vendors";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(vendors).post(create_vendor))
        .route("/staff/catalog/programs", post(create_program))
        .route("/staff/catalog/vendors/{code}", post(update_vendor))
        .route("/staff/catalog/programs/{code}", post(update_program))
}

#[derive(Template)]
#[template(path = "catalog/staff_vendors.html")]
struct VendorsPage {
    ctx: PageCtx,
    vendors: Vec<store::Choice>,
    programs: Vec<ProgramRow>,
    vendor_form: VendorForm,
    program_form: ProgramForm,
    errors: FieldErrors,
}

#[derive(Deserialize, Default, Clone)]
struct VendorForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize, Default, Clone)]
struct ProgramForm {
    #[serde(default)]
    vendor: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    countries: String,
    #[serde(default)]
    description_es: String,
    #[serde(default)]
    description_en: String,
    #[serde(default)]
    description_pt: String,
}

impl ProgramForm {
    fn parse(&self, new: bool) -> Result<ProgramInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let code = self.code.trim().to_string();
        if new && !valid_code(&code) {
            errors.add("program_code", "catalog.invalid_code");
        }
        let name = trimmed(&self.name, 120).unwrap_or_default();
        if name.is_empty() {
            errors.add("program_name", "form.required");
        }
        let countries = parse_countries(&self.countries).unwrap_or_else(|k| {
            errors.add("program_countries", k);
            Vec::new()
        });
        let descriptions = [
            &self.description_es,
            &self.description_en,
            &self.description_pt,
        ]
        .map(|d| {
            trimmed(d, 2000).unwrap_or_else(|k| {
                errors.add("program_description", k);
                String::new()
            })
        });
        if errors.is_empty() {
            Ok(ProgramInput {
                code,
                name,
                countries,
                descriptions,
            })
        } else {
            Err(errors)
        }
    }
}

async fn vendors_view(
    state: &AppState,
    ctx: PageCtx,
    vendor_form: VendorForm,
    program_form: ProgramForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let vendors = store::vendors(&state.db).await?;
    let programs = staff_store::programs(&state.db).await?;
    let status = crate::web::page::form_status(&errors);
    let page = VendorsPage {
        ctx,
        vendors,
        programs,
        vendor_form,
        program_form,
        errors,
    };
    Ok(page::render(status, &page))
}

async fn vendors(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
) -> AppResult<Response> {
    let (v, p) = (VendorForm::default(), ProgramForm::default());
    vendors_view(&state, ctx, v, p, FieldErrors::new()).await
}

async fn create_vendor(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<VendorForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::new();
    let code = form.code.trim().to_string();
    if !valid_code(&code) {
        errors.add("vendor_code", "catalog.invalid_code");
    }
    let name = trimmed(&form.name, 100).unwrap_or_default();
    if name.is_empty() {
        errors.add("vendor_name", "form.required");
    }
    if !errors.is_empty() {
        return vendors_view(&state, ctx, form, ProgramForm::default(), errors).await;
    }
    let mut tx = state.db.begin().await?;
    let Some(id) = staff_store::create_vendor(&mut tx, &code, &name).await? else {
        let errors = FieldErrors::one("vendor_code", "catalog.code_taken");
        return vendors_view(&state, ctx, form, ProgramForm::default(), errors).await;
    };
    let entry = entry(
        Action::VendorCreated,
        staff.id,
        "vendor",
        id,
        ip,
        serde_json::Value::Null,
    );
    flash::done(tx, &session, entry, "catalog.vendor_saved", &[], PAGE).await
}

async fn create_program(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<ProgramForm>,
) -> AppResult<Response> {
    let p = match form.parse(true) {
        Ok(p) => p,
        Err(errors) => return vendors_view(&state, ctx, VendorForm::default(), form, errors).await,
    };
    let mut tx = state.db.begin().await?;
    let created = staff_store::create_program(&mut tx, &form.vendor, &p).await?;
    let Some(id) = created else {
        let errors = FieldErrors::one("program_code", "catalog.code_taken");
        return vendors_view(&state, ctx, VendorForm::default(), form, errors).await;
    };
    let entry = entry(
        Action::ProgramCreated,
        staff.id,
        "program",
        id,
        ip,
        serde_json::Value::Null,
    );
    flash::done(tx, &session, entry, "catalog.program_saved", &[], PAGE).await
}

async fn update_vendor(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Path(code): Path<String>,
    Form(form): Form<VendorForm>,
) -> AppResult<Response> {
    let name = trimmed(&form.name, 100).unwrap_or_default();
    if name.is_empty() {
        let errors = FieldErrors::one("vendor_name", "form.required");
        return vendors_view(&state, ctx, form, ProgramForm::default(), errors).await;
    }
    let mut tx = state.db.begin().await?;
    let id = staff_store::rename_vendor(&mut tx, &code, &name)
        .await?
        .ok_or(AppError::NotFound)?;
    let details = serde_json::json!({ "name": name });
    let entry = entry(Action::VendorUpdated, staff.id, "vendor", id, ip, details);
    flash::done(tx, &session, entry, "catalog.vendor_saved", &[], PAGE).await
}

async fn update_program(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Path(code): Path<String>,
    Form(form): Form<ProgramForm>,
) -> AppResult<Response> {
    let p = match form.parse(false) {
        Ok(p) => p,
        Err(errors) => return vendors_view(&state, ctx, VendorForm::default(), form, errors).await,
    };
    let mut tx = state.db.begin().await?;
    let id = staff_store::update_program(&mut tx, &code, &p)
        .await?
        .ok_or(AppError::NotFound)?;
    let details = serde_json::json!({ "name": p.name, "countries": p.countries });
    let entry = entry(Action::ProgramUpdated, staff.id, "program", id, ip, details);
    flash::done(tx, &session, entry, "catalog.program_saved", &[], PAGE).await
}
