//! Staff's products: the list (retired ones too), a new product, the product page (its data,
//! offers, relations and prices) and saving it, retiring it and offering it again.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::Action;
use crate::catalog::filters::ListParams;
use crate::catalog::forms::{PriceForm, ProductForm};
use crate::catalog::routes::today;
use crate::catalog::rules::{Billing, Category, Kind, ProductStatus, Term};
use crate::catalog::staff::{entry, product_link, store as staff_store};
use crate::catalog::store::{self, Relation};
use crate::catalog::view::OfferChoice;
use crate::db::SaveError;
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::i18n;
use crate::identity::StaffUser;
use crate::web::PageCtx;
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::{Choice, Form};
use crate::web::page;
use crate::web::paging::Pager;
use crate::web::path::Path;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/catalog", get(list))
        .route(
            "/staff/catalog/products/new",
            get(new_product).post(create_product),
        )
        .route(
            "/staff/catalog/products/{id}",
            get(product).post(update_product),
        )
        .route("/staff/catalog/products/{id}/status", post(set_status))
}

pub struct Row {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub program: String,
    pub status: String,
    pub retired: bool,
    pub price: String,
}

#[derive(Template)]
#[template(path = "catalog/staff_list.html")]
struct ListPage {
    ctx: PageCtx,
    q: String,
    rows: Vec<Row>,
    summary: String,
    pager: Pager,
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Query(params): Query<ListParams>,
) -> AppResult<Response> {
    let mut query = params.to_query();
    query.include_retired = true;
    let mut conn = state.db.acquire().await?;
    let (found, total) = store::search(&mut conn, &query, None, "USD", today()).await?;
    let rows = found
        .iter()
        .map(|r| Row {
            id: r.id,
            sku: r.sku.clone(),
            name: r.name(ctx.locale).to_string(),
            program: r.program.clone(),
            status: ctx.t(r.status.key()),
            retired: r.status == ProductStatus::Retired,
            price: r
                .monthly_cost
                .map(|c| ctx.money(c, "USD"))
                .unwrap_or_else(|| "—".into()),
        })
        .collect();
    let pager = query.page.links(total, |p| {
        format!("/staff/catalog?{}", query.query_string(p))
    });
    Ok(page::ok(&ListPage {
        summary: ctx.t_with(
            "catalog.results",
            &[("count", &i18n::format_integer(ctx.locale, total))],
        ),
        q: query.q.clone(),
        pager,
        rows,
        ctx,
    }))
}

/// The choices of the product form, with the form's own values selected.
pub struct ProductChoices {
    pub programs: Vec<store::Choice>,
    pub categories: Vec<Choice>,
    pub kinds: Vec<Choice>,
    /// Every term and billing pair that exists, those of the form ticked.
    pub offers: Vec<OfferChoice>,
}

impl ProductChoices {
    async fn of(state: &AppState, ctx: &PageCtx, form: &ProductForm) -> AppResult<Self> {
        let offers = OfferChoice::all(ctx, &form.offers);
        Ok(Self {
            programs: store::programs(&state.db).await?,
            categories: Choice::list(
                Category::ALL,
                Category::from_code(&form.category),
                Category::code,
                |c| ctx.t(c.key()),
            ),
            kinds: Choice::list(Kind::ALL, Kind::from_code(&form.kind), Kind::code, |k| {
                ctx.t(k.key())
            }),
            offers,
        })
    }
}

#[derive(Template)]
#[template(path = "catalog/staff_product_form.html")]
struct ProductFormPage {
    ctx: PageCtx,
    editing: Option<Uuid>,
    form: ProductForm,
    choices: ProductChoices,
    errors: FieldErrors,
}

async fn form_page(
    state: &AppState,
    ctx: PageCtx,
    editing: Option<Uuid>,
    form: ProductForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let choices = ProductChoices::of(state, &ctx, &form).await?;
    let status = crate::web::page::form_status(&errors);
    let page = ProductFormPage {
        ctx,
        editing,
        form,
        choices,
        errors,
    };
    Ok(page::render(status, &page))
}

async fn new_product(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
) -> AppResult<Response> {
    let form = ProductForm {
        min_seats: "1".into(),
        max_seats: "300".into(),
        kind: Kind::License.code().into(),
        ..Default::default()
    };
    form_page(&state, ctx, None, form, FieldErrors::new()).await
}

/// A product saved by staff: recorded, committed, and shown with its message.
struct Saved<'a> {
    staff: Uuid,
    id: Uuid,
    ip: std::net::IpAddr,
    sku: &'a str,
}

impl Saved<'_> {
    async fn done(
        self,
        tx: sqlx::Transaction<'_, sqlx::Postgres>,
        session: &Session,
        action: Action,
    ) -> AppResult<Response> {
        let details = serde_json::json!({ "sku": self.sku });
        let entry = entry(action, self.staff, "product", self.id, self.ip, details);
        let sku = [("sku", self.sku)];
        let to = product_link(self.id);
        flash::done(tx, session, entry, "catalog.product_saved", &sku, &to).await
    }
}

async fn create_product(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<ProductForm>,
) -> AppResult<Response> {
    let input = match form.parse() {
        Ok(i) => i,
        Err(errors) => return form_page(&state, ctx, None, form, errors).await,
    };
    let mut tx = state.db.begin().await?;
    let id = match staff_store::create_product(&mut tx, &input).await {
        Err(SaveError::Refused(errors)) => return form_page(&state, ctx, None, form, errors).await,
        other => other?,
    };
    let saved = Saved {
        staff: staff.id,
        id,
        ip,
        sku: &input.sku,
    };
    saved.done(tx, &session, Action::ProductCreated).await
}

async fn update_product(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
    Form(mut form): Form<ProductForm>,
) -> AppResult<Response> {
    let existing = store::product_by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // The SKU identifies the product on subscriptions and invoices: it does not change.
    form.sku = existing.sku.clone();
    let input = match form.parse() {
        Ok(i) => i,
        Err(errors) => return form_page(&state, ctx, Some(id), form, errors).await,
    };
    let mut tx = state.db.begin().await?;
    match staff_store::update_product(&mut tx, id, &input).await {
        Err(SaveError::Refused(errors)) => {
            return form_page(&state, ctx, Some(id), form, errors).await;
        }
        other => other?,
    }
    let saved = Saved {
        staff: staff.id,
        id,
        ip,
        sku: &input.sku,
    };
    saved.done(tx, &session, Action::ProductUpdated).await
}

pub struct StaffPriceLine {
    pub term: String,
    pub billing: String,
    pub currency: String,
    pub cost: String,
    pub retail: String,
    pub from: String,
    pub to: String,
    pub scheduled: bool,
}

#[derive(Template)]
#[template(path = "catalog/staff_product.html")]
struct ProductPage {
    ctx: PageCtx,
    product: store::Product,
    retired: bool,
    form: ProductForm,
    choices: ProductChoices,
    errors: FieldErrors,
    prices: Vec<StaffPriceLine>,
    price_form: PriceForm,
    price_errors: FieldErrors,
    terms: Vec<Choice>,
    billings: Vec<Choice>,
    currencies: Vec<(&'static str, bool)>,
}

/// The product's form as its page starts: what is saved now.
async fn saved_form(state: &AppState, product: &store::Product) -> AppResult<ProductForm> {
    let offers = store::offers(&state.db, product.id).await?;
    let skus = |list: Vec<store::Related>| {
        list.into_iter()
            .map(|r| r.sku)
            .collect::<Vec<_>>()
            .join(", ")
    };
    Ok(ProductForm {
        sku: product.sku.clone(),
        program: product.program_code.clone(),
        name_es: product.name_es.clone(),
        name_en: product.name_en.clone(),
        name_pt: product.name_pt.clone(),
        description_es: product.description_es.clone(),
        description_en: product.description_en.clone(),
        description_pt: product.description_pt.clone(),
        category: product.category.code().into(),
        kind: product.kind.code().into(),
        min_seats: product.min_seats.to_string(),
        max_seats: product.max_seats.to_string(),
        offers: offers
            .iter()
            .map(|o| format!("{}:{}", o.term, o.billing))
            .collect(),
        upgrades: skus(store::related(&state.db, product.id, Relation::Upgrades).await?),
        addon_of: skus(store::related(&state.db, product.id, Relation::Bases).await?),
    })
}

/// The product page, with the price form's outcome when one was sent.
pub(crate) async fn product_view(
    state: &AppState,
    ctx: PageCtx,
    id: Uuid,
    price_form: Option<PriceForm>,
    price_errors: FieldErrors,
) -> AppResult<Response> {
    let product = store::product_by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = saved_form(state, &product).await?;
    let day = today();
    let prices = store::current_and_future_prices(&state.db, id, None, day)
        .await?
        .into_iter()
        .map(|p| StaffPriceLine {
            term: ctx.t(p.term.key()),
            billing: ctx.t(p.billing.key()),
            cost: ctx.money(p.cost, &p.currency),
            retail: ctx.money(p.retail, &p.currency),
            currency: p.currency,
            from: i18n::format_date(ctx.locale, p.valid_from),
            to: p
                .valid_to
                .map(|d| i18n::format_date(ctx.locale, d))
                .unwrap_or_else(|| "—".into()),
            scheduled: p.valid_from > day,
        })
        .collect();
    let price_form = price_form.unwrap_or_else(|| PriceForm {
        currency: "USD".into(),
        valid_from: day.to_string(),
        ..Default::default()
    });
    let status = crate::web::page::form_status(&price_errors);
    let page = ProductPage {
        choices: ProductChoices::of(state, &ctx, &form).await?,
        terms: Choice::list(Term::ALL, Term::parse(&price_form.term), Term::code, |t| {
            ctx.t(t.key())
        }),
        billings: Choice::list(
            Billing::ALL,
            Billing::parse(&price_form.billing),
            Billing::code,
            |b| ctx.t(b.key()),
        ),
        currencies: crate::catalog::rules::CURRENCIES
            .iter()
            .map(|c| (*c, *c == price_form.currency))
            .collect(),
        retired: product.status == ProductStatus::Retired,
        errors: FieldErrors::new(),
        ctx,
        product,
        form,
        prices,
        price_form,
        price_errors,
    };
    Ok(page::render(status, &page))
}

async fn product(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    product_view(&state, ctx, id, None, FieldErrors::new()).await
}

#[derive(Deserialize)]
struct StatusForm {
    #[serde(default)]
    status: String,
}

async fn set_status(
    State(state): State<AppState>,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    let status = ProductStatus::from_code(&form.status).ok_or(AppError::BadRequest)?;
    let mut tx = state.db.begin().await?;
    if !staff_store::set_status(&mut tx, id, status).await? {
        return Err(AppError::NotFound);
    }
    let (action, key) = match status {
        ProductStatus::Retired => (Action::ProductRetired, "catalog.retired_flash"),
        ProductStatus::Active => (Action::ProductReactivated, "catalog.reactivated_flash"),
    };
    let entry = entry(action, staff.id, "product", id, ip, serde_json::Value::Null);
    flash::done(tx, &session, entry, key, &[], &product_link(id)).await
}
