//! The reports (`/reports`): the page with its filters, chart and data table; the chart as SVG
//! and the data as CSV, both at the page's query string (bookmarkable, shareable). Owners,
//! admins and billing users only: every report is money or what it is billed for.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::ResellerUser;
use crate::reports::chart;
use crate::reports::reading::{self, Names};
use crate::reports::report::{Breakdown, Measure, Params, Report, SPANS, Table};
use crate::web::PageCtx;
use crate::web::forms::Choice;
use crate::web::{download, page};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports", get(show))
        .route("/reports/chart.svg", get(svg))
        .route("/reports/data.csv", get(csv))
}

/// Where a report's pages are and what more they filter by.
pub(super) struct Frame {
    /// `/reports`, or `/staff/reports`.
    pub base: &'static str,
    /// The query beyond the report's own (staff's currency and reseller).
    pub extra: Vec<(&'static str, String)>,
    /// Staff's choice of currency and reseller.
    pub staff: Option<StaffFilters>,
    /// The breakdowns offered.
    pub breakdowns: &'static [Breakdown],
}

/// Staff's choices: the currency (figures in different currencies are never added up) and one
/// reseller billing in it or all of them; each option's value, label and whether chosen.
pub(super) struct StaffFilters {
    pub currencies: Vec<(String, String, bool)>,
    pub resellers: Vec<(String, String, bool)>,
}

/// A report as asked, and its table.
pub(super) struct Read {
    pub report: Report,
    pub errors: FieldErrors,
    pub table: Table,
    pub customer_name: Option<String>,
    pub currency: String,
    pub frame: Frame,
}

/// The names of the series that are no vendor, product or customer, in the reader's language.
pub(super) fn names(ctx: &PageCtx, report: &Report) -> Names {
    Names {
        total: ctx.t(report.measure.key()),
        others: ctx.t("reports.others"),
        credits: ctx.t("reports.credits"),
    }
}

async fn read(state: &AppState, ctx: &PageCtx, me: &ResellerUser, p: &Params) -> AppResult<Read> {
    if !me.user.role.sees_billing() {
        return Err(AppError::Forbidden);
    }
    let now = time::OffsetDateTime::now_utc();
    let (this, _) = crate::reports::figures::months(now, me.user.time_zone.as_deref());
    let (report, errors) = Report::parse(p, this);
    let report = report.of_one_reseller();
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let customer_name = match report.customer {
        Some(id) => Some(
            crate::customers::store::name(&mut tx, me.reseller_id, id)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let names = names(ctx, &report);
    let table = reading::table(&mut tx, &[me.reseller_id], &report, ctx.locale, &names).await?;
    let currency = crate::reports::store::currency(&mut tx, me.reseller_id).await?;
    tx.commit().await?;
    Ok(Read {
        report,
        errors,
        table,
        customer_name,
        currency,
        frame: Frame {
            base: "/reports",
            extra: Vec::new(),
            staff: None,
            breakdowns: Breakdown::OF_A_RESELLER,
        },
    })
}

/// A value as the reader writes it: money in the reseller's currency, seats as a count.
fn value(ctx: &PageCtx, measure: Measure, currency: &str, v: Decimal) -> String {
    if measure.is_money() {
        ctx.money(v, currency)
    } else {
        crate::i18n::format_decimal(ctx.locale, v, 0)
    }
}

#[derive(Template)]
#[template(path = "reports/report.html")]
struct ReportPage {
    ctx: PageCtx,
    base: &'static str,
    staff: Option<StaffFilters>,
    fields: Params,
    errors: FieldErrors,
    measures: Vec<Choice>,
    breakdowns: Vec<Choice>,
    spans: Vec<(u32, String, bool)>,
    customer_name: Option<String>,
    query: String,
    caption: String,
    /// Each series' colour (its index among the chart's) and name.
    legend: Vec<(usize, String)>,
    head: Vec<String>,
    rows: Vec<(String, Vec<String>, String)>,
    totals: Vec<String>,
    total: String,
    empty: bool,
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(p): Query<Params>,
) -> AppResult<Response> {
    let read = read(&state, &ctx, &me, &p).await?;
    Ok(render(ctx, p, read))
}

/// The report's page: its filters, chart, data table and links.
pub(super) fn render(ctx: PageCtx, p: Params, read: Read) -> Response {
    let Read {
        report,
        errors,
        table,
        customer_name,
        currency,
        frame,
    } = read;
    let v = |x: Decimal| value(&ctx, report.measure, &currency, x);
    let months = table.months.iter().map(|m| ctx.month(m.first_day()));
    let totals = table.totals();
    let rows = months
        .zip(&totals)
        .enumerate()
        .map(|(i, (m, total))| {
            let cells = table.series.iter().map(|s| v(s.values[i])).collect();
            (m, cells, v(*total))
        })
        .collect();
    let series_totals = table.series.iter().map(|s| s.values.iter().sum());
    let page = ReportPage {
        measures: Choice::list(Measure::ALL, Some(report.measure), Measure::code, |m| {
            ctx.t(m.key())
        }),
        breakdowns: Choice::list(frame.breakdowns, Some(report.by), Breakdown::code, |b| {
            ctx.t(b.key())
        }),
        spans: SPANS
            .iter()
            .map(|&n| {
                let label = ctx.t_with("reports.last_months", &[("count", &n.to_string())]);
                (n, label, p.months.trim() == n.to_string())
            })
            .collect(),
        caption: caption(&ctx, &report, customer_name.as_deref()),
        legend: table
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| (i % chart::COLOURS, s.name.clone()))
            .collect(),
        head: table.series.iter().map(|s| s.name.clone()).collect(),
        totals: series_totals.map(|t: Decimal| v(t)).collect(),
        total: v(totals.iter().sum()),
        empty: table.series.is_empty(),
        rows,
        query: query(&report, &frame),
        base: frame.base,
        staff: frame.staff,
        customer_name,
        errors: errors.clone(),
        fields: p,
        ctx,
    };
    // A filter that cannot be read is the request's fault (as on the other lists).
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    page::render(status, &page)
}

/// The query string of the report in `frame` (its page, chart and data).
fn query(report: &Report, frame: &Frame) -> String {
    let mut q = report.query();
    let mut extra = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in &frame.extra {
        extra.append_pair(key, value);
    }
    let extra = extra.finish();
    if !extra.is_empty() {
        q.push('&');
        q.push_str(&extra);
    }
    q
}

/// What the chart shows, in words ("Consumption per month, July 2026 to December 2026").
fn caption(ctx: &PageCtx, r: &Report, customer: Option<&str>) -> String {
    let mut text = ctx.t_with(
        "reports.caption",
        &[
            ("measure", &ctx.t(r.measure.key())),
            ("by", &ctx.t(r.by.key())),
            ("from", &ctx.month(r.first.first_day())),
            ("to", &ctx.month(r.last.first_day())),
        ],
    );
    if let Some(name) = customer {
        text.push_str(" — ");
        text.push_str(name);
    }
    text
}

/// The chart of the report, as SVG.
async fn svg(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(p): Query<Params>,
) -> AppResult<Response> {
    let read = read(&state, &ctx, &me, &p).await?;
    render_svg(&ctx, read)
}

/// The report's chart as SVG.
pub(super) fn render_svg(ctx: &PageCtx, read: Read) -> AppResult<Response> {
    let Read {
        report,
        table,
        customer_name,
        currency,
        ..
    } = read;
    let labels: Vec<String> = table
        .months
        .iter()
        .map(|m| short_month(ctx, m.first_day()))
        .collect();
    let measure = report.measure;
    let axis = |y: f64| {
        let v = Decimal::from_f64(y).unwrap_or_default().round_dp(0);
        value(ctx, measure, &currency, v)
    };
    let description = description(ctx, &report, &table, customer_name.as_deref(), &currency);
    let svg = chart::svg(&table, &labels, &axis, &description)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("chart: {e}")))?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        svg,
    )
        .into_response())
}

/// A month as the chart's axis writes it ("dic. 2026").
fn short_month(ctx: &PageCtx, day: time::Date) -> String {
    let names = ctx.t("reports.months_short");
    let name = names
        .split_whitespace()
        .nth(usize::from(u8::from(day.month())) - 1)
        .unwrap_or_default();
    format!("{name} {}", day.year())
}

/// The chart's text: its caption, then each series' values by month.
fn description(
    ctx: &PageCtx,
    r: &Report,
    t: &Table,
    customer: Option<&str>,
    currency: &str,
) -> String {
    let mut text = caption(ctx, r, customer);
    for s in &t.series {
        text.push_str(". ");
        text.push_str(&s.name);
        text.push(':');
        for (m, v) in t.months.iter().zip(&s.values) {
            text.push_str(&format!(
                " {} {};",
                short_month(ctx, m.first_day()),
                value(ctx, r.measure, currency, *v)
            ));
        }
    }
    text
}

/// The report's data as CSV: a row per month (`2026-11`), a column per series, plain numbers.
async fn csv(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Query(p): Query<Params>,
) -> AppResult<Response> {
    let read = read(&state, &ctx, &me, &p).await?;
    render_csv(&ctx, read)
}

/// The report's data as CSV.
pub(super) fn render_csv(ctx: &PageCtx, read: Read) -> AppResult<Response> {
    let Read { report, table, .. } = read;
    let mut header = vec![ctx.t("reports.csv_month")];
    header.extend(table.series.iter().map(|s| s.name.clone()));
    header.push(ctx.t("reports.csv_total"));
    let plain = |v: Decimal| {
        if report.measure.is_money() {
            format!("{:.2}", crate::subscriptions::proration::cents(v))
        } else {
            v.normalize().to_string()
        }
    };
    let totals = table.totals();
    let rows = table.months.iter().enumerate().map(|(i, m)| {
        let mut row = vec![m.code()];
        row.extend(table.series.iter().map(|s| plain(s.values[i])));
        row.push(plain(totals[i]));
        row
    });
    let filename = format!(
        "report_{}_{}_{}_{}.csv",
        report.measure.code(),
        report.by.code(),
        report.first.code(),
        report.last.code()
    );
    download::csv_with(
        &filename,
        download::delimiter(ctx.locale, ""),
        &header,
        rows,
    )
}
