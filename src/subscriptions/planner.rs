//! `/subscriptions/renewals`: the renewal planner, the subscriptions whose term ends in the next
//! 90 days, soonest first, each with what it renews as (its scheduled change applied) and its
//! price per billing period on its renewal date (a price list change due by then included), or
//! that it expires.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use crate::app::AppState;
use crate::error::AppResult;
use crate::identity::ResellerUser;
use crate::subscriptions::rules::{self, TermEnd};
use crate::subscriptions::store;
use crate::web::PageCtx;
use crate::web::page;
use crate::web::paging::{Page, Pager};

/// How far ahead the planner looks.
pub const DAYS_AHEAD: i64 = 90;

pub fn router() -> Router<AppState> {
    Router::new().route("/subscriptions/renewals", get(planner))
}

#[derive(Deserialize, Default)]
struct Params {
    #[serde(default)]
    page: Option<String>,
}

/// A renewal as the planner shows it.
pub struct Row {
    pub id: uuid::Uuid,
    pub date: String,
    pub customer_id: uuid::Uuid,
    pub customer: String,
    pub product: String,
    pub seats: i32,
    /// "US$ 132,00 per month", or why there is no amount (it expires; no price that day).
    pub amount: String,
    pub renews: bool,
    pub scheduled: bool,
}

#[derive(Template)]
#[template(path = "subscriptions/renewals.html")]
struct PlannerPage {
    ctx: PageCtx,
    rows: Vec<Row>,
    summary: String,
    pager: Pager,
}

async fn planner(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(p): Query<Params>,
) -> AppResult<Response> {
    let today = time::OffsetDateTime::now_utc().date();
    let until = today + time::Duration::days(DAYS_AHEAD);
    let page = Page::of_table(p.page.as_deref());
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let (planned, total) = store::planned(&mut tx, me.reseller_id, today, until, page).await?;
    // Priced as each customer's cart would price the product today (`catalog::markups`).
    let (_, default) = crate::catalog::store::reseller_pricing(&mut tx, me.reseller_id).await?;
    let products =
        crate::catalog::store::product_markups_on(&mut tx, me.reseller_id, today).await?;
    let customers =
        crate::customers::store::customer_markups_on(&mut tx, me.reseller_id, today).await?;
    tx.commit().await?;
    let rows = planned
        .into_iter()
        .map(|r| {
            let markup = crate::catalog::markups::markup_for(
                default,
                products.get(&r.product_id).copied(),
                customers.get(&r.customer_id).copied(),
            );
            row(&ctx, markup, r)
        })
        .collect();
    Ok(page::ok(&PlannerPage {
        summary: ctx.t_count(
            "subscriptions.planner_count",
            "subscriptions.planner_count_one",
            total,
        ),
        pager: page.links(total, |n| format!("/subscriptions/renewals?page={n}")),
        rows,
        ctx,
    }))
}

fn row(ctx: &PageCtx, markup: rust_decimal::Decimal, r: store::Planned) -> Row {
    let renews = rules::at_term_end(r.status, r.auto_renew) == TermEnd::Renew;
    let amount = match (renews, r.cost) {
        (false, _) => ctx.t("subscriptions.planner_expires"),
        (true, None) => ctx.t("subscriptions.planner_no_price"),
        (true, Some(cost)) => {
            let price = crate::catalog::rules::your_price(cost, markup);
            let per_period = crate::subscriptions::proration::per_period(price, r.seats);
            format!(
                "{} {}",
                ctx.money(per_period, &r.currency),
                ctx.t(crate::subscriptions::view::per_key(r.billing))
            )
        }
    };
    Row {
        id: r.id,
        date: crate::i18n::format_date(ctx.locale, r.end_date),
        customer_id: r.customer_id,
        product: ctx
            .locale
            .pick(&r.name_es, &r.name_en, &r.name_pt)
            .to_string(),
        customer: r.customer,
        seats: r.seats,
        amount,
        renews,
        scheduled: r.scheduled,
    }
}
