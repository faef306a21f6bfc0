//! `/customers`: the reseller's end customers. Add (with the address validation step), list
//! (search, filters, sorting, keyset pages, CSV export), the customer page with its vendor
//! tenants, edit, deactivate and reactivate. Owners, admins and sales change customers; billing
//! users read. Another reseller's customer answers 404, whatever the verb.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::countries;
use crate::customers::rules::{self, CustomerForm};
use crate::customers::store::{self, Cursor, ListQuery};
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::{ResellerUser, Role};
use crate::vendors::{Claim, TenantOwner};
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::forms::Form;
use crate::web::page::{self, PageCtx};

const EDITORS: [Role; 3] = [Role::Owner, Role::Admin, Role::Sales];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/customers", get(list))
        .route("/customers/export.csv", get(export))
        .route("/customers/new", get(new_form).post(check_new))
        .route("/customers/confirm", post(confirm))
        .route("/customers/{id}", get(show))
        .route("/customers/{id}/edit", get(edit_form).post(save_edit))
        .route("/customers/{id}/status", post(set_status))
        .route("/customers/{id}/tenants", post(add_tenant))
}

fn parse_id(id: &str) -> AppResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

// ---------------------------------------------------------------- list and export

#[derive(Deserialize, Default)]
struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    after: String,
    #[serde(default)]
    before: String,
}

impl ListParams {
    fn to_query(&self) -> ListQuery {
        ListQuery {
            q: self.q.trim().chars().take(100).collect(),
            country: countries::by_code(&self.country)
                .map(|c| c.code.to_string())
                .unwrap_or_default(),
            status: if matches!(self.status.as_str(), "active" | "inactive") {
                self.status.clone()
            } else {
                String::new()
            },
            sort: if self.sort == "newest" {
                "newest".into()
            } else {
                String::new()
            },
            after: Cursor::decode(&self.after),
            before: Cursor::decode(&self.before),
        }
    }
}

fn list_link(q: &ListQuery, extra: Option<(&str, String)>, path: &str) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("q", &q.q),
        ("country", &q.country),
        ("status", &q.status),
        ("sort", &q.sort),
    ] {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    if let Some((k, v)) = extra {
        s.append_pair(k, &v);
    }
    let qs = s.finish();
    if qs.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{qs}")
    }
}

pub struct Row {
    pub customer: store::Listed,
    pub country_name: String,
    pub status_label: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "customers/list.html")]
struct ListPage {
    ctx: PageCtx,
    query: ListQuery,
    rows: Vec<Row>,
    summary: String,
    countries: Vec<(&'static str, &'static str)>,
    prev_link: Option<String>,
    next_link: Option<String>,
    export_link: String,
    can_edit: bool,
}

fn cursor_of(q: &ListQuery, row: &store::Listed) -> Cursor {
    let key = if q.sort == "newest" {
        row.created_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    } else {
        row.sort_name.clone()
    };
    Cursor { key, id: row.id }
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(params): Query<ListParams>,
) -> AppResult<Response> {
    let query = params.to_query();
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let total = store::count(&mut tx, me.reseller_id, &query).await?;
    let (rows, more) = store::page(&mut tx, me.reseller_id, &query).await?;
    tx.commit().await?;
    let going_back = query.before.is_some() && query.after.is_none();
    let on_first_page = query.after.is_none() && query.before.is_none();
    let next_link = match rows.last() {
        Some(last) if more || going_back => Some(list_link(
            &query,
            Some(("after", cursor_of(&query, last).encode())),
            "/customers",
        )),
        _ => None,
    };
    let prev_link = match rows.first() {
        Some(first) if !on_first_page && (!going_back || more) => Some(list_link(
            &query,
            Some(("before", cursor_of(&query, first).encode())),
            "/customers",
        )),
        _ => None,
    };
    let rows = rows
        .into_iter()
        .map(|c| Row {
            country_name: countries::by_code(&c.country)
                .map(|x| x.name(ctx.locale).to_string())
                .unwrap_or_default(),
            status_label: ctx.t(&format!("customers.status_{}", c.status)),
            created: ctx.day(c.created_at),
            customer: c,
        })
        .collect();
    Ok(page::ok(&ListPage {
        summary: ctx.t_count("customers.count", total),
        countries: countries::sorted(ctx.locale)
            .into_iter()
            .map(|c| (c.code, c.name(ctx.locale)))
            .collect(),
        export_link: list_link(&query, None, "/customers/export.csv"),
        can_edit: EDITORS.contains(&me.user.role),
        query,
        rows,
        prev_link,
        next_link,
        ctx,
    }))
}

async fn export(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(params): Query<ListParams>,
) -> AppResult<Response> {
    let query = params.to_query();
    let header: Vec<String> = [
        "legal_name",
        "tax_id",
        "country",
        "industry",
        "contact_name",
        "contact_email",
        "contact_phone",
        "billing_email",
        "address_line1",
        "address_line2",
        "city",
        "region",
        "postal_code",
        "status",
        "created",
    ]
    .iter()
    .map(|k| ctx.t(&format!("customers.csv_{k}")))
    .collect();
    let (pool, reseller_id) = (state.db.clone(), me.reseller_id);
    Ok(crate::web::download::csv_streamed(
        "customers.csv",
        header,
        move |rows| async move {
            let mut tx = crate::db::tenant_tx(&pool, reseller_id).await?;
            let (rows, ctx) = (&rows, &ctx);
            store::all(&mut tx, reseller_id, &query, |c| async move {
                rows.send(export_row(ctx, c)).await
            })
            .await?;
            tx.commit().await?;
            Ok(())
        },
    ))
}

/// A customer as a row of the CSV export, in the user's language.
fn export_row(ctx: &PageCtx, c: store::Customer) -> Vec<String> {
    vec![
        c.legal_name,
        c.tax_id,
        c.country,
        c.industry.unwrap_or_default(),
        c.contact_name,
        c.contact_email,
        c.contact_phone,
        c.billing_email,
        c.address_line1,
        c.address_line2.unwrap_or_default(),
        c.city,
        c.region_name,
        c.postal_code,
        ctx.t(&format!("customers.status_{}", c.status)),
        crate::i18n::local_date(c.created_at, ctx.time_zone()).to_string(),
    ]
}

// ---------------------------------------------------------------- add, with the address step

#[derive(Template)]
#[template(path = "customers/form.html")]
struct FormPage {
    ctx: PageCtx,
    form: CustomerForm,
    errors: FieldErrors,
    countries: Vec<(&'static str, &'static str)>,
    regions: Vec<(&'static str, &'static str)>,
    /// None: a new customer; Some(id): editing it.
    editing: Option<Uuid>,
    postal_hint: String,
}

fn form_page(
    ctx: PageCtx,
    form: CustomerForm,
    errors: FieldErrors,
    editing: Option<Uuid>,
) -> Response {
    let countries = countries::sorted(ctx.locale)
        .into_iter()
        .map(|c| (c.code, c.name(ctx.locale)))
        .collect();
    let regions = countries::by_code(&form.country)
        .map(|c| {
            countries::address::regions(c.code)
                .iter()
                .map(|r| (r.code, r.name))
                .collect()
        })
        .unwrap_or_default();
    let postal_hint = countries::by_code(&form.country)
        .map(|c| {
            ctx.t_with(
                "customers.postal_example",
                &[("example", countries::address::postal_code_example(c.code))],
            )
        })
        .unwrap_or_default();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page::render(
        status,
        &FormPage {
            ctx,
            form,
            errors,
            countries,
            regions,
            editing,
            postal_hint,
        },
    )
}

async fn new_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
) -> AppResult<Response> {
    me.user.require(&EDITORS)?;
    // Most customers are in the reseller's own country.
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let country: String = sqlx::query_scalar("SELECT country::text FROM resellers WHERE id = $1")
        .bind(me.reseller_id)
        .fetch_one(&mut *tx)
        .await?;
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
    customer: rules::CustomerInput,
    form: CustomerForm,
    country_name: String,
    creation_key: Uuid,
    changed: Vec<String>,
}

#[derive(Deserialize)]
struct NewForm {
    #[serde(flatten)]
    form: CustomerForm,
    /// Set by "correct the data" on the confirmation page: show the form again.
    #[serde(default)]
    back: String,
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
    match input.form.parse() {
        Err(errors) => Ok(form_page(ctx, input.form, errors, None)),
        Ok(customer) => {
            // What normalisation changed, so the user sees it before confirming.
            let normalised = customer.to_form();
            let mut changed = Vec::new();
            for (label, typed, now) in [
                (
                    "customers.address_line1",
                    &input.form.address_line1,
                    &normalised.address_line1,
                ),
                ("customers.city", &input.form.city, &normalised.city),
                (
                    "customers.postal_code",
                    &input.form.postal_code,
                    &normalised.postal_code,
                ),
                ("access.tax_id", &input.form.tax_id, &normalised.tax_id),
            ] {
                if typed.trim() != now.as_str() {
                    changed.push(ctx.t(label));
                }
            }
            if input.form.region.trim() != customer.region_name {
                changed.push(ctx.t("customers.region"));
            }
            let country_name = countries::by_code(customer.country)
                .map(|c| c.name(ctx.locale).to_string())
                .unwrap_or_default();
            Ok(page::ok(&ConfirmPage {
                ctx,
                form: normalised,
                customer,
                country_name,
                creation_key: Uuid::new_v4(),
                changed,
            }))
        }
    }
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
    let (id, created) =
        match store::create(&mut tx, me.reseller_id, creation_key, &customer, me.user.id).await? {
            Ok(done) => done,
            Err(store::SaveError::TaxIdTaken) => {
                drop(tx);
                let errors = FieldErrors::one("tax_id", "customers.tax_id_taken");
                return Ok(form_page(ctx, input.form, errors, None));
            }
        };
    if created {
        audit::record(
            &mut *tx,
            audit::Entry {
                reseller_id: Some(me.reseller_id),
                actor: Some(me.user.id),
                subject_type: Some("customer"),
                subject_id: Some(id.to_string()),
                details: serde_json::json!({ "legal_name": customer.legal_name, "tax_id": customer.tax_id }),
                ip: Some(ip),
                ..audit::Entry::new(Action::CustomerCreated)
            },
        )
        .await?;
    }
    tx.commit().await?;
    if created {
        flash::push(
            &session,
            Level::Success,
            "customers.activated",
            &[("name", &customer.legal_name)],
        )
        .await;
    }
    Ok(page::see_other(&format!("/customers/{id}")))
}

// ---------------------------------------------------------------- the customer page

#[derive(Template)]
#[template(path = "customers/show.html")]
struct ShowPage {
    ctx: PageCtx,
    customer: store::Customer,
    country_name: String,
    status_label: String,
    tenants: Vec<(store::Tenant, String)>,
    can_edit: bool,
    tenant_domain: String,
    tenant_vendor: String,
    tenant_origin: String,
    errors: FieldErrors,
    confirm_deactivate: String,
    orders: Vec<crate::orders::routes::OrderListRow>,
    orders_total: i64,
    subscriptions: Vec<crate::orders::routes::SubscriptionView>,
    subscriptions_total: i64,
    can_order: bool,
}

async fn show_page(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    id: Uuid,
    tenant_form: Option<TenantForm>,
    errors: FieldErrors,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let customer = store::get(&mut tx, me.reseller_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let tenants = store::tenants(&mut tx, me.reseller_id, id).await?;
    let (orders, orders_total) = crate::orders::store::orders(
        &mut tx,
        me.reseller_id,
        &crate::orders::store::OrderFilter::of_customer(id),
        0,
        5,
    )
    .await?;
    let (subscriptions, subscriptions_total) =
        crate::orders::store::subscriptions(&mut tx, me.reseller_id, "", Some(id), "", 0, 10)
            .await?;
    tx.commit().await?;
    let orders = crate::orders::routes::order_rows(&ctx, orders);
    let subscriptions = crate::orders::routes::subscription_rows(&ctx, subscriptions);
    let tenants = tenants
        .into_iter()
        .map(|t| {
            let label = format!(
                "{} · {}",
                ctx.t(&format!("tenants.vendor_{}", t.vendor)),
                ctx.t(&format!("tenants.origin_{}", t.origin))
            );
            (t, label)
        })
        .collect();
    let tf = tenant_form.unwrap_or_default();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page::render(
        status,
        &ShowPage {
            country_name: countries::by_code(&customer.country)
                .map(|c| c.name(ctx.locale).to_string())
                .unwrap_or_default(),
            status_label: ctx.t(&format!("customers.status_{}", customer.status)),
            confirm_deactivate: ctx.t_with(
                "customers.confirm_deactivate",
                &[("name", &customer.legal_name)],
            ),
            can_edit: EDITORS.contains(&me.user.role),
            can_order: crate::orders::routes::BUYERS.contains(&me.user.role)
                && customer.status == "active",
            orders,
            orders_total,
            subscriptions,
            subscriptions_total,
            tenant_domain: tf.domain.chars().take(253).collect(),
            tenant_vendor: tf.vendor,
            tenant_origin: tf.origin,
            customer,
            tenants,
            errors,
            ctx,
        },
    ))
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    show_page(&state, ctx, &me, id, None, FieldErrors::new()).await
}

async fn edit_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
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
    };
    Ok(form_page(ctx, form, FieldErrors::new(), Some(id)))
}

async fn save_edit(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<CustomerForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    me.user.require(&EDITORS)?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    if store::get(&mut tx, me.reseller_id, id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let customer = match form.parse() {
        Ok(c) => c,
        Err(errors) => return Ok(form_page(ctx, form, errors, Some(id))),
    };
    match store::update(&mut tx, me.reseller_id, id, &customer).await? {
        Ok(true) => {}
        Ok(false) => return Err(AppError::NotFound),
        Err(store::SaveError::TaxIdTaken) => {
            drop(tx);
            let errors = FieldErrors::one("tax_id", "customers.tax_id_taken");
            return Ok(form_page(ctx, form, errors, Some(id)));
        }
    }
    audit::record(
        &mut *tx,
        audit::Entry {
            reseller_id: Some(me.reseller_id),
            actor: Some(me.user.id),
            subject_type: Some("customer"),
            subject_id: Some(id.to_string()),
            ip: Some(ip),
            ..audit::Entry::new(Action::CustomerUpdated)
        },
    )
    .await?;
    tx.commit().await?;
    flash::push(&session, Level::Success, "customers.saved", &[]).await;
    Ok(page::see_other(&format!("/customers/{id}")))
}

#[derive(Deserialize)]
struct StatusForm {
    #[serde(default)]
    status: String,
}

async fn set_status(
    State(state): State<AppState>,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    me.user.require(&EDITORS)?;
    let status = match form.status.as_str() {
        s @ ("active" | "inactive") => s,
        _ => return Err(AppError::BadRequest),
    };
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    if !store::set_status(&mut tx, me.reseller_id, id, status).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &mut *tx,
        audit::Entry {
            reseller_id: Some(me.reseller_id),
            actor: Some(me.user.id),
            subject_type: Some("customer"),
            subject_id: Some(id.to_string()),
            ip: Some(ip),
            ..audit::Entry::new(if status == "active" {
                Action::CustomerReactivated
            } else {
                Action::CustomerDeactivated
            })
        },
    )
    .await?;
    tx.commit().await?;
    let key = if status == "active" {
        "customers.reactivated"
    } else {
        "customers.deactivated"
    };
    flash::push(&session, Level::Success, key, &[]).await;
    Ok(page::see_other(&format!("/customers/{id}")))
}

#[derive(Deserialize, Default)]
struct TenantForm {
    #[serde(default)]
    vendor: String,
    #[serde(default)]
    origin: String,
    #[serde(default)]
    domain: String,
}

async fn add_tenant(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<TenantForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    me.user.require(&EDITORS)?;
    // The customer must be this reseller's (404 otherwise) before the vendor is asked anything.
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let customer = store::get(&mut tx, me.reseller_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let request = match rules::parse_tenant(&form.vendor, &form.origin, &form.domain) {
        Ok(r) => r,
        Err((_field, key)) => {
            let errors = FieldErrors::one("tenant_domain", key);
            return show_page(&state, ctx, &me, id, Some(form), errors).await;
        }
    };
    let owner = TenantOwner {
        reseller_id: me.reseller_id,
        customer_id: customer.id,
    };
    let claim = state
        .vendor
        .claim_tenant(request.vendor, &request.domain, owner, request.existing)
        .await?;
    let Claim::Granted(tenant_ref) = claim else {
        let errors = FieldErrors::one("tenant_domain", "tenants.domain_taken");
        return show_page(&state, ctx, &me, id, Some(form), errors).await;
    };
    let origin = if request.existing {
        "linked"
    } else {
        "reserved"
    };
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let added = store::add_tenant(
        &mut tx,
        me.reseller_id,
        id,
        request.vendor.code(),
        origin,
        &request.domain,
        &tenant_ref,
    )
    .await?;
    if added {
        audit::record(
            &mut *tx,
            audit::Entry {
                reseller_id: Some(me.reseller_id),
                actor: Some(me.user.id),
                subject_type: Some("customer"),
                subject_id: Some(id.to_string()),
                details: serde_json::json!({ "vendor": request.vendor.code(), "domain": request.domain, "origin": origin }),
                ip: Some(ip),
                ..audit::Entry::new(Action::CustomerTenantAdded)
            },
        )
        .await?;
    }
    tx.commit().await?;
    flash::push(
        &session,
        Level::Success,
        "tenants.added",
        &[("domain", &request.domain)],
    )
    .await;
    Ok(page::see_other(&format!("/customers/{id}")))
}
