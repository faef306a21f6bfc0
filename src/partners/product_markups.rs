//! The pricing page's product markups: a markup of the reseller's own for one product, from a
//! day on (an empty one goes back to the default), which prices it in the catalog and in every
//! cart of a customer without a markup of its own (`catalog::markups`). Owners and admins set
//! them; each change is audited.

use std::net::IpAddr;

use axum::extract::State;
use axum::response::Response;
use rust_decimal::Decimal;
use serde::Deserialize;
use time::Date;
use tower_sessions::Session;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::catalog::markups::{self, MarkupForm, Step};
use crate::catalog::store::{self as catalog, ProductMarkupRow};
use crate::error::AppResult;
use crate::i18n;
use crate::identity::{ResellerUser, Role};
use crate::web::PageCtx;
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::Form;

/// The product markup form as typed: the product's SKU, the markup and its first day.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProductMarkupForm {
    #[serde(default)]
    pub sku: String,
    #[serde(default)]
    pub markup: String,
    #[serde(default)]
    pub valid_from: String,
}

/// One product with a markup of its own, as the page lists it.
pub struct ProductMarkupView {
    pub sku: String,
    pub name: String,
    /// The markup in force today (or the default's, when its own has not started or ended).
    pub current: String,
    /// Whether its own markup prices it today.
    pub own_today: bool,
    pub upcoming: Vec<String>,
}

/// The products with steps, each with what prices it today and what comes.
pub fn views(
    ctx: &PageCtx,
    rows: &[ProductMarkupRow],
    default: Decimal,
    today: Date,
) -> Vec<ProductMarkupView> {
    let percent = |m: Decimal| format!("{} %", i18n::format_decimal(ctx.locale, m, 2));
    let mut views = Vec::new();
    for product in rows.chunk_by(|a, b| a.product_id == b.product_id) {
        let steps: Vec<Step> = product
            .iter()
            .map(|r| Step {
                valid_from: r.valid_from,
                markup_percent: r.markup_percent,
            })
            .collect();
        let (markup, own) = markups::effective(default, &steps, today);
        let current = match own {
            Some(step) => ctx.t_with(
                "pricing.product_own",
                &[
                    ("markup", &percent(markup)),
                    ("date", &i18n::format_date(ctx.locale, step.valid_from)),
                ],
            ),
            None => ctx.t_with("pricing.product_default", &[("markup", &percent(default))]),
        };
        let back = ctx.t_with("pricing.product_back", &[("markup", &percent(default))]);
        let upcoming = markups::upcoming_texts(ctx, &steps, today, &back);
        views.push(ProductMarkupView {
            sku: product[0].sku.clone(),
            name: product[0].name(ctx.locale).to_string(),
            current,
            own_today: own.is_some(),
            upcoming,
        });
    }
    views
}

/// Sets a step of a product's markup: a product on sale by its SKU, a markup or none, from today
/// or a later day.
pub async fn save(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<ProductMarkupForm>,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    let today = crate::orders::cart::today();
    let sku = form.sku.trim();
    let product = if sku.is_empty() || sku.len() > 64 {
        None
    } else {
        catalog::active_product_id(&state.db, sku).await?
    };
    let typed = MarkupForm {
        markup: form.markup.clone(),
        valid_from: form.valid_from.clone(),
    };
    let step = markups::parse(&typed, today);
    let (product, step) = match (product, step) {
        (Some(product), Ok(step)) => (product, step),
        (product, step) => {
            let mut errors = step.err().unwrap_or_default();
            if product.is_none() {
                errors.add("sku", "pricing.unknown_sku");
            }
            // Typed back as it came, within the fields' sizes.
            let form = ProductMarkupForm {
                sku: form.sku.chars().take(64).collect(),
                markup: form.markup.chars().take(20).collect(),
                valid_from: form.valid_from.chars().take(20).collect(),
            };
            let typed = super::pricing::Typed::Product(form, errors);
            return super::pricing::render(&state, ctx, &me, typed).await;
        }
    };
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    catalog::set_product_markup(&mut tx, me.reseller_id, product, &step, me.user.id).await?;
    let entry = entry(&me, product, sku, &step, ip);
    let to = "/partner/pricing#product-markups";
    flash::done(tx, &session, entry, "pricing.product_saved", &[], to).await
}

fn entry<'a>(
    me: &ResellerUser,
    product: uuid::Uuid,
    sku: &str,
    step: &Step,
    ip: IpAddr,
) -> audit::Entry<'a> {
    audit::Entry {
        reseller_id: Some(me.reseller_id),
        actor: Some(me.user.id),
        subject_type: Some("product"),
        subject_id: Some(product.to_string()),
        details: serde_json::json!({
            "sku": sku,
            "valid_from": step.valid_from.to_string(),
            "markup_percent": step.markup_percent,
        }),
        ip: Some(ip),
        ..audit::Entry::new(Action::ProductMarkupChanged)
    }
}
