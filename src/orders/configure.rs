//! The configure step of an order: each vendor in the cart needs one of the customer's tenants.
//! The reseller picks an existing one, creates a new one (a Microsoft tenant after checking its
//! domain prefix and confirming the customer data the vendor requires; a new Google Workspace
//! domain), or takes over the customer's Google Workspace subscription with the transfer token
//! the customer generated naming the reseller. The vendor answers first; then every line of that
//! vendor in the cart gets the tenant, in one transaction.

use axum::extract::{Path, State};
use axum::response::Response;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::ResellerUser;
use crate::orders::routes::{
    BUYERS, ConfigState, ConfigureForm, NewParams, own_open_cart, render_cart,
};
use crate::orders::rules;
use crate::vendors::{Claim, TenantOwner, VendorCode, VendorError, normalize_token};
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::forms::Form;
use crate::web::page::{self, PageCtx};

/// What the vendor granted: the tenant to record and use.
struct Granted {
    domain: String,
    tenant_ref: String,
    origin: &'static str,
    profile: Option<serde_json::Value>,
    transfer_token: Option<String>,
}

/// A form answered with messages (or an availability notice) instead of a tenant.
enum Answer {
    Again(FieldErrors, Option<String>),
    Granted(Granted),
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
    Path(cart): Path<String>,
    Form(form): Form<ConfigureForm>,
) -> AppResult<Response> {
    me.user.require(&BUYERS)?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let cart = own_open_cart(&mut tx, &me, &cart).await?;
    let back = format!("/orders/new?customer={}", cart.customer_id);
    if cart.status != "open" {
        return Ok(page::see_other(&back));
    }
    let vendor = VendorCode::parse(&form.vendor).ok_or(AppError::BadRequest)?;
    let customer = crate::customers::store::get(&mut tx, me.reseller_id, cart.customer_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let partner_id = crate::partners::store::public_id(&mut *tx, me.reseller_id).await?;
    tx.commit().await?;
    let owner = TenantOwner {
        reseller_id: me.reseller_id,
        customer_id: customer.id,
    };

    let answer = match (form.mode.as_str(), vendor) {
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
                    Claim::Granted(tenant_ref) => Answer::Granted(Granted {
                        domain,
                        tenant_ref,
                        origin: "reserved",
                        profile: Some(serde_json::to_value(&profile).map_err(anyhow::Error::from)?),
                        transfer_token: None,
                    }),
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
                Claim::Granted(tenant_ref) => Answer::Granted(Granted {
                    domain,
                    tenant_ref,
                    origin: "reserved",
                    profile: None,
                    transfer_token: None,
                }),
            },
        },
        ("transfer", VendorCode::Google) => {
            let token = normalize_token(&form.token);
            match rules::google_domain(&form.domain) {
                Err(key) => again("domain", key),
                Ok(_) if token.is_empty() => again("token", "form.required"),
                Ok(_) if token.len() > 100 => again("token", "vendor_error.transfer_token_invalid"),
                Ok(domain) => match state
                    .vendor
                    .transfer_tenant(&domain, &token, &partner_id, owner)
                    .await
                {
                    Ok(tenant_ref) => Answer::Granted(Granted {
                        domain,
                        tenant_ref,
                        origin: "transfer",
                        profile: None,
                        transfer_token: Some(token),
                    }),
                    Err(VendorError::Permanent { code, .. }) => {
                        let key = match code {
                            "transfer_token_domain" => "vendor_error.transfer_token_domain",
                            "transfer_token_reseller" => "vendor_error.transfer_token_reseller",
                            "transfer_token_expired" => "vendor_error.transfer_token_expired",
                            _ => "vendor_error.transfer_token_invalid",
                        };
                        again("token", key)
                    }
                    Err(VendorError::Transient(message)) => {
                        tracing::warn!(%message, "vendor unavailable for a transfer");
                        again("_form", "vendor_error.unavailable_now")
                    }
                },
            }
        }
        _ => return Err(AppError::BadRequest),
    };

    let (tenant_id, domain, transfer_token) = match answer {
        Answer::Again(errors, notice) => {
            let params = NewParams::default();
            let outcome = ConfigState {
                form,
                errors,
                notice,
            };
            return render_cart(&state, ctx, &me, Some(customer.id), &params, Some(outcome)).await;
        }
        Answer::Existing(id) => {
            let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
            let domain: Option<String> = sqlx::query_scalar(
                "SELECT domain FROM customer_tenants
                 WHERE reseller_id = $1 AND customer_id = $2 AND vendor = $3 AND id = $4",
            )
            .bind(me.reseller_id)
            .bind(customer.id)
            .bind(vendor.code())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            tx.commit().await?;
            let Some(domain) = domain else {
                // Another customer's or another vendor's tenant: refused like a missing choice.
                let outcome = ConfigState {
                    form,
                    errors: FieldErrors::one("tenant", "orders.configure.choose_tenant"),
                    notice: None,
                };
                let params = NewParams::default();
                return render_cart(&state, ctx, &me, Some(customer.id), &params, Some(outcome))
                    .await;
            };
            (id, domain, None)
        }
        Answer::Granted(g) => {
            let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
            let id: Option<Uuid> = sqlx::query_scalar(
                "INSERT INTO customer_tenants (reseller_id, customer_id, vendor, origin, domain, tenant_ref, vendor_profile)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (reseller_id, vendor, domain) DO UPDATE
                     SET origin = EXCLUDED.origin, tenant_ref = EXCLUDED.tenant_ref,
                         vendor_profile = COALESCE(EXCLUDED.vendor_profile, customer_tenants.vendor_profile)
                     WHERE customer_tenants.customer_id = EXCLUDED.customer_id
                 RETURNING id",
            )
            .bind(me.reseller_id)
            .bind(customer.id)
            .bind(vendor.code())
            .bind(g.origin)
            .bind(&g.domain)
            .bind(&g.tenant_ref)
            .bind(&g.profile)
            .fetch_optional(&mut *tx)
            .await?;
            tx.commit().await?;
            let Some(id) = id else {
                let field = if vendor == VendorCode::Microsoft {
                    "prefix"
                } else {
                    "domain"
                };
                let outcome = ConfigState {
                    form,
                    errors: FieldErrors::one(field, "tenants.domain_taken"),
                    notice: None,
                };
                let params = NewParams::default();
                return render_cart(&state, ctx, &me, Some(customer.id), &params, Some(outcome))
                    .await;
            };
            (id, g.domain, g.transfer_token)
        }
    };

    // Every line of this vendor in the cart uses the tenant.
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    sqlx::query(
        "UPDATE cart_lines l SET tenant_id = $3, transfer_token = $5
         FROM products p JOIN programs pr ON pr.id = p.program_id JOIN vendors v ON v.id = pr.vendor_id
         WHERE l.reseller_id = $1 AND l.cart_id = $2 AND p.id = l.product_id AND v.code = $4",
    )
    .bind(me.reseller_id)
    .bind(cart.id)
    .bind(tenant_id)
    .bind(vendor.code())
    .bind(&transfer_token)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE carts SET updated_at = now() WHERE reseller_id = $1 AND id = $2")
        .bind(me.reseller_id)
        .bind(cart.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        audit::Entry {
            reseller_id: Some(me.reseller_id),
            actor: Some(me.user.id),
            subject_type: Some("customer"),
            subject_id: Some(customer.id.to_string()),
            details: serde_json::json!({
                "vendor": vendor.code(), "domain": domain, "mode": form.mode,
                "transfer": transfer_token.is_some(),
            }),
            ip: Some(ip),
            ..audit::Entry::new(Action::OrderTenantConfigured)
        },
    )
    .await?;
    tx.commit().await?;
    let key = if transfer_token.is_some() {
        "orders.configure.transfer_done"
    } else {
        "orders.configure.done"
    };
    flash::push(&session, Level::Success, key, &[("domain", &domain)]).await;
    Ok(page::see_other(&back))
}
