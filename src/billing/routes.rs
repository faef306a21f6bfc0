//! `/billing`: the reseller's invoices (owners, admins and billing users), an invoice with its
//! lines per customer, each traced to what caused it, and its reconciliation file.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::AppState;
use crate::billing::charges::Month;
use crate::billing::store::invoices::{self, Filter, Invoice};
use crate::billing::store::usage as usage_store;
use crate::billing::view::{self, CustomerRow, InvoiceRow, LineGroup, Totals};
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::ResellerUser;
use crate::web::PageCtx;
use crate::web::download;
use crate::web::page;
use crate::web::path::Path;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing", get(list))
        .route("/billing/{id}", get(show))
        .route("/billing/{id}/reconciliation.csv", get(reconciliation))
        .route("/subscriptions/{id}/usage", get(usage))
}

/// Refuses (403) users who do not see billing.
fn may_see(me: &ResellerUser) -> AppResult<()> {
    if me.user.role.sees_billing() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

#[derive(Deserialize, Default)]
struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    customer: String,
}

#[derive(Template)]
#[template(path = "billing/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<InvoiceRow>,
    q: String,
    period: String,
    customer: String,
    customer_name: Option<String>,
    errors: FieldErrors,
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    may_see(&me)?;
    let mut errors = FieldErrors::new();
    let period = match p.period.trim() {
        "" => None,
        given => Month::parse(given)
            .map_err(|k| errors.add("period", k))
            .ok()
            .map(Month::first_day),
    };
    let filter = Filter {
        q: p.q.trim().chars().take(40).collect(),
        period,
        customer: Uuid::parse_str(&p.customer).ok(),
    };
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let found = invoices::list(&mut tx, me.reseller_id, &filter).await?;
    let customer_name = match filter.customer {
        Some(id) => crate::customers::store::name(&mut tx, me.reseller_id, id).await?,
        None => None,
    };
    tx.commit().await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = ListPage {
        rows: found.iter().map(|i| view::invoice_row(&ctx, i)).collect(),
        q: filter.q,
        period: p.period.trim().chars().take(7).collect(),
        customer: filter.customer.map(|c| c.to_string()).unwrap_or_default(),
        customer_name,
        errors,
        ctx,
    };
    Ok(page::render(status, &page))
}

#[derive(Deserialize, Default)]
struct ShowParams {
    #[serde(default)]
    customer: String,
}

impl ShowParams {
    /// The customer chosen, if any; a value that is no id is no customer of the invoice (404).
    fn customer(&self) -> AppResult<Option<Uuid>> {
        match self.customer.trim() {
            "" => Ok(None),
            given => Uuid::parse_str(given)
                .map(Some)
                .map_err(|_| AppError::NotFound),
        }
    }
}

/// The reseller's invoice `id` in a tenant transaction, for a user who sees billing (404 when
/// it is not the reseller's).
async fn opened(
    state: &AppState,
    me: &ResellerUser,
    id: Uuid,
) -> AppResult<(sqlx::Transaction<'static, sqlx::Postgres>, Invoice)> {
    may_see(me)?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let invoice = invoices::invoice(&mut tx, me.reseller_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((tx, invoice))
}

/// Up to this many lines, an invoice shows them all; beyond, one customer's at a time.
const ALL_LINES_UP_TO: i32 = 300;
/// The most lines of one customer the page shows (the file has them all).
const CUSTOMER_LINES: i64 = 1_000;

#[derive(Template)]
#[template(path = "billing/show.html")]
struct ShowPage {
    ctx: PageCtx,
    id: Uuid,
    number: String,
    period: String,
    issued: String,
    lines: i32,
    totals: Totals,
    customers: Vec<CustomerRow>,
    groups: Vec<LineGroup>,
    chosen: Option<CustomerRow>,
    /// Lines are shown only per customer (a large invoice), and none is chosen.
    choose_customer: bool,
    more_lines: bool,
    csv_link: String,
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(id): Path<Uuid>,
    Query(p): Query<ShowParams>,
) -> AppResult<Response> {
    let (mut tx, invoice) = opened(&state, &me, id).await?;
    let parts = invoices::customers(&mut tx, me.reseller_id, id).await?;
    let chosen = p.customer()?;
    if chosen.is_some_and(|c| !parts.iter().any(|x| x.customer_id == c)) {
        return Err(AppError::NotFound);
    }
    let all = invoice.lines <= ALL_LINES_UP_TO;
    let lines = if all || chosen.is_some() {
        invoices::lines(&mut tx, me.reseller_id, id, chosen, CUSTOMER_LINES + 1).await?
    } else {
        Vec::new()
    };
    tx.commit().await?;
    let more_lines = lines.len() as i64 > CUSTOMER_LINES;
    let lines = lines.into_iter().take(CUSTOMER_LINES as usize).collect();
    let customers = view::customer_rows(&ctx, &parts, &invoice.currency, chosen);
    let page = ShowPage {
        id,
        number: invoice.number.clone(),
        period: ctx.month(invoice.period),
        issued: ctx.moment(invoice.issued_at),
        lines: invoice.lines,
        totals: view::totals(&ctx, &invoice),
        groups: view::line_groups(&ctx, lines, &parts, &invoice.currency),
        chosen: customers.iter().find(|c| c.selected).cloned(),
        choose_customer: !all && chosen.is_none(),
        more_lines,
        csv_link: match chosen {
            Some(c) => format!("/billing/{id}/reconciliation.csv?customer={c}"),
            None => format!("/billing/{id}/reconciliation.csv"),
        },
        customers,
        ctx,
    };
    Ok(page::render(StatusCode::OK, &page))
}

#[derive(Deserialize, Default)]
struct UsageParams {
    #[serde(default)]
    period: String,
}

#[derive(Template)]
#[template(path = "billing/usage.html")]
struct UsagePage {
    ctx: PageCtx,
    id: Uuid,
    product: String,
    customer: String,
    month: String,
    previous: String,
    next: Option<String>,
    meters: Vec<view::MeterRow>,
    days: Vec<view::UsageRow>,
}

/// A consumption subscription's usage of a month (this month by default), by meter and day.
async fn usage(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(id): Path<Uuid>,
    Query(p): Query<UsageParams>,
) -> AppResult<Response> {
    may_see(&me)?;
    let today = time::OffsetDateTime::now_utc().date();
    let month = match p.period.trim() {
        "" => Month::of(today),
        given => Month::parse(given).map_err(|_| AppError::BadRequest)?,
    };
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let s = crate::subscriptions::store::detail(&mut tx, me.reseller_id, id, false)
        .await?
        .ok_or(AppError::NotFound)?;
    let days =
        usage_store::days(&mut tx, me.reseller_id, id, month.first_day(), month.end()).await?;
    tx.commit().await?;
    let page = UsagePage {
        id,
        product: s.name(ctx.locale).to_string(),
        customer: s.customer.clone(),
        month: ctx.month(month.first_day()),
        previous: month.previous().code(),
        next: (month < Month::of(today)).then(|| month.next().code()),
        meters: view::meter_rows(&ctx, &days, &s.currency),
        days: view::usage_rows(&ctx, days, &s.currency),
        ctx,
    };
    Ok(page::render(StatusCode::OK, &page))
}

/// The reconciliation file of an invoice (or of one customer's part), streamed as the database
/// returns its lines.
async fn reconciliation(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(id): Path<Uuid>,
    Query(p): Query<ShowParams>,
) -> AppResult<Response> {
    let (mut tx, invoice) = opened(&state, &me, id).await?;
    let reseller = invoices::reseller_name(&mut tx, me.reseller_id).await?;
    let customer = match p.customer()? {
        Some(c) => Some((
            c,
            invoices::customer_of(&mut tx, me.reseller_id, id, c)
                .await?
                .ok_or(AppError::NotFound)?,
        )),
        None => None,
    };
    tx.commit().await?;
    let filename = view::file_name(
        &reseller,
        invoice.period,
        customer.as_ref().map(|c| c.1.as_str()),
        "csv",
    );
    let header = view::RECONCILIATION_COLUMNS
        .iter()
        .map(|k| ctx.t(k))
        .collect();
    let owner = me.download_owner();
    let chosen = customer.map(|c| c.0);
    Ok(download::tenant_csv(
        state.db.clone(),
        owner,
        &filename,
        header,
        move |tx, rows| {
            Box::pin(async move {
                let (ctx, invoice) = (&ctx, &invoice);
                invoices::reconciliation(tx, owner.reseller_id, id, chosen, |r| async move {
                    rows.send(view::reconciliation_row(ctx, invoice, r)).await
                })
                .await
            })
        },
    ))
}
