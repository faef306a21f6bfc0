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
use crate::orders::cart_page::{self, ConfigState, ConfigureForm, NewParams};
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
    let tenant = match answer {
        Answer::Again(errors, notice) => None.ok_or((errors, notice)),
        Answer::Existing(id) => {
            crate::customers::store::tenant_domain(&mut tx, me.reseller_id, customer.id, vendor, id)
                .await?
                .map(|domain| (id, domain, None))
                // Another customer's or another vendor's tenant: refused like a missing choice.
                .ok_or((
                    FieldErrors::one("tenant", "orders.configure.choose_tenant"),
                    None,
                ))
        }
        Answer::Granted(g) => {
            let field = if vendor == VendorCode::Microsoft {
                "prefix"
            } else {
                "domain"
            };
            crate::customers::store::record_vendor_tenant(&mut tx, me.reseller_id, customer.id, &g)
                .await?
                .map(|id| (id, g.domain, g.transfer_token))
                .ok_or((FieldErrors::one(field, "tenants.domain_taken"), None))
        }
    };
    let (tenant_id, domain, transfer_token) = match tenant {
        Ok(t) => t,
        Err((errors, notice)) => {
            drop(tx);
            let outcome = ConfigState {
                form,
                errors,
                notice,
            };
            let params = NewParams::default();
            return cart_page::render(&state, ctx, &me, customer.id, &params, Some(outcome)).await;
        }
    };
    // Every line of this vendor in the cart uses the tenant.
    store::set_vendor_tenant(
        &mut tx,
        me.reseller_id,
        cart_id,
        vendor,
        tenant_id,
        transfer_token.as_deref(),
    )
    .await?;
    let entry = audit::Entry {
        reseller_id: Some(me.reseller_id),
        actor: Some(me.user.id),
        subject_type: Some("customer"),
        subject_id: Some(customer.id.to_string()),
        details: serde_json::json!({
            "vendor": vendor, "domain": domain, "mode": form.mode,
            "transfer": transfer_token.is_some(),
        }),
        ip: Some(ip),
        ..audit::Entry::new(Action::OrderTenantConfigured)
    };
    let key = if transfer_token.is_some() {
        "orders.configure.transfer_done"
    } else {
        "orders.configure.done"
    };
    flash::done(tx, &session, entry, key, &[("domain", &domain)], &back).await
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
    let granted = |domain, tenant_ref, origin, profile, transfer_token| {
        Answer::Granted(NewTenant {
            vendor,
            domain,
            tenant_ref,
            origin,
            profile,
            transfer_token,
        })
    };
    Ok(match (form.mode.as_str(), vendor) {
        ("existing", _) => match Uuid::parse_str(&form.tenant) {
            Ok(id) => Answer::Existing(id),
            Err(_) => again("tenant", "orders.configure.choose_tenant"),
        },
        ("new", VendorCode::Microsoft) => match rules::microsoft_domain(&form.prefix) {
            Err(key) => again("prefix", key),
            Ok(domain) if form.intent == "check" => {
                if state
                    .vendor
                    .domain_available(vendor, &domain, owner)
                    .await?
                {
                    let notice = ctx.t_with("orders.configure.available", &[("domain", &domain)]);
                    Answer::Again(FieldErrors::new(), Some(notice))
                } else {
                    again("prefix", "tenants.domain_taken")
                }
            }
            Ok(domain) => match form.profile.parse(&customer.country) {
                Err(errors) => Answer::Again(errors, None),
                Ok(profile) => match state
                    .vendor
                    .create_tenant(vendor, &domain, owner, &profile)
                    .await?
                {
                    Claim::Taken => again("prefix", "tenants.domain_taken"),
                    Claim::Granted(tenant_ref) => {
                        let profile =
                            serde_json::to_value(&profile).map_err(anyhow::Error::from)?;
                        granted(
                            domain,
                            tenant_ref,
                            TenantOrigin::Reserved,
                            Some(profile),
                            None,
                        )
                    }
                },
            },
        },
        ("new", VendorCode::Google) => match rules::google_domain(&form.domain) {
            Err(key) => again("domain", key),
            Ok(domain) => match state
                .vendor
                .claim_tenant(vendor, &domain, owner, false)
                .await?
            {
                Claim::Taken => again("domain", "tenants.domain_taken"),
                Claim::Granted(tenant_ref) => {
                    granted(domain, tenant_ref, TenantOrigin::Reserved, None, None)
                }
            },
        },
        ("transfer", VendorCode::Google) => {
            let token = normalize_token(&form.token);
            match rules::google_domain(&form.domain) {
                Err(key) => again("domain", key),
                Ok(_) if token.is_empty() => again("token", "form.required"),
                Ok(_) if token.len() > 100 => {
                    again("token", VendorErrorCode::TransferTokenInvalid.key())
                }
                Ok(domain) => match state
                    .vendor
                    .transfer_tenant(&domain, &token, partner_id, owner)
                    .await
                {
                    Ok(tenant_ref) => granted(
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
            }
        }
        _ => return Err(AppError::BadRequest),
    })
}
