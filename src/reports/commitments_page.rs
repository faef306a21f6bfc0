//! The committed spend per customer (`/reports/commitments`), largest first or most reducible
//! first, and its CSV. Money: owners, admins and billing users only.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::identity::ResellerUser;
use crate::reports::commitments::{self, Order, Row, Totals};
use crate::web::paging::{Page, Pager, TABLE_ROWS};
use crate::web::{PageCtx, download, page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports/commitments", get(show))
        .route("/reports/commitments.csv", get(csv))
}

#[derive(Deserialize, Default)]
struct Params {
    #[serde(default)]
    order: String,
    #[serde(default)]
    page: String,
}

/// The kept totals and a page of rows (`limit` from `offset`), refreshed when out of date.
async fn read(
    state: &AppState,
    me: &ResellerUser,
    order: Order,
    offset: i64,
    limit: i64,
) -> AppResult<(Option<Totals>, Vec<Row>)> {
    if !me.user.role.sees_billing() {
        return Err(AppError::Forbidden);
    }
    let now = time::OffsetDateTime::now_utc();
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let totals = commitments::totals(&mut tx, me.reseller_id).await?;
    let rows = commitments::rows(&mut tx, me.reseller_id, order, offset, limit).await?;
    let changed = crate::billing::store::estimates::latest_change(&mut tx, me.reseller_id).await?;
    tx.commit().await?;
    let computed = totals.as_ref().map(|t| t.computed_at);
    commitments::refresh_if_due(&state.db, me.reseller_id, computed, changed, now).await?;
    Ok((totals, rows))
}

/// A customer's row as the page shows it.
struct RowView {
    customer_id: Uuid,
    customer: String,
    subscriptions: String,
    committed: String,
    /// Empty when nothing can be reduced.
    reducible: Option<String>,
}

#[derive(Template)]
#[template(path = "reports/commitments.html")]
struct CommitmentsPage {
    ctx: PageCtx,
    committed: String,
    reducible: String,
    customers: String,
    note: String,
    by_reducible: bool,
    rows: Vec<RowView>,
    pager: Pager,
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(p): Query<Params>,
) -> AppResult<Response> {
    let order = Order::parse(p.order.trim()).unwrap_or_default();
    let at = Page::parse(Some(&p.page), TABLE_ROWS);
    // One more row than shown tells whether a next page follows.
    let (totals, mut rows) = read(&state, &me, order, at.offset(), at.size + 1).await?;
    let more = rows.len() as i64 > at.size;
    rows.truncate(at.size as usize);
    let currency = totals.as_ref().map_or("", |t| t.currency.as_str());
    let sum = totals.as_ref().map(|t| t.commitment).unwrap_or_default();
    let link = |n: i64| format!("/reports/commitments?order={}&page={n}", order.code());
    let pager = Pager::keyset(
        (at.number > 1).then(|| link(at.number - 1)),
        more.then(|| link(at.number + 1)),
    );
    let page = CommitmentsPage {
        committed: ctx.money(sum.committed, currency),
        reducible: ctx.money(sum.reducible, currency),
        customers: ctx.t_count(
            "commitments.customers_many",
            "commitments.customers_one",
            totals.as_ref().map_or(0, |t| t.customers.into()),
        ),
        note: match &totals {
            Some(t) => ctx.t_with(
                "commitments.as_of",
                &[("moment", &ctx.moment(t.computed_at))],
            ),
            None => ctx.t("commitments.pending"),
        },
        by_reducible: order == Order::Reducible,
        rows: rows
            .into_iter()
            .map(|r| RowView {
                customer_id: r.customer_id,
                customer: r.customer,
                subscriptions: crate::i18n::format_integer(
                    ctx.locale,
                    r.commitment.subscriptions.into(),
                ),
                committed: ctx.money(r.commitment.committed, currency),
                reducible: (!r.commitment.reducible.is_zero())
                    .then(|| ctx.money(r.commitment.reducible, currency)),
            })
            .collect(),
        pager,
        ctx,
    };
    Ok(page::ok(&page))
}

/// Every customer's commitment, largest first, as plain numbers.
async fn csv(State(state): State<AppState>, ctx: PageCtx, me: ResellerUser) -> AppResult<Response> {
    let (totals, rows) = read(&state, &me, Order::Committed, 0, i64::MAX).await?;
    let currency = totals.map(|t| t.currency).unwrap_or_default();
    let header = [
        "commitments.csv_customer_id",
        "commitments.customer",
        "commitments.subscriptions",
        "commitments.currency",
        "commitments.committed",
        "commitments.reducible",
    ]
    .map(|k| ctx.t(k));
    let rows = rows.into_iter().map(|r| {
        vec![
            r.customer_id.to_string(),
            r.customer,
            r.commitment.subscriptions.to_string(),
            currency.clone(),
            format!("{:.2}", r.commitment.committed),
            format!("{:.2}", r.commitment.reducible),
        ]
    });
    download::csv_with(
        "committed_spend.csv",
        download::delimiter(ctx.locale, ""),
        &header,
        rows,
    )
}
