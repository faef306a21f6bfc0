//! `/orders`: the reseller's orders, searched by number, customer or product, filtered by
//! status, vendor, customer and dates (days in the reseller's time zone), sorted, a page at a
//! time; and the CSV export of every order the filters find.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::ResellerUser;
use crate::orders::rules::{self, OrderSort, OrderStatus, order_number};
use crate::orders::store::{self, OrderFilter};
use crate::orders::view::{BUYERS, OrderListRow, order_rows, status_options};
use crate::vendors::VendorCode;
use crate::web::PageCtx;
use crate::web::download;
use crate::web::download::OtherExport;
use crate::web::forms::Choice;
use crate::web::page;
use crate::web::paging::{Cursor, Keyset, Pager, TABLE_ROWS};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders", get(list))
        .route("/orders/export.csv", get(export))
}

#[derive(Deserialize, Default)]
struct ListParams {
    /// The export's separator: `comma` or `semicolon` (by default, as the user's language
    /// expects).
    #[serde(default)]
    sep: String,
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
    after: String,
    #[serde(default)]
    before: String,
}

impl ListParams {
    /// The filter of the list (and of its export); a date that is not one is left out and
    /// reported beside its field.
    fn filter(&self, ctx: &PageCtx) -> (OrderFilter, FieldErrors) {
        let mut errors = FieldErrors::new();
        let from = rules::date_filter(&self.from)
            .map_err(|k| errors.add("from", k))
            .unwrap_or_default();
        let to = rules::date_filter(&self.to)
            .map_err(|k| errors.add("to", k))
            .unwrap_or_default();
        let filter = OrderFilter {
            q: self.q.trim().chars().take(60).collect(),
            status: OrderStatus::filter(&self.status),
            customer: Uuid::parse_str(&self.customer).ok(),
            vendor: VendorCode::parse(&self.vendor),
            from,
            to,
            zone: ctx.time_zone().unwrap_or_default().to_string(),
            sort: OrderSort::parse(&self.sort),
        };
        (filter, errors)
    }
}

/// The filter's fields as the form and the links carry them.
struct Fields {
    q: String,
    status: &'static str,
    customer: String,
    vendor: &'static str,
    from: String,
    to: String,
    sort: &'static str,
}

impl Fields {
    fn of(f: &OrderFilter) -> Self {
        let date = |d: Option<time::Date>| d.map(|d| d.to_string()).unwrap_or_default();
        Self {
            q: f.q.clone(),
            status: f.status.map_or("", OrderStatus::code),
            customer: f.customer.map(|c| c.to_string()).unwrap_or_default(),
            vendor: f.vendor.map_or("", VendorCode::code),
            from: date(f.from),
            to: date(f.to),
            sort: f.sort.code(),
        }
    }

    /// The list (or its export, at `path`) with these filters, and the page after or before a
    /// row.
    fn link(&self, path: &str, at: Option<(&str, Cursor)>) -> String {
        let mut qs = url::form_urlencoded::Serializer::new(String::new());
        qs.append_pair("q", &self.q)
            .append_pair("status", self.status)
            .append_pair("customer", &self.customer)
            .append_pair("vendor", self.vendor)
            .append_pair("from", &self.from)
            .append_pair("to", &self.to)
            .append_pair("sort", self.sort);
        if let Some((key, cursor)) = at {
            qs.append_pair(key, &cursor.encode());
        }
        format!("{path}?{}", qs.finish())
    }
}

#[derive(Template)]
#[template(path = "orders/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<OrderListRow>,
    fields: Fields,
    customer_name: Option<String>,
    vendors: Vec<Choice>,
    sorts: Vec<Choice>,
    errors: FieldErrors,
    statuses: Vec<Choice>,
    summary: String,
    pager: Pager,
    export_link: Option<OtherExport>,
    can_order: bool,
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let (filter, errors) = p.filter(&ctx);
    let at = Keyset::parse(&p.after, &p.before);
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let found = store::orders(&mut tx, me.reseller_id, &filter, &at, TABLE_ROWS).await?;
    let customer_name = match filter.customer {
        Some(id) => crate::customers::store::name(&mut tx, me.reseller_id, id).await?,
        None => None,
    };
    tx.commit().await?;
    let fields = Fields::of(&filter);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = ListPage {
        summary: ctx.t_total(
            "orders.count",
            "orders.count_one",
            "orders.count_about",
            found.total,
        ),
        pager: at.pager(&found.rows, found.more, |key, row| {
            fields.link("/orders", Some((key, store::cursor(filter.sort, row))))
        }),
        export_link: (found.total.rows() > 0)
            .then(|| OtherExport::of(ctx.locale, fields.link("/orders/export.csv", None))),
        can_order: BUYERS.contains(&me.user.role),
        vendors: Choice::list(VendorCode::ALL, filter.vendor, VendorCode::code, |v| {
            ctx.t(v.key())
        }),
        sorts: OrderSort::ALL
            .iter()
            .map(|&s| Choice {
                code: s.code(),
                label: ctx.t(s.key()),
                selected: filter.sort == s,
            })
            .collect(),
        statuses: status_options(&ctx, filter.status),
        rows: order_rows(&ctx, found.rows),
        fields,
        customer_name,
        errors,
        ctx,
    };
    Ok(page::render(status, &page))
}

/// The headers of the export, in the user's language.
const EXPORT_COLUMNS: [&str; 10] = [
    "orders.csv_number",
    "orders.csv_date",
    "orders.csv_customer",
    "orders.csv_status",
    "orders.csv_vendors",
    "orders.csv_products",
    "orders.csv_cost",
    "orders.csv_price",
    "orders.csv_currency",
    "orders.csv_placed_by",
];

/// The orders the list's filters find, all of them, as a CSV file for a spreadsheet.
async fn export(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let (filter, errors) = p.filter(&ctx);
    if !errors.is_empty() {
        return Err(AppError::BadRequest);
    }
    // The cost column only for those who see costs.
    let sees_costs = me.user.sees_costs();
    let header = EXPORT_COLUMNS
        .iter()
        .filter(|k| sees_costs || **k != "orders.csv_cost")
        .map(|k| ctx.t(k))
        .collect();
    // Rows go out as the database returns them: a reseller's whole history never sits in memory.
    let owner = me.download_owner();
    let pool = state.db.clone();
    Ok(download::tenant_csv(
        pool,
        owner,
        "orders.csv",
        download::delimiter(ctx.locale, &p.sep),
        header,
        move |tx, rows| {
            Box::pin(async move {
                let ctx = &ctx;
                store::export(tx, owner.reseller_id, &filter, |r| async move {
                    rows.send(export_row(ctx, r, sees_costs)).await
                })
                .await
            })
        },
    ))
}

/// An order as a row of the CSV export, in the user's language and time zone.
fn export_row(ctx: &PageCtx, r: store::ExportRow, sees_costs: bool) -> Vec<String> {
    let o = r.order;
    let mut row = vec![
        order_number(o.number),
        crate::i18n::local_date(o.created_at, ctx.time_zone()).to_string(),
        o.customer,
        ctx.t(o.status.key()),
        r.vendors
            .iter()
            .map(|v| ctx.t(v.key()))
            .collect::<Vec<_>>()
            .join("; "),
        r.products.unwrap_or_default(),
    ];
    if sees_costs {
        row.push(o.total_cost.to_string());
    }
    row.extend([o.total_price.to_string(), o.currency, o.placed_by]);
    row
}
