//! `/customers/{id}`: a customer with its subscriptions, latest orders and vendor tenants;
//! deactivating and reactivating it; linking or reserving a tenant (the vendor decides who holds
//! a domain).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::countries;
use crate::customers::EDITORS;
use crate::customers::markup::{self, MarkupForm, Pricing, PricingView};
use crate::customers::rules::{self, CustomerStatus, TenantOrigin};
use crate::customers::store::{self, Customer, Tenant};
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::{ResellerUser, Role};
use crate::orders::view::{BUYERS, OrderListRow};
use crate::subscriptions::view::SubscriptionView;
use crate::vendors::{Claim, TenantOwner};
use crate::web::PageCtx;
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::Form;
use crate::web::page;
use crate::web::path::Path;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/customers/{id}", get(show))
        .route("/customers/{id}/status", post(set_status))
        .route("/customers/{id}/tenants", post(add_tenant))
        .route("/customers/{id}/markup", post(set_markup))
}

/// Latest orders and subscriptions the page shows (the lists behind its links have them all).
const LATEST_ORDERS: i64 = 5;
const LATEST_SUBSCRIPTIONS: i64 = 10;

pub struct TenantRow {
    pub tenant: Tenant,
    pub label: String,
}

#[derive(Template)]
#[template(path = "customers/show.html")]
struct ShowPage {
    ctx: PageCtx,
    customer: Customer,
    /// The tax id's name in the customer's country (CNPJ, RFC…) and the id as it writes it.
    tax_id_label: String,
    tax_id: String,
    active: bool,
    country_name: String,
    status_label: String,
    tenants: Vec<TenantRow>,
    can_edit: bool,
    /// Whether the user sees money (the customer's reports).
    sees_billing: bool,
    tenant_domain: String,
    tenant_google: bool,
    tenant_reserved: bool,
    errors: FieldErrors,
    confirm_deactivate: String,
    orders: Vec<OrderListRow>,
    orders_total: i64,
    subscriptions: Vec<SubscriptionView>,
    subscriptions_total: i64,
    can_order: bool,
    /// The customer's own markup, for who sees money.
    pricing: Option<PricingView>,
}

async fn show_page(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    id: Uuid,
    tenant_form: Option<TenantForm>,
    errors: FieldErrors,
    markup_form: Option<(MarkupForm, FieldErrors)>,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let customer = store::get(&mut tx, me.reseller_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let tenants = store::tenants(&mut tx, me.reseller_id, id).await?;
    let of_customer = crate::orders::store::OrderFilter::of_customer(id);
    let orders = crate::orders::store::orders(
        &mut tx,
        me.reseller_id,
        &of_customer,
        &Default::default(),
        LATEST_ORDERS,
    )
    .await?;
    let subs_filter = crate::subscriptions::store::Filter {
        customer: Some(id),
        ..Default::default()
    };
    let subscriptions = crate::subscriptions::store::list(
        &mut tx,
        me.reseller_id,
        &subs_filter,
        &Default::default(),
        LATEST_SUBSCRIPTIONS,
    )
    .await?;
    let today = crate::orders::cart::today();
    let pricing = if me.user.sees_costs() {
        Some(pricing(&mut tx, me.reseller_id, id, today).await?)
    } else {
        None
    };
    tx.commit().await?;
    let markup_rejected = markup_form.as_ref().is_some_and(|(_, e)| !e.is_empty());
    let pricing = pricing.map(|p| {
        let can_change = me.user.role.manages_users();
        PricingView::of(&ctx, &p, today, can_change, markup_form)
    });
    let tenants = tenants
        .into_iter()
        .map(|t| TenantRow {
            label: format!(
                "{} · {}",
                ctx.t(t.vendor.key()),
                ctx.t(t.origin.shown_key(t.in_use))
            ),
            tenant: t,
        })
        .collect();
    let tf = tenant_form.unwrap_or_default();
    let status = if markup_rejected {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        crate::web::page::form_status(&errors)
    };
    let active = customer.status == CustomerStatus::Active;
    let page = ShowPage {
        tax_id_label: countries::tax_id::name(&customer.country)
            .map(str::to_string)
            .unwrap_or_else(|| ctx.t("customers.tax_id")),
        tax_id: countries::tax_id::formatted(&customer.country, &customer.tax_id),
        country_name: countries::by_code(&customer.country)
            .map(|c| c.name(ctx.locale).to_string())
            .unwrap_or_default(),
        status_label: ctx.t(customer.status.key()),
        confirm_deactivate: ctx.t_with(
            "customers.confirm_deactivate",
            &[("name", &customer.legal_name)],
        ),
        can_edit: EDITORS.contains(&me.user.role),
        sees_billing: me.user.role.sees_billing(),
        can_order: BUYERS.contains(&me.user.role) && active,
        orders_total: orders.total.rows(),
        orders: crate::orders::view::order_rows(&ctx, orders.rows),
        subscriptions_total: subscriptions.total.rows(),
        subscriptions: crate::subscriptions::view::rows(&ctx, subscriptions.rows),
        tenant_domain: tf.domain.chars().take(253).collect(),
        tenant_google: tf.vendor == "google",
        tenant_reserved: tf.origin == "reserved",
        active,
        customer,
        tenants,
        errors,
        pricing,
        ctx,
    };
    Ok(page::render(status, &page))
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    show_page(&state, ctx, &me, id, None, FieldErrors::new(), None).await
}

/// The audit entry of a change to customer `id` by `me`.
pub(crate) fn customer_entry(
    me: &ResellerUser,
    id: Uuid,
    ip: std::net::IpAddr,
    details: serde_json::Value,
    action: Action,
) -> audit::Entry<'static> {
    audit::Entry {
        reseller_id: Some(me.reseller_id),
        actor: Some(me.user.id),
        subject_type: Some("customer"),
        subject_id: Some(id.to_string()),
        details,
        ip: Some(ip),
        ..audit::Entry::new(action)
    }
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
    Path(id): Path<Uuid>,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    me.user.require(&EDITORS)?;
    let status = CustomerStatus::from_code(&form.status).ok_or(AppError::BadRequest)?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    if !store::set_status(&mut tx, me.reseller_id, id, status).await? {
        return Err(AppError::NotFound);
    }
    let (action, key) = match status {
        CustomerStatus::Active => (Action::CustomerReactivated, "customers.reactivated"),
        CustomerStatus::Inactive => (Action::CustomerDeactivated, "customers.deactivated"),
    };
    let entry = customer_entry(&me, id, ip, serde_json::Value::Null, action);
    flash::done(tx, &session, entry, key, &[], &format!("/customers/{id}")).await
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
    Path(id): Path<Uuid>,
    Form(form): Form<TenantForm>,
) -> AppResult<Response> {
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
            return show_page(&state, ctx, &me, id, Some(form), errors, None).await;
        }
    };
    let owner = TenantOwner {
        reseller_id: me.reseller_id,
        customer_id: customer.id,
    };
    let (vendor, domain) = (request.vendor, request.domain.as_str());
    let claim = state
        .vendor
        .claim_tenant(vendor, domain, owner, request.existing)
        .await?;
    let Claim::Granted(tenant_ref) = claim else {
        let errors = FieldErrors::one("tenant_domain", "tenants.domain_taken");
        return show_page(&state, ctx, &me, id, Some(form), errors, None).await;
    };
    let origin = if request.existing {
        TenantOrigin::Linked
    } else {
        TenantOrigin::Reserved
    };
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let added = store::add_tenant(
        &mut tx,
        me.reseller_id,
        id,
        vendor,
        origin,
        domain,
        &tenant_ref,
    )
    .await?;
    let details = serde_json::json!({ "vendor": vendor, "domain": domain, "origin": origin });
    let entry = added.then(|| customer_entry(&me, id, ip, details, Action::CustomerTenantAdded));
    let to = format!("/customers/{id}");
    flash::done(
        tx,
        &session,
        entry,
        "tenants.added",
        &[("domain", domain)],
        &to,
    )
    .await
}

/// What the pricing card reads: the reseller's default, the customer's steps, and how many
/// offers the markup that applies today puts above their suggested retail price.
async fn pricing(
    tx: &mut sqlx::PgConnection,
    reseller_id: Uuid,
    customer: Uuid,
    today: time::Date,
) -> AppResult<Pricing> {
    let (currency, default) =
        crate::catalog::store::reseller_pricing(&mut *tx, reseller_id).await?;
    let steps = store::markups(&mut *tx, reseller_id, customer).await?;
    let (markup, _) = markup::effective(default, &steps, today);
    let (above_retail, within_retail) =
        store::above_retail(&mut *tx, &currency, markup, today).await?;
    Ok(Pricing {
        currency,
        default,
        steps,
        above_retail,
        within_retail,
    })
}

/// Sets the customer's own markup from a day (owners and admins); an empty one goes back to
/// the reseller's default from that day.
async fn set_markup(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
    Form(form): Form<MarkupForm>,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    let step = match markup::parse(&form, crate::orders::cart::today()) {
        Ok(step) => step,
        Err(errors) => {
            let typed = Some((form, errors));
            return show_page(&state, ctx, &me, id, None, FieldErrors::new(), typed).await;
        }
    };
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    store::get(&mut tx, me.reseller_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::set_markup(&mut tx, me.reseller_id, id, &step, me.user.id).await?;
    let details = serde_json::json!({
        "markup_percent": step.markup_percent, "valid_from": step.valid_from.to_string(),
    });
    let entry = customer_entry(&me, id, ip, details, Action::CustomerMarkupChanged);
    let to = format!("/customers/{id}#pricing");
    flash::done(tx, &session, entry, "customers.markup.saved", &[], &to).await
}
