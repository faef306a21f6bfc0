//! The configure step of an order: each vendor in the cart needs one of the customer's tenants.
//! The reseller picks an existing one, creates a new one (a Microsoft tenant after checking its
//! domain prefix and confirming the customer data the vendor requires; a new Google Workspace
//! domain), or takes over the customer's Google Workspace subscription with the transfer token
//! the customer generated naming the reseller. The vendor answers first; then every line of that
//! vendor in the cart gets the tenant, in one transaction.

use axum::extract::State;
use axum::response::Response;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::customers::rules::TenantOrigin;
use crate::customers::store::{Customer, NewTenant};
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::ResellerUser;
use crate::orders::cart::{cart_link, own_open_cart};
use crate::orders::cart_page::{self, Again, ConfigState, ConfigureForm, NewParams};
use crate::orders::rules;
use crate::orders::store;
use crate::orders::view::BUYERS;
use crate::vendors::{
    Claim, TenantOwner, VendorCode, VendorError, VendorErrorCode, normalize_token,
};
use crate::web::PageCtx;
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::Form;
use crate::web::page;
use crate::web::path::Path;

/// What the vendor (or the customer's own tenants) answered to a configure form.
enum Answer {
    /// Messages (or an availability notice) to show with the form again.
    Again(FieldErrors, Option<String>),
    /// A tenant the vendor created, reserved or transferred, to record and use.
    Granted(NewTenant),
    /// An existing tenant of the customer, by id.
    Existing(Uuid),
}

fn again(field: &'static str, key: &'static str) -> Answer {
    Answer::Again(FieldErrors::one(field, key), None)
}

/// The tenant a configure form ends with: its id, domain and transfer token.
struct Chosen {
    id: Uuid,
    domain: String,
    transfer_token: Option<String>,
}

/// What the form sent and the vendor answered, as a tenant of this customer (recorded when it
/// is new), or the messages to show with the form again.
async fn chosen_tenant(
    tx: &mut sqlx::PgConnection,
    reseller_id: Uuid,
    customer_id: Uuid,
    vendor: VendorCode,
    answer: Answer,
) -> AppResult<Result<Chosen, (FieldErrors, Option<String>)>> {
    let refused = |field, key| (FieldErrors::one(field, key), None);
    Ok(match answer {
        Answer::Again(errors, notice) => Err((errors, notice)),
        Answer::Existing(id) => {
            crate::customers::store::tenant_domain(tx, reseller_id, customer_id, vendor, id)
                .await?
                .map(|domain| Chosen {
                    id,
                    domain,
                    transfer_token: None,
                })
                // Another customer's or another vendor's tenant: refused like a missing choice.
                .ok_or_else(|| refused("tenant", "orders.configure.choose_tenant"))
        }
        Answer::Granted(g) => {
            let field = if vendor == VendorCode::Microsoft {
                "prefix"
            } else {
                "domain"
            };
            crate::customers::store::record_vendor_tenant(tx, reseller_id, customer_id, &g)
                .await?
                .map(|id| Chosen {
                    id,
                    domain: g.domain,
                    transfer_token: g.transfer_token,
                })
                .ok_or_else(|| refused(field, "tenants.domain_taken"))
        }
    })
}

pub async fn configure(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(cart): Path<Uuid>,
    Form(form): Form<ConfigureForm>,
) -> AppResult<Response> {
    me.user.require(&BUYERS)?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let (cart, open) = own_open_cart(&mut tx, &me, cart).await?;
    let back = cart_link(cart.customer_id);
    let Some(cart_id) = open else {
        return Ok(page::see_other(&back));
    };
    let vendor = VendorCode::parse(&form.vendor).ok_or(AppError::BadRequest)?;
    let customer = crate::customers::store::get(&mut tx, me.reseller_id, cart.customer_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let partner_id = crate::partners::store::public_id(&mut *tx, me.reseller_id).await?;
    tx.commit().await?;

    let answer = vendor_answer(&state, &ctx, &me, &form, vendor, &customer, &partner_id).await?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let tenant = match chosen_tenant(&mut tx, me.reseller_id, customer.id, vendor, answer).await? {
        Ok(tenant) => tenant,
        Err((errors, notice)) => {
            drop(tx);
            let outcome = ConfigState {
                form,
                errors,
                notice,
            };
            let params = NewParams::default();
            return cart_page::render(
                &state,
                ctx,
                &me,
                customer.id,
                &params,
                Again::Configure(Box::new(outcome)),
            )
            .await;
        }
    };
    // Every line of this vendor in the cart uses the tenant.
    let token = tenant.transfer_token.as_deref();
    store::set_vendor_tenant(&mut tx, me.reseller_id, cart_id, vendor, tenant.id, token).await?;
    let entry = audit::Entry {
        reseller_id: Some(me.reseller_id),
        actor: Some(me.user.id),
        subject_type: Some("customer"),
        subject_id: Some(customer.id.to_string()),
        details: serde_json::json!({
            "vendor": vendor, "domain": tenant.domain, "mode": form.mode, "transfer": token.is_some(),
        }),
        ip: Some(ip),
        ..audit::Entry::new(Action::OrderTenantConfigured)
    };
    let key = if token.is_some() {
        "orders.configure.transfer_done"
    } else {
        "orders.configure.done"
    };
    let domain = [("domain", tenant.domain.as_str())];
    flash::done(tx, &session, entry, key, &domain, &back).await
}

/// Asks the vendor what the form asks for: a domain's availability, a new tenant, a Google
/// domain, or a transfer with the customer's token.
async fn vendor_answer(
    state: &AppState,
    ctx: &PageCtx,
    me: &ResellerUser,
    form: &ConfigureForm,
    vendor: VendorCode,
    customer: &Customer,
    partner_id: &str,
) -> AppResult<Answer> {
    let owner = TenantOwner {
        reseller_id: me.reseller_id,
        customer_id: customer.id,
    };
    match (form.mode.as_str(), vendor) {
        ("existing", _) => Ok(match Uuid::parse_str(&form.tenant) {
            Ok(id) => Answer::Existing(id),
            Err(_) => again("tenant", "orders.configure.choose_tenant"),
        }),
        ("new", VendorCode::Microsoft) => new_microsoft(state, ctx, form, customer, owner).await,
        ("new", VendorCode::Google) => new_google(state, form, owner).await,
        ("transfer", VendorCode::Google) => transfer(state, form, partner_id, owner).await,
        _ => Err(AppError::BadRequest),
    }
}

/// A tenant the vendor granted (created, reserved or transferred).
fn granted(
    vendor: VendorCode,
    domain: String,
    tenant_ref: String,
    origin: TenantOrigin,
    profile: Option<serde_json::Value>,
    transfer_token: Option<String>,
) -> Answer {
    Answer::Granted(NewTenant {
        vendor,
        domain,
        tenant_ref,
        origin,
        profile,
        transfer_token,
    })
}

/// A new Microsoft tenant: the prefix checked for availability (`intent=check`), or the tenant
/// created with the customer data Microsoft requires.
async fn new_microsoft(
    state: &AppState,
    ctx: &PageCtx,
    form: &ConfigureForm,
    customer: &Customer,
    owner: TenantOwner,
) -> AppResult<Answer> {
    let vendor = VendorCode::Microsoft;
    let domain = match rules::microsoft_domain(&form.prefix) {
        Ok(domain) => domain,
        Err(key) => return Ok(again("prefix", key)),
    };
    if form.intent == "check" {
        return Ok(
            if state
                .vendor
                .domain_available(vendor, &domain, owner)
                .await?
            {
                let notice = ctx.t_with("orders.configure.available", &[("domain", &domain)]);
                Answer::Again(FieldErrors::new(), Some(notice))
            } else {
                again("prefix", "tenants.domain_taken")
            },
        );
    }
    let profile = match form.profile.parse(&customer.country) {
        Ok(profile) => profile,
        Err(errors) => return Ok(Answer::Again(errors, None)),
    };
    Ok(
        match state
            .vendor
            .create_tenant(vendor, &domain, owner, &profile)
            .await?
        {
            Claim::Taken => again("prefix", "tenants.domain_taken"),
            Claim::Granted(tenant_ref) => {
                let profile = serde_json::to_value(&profile).map_err(anyhow::Error::from)?;
                granted(
                    vendor,
                    domain,
                    tenant_ref,
                    TenantOrigin::Reserved,
                    Some(profile),
                    None,
                )
            }
        },
    )
}

/// A new Google Workspace domain for the customer.
async fn new_google(
    state: &AppState,
    form: &ConfigureForm,
    owner: TenantOwner,
) -> AppResult<Answer> {
    let vendor = VendorCode::Google;
    let domain = match rules::google_domain(&form.domain) {
        Ok(domain) => domain,
        Err(key) => return Ok(again("domain", key)),
    };
    Ok(
        match state
            .vendor
            .claim_tenant(vendor, &domain, owner, false)
            .await?
        {
            Claim::Taken => again("domain", "tenants.domain_taken"),
            Claim::Granted(tenant_ref) => granted(
                vendor,
                domain,
                tenant_ref,
                TenantOrigin::Reserved,
                None,
                None,
            ),
        },
    )
}

/// The customer's Google Workspace subscription taken over with the transfer token they
/// generated naming this reseller.
async fn transfer(
    state: &AppState,
    form: &ConfigureForm,
    partner_id: &str,
    owner: TenantOwner,
) -> AppResult<Answer> {
    let token = normalize_token(&form.token);
    let domain = match rules::google_domain(&form.domain) {
        Ok(domain) => domain,
        Err(key) => return Ok(again("domain", key)),
    };
    if token.is_empty() {
        return Ok(again("token", "form.required"));
    }
    if token.len() > 100 {
        return Ok(again("token", VendorErrorCode::TransferTokenInvalid.key()));
    }
    Ok(
        match state
            .vendor
            .transfer_tenant(&domain, &token, partner_id, owner)
            .await
        {
            Ok(tenant_ref) => granted(
                VendorCode::Google,
                domain,
                tenant_ref,
                TenantOrigin::Transfer,
                None,
                Some(token),
            ),
            Err(VendorError::Permanent { code, .. }) => {
                let code = match code {
                    VendorErrorCode::TransferTokenDomain
                    | VendorErrorCode::TransferTokenReseller
                    | VendorErrorCode::TransferTokenExpired => code,
                    _ => VendorErrorCode::TransferTokenInvalid,
                };
                again("token", code.key())
            }
            Err(VendorError::Transient(message)) => {
                tracing::warn!(%message, "vendor unavailable for a transfer");
                again("_form", "vendor_error.unavailable_now")
            }
        },
    )
}
