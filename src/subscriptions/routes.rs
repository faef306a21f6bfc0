//! `/subscriptions`: every subscription of the reseller's customers, searched by customer,
//! product or SKU, filtered by customer and status, a page at a time.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::AppState;
use crate::error::AppResult;
use crate::identity::ResellerUser;
use crate::subscriptions::rules::SubscriptionStatus;
use crate::subscriptions::store::{self, Filter};
use crate::subscriptions::view::{self, SubscriptionView};
use crate::web::PageCtx;
use crate::web::forms::Choice;
use crate::web::page;
use crate::web::paging::{Page, Pager};

pub fn router() -> Router<AppState> {
    Router::new().route("/subscriptions", get(list))
}

#[derive(Deserialize, Default)]
struct ListParams {
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
#[template(path = "subscriptions/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<SubscriptionView>,
    q: String,
    statuses: Vec<Choice>,
    status: &'static str,
    customer: String,
    customer_name: Option<String>,
    summary: String,
    pager: Pager,
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let filter = Filter {
        q: p.q.trim().chars().take(60).collect(),
        customer: Uuid::parse_str(&p.customer).ok(),
        status: SubscriptionStatus::from_code(&p.status),
    };
    let page = Page::of_table(p.page.as_deref());
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let (subs, total) = store::list(&mut tx, me.reseller_id, &filter, page).await?;
    let customer_name = match filter.customer {
        Some(id) => crate::customers::store::name(&mut tx, me.reseller_id, id).await?,
        None => None,
    };
    tx.commit().await?;
    let customer = filter.customer.map(|c| c.to_string()).unwrap_or_default();
    let status = filter.status.map_or("", SubscriptionStatus::code);
    let pager = page.links(total.rows(), |n| {
        let qs: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &filter.q)
            .append_pair("status", status)
            .append_pair("customer", &customer)
            .append_pair("page", &n.to_string())
            .finish();
        format!("/subscriptions?{qs}")
    });
    Ok(page::ok(&ListPage {
        summary: ctx.t_total(
            "subscriptions.count",
            "subscriptions.count_one",
            "subscriptions.count_about",
            total,
        ),
        statuses: SubscriptionStatus::ALL
            .iter()
            .map(|&s| Choice {
                code: s.code(),
                label: ctx.t(s.key()),
                selected: filter.status == Some(s),
            })
            .collect(),
        rows: view::rows(&ctx, subs),
        q: filter.q,
        status,
        customer,
        customer_name,
        pager,
        ctx,
    }))
}
