//! The reseller's catalog: `/catalog` (search, filters, sort, pages) and `/catalog/{sku}` (terms,
//! billing options, cost, suggested retail, the reseller's own price and margins, upgrade paths
//! and add-ons). Prices are in the reseller's billing currency, in force today (UTC).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::app::AppState;
use crate::catalog::rules::{self, Billing, Term};
use crate::catalog::store::{self, PAGE_SIZE};
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::identity::ResellerUser;
use crate::web::page::{self, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/catalog", get(list))
        .route("/catalog/{sku}", get(product))
}

pub const CATEGORIES: [&str; 9] = [
    "productivity",
    "email",
    "collaboration",
    "security",
    "analytics",
    "ai",
    "project",
    "infrastructure",
    "frontline",
];

#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub program: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub term: String,
    #[serde(default)]
    pub billing: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page: Option<String>,
}

impl ListParams {
    /// Only known values pass to the query; anything else means "no filter".
    pub fn to_query(&self) -> store::Query {
        let keep = |v: &str, ok: bool| if ok { v.to_string() } else { String::new() };
        let slug =
            |v: &str| v.len() <= 60 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        store::Query {
            q: self.q.trim().chars().take(100).collect(),
            vendor: keep(&self.vendor, slug(&self.vendor)),
            program: keep(&self.program, slug(&self.program)),
            category: keep(&self.category, CATEGORIES.contains(&self.category.as_str())),
            kind: keep(
                &self.kind,
                matches!(self.kind.as_str(), "license" | "consumption"),
            ),
            term: Term::parse(&self.term)
                .map(|t| t.code().to_string())
                .unwrap_or_default(),
            billing: Billing::parse(&self.billing)
                .map(|b| b.code().to_string())
                .unwrap_or_default(),
            sort: keep(
                &self.sort,
                matches!(self.sort.as_str(), "price_asc" | "price_desc"),
            ),
            page: self
                .page
                .as_deref()
                .and_then(|p| p.parse::<i64>().ok())
                .unwrap_or(1)
                .clamp(1, 100_000),
            include_retired: false,
        }
    }
}

/// The query string of a list page, for links that keep the filters.
pub fn query_string(q: &store::Query, page: i64) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("q", q.q.as_str()),
        ("vendor", &q.vendor),
        ("program", &q.program),
        ("category", &q.category),
        ("kind", &q.kind),
        ("term", &q.term),
        ("billing", &q.billing),
        ("sort", &q.sort),
    ] {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    if page > 1 {
        s.append_pair("page", &page.to_string());
    }
    s.finish()
}

pub struct Card {
    pub sku: String,
    pub name: String,
    pub vendor: String,
    pub program: String,
    pub category: String,
    pub kind: String,
    pub approved: bool,
    pub cost: Option<String>,
    pub your_price: Option<String>,
    pub retail: Option<String>,
}

#[derive(Template)]
#[template(path = "catalog/list.html")]
struct ListPage {
    ctx: PageCtx,
    query: store::Query,
    cards: Vec<Card>,
    summary: String,
    vendors: Vec<store::Choice>,
    programs: Vec<store::Choice>,
    categories: Vec<(&'static str, String)>,
    terms: Vec<(&'static str, String)>,
    billings: Vec<(&'static str, String)>,
    prev_link: Option<String>,
    next_link: Option<String>,
    page_label: String,
    markup_text: String,
    can_set_markup: bool,
}

fn labels<T: Copy>(
    ctx: &PageCtx,
    items: &[T],
    code: fn(T) -> &'static str,
    prefix: &str,
) -> Vec<(&'static str, String)> {
    items
        .iter()
        .map(|i| (code(*i), ctx.t(&format!("{prefix}.{}", code(*i)))))
        .collect()
}

pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(params): Query<ListParams>,
) -> AppResult<Response> {
    let query = params.to_query();
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let (currency, markup) = store::reseller_pricing(&mut tx, me.reseller_id).await?;
    let (rows, total) =
        store::search(&mut tx, &query, Some(me.reseller_id), &currency, today()).await?;
    let vendors = store::vendors(&mut *tx).await?;
    let programs = store::programs(&mut *tx).await?;
    tx.commit().await?;

    let money = |d: Decimal| i18n::format_money(ctx.locale, d, &currency);
    let cards = rows
        .iter()
        .map(|r| Card {
            sku: r.sku.clone(),
            name: r.name(ctx.locale).to_string(),
            vendor: r.vendor.clone(),
            program: r.program.clone(),
            category: ctx.t(&format!("category.{}", r.category)),
            kind: ctx.t(&format!("kind.{}", r.kind)),
            approved: r.enrollment.as_deref() == Some("approved"),
            cost: r.monthly_cost.map(money),
            your_price: r.monthly_cost.map(|c| money(rules::your_price(c, markup))),
            retail: r.monthly_retail.map(money),
        })
        .collect();
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let summary = ctx.t_with(
        "catalog.results",
        &[("count", &i18n::format_integer(ctx.locale, total))],
    );
    let page_label = ctx.t_with(
        "catalog.page_of",
        &[
            ("page", &query.page.to_string()),
            ("pages", &pages.to_string()),
        ],
    );
    let prev_link =
        (query.page > 1).then(|| format!("/catalog?{}", query_string(&query, query.page - 1)));
    let next_link =
        (query.page < pages).then(|| format!("/catalog?{}", query_string(&query, query.page + 1)));
    let categories = CATEGORIES
        .iter()
        .map(|c| (*c, ctx.t(&format!("category.{c}"))))
        .collect();
    let terms = labels(&ctx, &Term::ALL, Term::code, "term");
    let billings = labels(&ctx, &Billing::ALL, Billing::code, "billing");
    let markup_text = ctx.t_with(
        "catalog.markup_is",
        &[("markup", &i18n::format_decimal(ctx.locale, markup, 2))],
    );
    Ok(page::ok(&ListPage {
        can_set_markup: me.user.role.manages_users(),
        ctx,
        query,
        cards,
        summary,
        vendors,
        programs,
        categories,
        terms,
        billings,
        prev_link,
        next_link,
        page_label,
        markup_text,
    }))
}

pub struct PriceLine {
    pub term: String,
    pub billing: String,
    pub cost: String,
    pub retail: String,
    pub your_price: String,
    pub margin: String,
    pub retail_margin: String,
    pub from: Option<String>,
}

#[derive(Template)]
#[template(path = "catalog/product.html")]
struct ProductPage {
    ctx: PageCtx,
    product: store::Product,
    name: String,
    description: String,
    category: String,
    kind: String,
    approved: bool,
    lines: Vec<PriceLine>,
    offers: Vec<String>,
    upgrades: Vec<(String, String)>,
    addons: Vec<(String, String)>,
    bases: Vec<(String, String)>,
    currency: String,
    markup_text: String,
    needs_program_text: String,
}

async fn product(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(sku): Path<String>,
) -> AppResult<Response> {
    if sku.len() > 64 {
        return Err(AppError::NotFound);
    }
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let product = store::product_by_sku(&mut *tx, &sku)
        .await?
        .ok_or(AppError::NotFound)?;
    let (currency, markup) = store::reseller_pricing(&mut tx, me.reseller_id).await?;
    let day = today();
    let prices =
        store::current_and_future_prices(&mut *tx, product.id, Some(&currency), day).await?;
    let offers = store::offers(&mut *tx, product.id).await?;
    let orderable =
        crate::partners::programs::may_order(&mut tx, me.reseller_id, product.program_id).await?;
    let named = |list: Vec<store::Related>| {
        list.into_iter()
            .map(|r| (r.sku.clone(), r.name(ctx.locale).to_string()))
            .collect::<Vec<_>>()
    };
    let upgrades = named(store::related(&mut *tx, product.id, "upgrades").await?);
    let addons = named(store::related(&mut *tx, product.id, "addons").await?);
    let bases = named(store::related(&mut *tx, product.id, "bases").await?);
    tx.commit().await?;

    let money = |d: Decimal| i18n::format_money(ctx.locale, d, &currency);
    let lines = prices
        .iter()
        .map(|p| {
            let m = rules::margins(p.cost, p.retail, markup);
            PriceLine {
                term: ctx.t(&format!("term.{}", p.term)),
                billing: ctx.t(&format!("billing.{}", p.billing)),
                cost: money(p.cost),
                retail: money(p.retail),
                your_price: money(m.your_price),
                margin: money(m.margin),
                retail_margin: match m.retail_margin_percent {
                    Some(pct) => format!(
                        "{} ({} %)",
                        money(m.retail_margin),
                        i18n::format_decimal(ctx.locale, pct, 1)
                    ),
                    None => money(m.retail_margin),
                },
                from: (p.valid_from > day).then(|| i18n::format_date(ctx.locale, p.valid_from)),
            }
        })
        .collect();
    let offers = offers
        .into_iter()
        .map(|(t, b)| {
            format!(
                "{} · {}",
                ctx.t(&format!("term.{t}")),
                ctx.t(&format!("billing.{b}"))
            )
        })
        .collect();
    let markup_text = ctx.t_with(
        "catalog.markup_is",
        &[("markup", &i18n::format_decimal(ctx.locale, markup, 2))],
    );
    let needs_program_text = match orderable {
        Ok(()) => String::new(),
        Err(why) => format!(
            "{} {}",
            ctx.t(why.key()),
            ctx.t_with(
                "catalog.needs_program_long",
                &[("program", &product.program)]
            )
        ),
    };
    Ok(page::ok(&ProductPage {
        needs_program_text,
        name: product.name(ctx.locale).to_string(),
        description: product.description(ctx.locale).to_string(),
        category: ctx.t(&format!("category.{}", product.category)),
        kind: ctx.t(&format!("kind.{}", product.kind)),
        approved: orderable.is_ok(),
        product,
        lines,
        offers,
        upgrades,
        addons,
        bases,
        currency,
        markup_text,
        ctx,
    }))
}
