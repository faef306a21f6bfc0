//! `/subscriptions`: every subscription of the reseller's customers, searched by customer,
//! product, SKU or tenant domain, filtered by customer, status, vendor, term, renewal setting,
//! renewals within 30/60/90 days and open cancellation windows, sorted, a page at a time; and
//! the CSV export of every subscription the filters find.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::AppState;
use crate::catalog::rules::Term;
use crate::error::AppResult;
use crate::identity::ResellerUser;
use crate::subscriptions::rules::{RENEWS_WITHIN, SubscriptionSort, SubscriptionStatus};
use crate::subscriptions::store::{self, Filter, SubscriptionRow};
use crate::subscriptions::view::{self, SubscriptionView};
use crate::vendors::VendorCode;
use crate::web::PageCtx;
use crate::web::download;
use crate::web::download::OtherExport;
use crate::web::page;
use crate::web::paging::{Cursor, Keyset, Pager, TABLE_ROWS};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/subscriptions", get(list))
        .route("/subscriptions/export.csv", get(export))
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
    customer: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    vendor: String,
    #[serde(default)]
    term: String,
    #[serde(default)]
    renewal: String,
    #[serde(default)]
    renews: String,
    #[serde(default)]
    window: String,
    #[serde(default)]
    pending: String,
    #[serde(default)]
    idle: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    after: String,
    #[serde(default)]
    before: String,
}

impl ListParams {
    /// The filter of the list and of its export (a value that is not one of the choices is no
    /// filter).
    fn filter(&self) -> Filter {
        Filter {
            q: self.q.trim().chars().take(60).collect(),
            customer: Uuid::parse_str(&self.customer).ok(),
            status: SubscriptionStatus::from_code(&self.status),
            vendor: VendorCode::parse(&self.vendor),
            term: Term::from_code(&self.term),
            auto_renew: match self.renewal.as_str() {
                "auto" => Some(true),
                "manual" => Some(false),
                _ => None,
            },
            renews_within: self
                .renews
                .parse()
                .ok()
                .filter(|d| RENEWS_WITHIN.contains(d)),
            window_open: self.window == "open",
            window_closing: self.window == "closing",
            pending: self.pending == "1",
            idle: self.idle == "1",
            sort: SubscriptionSort::parse(&self.sort),
        }
    }
}

/// The filter's fields as the form and the links carry them.
pub struct Fields {
    pub q: String,
    pub customer: String,
    pub status: &'static str,
    pub vendor: &'static str,
    pub term: &'static str,
    pub renewal: &'static str,
    pub renews: String,
    pub window: bool,
    /// Only windows closing within 48 hours, or changes pending for over an hour (the
    /// dashboard's links; shown as chips).
    pub window_closing: bool,
    pub pending: bool,
    /// Only idle seats (the dashboard's link; a chip).
    pub idle: bool,
    pub sort: &'static str,
}

impl Fields {
    fn of(f: &Filter) -> Self {
        Self {
            q: f.q.clone(),
            customer: f.customer.map(|c| c.to_string()).unwrap_or_default(),
            status: f.status.map_or("", SubscriptionStatus::code),
            vendor: f.vendor.map_or("", VendorCode::code),
            term: f.term.map_or("", Term::code),
            renewal: match f.auto_renew {
                Some(true) => "auto",
                Some(false) => "manual",
                None => "",
            },
            renews: f.renews_within.map(|d| d.to_string()).unwrap_or_default(),
            window: f.window_open,
            window_closing: f.window_closing,
            pending: f.pending,
            idle: f.idle,
            sort: f.sort.code(),
        }
    }

    /// The list (or its export, at `path`) with these filters, and the page after or before a
    /// row.
    fn link(&self, path: &str, at: Option<(&str, Cursor)>) -> String {
        let mut qs = url::form_urlencoded::Serializer::new(String::new());
        qs.append_pair("q", &self.q)
            .append_pair("customer", &self.customer)
            .append_pair("status", self.status)
            .append_pair("vendor", self.vendor)
            .append_pair("term", self.term)
            .append_pair("renewal", self.renewal)
            .append_pair("renews", &self.renews)
            .append_pair(
                "window",
                match (self.window, self.window_closing) {
                    (true, _) => "open",
                    (false, true) => "closing",
                    (false, false) => "",
                },
            )
            .append_pair("pending", if self.pending { "1" } else { "" })
            .append_pair("idle", if self.idle { "1" } else { "" })
            .append_pair("sort", self.sort);
        if let Some((key, cursor)) = at {
            qs.append_pair(key, &cursor.encode());
        }
        format!("{path}?{}", qs.finish())
    }
}

#[derive(Template)]
#[template(path = "subscriptions/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<SubscriptionView>,
    fields: Fields,
    choices: view::ListChoices,
    customer_name: Option<String>,
    summary: String,
    pager: Pager,
    export_link: Option<OtherExport>,
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let filter = p.filter();
    let at = Keyset::parse(&p.after, &p.before);
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let found = store::list(&mut tx, me.reseller_id, &filter, &at, TABLE_ROWS).await?;
    let customer_name = match filter.customer {
        Some(id) => crate::customers::store::name(&mut tx, me.reseller_id, id).await?,
        None => None,
    };
    tx.commit().await?;
    let fields = Fields::of(&filter);
    Ok(page::ok(&ListPage {
        summary: ctx.t_total(
            "subscriptions.count",
            "subscriptions.count_one",
            "subscriptions.count_about",
            found.total,
        ),
        pager: at.pager(&found.rows, found.more, |key, row| {
            let cursor = store::cursor(filter.sort, row);
            fields.link("/subscriptions", Some((key, cursor)))
        }),
        export_link: (found.total.rows() > 0)
            .then(|| OtherExport::of(ctx.locale, fields.link("/subscriptions/export.csv", None))),
        choices: view::list_choices(&ctx, &filter),
        rows: view::rows(&ctx, found.rows),
        fields,
        customer_name,
        ctx,
    }))
}

/// The headers of the export, in the user's language.
const EXPORT_COLUMNS: [&str; 11] = [
    "subscriptions.csv_customer",
    "subscriptions.csv_product",
    "subscriptions.csv_sku",
    "subscriptions.csv_seats",
    "subscriptions.csv_term",
    "subscriptions.csv_billing",
    "subscriptions.csv_start",
    "subscriptions.csv_end",
    "subscriptions.csv_renewal",
    "subscriptions.csv_status",
    "subscriptions.csv_vendor_ref",
];

/// The subscriptions the list's filters find, all of them, as a CSV file for a spreadsheet.
async fn export(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let filter = p.filter();
    let header = EXPORT_COLUMNS.iter().map(|k| ctx.t(k)).collect();
    let owner = me.download_owner();
    let pool = state.db.clone();
    Ok(download::tenant_csv(
        pool,
        owner,
        "subscriptions.csv",
        download::delimiter(ctx.locale, &p.sep),
        header,
        move |tx, rows| {
            Box::pin(async move {
                let ctx = &ctx;
                store::export(tx, owner.reseller_id, &filter, |r| async move {
                    rows.send(export_row(ctx, r)).await
                })
                .await
            })
        },
    ))
}

/// A subscription as a row of the CSV export, in the user's language.
fn export_row(ctx: &PageCtx, s: SubscriptionRow) -> Vec<String> {
    vec![
        s.customer.clone(),
        s.name(ctx.locale).to_string(),
        s.sku.clone(),
        s.quantity.to_string(),
        ctx.t(s.term.key()),
        ctx.t(s.billing.key()),
        s.start_date.to_string(),
        s.end_date.to_string(),
        ctx.t(if s.auto_renew {
            "subscriptions.auto_renew_on"
        } else {
            "subscriptions.auto_renew_off"
        }),
        ctx.t(s.status.key()),
        s.vendor_ref,
    ]
}
