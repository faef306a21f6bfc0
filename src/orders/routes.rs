//! `/orders`: choose a customer, fill the cart (products, quantities, terms, billing, the
//! customer's vendor tenant), review the prices and place the order (once per cart, whatever the
//! retries); the orders list and the order page with its status timeline; and `/subscriptions`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use rust_decimal::Decimal;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::catalog::rules::{Billing, Term, your_price};
use crate::catalog::store as catalog;
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::i18n;
use crate::identity::{ResellerUser, Role};
use crate::orders::rules::{self, LineFacts, Refusal};
use crate::orders::store::{self, CartLine};
use crate::vendors::VendorCode;
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::forms::Form;
use crate::web::page::{self, PageCtx};

pub const BUYERS: [Role; 3] = [Role::Owner, Role::Admin, Role::Sales];
const PAGE: i64 = 25;
/// Products offered at once in the cart's search (refine the search for others).
const CANDIDATES: usize = 8;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders", get(list))
        .route("/orders/new", get(new_order))
        .route("/orders/cart/{cart}/lines", post(add_line))
        .route("/orders/cart/{cart}/lines/{line}/delete", post(remove_line))
        .route(
            "/orders/cart/{cart}/lines/{line}/quantity",
            post(change_quantity),
        )
        .route("/orders/cart/{cart}/place", post(place))
        .route(
            "/orders/cart/{cart}/configure",
            post(crate::orders::configure::configure),
        )
        .route("/orders/export.csv", get(export))
        .route("/orders/{id}", get(show))
        .route("/subscriptions", get(subscriptions))
}

fn uuid(s: &str) -> AppResult<Uuid> {
    Uuid::parse_str(s).map_err(|_| AppError::NotFound)
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

// ---------------------------------------------------------------- the cart

#[derive(Deserialize, Default)]
pub(crate) struct NewParams {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    program: String,
    #[serde(default)]
    category: String,
}

pub struct PricedLine {
    pub line: CartLine,
    pub name: String,
    pub term: String,
    pub billing: String,
    pub unit_cost: String,
    pub unit_price: String,
    pub total_price: String,
    pub problem: Option<String>,
    /// Your price when the line was added, when it changed since.
    pub was: Option<String>,
}

pub struct Candidate {
    pub sku: String,
    pub name: String,
    pub offers: Vec<(String, String)>,
    pub tenants: Vec<(Uuid, String)>,
    pub approved: bool,
}

#[derive(Template)]
#[template(path = "orders/new.html")]
struct CartPage {
    ctx: PageCtx,
    customers: Vec<(Uuid, String)>,
    customer: Option<crate::customers::store::Customer>,
    cart_id: Option<Uuid>,
    lines: Vec<PricedLine>,
    total_cost: String,
    total_price: String,
    currency: String,
    q: String,
    candidates: Vec<Candidate>,
    can_place: bool,
    problems: usize,
    price_changes: usize,
    quote: String,
    start_date: String,
    configs: Vec<VendorConfig>,
    /// The programs of the cart's lines and the terms version accepted (code, name, label).
    terms: Vec<(String, String, String)>,
    programs: Vec<crate::catalog::store::Choice>,
    categories: Vec<(&'static str, String)>,
    program: String,
    category: String,
    more_found: bool,
}

/// The tenant of one vendor in the cart: what is chosen, and the forms to choose or create it.
pub struct VendorConfig {
    pub vendor: &'static str,
    pub label: String,
    /// The tenant every line of this vendor uses, when they agree.
    pub chosen: Option<String>,
    pub chosen_id: Option<Uuid>,
    pub transfer: bool,
    pub tenants: Vec<(Uuid, String)>,
    pub form: ConfigureForm,
    pub errors: FieldErrors,
    /// Which of the forms the messages are for (`existing`, `new`, `transfer`).
    pub mode: String,
    pub notice: Option<String>,
    pub transfer_help: String,
}

impl VendorConfig {
    /// The message of `field` when the messages are for the form of `mode`.
    pub fn error(&self, mode: &str, field: &str) -> Option<&'static str> {
        if self.mode == mode {
            self.errors.get(field)
        } else {
            None
        }
    }

    /// Whether the cart's lines of this vendor use tenant `id`.
    pub fn is_chosen(&self, id: &Uuid) -> bool {
        self.chosen_id.as_ref() == Some(id)
    }

    /// What was typed in the form of `mode` (empty for the other forms).
    pub fn typed<'a>(&self, mode: &str, value: &'a str) -> &'a str {
        if self.mode == mode { value } else { "" }
    }
}

/// The configure forms as typed (one vendor, one mode).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ConfigureForm {
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub intent: String,
    #[serde(default)]
    pub tenant: String,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub domain: String,
    #[serde(default)]
    pub token: String,
    /// The customer data a new Microsoft tenant needs.
    #[serde(flatten)]
    pub profile: rules::ProfileForm,
}

impl ConfigureForm {
    /// The customer's data, as the vendor forms start.
    pub fn from_customer(c: &crate::customers::store::Customer) -> Self {
        let prefix: String = crate::text::fold(&c.legal_name)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(20)
            .collect();
        Self {
            prefix,
            profile: rules::ProfileForm {
                company: c.legal_name.clone(),
                contact_name: c.contact_name.clone(),
                contact_email: c.contact_email.clone(),
                contact_phone: c.contact_phone.clone(),
                address_line1: c.address_line1.clone(),
                city: c.city.clone(),
                region: c
                    .region_code
                    .clone()
                    .unwrap_or_else(|| c.region_name.clone()),
                postal_code: c.postal_code.clone(),
            },
            ..Default::default()
        }
    }
}

/// The outcome of a configure form shown again on the cart page.
pub struct ConfigState {
    pub form: ConfigureForm,
    pub errors: FieldErrors,
    pub notice: Option<String>,
}

/// Prices and checks every line of a cart with today's prices and rules.
async fn priced_lines(
    tx: &mut sqlx::PgConnection,
    ctx: &PageCtx,
    reseller_id: Uuid,
    cart_id: Uuid,
    customer: &crate::customers::store::Customer,
    currency: &str,
    markup: Decimal,
) -> AppResult<(Vec<PricedLine>, Decimal, Decimal)> {
    let lines = store::cart_lines(tx, reseller_id, cart_id, customer.id, currency, today()).await?;
    let (mut total_cost, mut total_price) = (Decimal::ZERO, Decimal::ZERO);
    let mut priced = Vec::new();
    for line in lines {
        let program =
            crate::partners::programs::may_order(tx, reseller_id, line.program_id).await?;
        let same_currency = line
            .quoted_currency
            .as_deref()
            .is_none_or(|c| c == currency);
        let facts = LineFacts {
            product_active: line.product_status == "active",
            offered: line.offered,
            has_price: line.cost.is_some(),
            quantity: line.quantity,
            min_seats: line.min_seats,
            max_seats: line.max_seats,
            has_tenant: line.tenant_id.is_some(),
            is_addon: line.is_addon,
            base_present: line.base_present,
            same_currency,
            program,
        };
        let verdict = if customer.status != "active" {
            Err(Refusal::CustomerInactive)
        } else {
            rules::check_line(&facts)
        };
        let cost = line.cost.unwrap_or_default();
        let price = your_price(cost, markup);
        total_cost += rules::line_total(cost, line.quantity);
        total_price += rules::line_total(price, line.quantity);
        // The price when the line was added, if it changed since (same currency only).
        let was = match (line.quoted_cost, line.cost) {
            (Some(quoted), Some(now)) if same_currency && quoted != now => Some(
                i18n::format_money(ctx.locale, your_price(quoted, markup), currency),
            ),
            _ => None,
        };
        priced.push(PricedLine {
            name: line.name(ctx.locale).to_string(),
            term: ctx.t(&format!("term.{}", line.term)),
            billing: ctx.t(&format!("billing.{}", line.billing)),
            unit_cost: i18n::format_money(ctx.locale, cost, currency),
            unit_price: i18n::format_money(ctx.locale, price, currency),
            total_price: i18n::format_money(
                ctx.locale,
                rules::line_total(price, line.quantity),
                currency,
            ),
            problem: verdict.err().map(|r| ctx.t(r.key())),
            was,
            line,
        });
    }
    Ok((priced, total_cost, total_price))
}

/// The quote of priced lines (see `rules::quote`).
fn quote_of(lines: &[PricedLine], currency: &str) -> String {
    rules::quote(
        lines.iter().map(|l| {
            (
                l.line.id,
                l.line.quantity,
                l.line.tenant_id,
                l.line.cost.unwrap_or_default(),
            )
        }),
        currency,
    )
}

async fn new_order(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(p): Query<NewParams>,
) -> AppResult<Response> {
    me.user.require(&BUYERS)?;
    let customer = Uuid::parse_str(&p.customer).ok();
    render_cart(&state, ctx, &me, customer, &p, None).await
}

/// The cart page of `customer` (or the customer choice), with a configure form's outcome.
pub(crate) async fn render_cart(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    customer: Option<Uuid>,
    p: &NewParams,
    configured: Option<ConfigState>,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let (currency, markup) = catalog::reseller_pricing(&mut tx, me.reseller_id).await?;
    let customer = match customer {
        Some(id) => Some(
            crate::customers::store::get(&mut tx, me.reseller_id, id)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let Some(customer) = customer else {
        let customers: Vec<(Uuid, String)> = sqlx::query_as(
            "SELECT id, legal_name FROM customers WHERE reseller_id = $1 AND status = 'active'
               AND ($2 = '' OR portal_fold(legal_name) LIKE '%' || portal_fold($2) || '%' OR tax_id = upper($2))
             ORDER BY sort_name, id LIMIT 50",
        )
        .bind(me.reseller_id)
        .bind(p.q.trim())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        return Ok(page::ok(&CartPage {
            ctx,
            customers,
            customer: None,
            cart_id: None,
            lines: Vec::new(),
            total_cost: String::new(),
            total_price: String::new(),
            currency,
            q: p.q.chars().take(100).collect(),
            candidates: Vec::new(),
            can_place: false,
            problems: 0,
            price_changes: 0,
            quote: String::new(),
            start_date: String::new(),
            configs: Vec::new(),
            terms: Vec::new(),
            programs: Vec::new(),
            categories: Vec::new(),
            program: String::new(),
            category: String::new(),
            more_found: false,
        }));
    };
    let cart_id = store::open_cart(&mut tx, me.reseller_id, me.user.id, customer.id).await?;
    let (lines, total_cost, total_price) = priced_lines(
        &mut tx,
        &ctx,
        me.reseller_id,
        cart_id,
        &customer,
        &currency,
        markup,
    )
    .await?;
    let tenants: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT id, vendor, domain FROM customer_tenants WHERE reseller_id = $1 AND customer_id = $2 ORDER BY domain",
    )
    .bind(me.reseller_id)
    .bind(customer.id)
    .fetch_all(&mut *tx)
    .await?;
    // The program terms the order is placed under.
    let accepted: Vec<(String, String, Option<i32>, Option<time::OffsetDateTime>)> = sqlx::query_as(
        "SELECT DISTINCT pr.code, pr.name, a.version, a.accepted_at
         FROM cart_lines l JOIN products p ON p.id = l.product_id JOIN programs pr ON pr.id = p.program_id
         LEFT JOIN LATERAL (SELECT version, accepted_at FROM program_terms_acceptances x
                            WHERE x.reseller_id = l.reseller_id AND x.program_id = pr.id
                            ORDER BY version DESC LIMIT 1) a ON true
         WHERE l.reseller_id = $1 AND l.cart_id = $2 ORDER BY pr.name",
    )
    .bind(me.reseller_id)
    .bind(cart_id)
    .fetch_all(&mut *tx)
    .await?;
    let terms = accepted
        .into_iter()
        .map(|(code, name, version, at)| {
            let label = match (version, at) {
                (Some(v), Some(at)) => ctx.t_with(
                    "orders.terms_accepted",
                    &[("version", &v.to_string()), ("date", &ctx.day(at))],
                ),
                _ => ctx.t("orders.terms_not_accepted"),
            };
            (code, name, label)
        })
        .collect();
    let public_id = crate::partners::store::public_id(&mut *tx, me.reseller_id).await?;
    // Products to add: the catalog's search, a few at a time.
    let mut candidates = Vec::new();
    let mut more_found = false;
    let q: String = p.q.trim().chars().take(100).collect();
    // The catalog's own filters, checked the same way.
    let query = crate::catalog::routes::ListParams {
        q: if p.product.is_empty() {
            q.clone()
        } else {
            p.product.clone()
        },
        program: p.program.clone(),
        category: p.category.clone(),
        ..Default::default()
    }
    .to_query();
    let (program, category) = (query.program.clone(), query.category.clone());
    let programs = catalog::programs(&mut *tx).await?;
    if !query.q.is_empty() || !query.program.is_empty() || !query.category.is_empty() {
        let (found, _) =
            catalog::search(&mut tx, &query, Some(me.reseller_id), &currency, today()).await?;
        more_found = found.len() > CANDIDATES;
        let found: Vec<_> = found.into_iter().take(CANDIDATES).collect();
        let ids: Vec<Uuid> = found.iter().map(|p| p.id).collect();
        let all_offers = catalog::offers_of(&mut *tx, &ids).await?;
        for product in found {
            let offers = all_offers
                .iter()
                .filter(|(id, _, _)| *id == product.id)
                .map(|(_, t, b)| {
                    (
                        format!("{t}:{b}"),
                        format!(
                            "{} · {}",
                            ctx.t(&format!("term.{t}")),
                            ctx.t(&format!("billing.{b}"))
                        ),
                    )
                })
                .collect();
            let vendor = &product.vendor_code;
            candidates.push(Candidate {
                sku: product.sku.clone(),
                name: product.name(ctx.locale).to_string(),
                offers,
                tenants: tenants
                    .iter()
                    .filter(|(_, v, _)| v == vendor)
                    .map(|(id, _, d)| (*id, d.clone()))
                    .collect(),
                approved: product.enrollment.as_deref() == Some("approved"),
            });
        }
    }
    tx.commit().await?;
    // One configure block per vendor in the cart.
    let mut configured = configured;
    let mut configs = Vec::new();
    for vendor in [VendorCode::Microsoft, VendorCode::Google] {
        let of_vendor: Vec<&PricedLine> = lines
            .iter()
            .filter(|l| l.line.vendor == vendor.code())
            .collect();
        if of_vendor.is_empty() {
            continue;
        }
        let first = &of_vendor[0].line;
        let agree = of_vendor.iter().all(|l| {
            l.line.tenant_id == first.tenant_id
                && l.line.transfer_token.is_some() == first.transfer_token.is_some()
        });
        let state = match configured.take() {
            Some(c) if c.form.vendor == vendor.code() => Some(c),
            other => {
                configured = other;
                None
            }
        };
        let (form, errors, notice, mode) = match state {
            Some(c) => {
                let mode = c.form.mode.clone();
                (c.form, c.errors, c.notice, mode)
            }
            None => (
                ConfigureForm::from_customer(&customer),
                FieldErrors::new(),
                None,
                String::new(),
            ),
        };
        configs.push(VendorConfig {
            vendor: vendor.code(),
            label: ctx.t(&format!("tenants.vendor_{}", vendor.code())),
            chosen: if agree {
                first.tenant_domain.clone()
            } else {
                None
            },
            chosen_id: if agree { first.tenant_id } else { None },
            transfer: agree && first.transfer_token.is_some(),
            tenants: tenants
                .iter()
                .filter(|(_, v, _)| v == vendor.code())
                .map(|(id, _, d)| (*id, d.clone()))
                .collect(),
            form,
            errors,
            mode,
            notice,
            transfer_help: ctx.t_with(
                "orders.configure.transfer_help",
                &[("public_id", &public_id)],
            ),
        });
    }
    let problems = lines.iter().filter(|l| l.problem.is_some()).count();
    let status = if configs.iter().any(|c| !c.errors.is_empty()) {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let categories = crate::catalog::routes::CATEGORIES
        .iter()
        .map(|c| (*c, ctx.t(&format!("category.{c}"))))
        .collect();
    Ok(page::render(
        status,
        &CartPage {
            can_place: !lines.is_empty() && problems == 0,
            total_cost: i18n::format_money(ctx.locale, total_cost, &currency),
            total_price: i18n::format_money(ctx.locale, total_price, &currency),
            price_changes: lines.iter().filter(|l| l.was.is_some()).count(),
            quote: quote_of(&lines, &currency),
            start_date: i18n::format_date(ctx.locale, today()),
            ctx,
            customers: Vec::new(),
            customer: Some(customer),
            cart_id: Some(cart_id),
            lines,
            currency,
            q,
            candidates,
            problems,
            configs,
            terms,
            programs,
            categories,
            program,
            category,
            more_found,
        },
    ))
}

#[derive(Deserialize)]
struct LineForm {
    #[serde(default)]
    sku: String,
    #[serde(default)]
    offer: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    tenant: String,
}

/// The cart of this user, open (404 for another user's or another reseller's cart).
pub(crate) async fn own_open_cart(
    tx: &mut sqlx::PgConnection,
    me: &ResellerUser,
    cart: &str,
) -> AppResult<store::Cart> {
    let cart = store::cart(tx, me.reseller_id, me.user.id, uuid(cart)?)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(cart)
}

async fn add_line(
    State(state): State<AppState>,
    session: Session,
    me: ResellerUser,
    Path(cart): Path<String>,
    Form(form): Form<LineForm>,
) -> AppResult<Response> {
    me.user.require(&BUYERS)?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let cart = own_open_cart(&mut tx, &me, &cart).await?;
    let back = format!("/orders/new?customer={}", cart.customer_id);
    if cart.status != "open" {
        return Ok(page::see_other(&back));
    }
    let product: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM products WHERE sku = $1 AND status = 'active'")
            .bind(&form.sku)
            .fetch_optional(&mut *tx)
            .await?;
    let offer = form
        .offer
        .split_once(':')
        .and_then(|(t, b)| Some((Term::parse(t)?, Billing::parse(b)?)));
    let quantity = parse_quantity(&form.quantity);
    // The tenant must be this customer's (a forged id from another customer is refused).
    let tenant = match Uuid::parse_str(&form.tenant) {
        Ok(id) => sqlx::query_scalar::<_, Uuid>("SELECT id FROM customer_tenants WHERE reseller_id = $1 AND customer_id = $2 AND id = $3")
            .bind(me.reseller_id)
            .bind(cart.customer_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?,
        Err(_) => None,
    };
    let (Some(product), Some((term, billing)), Some(quantity)) = (product, offer, quantity) else {
        flash::push(&session, Level::Error, "orders.bad_line", &[]).await;
        return Ok(page::see_other(&back));
    };
    // Without a tenant chosen, the line takes the one the cart's other lines of this vendor use.
    let (tenant, transfer_token): (Option<Uuid>, Option<String>) = match tenant {
        Some(t) => (Some(t), None),
        None => sqlx::query_as(
            "SELECT l.tenant_id, l.transfer_token FROM cart_lines l
               JOIN products p ON p.id = l.product_id JOIN products q ON q.id = $3
               JOIN programs a ON a.id = p.program_id JOIN programs b ON b.id = q.program_id
             WHERE l.reseller_id = $1 AND l.cart_id = $2 AND a.vendor_id = b.vendor_id AND l.tenant_id IS NOT NULL
             ORDER BY l.created_at LIMIT 1",
        )
        .bind(me.reseller_id)
        .bind(cart.id)
        .bind(product)
        .fetch_optional(&mut *tx)
        .await?
        .unwrap_or((None, None)),
    };
    // The price it is quoted at now, to show a change before the order is placed.
    let (currency, _) = catalog::reseller_pricing(&mut tx, me.reseller_id).await?;
    let quoted: Option<Decimal> = sqlx::query_scalar(
        "SELECT cost FROM prices WHERE product_id = $1 AND term = $2 AND billing = $3 AND currency = $4
           AND valid_from <= $5 AND (valid_to IS NULL OR valid_to > $5)",
    )
    .bind(product)
    .bind(term.code())
    .bind(billing.code())
    .bind(&currency)
    .bind(today())
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO cart_lines (reseller_id, cart_id, product_id, term, billing, quantity, tenant_id,
                                 transfer_token, quoted_cost, quoted_currency)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(me.reseller_id)
    .bind(cart.id)
    .bind(product)
    .bind(term.code())
    .bind(billing.code())
    .bind(quantity)
    .bind(tenant)
    .bind(transfer_token)
    .bind(quoted)
    .bind(&currency)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE carts SET updated_at = now() WHERE reseller_id = $1 AND id = $2")
        .bind(me.reseller_id)
        .bind(cart.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(page::see_other(&back))
}

async fn remove_line(
    State(state): State<AppState>,
    me: ResellerUser,
    Path((cart, line)): Path<(String, String)>,
) -> AppResult<Response> {
    me.user.require(&BUYERS)?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let cart = own_open_cart(&mut tx, &me, &cart).await?;
    sqlx::query("DELETE FROM cart_lines WHERE reseller_id = $1 AND cart_id = $2 AND id = $3")
        .bind(me.reseller_id)
        .bind(cart.id)
        .bind(uuid(&line)?)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(page::see_other(&format!(
        "/orders/new?customer={}",
        cart.customer_id
    )))
}

#[derive(Deserialize)]
struct PlaceForm {
    #[serde(default)]
    quote: String,
}

#[derive(Deserialize)]
struct QuantityForm {
    #[serde(default)]
    quantity: String,
}

/// A quantity typed in the cart: a whole number the database accepts (the product's own
/// minimum and maximum are rules shown on the line).
fn parse_quantity(raw: &str) -> Option<i32> {
    raw.trim()
        .parse::<i32>()
        .ok()
        .filter(|q| (1..=1_000_000).contains(q))
}

async fn change_quantity(
    State(state): State<AppState>,
    session: Session,
    me: ResellerUser,
    Path((cart, line)): Path<(String, String)>,
    Form(form): Form<QuantityForm>,
) -> AppResult<Response> {
    me.user.require(&BUYERS)?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let cart = own_open_cart(&mut tx, &me, &cart).await?;
    let back = format!("/orders/new?customer={}", cart.customer_id);
    let Some(quantity) = parse_quantity(&form.quantity) else {
        flash::push(&session, Level::Error, "orders.bad_quantity", &[]).await;
        return Ok(page::see_other(&back));
    };
    if cart.status == "open" {
        sqlx::query(
            "UPDATE cart_lines SET quantity = $4 WHERE reseller_id = $1 AND cart_id = $2 AND id = $3",
        )
        .bind(me.reseller_id)
        .bind(cart.id)
        .bind(uuid(&line)?)
        .bind(quantity)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(page::see_other(&back))
}

/// Places the order of a cart: checks every rule, snapshots prices, records the first event and
/// queues provisioning, all in one transaction. The cart id is the idempotency key: double
/// clicks, retries and two tabs give one order.
async fn place(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(cart): Path<String>,
    Form(form): Form<PlaceForm>,
) -> AppResult<Response> {
    me.user.require(&BUYERS)?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let cart = own_open_cart(&mut tx, &me, &cart).await?;
    // Serialise placements of this cart; the unique key decides in the end anyway.
    sqlx::query("SELECT 1 FROM carts WHERE reseller_id = $1 AND id = $2 FOR UPDATE")
        .bind(me.reseller_id)
        .bind(cart.id)
        .execute(&mut *tx)
        .await?;
    if let Some(existing) = sqlx::query_scalar::<_, Uuid>(
        "SELECT id FROM orders WHERE reseller_id = $1 AND cart_id = $2",
    )
    .bind(me.reseller_id)
    .bind(cart.id)
    .fetch_optional(&mut *tx)
    .await?
    {
        return Ok(page::see_other(&format!("/orders/{existing}")));
    }
    let customer = crate::customers::store::get(&mut tx, me.reseller_id, cart.customer_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (currency, markup) = catalog::reseller_pricing(&mut tx, me.reseller_id).await?;
    let (lines, total_cost, total_price) = priced_lines(
        &mut tx,
        &ctx,
        me.reseller_id,
        cart.id,
        &customer,
        &currency,
        markup,
    )
    .await?;
    let back = format!("/orders/new?customer={}", customer.id);
    if lines.is_empty() {
        flash::push(&session, Level::Error, Refusal::Empty.key(), &[]).await;
        return Ok(page::see_other(&back));
    }
    if lines.iter().any(|l| l.problem.is_some()) {
        flash::push(&session, Level::Error, "orders.fix_lines", &[]).await;
        return Ok(page::see_other(&back));
    }
    // Prices (or lines) changed since the page was shown: show them and ask again.
    if form.quote != quote_of(&lines, &currency) {
        flash::push(&session, Level::Error, "orders.quote_changed", &[]).await;
        return Ok(page::see_other(&back));
    }
    let mut vendors: Vec<&str> = lines.iter().map(|l| l.line.vendor.as_str()).collect();
    vendors.sort_unstable();
    vendors.dedup();
    let order_id: Uuid = sqlx::query_scalar(
        "INSERT INTO orders (reseller_id, cart_id, customer_id, placed_by, currency, total_cost, total_price, vendors)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(me.reseller_id)
    .bind(cart.id)
    .bind(customer.id)
    .bind(me.user.id)
    .bind(&currency)
    .bind(total_cost)
    .bind(total_price)
    .bind(&vendors)
    .fetch_one(&mut *tx)
    .await?;
    for l in &lines {
        let cost = l.line.cost.unwrap_or_default();
        sqlx::query(
            "INSERT INTO order_lines (reseller_id, order_id, product_id, sku, product_name, vendor, term, billing,
                                      quantity, unit_cost, unit_price, tenant_domain, tenant_ref, transfer_token)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(me.reseller_id)
        .bind(order_id)
        .bind(l.line.product_id)
        .bind(&l.line.sku)
        .bind(&l.line.name_en)
        .bind(&l.line.vendor)
        .bind(&l.line.term)
        .bind(&l.line.billing)
        .bind(l.line.quantity)
        .bind(cost)
        .bind(your_price(cost, markup))
        .bind(l.line.tenant_domain.clone().unwrap_or_default())
        .bind(l.line.tenant_ref.clone().unwrap_or_default())
        .bind(&l.line.transfer_token)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("UPDATE carts SET status = 'ordered', updated_at = now() WHERE reseller_id = $1 AND id = $2")
        .bind(me.reseller_id)
        .bind(cart.id)
        .execute(&mut *tx)
        .await?;
    store::add_event(
        &mut tx,
        me.reseller_id,
        order_id,
        "submitted",
        None,
        Some(me.user.id),
        None,
    )
    .await?;
    crate::jobs::enqueue_once(
        &mut *tx,
        crate::jobs::PROVISION_ORDER,
        &crate::orders::provision::Job {
            reseller_id: me.reseller_id,
            order_id,
        },
        &format!("provision:{order_id}"),
    )
    .await?;
    audit::record(
        &mut *tx,
        audit::Entry {
            reseller_id: Some(me.reseller_id),
            actor: Some(me.user.id),
            subject_type: Some("order"),
            subject_id: Some(order_id.to_string()),
            details: serde_json::json!({ "total_price": total_price, "currency": currency, "lines": lines.len() }),
            ip: Some(ip),
            ..audit::Entry::new(Action::OrderPlaced)
        },
    )
    .await?;
    tx.commit().await?;
    flash::push(&session, Level::Success, "orders.placed", &[]).await;
    Ok(page::see_other(&format!("/orders/{order_id}")))
}

// ---------------------------------------------------------------- orders

#[derive(Deserialize, Default)]
struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    vendor: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: Option<String>,
}

pub struct OrderListRow {
    pub order: store::OrderRow,
    pub status_label: String,
    pub total: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "orders/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<OrderListRow>,
    q: String,
    status: String,
    customer: String,
    customer_name: Option<String>,
    vendor: String,
    vendors: Vec<(&'static str, String)>,
    from: String,
    to: String,
    sort: &'static str,
    sorts: Vec<(&'static str, String)>,
    errors: FieldErrors,
    statuses: Vec<(&'static str, String)>,
    summary: String,
    prev_link: Option<String>,
    next_link: Option<String>,
    export_link: Option<String>,
    can_order: bool,
}

/// A vendor error code in the user's words; a reason typed by staff as it was typed.
pub fn explain(ctx: &PageCtx, detail: &str) -> String {
    let key = format!("vendor_error.{detail}");
    if i18n::has_key(&key) {
        ctx.t(&key)
    } else {
        detail.to_string()
    }
}

/// The status filter's options, labelled in the page's language.
pub fn status_options(ctx: &PageCtx) -> Vec<(&'static str, String)> {
    crate::orders::rules::STATUSES
        .into_iter()
        .map(|s| (s, ctx.t(&format!("orders.status_{s}"))))
        .collect()
}

/// Orders as list rows: status, total and date in the page's language.
pub fn order_rows(ctx: &PageCtx, orders: Vec<store::OrderRow>) -> Vec<OrderListRow> {
    orders
        .into_iter()
        .map(|o| OrderListRow {
            status_label: ctx.t(&format!("orders.status_{}", o.status)),
            total: i18n::format_money(ctx.locale, o.total_price, &o.currency),
            created: ctx.day(o.created_at),
            order: o,
        })
        .collect()
}

/// A subscription with its product name, term and dates in the page's language.
pub type SubscriptionView = (store::SubscriptionRow, String, String, String);

pub fn subscription_rows(
    ctx: &PageCtx,
    subs: Vec<store::SubscriptionRow>,
) -> Vec<SubscriptionView> {
    subs.into_iter()
        .map(|s| {
            let name = s.name(ctx.locale).to_string();
            let term = format!(
                "{} · {}",
                ctx.t(&format!("term.{}", s.term)),
                ctx.t(&format!("billing.{}", s.billing))
            );
            let dates = format!(
                "{} – {}",
                i18n::format_date(ctx.locale, s.start_date),
                i18n::format_date(ctx.locale, s.end_date)
            );
            (s, name, term, dates)
        })
        .collect()
}

pub fn order_number(n: i64) -> String {
    format!("ORD-{n:06}")
}

/// The name of the customer a list is filtered by (none for another reseller's id).
async fn customer_name(
    tx: &mut sqlx::PgConnection,
    reseller_id: Uuid,
    customer: Option<Uuid>,
) -> AppResult<Option<String>> {
    let Some(id) = customer else { return Ok(None) };
    Ok(
        sqlx::query_scalar("SELECT legal_name FROM customers WHERE reseller_id = $1 AND id = $2")
            .bind(reseller_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?,
    )
}

/// The filter of the orders list (and its export) from the query string; a date that is not
/// one is left out and reported beside its field.
fn order_filter(ctx: &PageCtx, p: &ListParams) -> (store::OrderFilter, FieldErrors) {
    let mut errors = FieldErrors::new();
    let from = rules::date_filter(&p.from)
        .map_err(|k| errors.add("from", k))
        .unwrap_or_default();
    let to = rules::date_filter(&p.to)
        .map_err(|k| errors.add("to", k))
        .unwrap_or_default();
    let filter = store::OrderFilter {
        q: p.q.trim().chars().take(60).collect(),
        status: rules::status_filter(&p.status),
        customer: Uuid::parse_str(&p.customer).ok(),
        vendor: VendorCode::parse(&p.vendor)
            .map(|v| v.code().to_string())
            .unwrap_or_default(),
        from,
        to,
        zone: ctx.time_zone().unwrap_or_default().to_string(),
        sort: rules::OrderSort::parse(&p.sort),
    };
    (filter, errors)
}

/// The orders the list's filters find, all of them, as a CSV file for a spreadsheet.
async fn export(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let (filter, errors) = order_filter(&ctx, &p);
    if !errors.is_empty() {
        return Err(AppError::BadRequest);
    }
    let header: Vec<String> = [
        "number",
        "date",
        "customer",
        "status",
        "vendors",
        "products",
        "cost",
        "price",
        "currency",
        "placed_by",
    ]
    .iter()
    .map(|k| ctx.t(&format!("orders.csv_{k}")))
    .collect();
    // Rows go out as the database returns them: a reseller's whole history never sits in memory.
    let (pool, reseller_id) = (state.db.clone(), me.reseller_id);
    Ok(crate::web::download::csv_streamed(
        "orders.csv",
        header,
        move |rows| async move {
            let mut tx = crate::db::tenant_tx(&pool, reseller_id).await?;
            let (rows, ctx) = (&rows, &ctx);
            store::export(&mut tx, reseller_id, &filter, |r| async move {
                rows.send(export_row(ctx, r)).await
            })
            .await?;
            tx.commit().await?;
            Ok(())
        },
    ))
}

/// An order as a row of the CSV export, in the user's language and time zone.
fn export_row(ctx: &PageCtx, r: store::ExportRow) -> Vec<String> {
    let o = r.order;
    vec![
        order_number(o.number),
        i18n::local_date(o.created_at, ctx.time_zone()).to_string(),
        o.customer,
        ctx.t(&format!("orders.status_{}", o.status)),
        r.vendors
            .iter()
            .map(|v| ctx.t(&format!("tenants.vendor_{v}")))
            .collect::<Vec<_>>()
            .join("; "),
        r.products.unwrap_or_default(),
        o.total_cost.to_string(),
        o.total_price.to_string(),
        o.currency,
        o.placed_by,
    ]
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let (filter, errors) = order_filter(&ctx, &p);
    let page_no = p
        .page
        .as_deref()
        .and_then(|x| x.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 10_000);
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let (orders, total) =
        store::orders(&mut tx, me.reseller_id, &filter, (page_no - 1) * PAGE, PAGE).await?;
    let customer_name = customer_name(&mut tx, me.reseller_id, filter.customer).await?;
    tx.commit().await?;
    let pages = ((total + PAGE - 1) / PAGE).max(1);
    let customer = filter.customer.map(|c| c.to_string()).unwrap_or_default();
    let date = |d: Option<time::Date>| d.map(|d| d.to_string()).unwrap_or_default();
    let (from, to) = (date(filter.from), date(filter.to));
    let link = |path: &str, page: Option<i64>| {
        let mut qs = url::form_urlencoded::Serializer::new(String::new());
        qs.append_pair("q", &filter.q)
            .append_pair("status", &filter.status)
            .append_pair("customer", &customer)
            .append_pair("vendor", &filter.vendor)
            .append_pair("from", &from)
            .append_pair("to", &to)
            .append_pair("sort", filter.sort.code());
        if let Some(n) = page {
            qs.append_pair("page", &n.to_string());
        }
        format!("{path}?{}", qs.finish())
    };
    let rows = order_rows(&ctx, orders);
    let statuses = status_options(&ctx);
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::BAD_REQUEST
    };
    Ok(page::render(
        status,
        &ListPage {
            summary: ctx.t_count("orders.count", total),
            prev_link: (page_no > 1).then(|| link("/orders", Some(page_no - 1))),
            next_link: (page_no < pages).then(|| link("/orders", Some(page_no + 1))),
            export_link: (total > 0).then(|| link("/orders/export.csv", None)),
            can_order: BUYERS.contains(&me.user.role),
            vendors: [VendorCode::Microsoft, VendorCode::Google]
                .into_iter()
                .map(|v| (v.code(), ctx.t(&format!("tenants.vendor_{}", v.code()))))
                .collect(),
            sorts: rules::OrderSort::ALL
                .into_iter()
                .map(|s| (s.code(), ctx.t(&format!("orders.sort_{}", s.code()))))
                .collect(),
            sort: filter.sort.code(),
            rows,
            q: filter.q,
            status: filter.status,
            vendor: filter.vendor,
            customer,
            customer_name,
            from,
            to,
            errors,
            statuses,
            ctx,
        },
    ))
}

pub struct LineView {
    pub line: store::OrderLine,
    pub term: String,
    pub billing: String,
    pub unit_price: String,
    pub total: String,
    pub status_label: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "orders/show.html")]
struct ShowPage {
    ctx: PageCtx,
    order: store::OrderRow,
    number: String,
    status_label: String,
    total_price: String,
    total_cost: String,
    lines: Vec<LineView>,
    events: Vec<(String, String, String, String)>,
    reason: Option<String>,
    in_progress: bool,
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = uuid(&id)?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let order = store::order(&mut tx, me.reseller_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let lines = store::order_lines(&mut tx, me.reseller_id, id).await?;
    let events = store::events(&mut tx, me.reseller_id, id).await?;
    tx.commit().await?;
    let money = |d: Decimal| i18n::format_money(ctx.locale, d, &order.currency);
    let lines = lines
        .into_iter()
        .map(|l| LineView {
            term: ctx.t(&format!("term.{}", l.term)),
            billing: ctx.t(&format!("billing.{}", l.billing)),
            unit_price: money(l.unit_price),
            total: money(rules::line_total(l.unit_price, l.quantity)),
            status_label: ctx.t(&format!("orders.line_{}", l.status)),
            error: l
                .error
                .as_deref()
                .map(|code| ctx.t(&format!("vendor_error.{code}"))),
            line: l,
        })
        .collect();
    let events = events
        .into_iter()
        .map(|e| {
            (
                ctx.moment(e.at),
                ctx.t(&format!("orders.status_{}", e.status)),
                e.detail
                    .map(|d| ctx.t(&format!("vendor_error.{d}")))
                    .unwrap_or_default(),
                e.actor.unwrap_or_default(),
            )
        })
        .collect();
    Ok(page::ok(&ShowPage {
        number: order_number(order.number),
        status_label: ctx.t(&format!("orders.status_{}", order.status)),
        total_price: money(order.total_price),
        total_cost: money(order.total_cost),
        reason: order
            .reason
            .as_deref()
            .map(|r| ctx.t(&format!("vendor_error.{r}"))),
        in_progress: matches!(order.status.as_str(), "submitted" | "provisioning"),
        order,
        lines,
        events,
        ctx,
    }))
}

// ---------------------------------------------------------------- subscriptions (read-only)

#[derive(Deserialize, Default)]
struct SubParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "orders/subscriptions.html")]
struct SubscriptionsPage {
    ctx: PageCtx,
    rows: Vec<(store::SubscriptionRow, String, String, String)>,
    q: String,
    status: String,
    customer: String,
    customer_name: Option<String>,
    summary: String,
    prev_link: Option<String>,
    next_link: Option<String>,
}

async fn subscriptions(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(p): Query<SubParams>,
) -> AppResult<Response> {
    let status = if matches!(p.status.as_str(), "active" | "suspended" | "cancelled") {
        p.status.clone()
    } else {
        String::new()
    };
    let customer = Uuid::parse_str(&p.customer).ok();
    let q: String = p.q.trim().chars().take(60).collect();
    let page_no = p
        .page
        .as_deref()
        .and_then(|x| x.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 10_000);
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let (subs, total) = store::subscriptions(
        &mut tx,
        me.reseller_id,
        &q,
        customer,
        &status,
        (page_no - 1) * PAGE,
        PAGE,
    )
    .await?;
    let customer_name = customer_name(&mut tx, me.reseller_id, customer).await?;
    tx.commit().await?;
    let pages = ((total + PAGE - 1) / PAGE).max(1);
    let customer_text = customer.map(|c| c.to_string()).unwrap_or_default();
    let link = |n: i64| {
        let qs: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &q)
            .append_pair("status", &status)
            .append_pair("customer", &customer_text)
            .append_pair("page", &n.to_string())
            .finish();
        format!("/subscriptions?{qs}")
    };
    let rows = subscription_rows(&ctx, subs);
    Ok(page::ok(&SubscriptionsPage {
        summary: ctx.t_count("subscriptions.count", total),
        prev_link: (page_no > 1).then(|| link(page_no - 1)),
        next_link: (page_no < pages).then(|| link(page_no + 1)),
        customer: customer_text.clone(),
        customer_name,
        rows,
        q,
        status,
        ctx,
    }))
}
