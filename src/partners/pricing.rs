//! `/partner/pricing`: the reseller's default markup, which gives "your price" next to cost and
//! suggested retail everywhere prices are shown (owners and admins change it), and whether sales
//! users see costs and margins (the owner's choice).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use rust_decimal::Decimal;
use serde::Deserialize;
use tower_sessions::Session;

use crate::app::AppState;
use crate::audit::Action;
use crate::catalog::markups::parse_markup;
use crate::error::AppResult;
use crate::fields::FieldErrors;
use crate::i18n;
use crate::identity::{ResellerUser, Role};
use crate::partners::account::reseller_entry;
use crate::partners::product_markups::{self, ProductMarkupForm, ProductMarkupView};
use crate::partners::store;
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::Form;
use crate::web::page::{self, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/partner/pricing", get(show).post(save))
        .route("/partner/pricing/costs", post(save_costs))
        .route("/partner/pricing/products", post(product_markups::save))
}

#[derive(Template)]
#[template(path = "partners/pricing.html")]
struct PricingPage {
    ctx: PageCtx,
    markup: String,
    currency: String,
    example: String,
    errors: FieldErrors,
    /// Whether sales users see costs and margins now.
    sales_see_costs: bool,
    /// Whether this user may change that (the owner).
    owner: bool,
    products: Vec<ProductMarkupView>,
    product_form: ProductMarkupForm,
    product_errors: FieldErrors,
    today: String,
}

/// What the page shows typed back: nothing, the default markup or a product's, with errors.
pub(super) enum Typed {
    Nothing(ProductMarkupForm),
    Default(String, FieldErrors),
    Product(ProductMarkupForm, FieldErrors),
}

pub(super) async fn render(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    typed: Typed,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let (currency, markup) =
        crate::catalog::store::reseller_pricing(&mut tx, me.reseller_id).await?;
    let rows = crate::catalog::store::product_markups(&mut tx, me.reseller_id).await?;
    tx.commit().await?;
    let today = crate::orders::cart::today();
    let hundred = Decimal::ONE_HUNDRED;
    let example = ctx.t_with(
        "pricing.example",
        &[
            ("cost", &i18n::format_money(ctx.locale, hundred, &currency)),
            (
                "price",
                &i18n::format_money(
                    ctx.locale,
                    crate::catalog::rules::your_price(hundred, markup),
                    &currency,
                ),
            ),
        ],
    );
    let (typed_markup, errors, product_form, product_errors) = match typed {
        Typed::Nothing(form) => (None, FieldErrors::new(), form, FieldErrors::new()),
        Typed::Default(m, e) => (Some(m), e, Default::default(), FieldErrors::new()),
        Typed::Product(form, e) => (None, FieldErrors::new(), form, e),
    };
    let status = page::form_status(if errors.is_empty() {
        &product_errors
    } else {
        &errors
    });
    Ok(page::render(
        status,
        &PricingPage {
            markup: typed_markup.unwrap_or_else(|| markup.normalize().to_string()),
            products: product_markups::views(&ctx, &rows, markup, today),
            currency,
            example,
            errors,
            sales_see_costs: me.user.sales_see_costs,
            owner: me.user.role == Role::Owner,
            product_form,
            product_errors,
            today: today.to_string(),
            ctx,
        },
    ))
}

#[derive(Deserialize, Default)]
struct ShowParams {
    /// A product to set a markup for (the product page links here with it).
    #[serde(default)]
    sku: String,
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(p): Query<ShowParams>,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    let form = ProductMarkupForm {
        sku: p.sku.chars().take(64).collect(),
        ..Default::default()
    };
    render(&state, ctx, &me, Typed::Nothing(form)).await
}

#[derive(Deserialize)]
struct MarkupForm {
    #[serde(default)]
    markup: String,
}

async fn save(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<MarkupForm>,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    let markup = match parse_markup(&form.markup) {
        Ok(m) => m,
        Err(key) => {
            let errors = FieldErrors::one("markup", key);
            let typed = Typed::Default(form.markup.chars().take(20).collect(), errors);
            return render(&state, ctx, &me, typed).await;
        }
    };
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let old = store::lock_markup(&mut tx, me.reseller_id).await?;
    store::set_markup(&mut tx, me.reseller_id, markup).await?;
    let details = serde_json::json!({ "from": old, "to": markup });
    let entry = reseller_entry(&me, Action::MarkupChanged, ip, details);
    flash::done(
        tx,
        &session,
        entry,
        "pricing.saved",
        &[],
        "/partner/pricing",
    )
    .await
}

#[derive(Deserialize)]
struct CostsForm {
    /// A checkbox: present (any value) when ticked.
    #[serde(default)]
    sales_see_costs: Option<String>,
}

/// The owner lets sales users see costs and margins, or stops it (audited).
async fn save_costs(
    State(state): State<AppState>,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<CostsForm>,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner])?;
    let on = form.sales_see_costs.is_some();
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let old = store::lock_sales_see_costs(&mut tx, me.reseller_id).await?;
    store::set_sales_see_costs(&mut tx, me.reseller_id, on).await?;
    let details = serde_json::json!({ "from": old, "to": on });
    let entry = reseller_entry(&me, Action::SalesCostsChanged, ip, details);
    let done = if on {
        "pricing.costs_shown"
    } else {
        "pricing.costs_hidden"
    };
    flash::done(tx, &session, entry, done, &[], "/partner/pricing").await
}
