//! Adding a customer (the form, then the address as the country's rules normalised it, to
//! confirm before saving: one customer per confirmation, whatever the retries) and editing one.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::Action;
use crate::countries;
use crate::customers::EDITORS;
use crate::customers::page::customer_entry;
use crate::customers::rules::{CustomerForm, CustomerInput};
use crate::customers::store;
use crate::db::SaveError;
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::ResellerUser;
use crate::web::PageCtx;
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::{Choice, Form};
use crate::web::page;
use crate::web::path::Path;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/customers/new", get(new_form).post(check_new))
        .route("/customers/confirm", post(confirm))
        .route("/customers/{id}/edit", get(edit_form).post(save_edit))
}

#[derive(Template)]
#[template(path = "customers/form.html")]
struct FormPage {
    ctx: PageCtx,
    form: CustomerForm,
    errors: FieldErrors,
    countries: Vec<CountryOption>,
    regions: Vec<Choice>,
    /// None: a new customer; Some(id): editing it.
    editing: Option<Uuid>,
    /// The chosen country's name of a tax id and postal code example.
    tax_label: String,
    postal_hint: String,
}

/// A country in the form's picker, with the labels and hints it gives the address (a browser
/// with scripts applies them when the country changes; without, the next render does).
struct CountryOption {
    code: &'static str,
    label: String,
    selected: bool,
    tax_label: String,
    line2_label: String,
    postal_hint: String,
}

/// What a country calls its tax id, in the reader's language where it has no name of its own.
fn tax_label(ctx: &PageCtx, country: &str) -> String {
    countries::tax_id::name(country)
        .map(str::to_string)
        .unwrap_or_else(|| ctx.t("access.tax_id"))
}

fn postal_hint(ctx: &PageCtx, country: &str) -> String {
    let example = countries::address::postal_code_example(country);
    ctx.t_with("customers.postal_example", &[("example", example)])
}

fn form_page(
    ctx: PageCtx,
    form: CustomerForm,
    errors: FieldErrors,
    editing: Option<Uuid>,
) -> Response {
    let country = countries::by_code(&form.country);
    let countries = countries::sorted(ctx.locale)
        .into_iter()
        .map(|c| CountryOption {
            code: c.code,
            label: c.name(ctx.locale).to_string(),
            selected: c.code == form.country,
            tax_label: tax_label(&ctx, c.code),
            line2_label: ctx.t(crate::customers::rules::address_line2_key(c.code)),
            postal_hint: postal_hint(&ctx, c.code),
        })
        .collect();
    let regions = country
        .map(|c| {
            countries::address::regions(c.code)
                .iter()
                .map(|r| Choice {
                    code: r.code,
                    label: r.name.to_string(),
                    selected: r.code == form.region,
                })
                .collect()
        })
        .unwrap_or_default();
    let postal_hint = country
        .map(|c| postal_hint(&ctx, c.code))
        .unwrap_or_default();
    let tax_label = tax_label(&ctx, country.map_or("", |c| c.code));
    let status = crate::web::page::form_status(&errors);
    let page = FormPage {
        ctx,
        form,
        errors,
        countries,
        regions,
        editing,
        tax_label,
        postal_hint,
    };
    page::render(status, &page)
}

async fn new_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
) -> AppResult<Response> {
    me.user.require(&EDITORS)?;
    // Most customers are in the reseller's own country.
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let country = store::home_country(&mut tx, me.reseller_id).await?;
    tx.commit().await?;
    let form = CustomerForm {
        country,
        ..Default::default()
    };
    Ok(form_page(ctx, form, FieldErrors::new(), None))
}

#[derive(Template)]
#[template(path = "customers/confirm.html")]
struct ConfirmPage {
    ctx: PageCtx,
    customer: CustomerInput,
    form: CustomerForm,
    country_name: String,
    creation_key: Uuid,
    changed: Vec<Adjusted>,
}

#[derive(Deserialize)]
struct NewForm {
    #[serde(flatten)]
    form: CustomerForm,
    /// Set by "correct the data" on the confirmation page: show the form again.
    #[serde(default)]
    back: String,
}

/// A field normalisation changed: its label, what was typed and what it became.
pub struct Adjusted {
    pub label: String,
    pub typed: String,
    pub now: String,
}

/// The fields normalisation changed, so the user sees what became what before confirming.
fn changed_fields(ctx: &PageCtx, typed: &CustomerForm, customer: &CustomerInput) -> Vec<Adjusted> {
    let now = customer.to_form();
    [
        (
            "customers.address_line1",
            &typed.address_line1,
            &now.address_line1,
        ),
        ("customers.city", &typed.city, &now.city),
        (
            "customers.postal_code",
            &typed.postal_code,
            &now.postal_code,
        ),
        ("access.tax_id", &typed.tax_id, &now.tax_id),
        (
            "customers.state_registration_short",
            &typed.state_registration,
            &now.state_registration,
        ),
        ("customers.region", &typed.region, &customer.region_name),
    ]
    .into_iter()
    .filter(|(_, typed, now)| typed.trim() != now.as_str())
    .map(|(label, typed, now)| Adjusted {
        label: ctx.t(label),
        typed: typed.trim().to_string(),
        now: now.clone(),
    })
    .collect()
}

async fn check_new(
    ctx: PageCtx,
    me: ResellerUser,
    Form(input): Form<NewForm>,
) -> AppResult<Response> {
    me.user.require(&EDITORS)?;
    if input.back == "1" {
        return Ok(form_page(ctx, input.form, FieldErrors::new(), None));
    }
    let customer = match input.form.parse() {
        Ok(c) => c,
        Err(errors) => return Ok(form_page(ctx, input.form, errors, None)),
    };
    let changed = changed_fields(&ctx, &input.form, &customer);
    let country_name = countries::by_code(customer.country)
        .map(|c| c.name(ctx.locale).to_string())
        .unwrap_or_default();
    Ok(page::ok(&ConfirmPage {
        form: customer.to_form(),
        customer,
        country_name,
        creation_key: Uuid::new_v4(),
        changed,
        ctx,
    }))
}

#[derive(Deserialize)]
struct ConfirmForm {
    #[serde(flatten)]
    form: CustomerForm,
    #[serde(default)]
    creation_key: String,
}

async fn confirm(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Form(input): Form<ConfirmForm>,
) -> AppResult<Response> {
    me.user.require(&EDITORS)?;
    let creation_key = Uuid::parse_str(&input.creation_key).map_err(|_| AppError::BadRequest)?;
    // The hidden fields are checked again: nothing from the browser is trusted.
    let customer = match input.form.parse() {
        Ok(c) => c,
        Err(errors) => return Ok(form_page(ctx, input.form, errors, None)),
    };
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let created = store::create(&mut tx, me.reseller_id, creation_key, &customer, me.user.id).await;
    let (id, created) = match created {
        Err(SaveError::Refused(errors)) => return Ok(form_page(ctx, input.form, errors, None)),
        other => other?,
    };
    let to = format!("/customers/{id}");
    if !created {
        // The same confirmation again: the customer it created the first time.
        tx.commit().await?;
        return Ok(page::see_other(&to));
    }
    let details =
        serde_json::json!({ "legal_name": customer.legal_name, "tax_id": customer.tax_id });
    let entry = customer_entry(&me, id, ip, details, Action::CustomerCreated);
    let name = [("name", customer.legal_name.as_str())];
    flash::done(tx, &session, entry, "customers.activated", &name, &to).await
}

async fn edit_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    me.user.require(&EDITORS)?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let c = store::get(&mut tx, me.reseller_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let form = CustomerForm {
        legal_name: c.legal_name,
        tax_id: c.tax_id,
        industry: c.industry.unwrap_or_default(),
        contact_name: c.contact_name,
        contact_email: c.contact_email,
        contact_phone: c.contact_phone,
        billing_email: c.billing_email,
        address_line1: c.address_line1,
        address_line2: c.address_line2.unwrap_or_default(),
        city: c.city,
        region: c.region_code.unwrap_or(c.region_name),
        postal_code: c.postal_code,
        country: c.country,
        state_registration: c.state_registration.unwrap_or_default(),
    };
    Ok(form_page(ctx, form, FieldErrors::new(), Some(id)))
}

async fn save_edit(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
    Form(form): Form<CustomerForm>,
) -> AppResult<Response> {
    me.user.require(&EDITORS)?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    if store::get(&mut tx, me.reseller_id, id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let customer = match form.parse() {
        Ok(c) => c,
        Err(errors) => return Ok(form_page(ctx, form, errors, Some(id))),
    };
    match store::update(&mut tx, me.reseller_id, id, &customer).await {
        Ok(true) => {}
        Ok(false) => return Err(AppError::NotFound),
        Err(SaveError::Refused(errors)) => return Ok(form_page(ctx, form, errors, Some(id))),
        Err(e) => return Err(e.into()),
    }
    let entry = customer_entry(
        &me,
        id,
        ip,
        serde_json::Value::Null,
        Action::CustomerUpdated,
    );
    let to = format!("/customers/{id}");
    flash::done(tx, &session, entry, "customers.saved", &[], &to).await
}
