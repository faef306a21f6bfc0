//! `/staff/catalog`: staff maintain vendors, programs, products and prices, retire products,
//! schedule price changes, and import or export the price list as CSV. Every change is in the
//! audit log.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::catalog::import::{self, PriceLine, Rejection};
use crate::catalog::routes::{CATEGORIES, ListParams, query_string, today};
use crate::catalog::rules::{self, Billing, Term};
use crate::catalog::store::{self, PAGE_SIZE};
use crate::error::{AppError, AppResult};
use crate::fields::{FieldErrors, trimmed};
use crate::i18n;
use crate::identity::StaffUser;
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::forms::Form;
use crate::web::page::{self, PageCtx};

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
        .route("/staff/catalog/products/{id}/prices", post(add_price))
        .route("/staff/catalog/vendors", get(vendors).post(create_vendor))
        .route("/staff/catalog/programs", post(create_program))
        .route("/staff/catalog/vendors/{code}", post(update_vendor))
        .route("/staff/catalog/programs/{code}", post(update_program))
        .route(
            "/staff/catalog/import",
            get(import_page)
                .post(import_submit)
                .layer(DefaultBodyLimit::max(import::MAX_BYTES + 64 * 1024)),
        )
        .route("/staff/catalog/export.csv", get(export))
}

// ---------------------------------------------------------------- list

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
    prev_link: Option<String>,
    next_link: Option<String>,
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
            status: ctx.t(&format!("catalog.status_{}", r.status)),
            retired: r.status == "retired",
            price: r
                .monthly_cost
                .map(|c| i18n::format_money(ctx.locale, c, "USD"))
                .unwrap_or_else(|| "—".into()),
        })
        .collect();
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let link = |p: i64| format!("/staff/catalog?{}", query_string(&query, p));
    Ok(page::ok(&ListPage {
        summary: ctx.t_with(
            "catalog.results",
            &[("count", &i18n::format_integer(ctx.locale, total))],
        ),
        prev_link: (query.page > 1).then(|| link(query.page - 1)),
        next_link: (query.page < pages).then(|| link(query.page + 1)),
        q: query.q.clone(),
        rows,
        ctx,
    }))
}

// ---------------------------------------------------------------- product form

#[derive(Deserialize, Default, Clone)]
pub struct ProductForm {
    #[serde(default)]
    pub sku: String,
    #[serde(default)]
    pub program: String,
    #[serde(default)]
    pub name_es: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub name_pt: String,
    #[serde(default)]
    pub description_es: String,
    #[serde(default)]
    pub description_en: String,
    #[serde(default)]
    pub description_pt: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub min_seats: String,
    #[serde(default)]
    pub max_seats: String,
    /// `P1Y:annual` pairs, several.
    #[serde(default)]
    pub offers: Vec<String>,
    /// Comma-separated SKUs.
    #[serde(default)]
    pub upgrades: String,
    #[serde(default)]
    pub addon_of: String,
}

/// A product form that passed its checks.
pub struct ProductInput {
    pub sku: String,
    pub program_code: String,
    pub names: [String; 3],
    pub descriptions: [String; 3],
    pub category: String,
    pub kind: String,
    pub min_seats: i32,
    pub max_seats: i32,
    pub offers: Vec<(Term, Billing)>,
    pub upgrades: Vec<String>,
    pub addon_of: Vec<String>,
}

fn skus(list: &str) -> Vec<String> {
    list.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl ProductForm {
    pub fn parse(&self) -> Result<ProductInput, FieldErrors> {
        let mut e = FieldErrors::new();
        let sku = self.sku.trim().to_string();
        let sku_ok = sku.len() >= 2
            && sku.len() <= 64
            && sku
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._:/-".contains(c))
            && sku
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric());
        if !sku_ok {
            e.add("sku", "catalog.invalid_sku");
        }
        let mut text = |field: &'static str, value: &str, max: usize, required: bool| match trimmed(
            value, max,
        ) {
            Ok(v) if required && v.is_empty() => {
                e.add(field, "form.required");
                v
            }
            Ok(v) => v,
            Err(k) => {
                e.add(field, k);
                String::new()
            }
        };
        let names = [
            text("name_es", &self.name_es, 200, true),
            text("name_en", &self.name_en, 200, true),
            text("name_pt", &self.name_pt, 200, true),
        ];
        let descriptions = [
            text("description_es", &self.description_es, 4000, false),
            text("description_en", &self.description_en, 4000, false),
            text("description_pt", &self.description_pt, 4000, false),
        ];
        if !CATEGORIES.contains(&self.category.as_str()) {
            e.add("category", "catalog.invalid_choice");
        }
        if !matches!(self.kind.as_str(), "license" | "consumption") {
            e.add("kind", "catalog.invalid_choice");
        }
        let min_seats = self
            .min_seats
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|n| *n >= 1);
        let max_seats = self
            .max_seats
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|n| *n >= 1 && *n <= 1_000_000);
        if min_seats.is_none() {
            e.add("min_seats", "catalog.invalid_seats");
        }
        match (min_seats, max_seats) {
            (_, None) => e.add("max_seats", "catalog.invalid_seats"),
            (Some(min), Some(max)) if max < min => e.add("max_seats", "catalog.max_below_min"),
            _ => {}
        }
        let mut offers = Vec::new();
        for o in &self.offers {
            let parsed = o
                .split_once(':')
                .and_then(|(t, b)| Some((Term::parse(t)?, Billing::parse(b)?)))
                .filter(|(t, b)| b.fits(*t));
            match parsed {
                Some(pair) if !offers.contains(&pair) => offers.push(pair),
                Some(_) => {}
                None => e.add("offers", "catalog.invalid_choice"),
            }
        }
        if offers.is_empty() {
            e.add("offers", "catalog.offers_required");
        }
        let upgrades = skus(&self.upgrades);
        let addon_of = skus(&self.addon_of);
        if upgrades.contains(&sku) || addon_of.contains(&sku) {
            e.add("upgrades", "catalog.self_relation");
        }
        if !e.is_empty() {
            return Err(e);
        }
        Ok(ProductInput {
            sku,
            program_code: self.program.clone(),
            names,
            descriptions,
            category: self.category.clone(),
            kind: self.kind.clone(),
            min_seats: min_seats.unwrap_or(1),
            max_seats: max_seats.unwrap_or(1),
            offers,
            upgrades,
            addon_of,
        })
    }
}

#[derive(Template)]
#[template(path = "catalog/staff_product_form.html")]
struct ProductFormPage {
    ctx: PageCtx,
    editing: Option<Uuid>,
    form: ProductForm,
    programs: Vec<store::Choice>,
    categories: Vec<(&'static str, String)>,
    all_offers: Vec<(String, String)>,
    errors: FieldErrors,
}

fn offer_choices(ctx: &PageCtx) -> Vec<(String, String)> {
    let mut list = Vec::new();
    for t in Term::ALL {
        for b in Billing::ALL {
            if b.fits(t) {
                list.push((
                    format!("{}:{}", t.code(), b.code()),
                    format!(
                        "{} · {}",
                        ctx.t(&format!("term.{}", t.code())),
                        ctx.t(&format!("billing.{}", b.code()))
                    ),
                ));
            }
        }
    }
    list
}

async fn form_page(
    state: &AppState,
    ctx: PageCtx,
    editing: Option<Uuid>,
    form: ProductForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let programs = store::programs(&state.db).await?;
    let categories = CATEGORIES
        .iter()
        .map(|c| (*c, ctx.t(&format!("category.{c}"))))
        .collect();
    let all_offers = offer_choices(&ctx);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page::render(
        status,
        &ProductFormPage {
            ctx,
            editing,
            form,
            programs,
            categories,
            all_offers,
            errors,
        },
    ))
}

async fn new_product(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
) -> AppResult<Response> {
    let form = ProductForm {
        min_seats: "1".into(),
        max_seats: "300".into(),
        kind: "license".into(),
        ..Default::default()
    };
    form_page(&state, ctx, None, form, FieldErrors::new()).await
}

/// Saves the product's offers and relations (replacing the previous ones).
async fn save_relations(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    input: &ProductInput,
) -> AppResult<Result<(), FieldErrors>> {
    sqlx::query("DELETE FROM product_offers WHERE product_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for (t, b) in &input.offers {
        sqlx::query("INSERT INTO product_offers (product_id, term, billing) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(t.code())
            .bind(b.code())
            .execute(&mut *tx)
            .await?;
    }
    let mut errors = FieldErrors::new();
    for (field, list, sql) in [
        (
            "upgrades",
            &input.upgrades,
            "INSERT INTO product_upgrades (from_id, to_id) SELECT $1, id FROM products WHERE sku = $2 ON CONFLICT DO NOTHING",
        ),
        (
            "addon_of",
            &input.addon_of,
            "INSERT INTO product_addons (addon_id, base_id) SELECT $1, id FROM products WHERE sku = $2 ON CONFLICT DO NOTHING",
        ),
    ] {
        let table = if field == "upgrades" {
            "DELETE FROM product_upgrades WHERE from_id = $1"
        } else {
            "DELETE FROM product_addons WHERE addon_id = $1"
        };
        sqlx::query(table).bind(id).execute(&mut *tx).await?;
        for sku in list {
            let done = sqlx::query(sql)
                .bind(id)
                .bind(sku)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                errors.add(field, "catalog.unknown_sku");
            }
        }
    }
    Ok(if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    })
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
    let inserted = sqlx::query_scalar::<_, Uuid>(
        "INSERT INTO products (program_id, sku, name_es, name_en, name_pt, description_es,
                               description_en, description_pt, category, kind, min_seats, max_seats)
         SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM programs WHERE code = $1
         RETURNING id",
    )
    .bind(&input.program_code)
    .bind(&input.sku)
    .bind(&input.names[0])
    .bind(&input.names[1])
    .bind(&input.names[2])
    .bind(&input.descriptions[0])
    .bind(&input.descriptions[1])
    .bind(&input.descriptions[2])
    .bind(&input.category)
    .bind(&input.kind)
    .bind(input.min_seats)
    .bind(input.max_seats)
    .fetch_optional(&mut *tx)
    .await;
    let id = match inserted {
        Ok(Some(id)) => id,
        Ok(None) => {
            let errors = FieldErrors::one("program", "catalog.invalid_choice");
            return form_page(&state, ctx, None, form, errors).await;
        }
        Err(e) if crate::db::violated_constraint(&e) == Some("products_sku_key") => {
            let errors = FieldErrors::one("sku", "catalog.sku_taken");
            return form_page(&state, ctx, None, form, errors).await;
        }
        Err(e) => return Err(e.into()),
    };
    if let Err(errors) = save_relations(&mut tx, id, &input).await? {
        return form_page(&state, ctx, None, form, errors).await;
    }
    finish_product_save(
        tx,
        &session,
        Action::ProductCreated,
        staff.id,
        id,
        ip,
        &input.sku,
    )
    .await
}

/// Audits a product creation or change, commits, and shows the product with a flash message.
async fn finish_product_save(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    session: &Session,
    action: Action,
    actor: Uuid,
    id: Uuid,
    ip: std::net::IpAddr,
    sku: &str,
) -> AppResult<Response> {
    audit::record(
        &mut *tx,
        catalog_entry(action, actor, id, ip, serde_json::json!({ "sku": sku })),
    )
    .await?;
    tx.commit().await?;
    flash::push(
        session,
        Level::Success,
        "catalog.product_saved",
        &[("sku", sku)],
    )
    .await;
    Ok(page::see_other(&format!("/staff/catalog/products/{id}")))
}

fn catalog_entry(
    action: Action,
    actor: Uuid,
    product: Uuid,
    ip: std::net::IpAddr,
    details: serde_json::Value,
) -> audit::Entry<'static> {
    audit::Entry {
        actor: Some(actor),
        subject_type: Some("product"),
        subject_id: Some(product.to_string()),
        details,
        ip: Some(ip),
        ..audit::Entry::new(action)
    }
}

fn parse_id(id: &str) -> AppResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

async fn update_product(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(mut form): Form<ProductForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
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
    let updated = sqlx::query(
        "UPDATE products SET program_id = (SELECT id FROM programs WHERE code = $2),
                name_es = $3, name_en = $4, name_pt = $5, description_es = $6, description_en = $7,
                description_pt = $8, category = $9, kind = $10, min_seats = $11, max_seats = $12,
                updated_at = now()
         WHERE id = $1 AND EXISTS (SELECT 1 FROM programs WHERE code = $2)",
    )
    .bind(id)
    .bind(&input.program_code)
    .bind(&input.names[0])
    .bind(&input.names[1])
    .bind(&input.names[2])
    .bind(&input.descriptions[0])
    .bind(&input.descriptions[1])
    .bind(&input.descriptions[2])
    .bind(&input.category)
    .bind(&input.kind)
    .bind(input.min_seats)
    .bind(input.max_seats)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        let errors = FieldErrors::one("program", "catalog.invalid_choice");
        return form_page(&state, ctx, Some(id), form, errors).await;
    }
    if let Err(errors) = save_relations(&mut tx, id, &input).await? {
        return form_page(&state, ctx, Some(id), form, errors).await;
    }
    finish_product_save(
        tx,
        &session,
        Action::ProductUpdated,
        staff.id,
        id,
        ip,
        &input.sku,
    )
    .await
}

// ---------------------------------------------------------------- product page with prices

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
    form: ProductForm,
    programs: Vec<store::Choice>,
    categories: Vec<(&'static str, String)>,
    all_offers: Vec<(String, String)>,
    errors: FieldErrors,
    prices: Vec<StaffPriceLine>,
    price_form: PriceForm,
    price_errors: FieldErrors,
    terms: Vec<(&'static str, String)>,
    billings: Vec<(&'static str, String)>,
}

#[derive(Deserialize, Default, Clone)]
pub struct PriceForm {
    #[serde(default)]
    pub term: String,
    #[serde(default)]
    pub billing: String,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub cost: String,
    #[serde(default)]
    pub retail: String,
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub valid_to: String,
}

async fn product_view(
    state: &AppState,
    ctx: PageCtx,
    id: Uuid,
    price_form: Option<PriceForm>,
    price_errors: FieldErrors,
) -> AppResult<Response> {
    let product = store::product_by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let offers = store::offers(&state.db, id).await?;
    let related = |list: Vec<store::Related>| {
        list.into_iter()
            .map(|r| r.sku)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let form = ProductForm {
        sku: product.sku.clone(),
        program: product.program_code.clone(),
        name_es: product.name_es.clone(),
        name_en: product.name_en.clone(),
        name_pt: product.name_pt.clone(),
        description_es: product.description_es.clone(),
        description_en: product.description_en.clone(),
        description_pt: product.description_pt.clone(),
        category: product.category.clone(),
        kind: product.kind.clone(),
        min_seats: product.min_seats.to_string(),
        max_seats: product.max_seats.to_string(),
        offers: offers.iter().map(|(t, b)| format!("{t}:{b}")).collect(),
        upgrades: related(store::related(&state.db, id, "upgrades").await?),
        addon_of: related(store::related(&state.db, id, "bases").await?),
    };
    let day = today();
    let prices = store::current_and_future_prices(&state.db, id, None, day)
        .await?
        .into_iter()
        .map(|p| StaffPriceLine {
            term: ctx.t(&format!("term.{}", p.term)),
            billing: ctx.t(&format!("billing.{}", p.billing)),
            cost: i18n::format_money(ctx.locale, p.cost, &p.currency),
            retail: i18n::format_money(ctx.locale, p.retail, &p.currency),
            currency: p.currency,
            from: i18n::format_date(ctx.locale, p.valid_from),
            to: p
                .valid_to
                .map(|d| i18n::format_date(ctx.locale, d))
                .unwrap_or_else(|| "—".into()),
            scheduled: p.valid_from > day,
        })
        .collect();
    let programs = store::programs(&state.db).await?;
    let categories = CATEGORIES
        .iter()
        .map(|c| (*c, ctx.t(&format!("category.{c}"))))
        .collect();
    let all_offers = offer_choices(&ctx);
    let terms = Term::ALL
        .iter()
        .map(|t| (t.code(), ctx.t(&format!("term.{}", t.code()))))
        .collect();
    let billings = Billing::ALL
        .iter()
        .map(|b| (b.code(), ctx.t(&format!("billing.{}", b.code()))))
        .collect();
    let price_form = price_form.unwrap_or_else(|| PriceForm {
        currency: "USD".into(),
        valid_from: day.to_string(),
        ..Default::default()
    });
    let status = if price_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page::render(
        status,
        &ProductPage {
            ctx,
            product,
            form,
            programs,
            categories,
            all_offers,
            errors: FieldErrors::new(),
            prices,
            price_form,
            price_errors,
            terms,
            billings,
        },
    ))
}

async fn product(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
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
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let status = match form.status.as_str() {
        s @ ("active" | "retired") => s,
        _ => return Err(AppError::BadRequest),
    };
    let mut tx = state.db.begin().await?;
    // Retiring hides the product from new orders; it stays on subscriptions and invoices.
    let done = sqlx::query(
        "UPDATE products SET status = $2, retired_at = CASE WHEN $2 = 'retired' THEN now() END,
                updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    let action = if status == "retired" {
        Action::ProductRetired
    } else {
        Action::ProductReactivated
    };
    audit::record(
        &mut *tx,
        catalog_entry(action, staff.id, id, ip, serde_json::Value::Null),
    )
    .await?;
    tx.commit().await?;
    let key = if status == "retired" {
        "catalog.retired_flash"
    } else {
        "catalog.reactivated_flash"
    };
    flash::push(&session, Level::Success, key, &[]).await;
    Ok(page::see_other(&format!("/staff/catalog/products/{id}")))
}

impl PriceForm {
    fn parse(&self, sku: &str) -> Result<PriceLine, FieldErrors> {
        let mut e = FieldErrors::new();
        let term = Term::parse(&self.term);
        let billing = Billing::parse(&self.billing);
        if term.is_none() {
            e.add("term", "catalog.invalid_choice");
        }
        match (term, billing) {
            (_, None) => e.add("billing", "catalog.invalid_choice"),
            (Some(t), Some(b)) if !b.fits(t) => e.add("billing", "import.billing_term"),
            _ => {}
        }
        if !rules::CURRENCIES.contains(&self.currency.as_str()) {
            e.add("currency", "import.bad_currency");
        }
        let cost = rules::parse_amount(&self.cost)
            .map_err(|k| e.add("cost", k))
            .ok();
        let retail = rules::parse_amount(&self.retail)
            .map_err(|k| e.add("retail", k))
            .ok();
        let from = rules::parse_date(&self.valid_from)
            .map_err(|k| e.add("valid_from", k))
            .ok();
        let to = if self.valid_to.trim().is_empty() {
            None
        } else {
            rules::parse_date(&self.valid_to)
                .map_err(|k| e.add("valid_to", k))
                .ok()
        };
        if let (Some(f), Some(t)) = (from, to) {
            if t <= f {
                e.add("valid_to", "import.dates_order");
            }
        }
        match (term, billing, cost, retail, from) {
            (Some(term), Some(billing), Some(cost), Some(retail), Some(valid_from))
                if e.is_empty() =>
            {
                Ok(PriceLine {
                    line: 0,
                    sku: sku.to_string(),
                    term,
                    billing,
                    currency: self.currency.clone(),
                    cost,
                    retail,
                    valid_from,
                    valid_to: to,
                })
            }
            _ => Err(e),
        }
    }
}

async fn add_price(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<PriceForm>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    let product = store::product_by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let line = match form.parse(&product.sku) {
        Ok(l) => l,
        Err(errors) => return product_view(&state, ctx, id, Some(form), errors).await,
    };
    let mut tx = state.db.begin().await?;
    let mut rejected = import::apply(&mut tx, std::slice::from_ref(&line), staff.id).await?;
    if let Some(r) = rejected.pop() {
        drop(tx);
        let mut errors = FieldErrors::new();
        let field = if r.key == "import.not_offered" {
            "billing"
        } else {
            "valid_from"
        };
        errors.add(field, r.key);
        return product_view(&state, ctx, id, Some(form), errors).await;
    }
    audit::record(
        &mut *tx,
        catalog_entry(
            Action::PriceAdded,
            staff.id,
            id,
            ip,
            serde_json::json!({ "term": line.term.code(), "billing": line.billing.code(), "currency": line.currency,
                                "cost": line.cost, "retail": line.retail, "valid_from": line.valid_from.to_string() }),
        ),
    )
    .await?;
    tx.commit().await?;
    flash::push(&session, Level::Success, "catalog.price_saved", &[]).await;
    Ok(page::see_other(&format!("/staff/catalog/products/{id}")))
}

// ---------------------------------------------------------------- vendors and programs

#[derive(Debug, sqlx::FromRow)]
pub struct ProgramRow {
    pub code: String,
    pub name: String,
    pub vendor: String,
    pub countries: Vec<String>,
    pub products: i64,
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
}

async fn vendors_view(
    state: &AppState,
    ctx: PageCtx,
    vendor_form: VendorForm,
    program_form: ProgramForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let vendors = store::vendors(&state.db).await?;
    let programs: Vec<ProgramRow> = sqlx::query_as(
        "SELECT pr.code, pr.name, v.name AS vendor, pr.countries::text[] AS countries,
                (SELECT count(*) FROM products p WHERE p.program_id = pr.id) AS products
         FROM programs pr JOIN vendors v ON v.id = pr.vendor_id ORDER BY v.name, pr.name",
    )
    .fetch_all(&state.db)
    .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page::render(
        status,
        &VendorsPage {
            ctx,
            vendors,
            programs,
            vendor_form,
            program_form,
            errors,
        },
    ))
}

async fn vendors(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
) -> AppResult<Response> {
    vendors_view(
        &state,
        ctx,
        VendorForm::default(),
        ProgramForm::default(),
        FieldErrors::new(),
    )
    .await
}

/// Country codes separated by commas or spaces, each one the distributor serves.
fn parse_countries(input: &str) -> Result<Vec<String>, &'static str> {
    let list: Vec<String> = input
        .split([',', ' '])
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .collect();
    if list.iter().any(|c| crate::countries::by_code(c).is_none()) {
        Err("catalog.invalid_countries")
    } else {
        Ok(list)
    }
}

/// Records a staff change to a vendor or program.
async fn audit_change(
    tx: &mut sqlx::PgConnection,
    staff: Uuid,
    action: Action,
    subject_type: &'static str,
    id: Uuid,
    details: serde_json::Value,
    ip: std::net::IpAddr,
) -> sqlx::Result<()> {
    audit::record(
        tx,
        audit::Entry {
            actor: Some(staff),
            subject_type: Some(subject_type),
            subject_id: Some(id.to_string()),
            details,
            ip: Some(ip),
            ..audit::Entry::new(action)
        },
    )
    .await
}

fn valid_code(code: &str) -> bool {
    code.len() >= 2
        && code.len() <= 40
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !code.starts_with('-')
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
    let id: Option<Uuid> = sqlx::query_scalar("INSERT INTO vendors (code, name) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING RETURNING id")
        .bind(&code)
        .bind(&name)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(id) = id else {
        errors.add("vendor_code", "catalog.code_taken");
        return vendors_view(&state, ctx, form, ProgramForm::default(), errors).await;
    };
    audit_change(
        &mut tx,
        staff.id,
        Action::VendorCreated,
        "vendor",
        id,
        serde_json::Value::Null,
        ip,
    )
    .await?;
    tx.commit().await?;
    flash::push(&session, Level::Success, "catalog.vendor_saved", &[]).await;
    Ok(page::see_other("/staff/catalog/vendors"))
}

async fn create_program(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<ProgramForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::new();
    let code = form.code.trim().to_string();
    if !valid_code(&code) {
        errors.add("program_code", "catalog.invalid_code");
    }
    let name = trimmed(&form.name, 120).unwrap_or_default();
    if name.is_empty() {
        errors.add("program_name", "form.required");
    }
    let countries = parse_countries(&form.countries).unwrap_or_else(|k| {
        errors.add("program_countries", k);
        Vec::new()
    });
    if !errors.is_empty() {
        return vendors_view(&state, ctx, VendorForm::default(), form, errors).await;
    }
    let mut tx = state.db.begin().await?;
    let id: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO programs (vendor_id, code, name, countries)
         SELECT id, $2, $3, $4::text[]::char(2)[] FROM vendors WHERE code = $1
         ON CONFLICT (code) DO NOTHING RETURNING id",
    )
    .bind(&form.vendor)
    .bind(&code)
    .bind(&name)
    .bind(&countries)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        errors.add("program_code", "catalog.code_taken");
        return vendors_view(&state, ctx, VendorForm::default(), form, errors).await;
    };
    audit_change(
        &mut tx,
        staff.id,
        Action::ProgramCreated,
        "program",
        id,
        serde_json::Value::Null,
        ip,
    )
    .await?;
    tx.commit().await?;
    flash::push(&session, Level::Success, "catalog.program_saved", &[]).await;
    Ok(page::see_other("/staff/catalog/vendors"))
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
    let id: Uuid = sqlx::query_scalar("UPDATE vendors SET name = $2 WHERE code = $1 RETURNING id")
        .bind(&code)
        .bind(&name)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    audit_change(
        &mut tx,
        staff.id,
        Action::VendorUpdated,
        "vendor",
        id,
        serde_json::json!({ "name": name }),
        ip,
    )
    .await?;
    tx.commit().await?;
    flash::push(&session, Level::Success, "catalog.vendor_saved", &[]).await;
    Ok(page::see_other("/staff/catalog/vendors"))
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
    let mut errors = FieldErrors::new();
    let name = trimmed(&form.name, 120).unwrap_or_default();
    if name.is_empty() {
        errors.add("program_name", "form.required");
    }
    let countries = parse_countries(&form.countries).unwrap_or_else(|k| {
        errors.add("program_countries", k);
        Vec::new()
    });
    if !errors.is_empty() {
        return vendors_view(&state, ctx, VendorForm::default(), form, errors).await;
    }
    let mut tx = state.db.begin().await?;
    let id: Uuid = sqlx::query_scalar(
        "UPDATE programs SET name = $2, countries = $3::text[]::char(2)[] WHERE code = $1 RETURNING id",
    )
    .bind(&code)
    .bind(&name)
    .bind(&countries)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    audit_change(
        &mut tx,
        staff.id,
        Action::ProgramUpdated,
        "program",
        id,
        serde_json::json!({ "name": name, "countries": countries }),
        ip,
    )
    .await?;
    tx.commit().await?;
    flash::push(&session, Level::Success, "catalog.program_saved", &[]).await;
    Ok(page::see_other("/staff/catalog/vendors"))
}

// ---------------------------------------------------------------- CSV import and export

#[derive(Template)]
#[template(path = "catalog/staff_import.html")]
struct ImportPage {
    ctx: PageCtx,
    error: Option<String>,
    rejected: Vec<(usize, String)>,
    applied: Option<usize>,
}

async fn import_page(ctx: PageCtx, _staff: StaffUser) -> Response {
    page::ok(&ImportPage {
        ctx,
        error: None,
        rejected: Vec::new(),
        applied: None,
    })
}

fn describe(ctx: &PageCtx, rejected: Vec<Rejection>) -> Vec<(usize, String)> {
    rejected
        .into_iter()
        .map(|r| {
            let text = ctx.t(r.key);
            (
                r.line,
                if r.detail.is_empty() {
                    text
                } else {
                    format!("{text} ({})", r.detail)
                },
            )
        })
        .collect()
}

async fn import_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let mut bytes = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                bytes = Some(field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        AppError::PayloadTooLarge
                    } else {
                        AppError::BadRequest
                    }
                })?);
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(AppError::PayloadTooLarge);
            }
            Err(_) => return Err(AppError::BadRequest),
        }
    }
    let fail = |ctx: PageCtx, key: &str, rejected: Vec<(usize, String)>| {
        let error = Some(ctx.t(key));
        page::render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ImportPage {
                ctx,
                error,
                rejected,
                applied: None,
            },
        )
    };
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        return Ok(fail(ctx, "import.no_file", Vec::new()));
    };
    let (mut lines, rejected) = match import::parse(&bytes) {
        Ok(parsed) => parsed,
        Err(key) => return Ok(fail(ctx, key, Vec::new())),
    };
    if !rejected.is_empty() {
        let list = describe(&ctx, rejected);
        return Ok(fail(ctx, "import.rejected", list));
    }
    lines.sort_by_key(|l| (l.valid_from, l.line));
    let mut tx = state.db.begin().await?;
    let mut rejected = import::apply(&mut tx, &lines, staff.id).await?;
    if !rejected.is_empty() {
        // Nothing is applied: the transaction is dropped, rolled back.
        drop(tx);
        rejected.sort_by_key(|r| r.line);
        let list = describe(&ctx, rejected);
        return Ok(fail(ctx, "import.rejected", list));
    }
    audit::record(
        &mut *tx,
        audit::Entry {
            actor: Some(staff.id),
            subject_type: Some("prices"),
            details: serde_json::json!({ "rows": lines.len() }),
            ip: Some(ip),
            ..audit::Entry::new(Action::PriceListImported)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(page::ok(&ImportPage {
        ctx,
        error: None,
        rejected: Vec::new(),
        applied: Some(lines.len()),
    }))
}

async fn export(State(state): State<AppState>, _staff: StaffUser) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let body = import::export(&mut conn, today()).await?;
    Ok(crate::web::download::attachment(
        "price-list.csv",
        "text/csv; charset=utf-8",
        body,
    ))
}
