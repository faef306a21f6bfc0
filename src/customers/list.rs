//! `/customers`: the reseller's end customers, searched (name, tax id, e-mails, tenant domains,
//! without accents), filtered by country and status, sorted, in keyset pages; and the CSV
//! export of every customer the filters find.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use crate::app::AppState;
use crate::countries;
use crate::customers::EDITORS;
use crate::customers::rules::{CustomerSort, CustomerStatus};
use crate::customers::store::{self, ListQuery};
use crate::error::AppResult;
use crate::identity::ResellerUser;
use crate::web::PageCtx;
use crate::web::download;
use crate::web::download::OtherExport;
use crate::web::forms::Choice;
use crate::web::page;
use crate::web::paging::{Cursor, Keyset, Pager};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/customers", get(list))
        .route("/customers/export.csv", get(export))
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
    country: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    after: String,
    #[serde(default)]
    before: String,
}

impl ListParams {
    fn to_query(&self) -> ListQuery {
        ListQuery {
            q: self.q.trim().chars().take(100).collect(),
            country: countries::by_code(&self.country)
                .map(|c| c.code.to_string())
                .unwrap_or_default(),
            status: CustomerStatus::from_code(&self.status),
            sort: CustomerSort::from_code(&self.sort).unwrap_or_default(),
            at: Keyset::parse(&self.after, &self.before),
        }
    }
}

/// The list (or its export, at `path`) with the filters of `q`, and one more parameter.
fn list_link(q: &ListQuery, extra: Option<(&str, String)>, path: &str) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    let sort = (q.sort != CustomerSort::Name).then(|| q.sort.code());
    for (k, v) in [
        ("q", q.q.as_str()),
        ("country", &q.country),
        ("status", q.status.map_or("", CustomerStatus::code)),
        ("sort", sort.unwrap_or("")),
    ] {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    if let Some((k, v)) = extra {
        s.append_pair(k, &v);
    }
    let qs = s.finish();
    if qs.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{qs}")
    }
}

pub struct Row {
    pub customer: store::Listed,
    pub inactive: bool,
    pub country_name: String,
    pub status_label: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "customers/list.html")]
struct ListPage {
    ctx: PageCtx,
    query: ListQuery,
    filtered: bool,
    rows: Vec<Row>,
    summary: String,
    countries: Vec<Choice>,
    statuses: Vec<Choice>,
    newest: bool,
    pager: Pager,
    export_link: OtherExport,
    can_edit: bool,
}

fn cursor_of(q: &ListQuery, row: &store::Listed) -> Cursor {
    let key = if q.sort == CustomerSort::Newest {
        row.created_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    } else {
        row.sort_name.clone()
    };
    Cursor { key, id: row.id }
}

/// The links to the pages before and after `rows` (keyset paging).
fn pager(query: &ListQuery, rows: &[store::Listed], more: bool) -> Pager {
    query.at.pager(rows, more, |key, row| {
        list_link(
            query,
            Some((key, cursor_of(query, row).encode())),
            "/customers",
        )
    })
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(params): Query<ListParams>,
) -> AppResult<Response> {
    let query = params.to_query();
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let total = store::count(&mut tx, me.reseller_id, &query).await?;
    let (rows, more) = store::page(&mut tx, me.reseller_id, &query).await?;
    tx.commit().await?;
    let pager = pager(&query, &rows, more);
    let rows = rows
        .into_iter()
        .map(|c| Row {
            country_name: countries::by_code(&c.country)
                .map(|x| x.name(ctx.locale).to_string())
                .unwrap_or_default(),
            inactive: c.status == CustomerStatus::Inactive,
            status_label: ctx.t(c.status.key()),
            created: ctx.day(c.created_at),
            customer: c,
        })
        .collect();
    Ok(page::ok(&ListPage {
        summary: ctx.t_total(
            "customers.count",
            "customers.count_one",
            "customers.count_about",
            total,
        ),
        countries: countries::sorted(ctx.locale)
            .into_iter()
            .map(|c| Choice {
                code: c.code,
                label: c.name(ctx.locale).to_string(),
                selected: c.code == query.country,
            })
            .collect(),
        statuses: Choice::list(
            CustomerStatus::ALL,
            query.status,
            CustomerStatus::code,
            |s| ctx.t(s.key()),
        ),
        newest: query.sort == CustomerSort::Newest,
        filtered: !query.q.is_empty() || !query.country.is_empty() || query.status.is_some(),
        export_link: OtherExport::of(ctx.locale, list_link(&query, None, "/customers/export.csv")),
        can_edit: EDITORS.contains(&me.user.role),
        query,
        rows,
        pager,
        ctx,
    }))
}

/// The headers of the export, in the user's language.
const EXPORT_COLUMNS: [&str; 15] = [
    "customers.csv_legal_name",
    "customers.csv_tax_id",
    "customers.csv_country",
    "customers.csv_industry",
    "customers.csv_contact_name",
    "customers.csv_contact_email",
    "customers.csv_contact_phone",
    "customers.csv_billing_email",
    "customers.csv_address_line1",
    "customers.csv_address_line2",
    "customers.csv_city",
    "customers.csv_region",
    "customers.csv_postal_code",
    "customers.csv_status",
    "customers.csv_created",
];

async fn export(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(params): Query<ListParams>,
) -> AppResult<Response> {
    let query = params.to_query();
    let header = EXPORT_COLUMNS.iter().map(|k| ctx.t(k)).collect();
    let owner = me.download_owner();
    let pool = state.db.clone();
    Ok(download::tenant_csv(
        pool,
        owner,
        "customers.csv",
        download::delimiter(ctx.locale, &params.sep),
        header,
        move |tx, rows| {
            Box::pin(async move {
                let ctx = &ctx;
                store::all(tx, owner.reseller_id, &query, |c| async move {
                    rows.send(export_row(ctx, c)).await
                })
                .await
            })
        },
    ))
}

/// A customer as a row of the CSV export, in the user's language.
fn export_row(ctx: &PageCtx, c: store::Customer) -> Vec<String> {
    vec![
        c.legal_name,
        c.tax_id,
        c.country,
        c.industry.unwrap_or_default(),
        c.contact_name,
        c.contact_email,
        c.contact_phone,
        c.billing_email,
        c.address_line1,
        c.address_line2.unwrap_or_default(),
        c.city,
        c.region_name,
        c.postal_code,
        ctx.t(c.status.key()),
        crate::i18n::local_date(c.created_at, ctx.time_zone()).to_string(),
    ]
}
