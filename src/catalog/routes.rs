//! The reseller's catalog: `/catalog` (search, filters, sort, pages) and `/catalog/{sku}` (terms,
//! billing options, cost, suggested retail, the reseller's own price and margins, upgrade paths
//! and add-ons). Prices are in the reseller's billing currency, in force today (UTC).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use rust_decimal::Decimal;

use crate::app::AppState;
use crate::catalog::filters::{self, ListParams};
use crate::catalog::markups::markup_for;
use crate::catalog::rules::{self, Billing, Category, Kind, ProductStatus, Term};
use crate::catalog::store::{self, CatalogSort, Relation};
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::identity::ResellerUser;
use crate::partners::programs::EnrollmentStatus;
use crate::web::PageCtx;
use crate::web::forms::Choice;
use crate::web::page;
use crate::web::paging::Pager;
use crate::web::path::Path;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/catalog", get(list))
        .route("/catalog/{sku}", get(product))
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
    /// The commitment and billing of that price ("3-year commitment, billed monthly").
    pub offer: String,
}

/// The filters' options, each with the one chosen marked.
pub struct FilterChoices {
    pub categories: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub terms: Vec<Choice>,
    pub billings: Vec<Choice>,
    pub sorts: Vec<Choice>,
}

impl FilterChoices {
    pub fn of(ctx: &PageCtx, q: &filters::Query) -> Self {
        let label = |key: &'static str| ctx.t(key);
        Self {
            categories: Choice::list(Category::ALL, q.category, Category::code, |c| {
                label(c.key())
            }),
            kinds: Choice::list(Kind::ALL, q.kind, Kind::code, |k| label(k.key())),
            terms: Choice::list(Term::ALL, q.term, Term::code, |t| label(t.key())),
            billings: Choice::list(Billing::ALL, q.billing, Billing::code, |b| label(b.key())),
            sorts: Choice::list(CatalogSort::ALL, Some(q.sort), CatalogSort::code, |s| {
                label(s.key())
            }),
        }
    }
}

#[derive(Template)]
#[template(path = "catalog/list.html")]
struct ListPage {
    ctx: PageCtx,
    query: filters::Query,
    choices: FilterChoices,
    cards: Vec<Card>,
    summary: String,
    vendors: Vec<store::Choice>,
    programs: Vec<store::Choice>,
    pager: Pager,
    /// What the markup is, for those who see costs (empty for the others).
    markup_text: String,
    can_set_markup: bool,
}

pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

fn markup_text(ctx: &PageCtx, markup: Decimal) -> String {
    ctx.t_with(
        "catalog.markup_is",
        &[("markup", &i18n::format_decimal(ctx.locale, markup, 2))],
    )
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
    let own = store::product_markups_on(&mut tx, me.reseller_id, today()).await?;
    let (rows, total) =
        store::search(&mut tx, &query, Some(me.reseller_id), &currency, today()).await?;
    let vendors = store::vendors(&mut *tx).await?;
    let programs = store::programs(&mut *tx).await?;
    tx.commit().await?;

    let money = |d: Decimal| ctx.unit_price(d, &currency);
    let sees_costs = me.user.sees_costs();
    let cards = rows
        .iter()
        .map(|r| Card {
            sku: r.sku.clone(),
            name: r.name(ctx.locale).to_string(),
            vendor: r.vendor.clone(),
            program: r.program.clone(),
            category: ctx.t(r.category.key()),
            kind: ctx.t(r.kind.key()),
            approved: r.enrollment == Some(EnrollmentStatus::Approved),
            cost: r.monthly_cost.filter(|_| sees_costs).map(money),
            your_price: r.monthly_cost.map(|c| {
                money(rules::your_price(
                    c,
                    markup_for(markup, own.get(&r.id).copied(), None),
                ))
            }),
            retail: r.monthly_retail.map(money),
            offer: match (r.cheapest_term, r.cheapest_billing) {
                (Some(term), Some(billing)) => {
                    crate::catalog::view::offer_text(&ctx, term, billing)
                }
                _ => String::new(),
            },
        })
        .collect();
    let pager = query
        .page
        .links(total, |n| format!("/catalog?{}", query.query_string(n)));
    let label = ctx.t_with(
        "catalog.page_of",
        &[
            ("page", &query.page.number.to_string()),
            ("pages", &pager.pages.to_string()),
        ],
    );
    Ok(page::ok(&ListPage {
        summary: ctx.t_with(
            "catalog.results",
            &[("count", &i18n::format_integer(ctx.locale, total))],
        ),
        pager: pager.labelled(label),
        markup_text: match (sees_costs, own.len()) {
            (false, _) => String::new(),
            (true, 0) => markup_text(&ctx, markup),
            (true, n) => format!(
                "{} · {}",
                markup_text(&ctx, markup),
                ctx.t_count("catalog.own_markups", "catalog.own_markup", n as i64)
            ),
        },
        can_set_markup: me.user.role.manages_users(),
        choices: FilterChoices::of(&ctx, &query),
        ctx,
        query,
        cards,
        vendors,
        programs,
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
    /// Whether your price is above the suggested retail price.
    pub above_retail: bool,
}

/// A related product, linked.
pub struct Link {
    pub sku: String,
    pub name: String,
}

pub fn links(ctx: &PageCtx, list: Vec<store::Related>) -> Vec<Link> {
    list.into_iter()
        .map(|r| Link {
            name: r.name(ctx.locale).to_string(),
            sku: r.sku,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "catalog/product.html")]
struct ProductPage {
    ctx: PageCtx,
    product: store::Product,
    retired: bool,
    name: String,
    description: String,
    category: String,
    kind: String,
    approved: bool,
    lines: Vec<PriceLine>,
    offers: Vec<String>,
    upgrades: Vec<Link>,
    addons: Vec<Link>,
    bases: Vec<Link>,
    currency: String,
    markup_text: String,
    /// Whether the user may set the product's own markup (owners and admins).
    can_set_markup: bool,
    /// Whether the user sees costs and margins (`CurrentUser::sees_costs`).
    sees_costs: bool,
    needs_program_text: String,
    /// Where the program is requested, when it is not approved yet.
    request_link: String,
    /// Whether the user may order it (a buyer's role, an approved program, not retired).
    orderable: bool,
}

/// The prices of a product as the reseller sees them: cost, retail, their price and margins.
fn price_lines(
    ctx: &PageCtx,
    prices: &[store::PriceRow],
    markup: Decimal,
    currency: &str,
    day: time::Date,
) -> Vec<PriceLine> {
    let money = |d: Decimal| ctx.unit_price(d, currency);
    prices
        .iter()
        .map(|p| {
            let m = rules::margins(p.cost, p.retail, markup);
            PriceLine {
                term: ctx.t(p.term.key()),
                billing: ctx.t(p.billing.key()),
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
                above_retail: p.retail > Decimal::ZERO && m.your_price > p.retail,
            }
        })
        .collect()
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
    let (currency, default) = store::reseller_pricing(&mut tx, me.reseller_id).await?;
    let day = today();
    let own = store::product_markups_on(&mut tx, me.reseller_id, day).await?;
    let own = own.get(&product.id).copied();
    let markup = markup_for(default, own, None);
    let prices =
        store::current_and_future_prices(&mut *tx, product.id, Some(&currency), day).await?;
    let offers = store::offers(&mut *tx, product.id).await?;
    let orderable =
        crate::partners::programs::may_order(&mut tx, me.reseller_id, product.program_id).await?;
    let upgrades = store::related(&mut *tx, product.id, Relation::Upgrades).await?;
    let addons = store::related(&mut *tx, product.id, Relation::Addons).await?;
    let bases = store::related(&mut *tx, product.id, Relation::Bases).await?;
    tx.commit().await?;
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
    let request_link = if orderable.is_ok() {
        String::new()
    } else {
        format!("/partner/programs/{}/request", product.program_code)
    };
    Ok(page::ok(&ProductPage {
        orderable: orderable.is_ok()
            && me.user.role.orders()
            && product.status == crate::catalog::rules::ProductStatus::Active,
        request_link,
        needs_program_text,
        lines: price_lines(&ctx, &prices, markup, &currency, day),
        offers: offers
            .iter()
            .map(|o| format!("{} · {}", ctx.t(o.term.key()), ctx.t(o.billing.key())))
            .collect(),
        name: product.name(ctx.locale).to_string(),
        description: product.description(ctx.locale).to_string(),
        category: ctx.t(product.category.key()),
        kind: ctx.t(product.kind.key()),
        retired: product.status == ProductStatus::Retired,
        approved: orderable.is_ok(),
        upgrades: links(&ctx, upgrades),
        addons: links(&ctx, addons),
        bases: links(&ctx, bases),
        markup_text: match own {
            Some(m) => ctx.t_with(
                "catalog.product_markup_is",
                &[
                    ("markup", &i18n::format_decimal(ctx.locale, m, 2)),
                    ("default", &i18n::format_decimal(ctx.locale, default, 2)),
                ],
            ),
            None => markup_text(&ctx, default),
        },
        can_set_markup: me.user.role.manages_users(),
        sees_costs: me.user.sees_costs(),
        product,
        currency,
        ctx,
    }))
}
