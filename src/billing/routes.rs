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
use crate::billing::files::{self, File, Format};
use crate::billing::invoice::Status;
use crate::billing::pdf;
use crate::billing::store::credit_notes;
use crate::billing::store::invoices::{self, Filter, Invoice};
use crate::billing::store::seats;
use crate::billing::store::usage as usage_store;
use crate::billing::view::{self, CustomerRow, InvoiceRow, LineGroup, Totals};
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::ResellerUser;
use crate::web::PageCtx;
use crate::web::download;
use crate::web::forms::Choice;
use crate::web::page;
use crate::web::path::Path;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing", get(list))
        .route("/billing/{id}", get(show))
        .route("/billing/{id}/invoice.pdf", get(pdf))
        .route("/billing/{id}/credit-notes/{note}", get(credit_note_pdf))
        .route("/billing/{id}/{file}", get(file))
        .route("/subscriptions/{id}/usage", get(usage))
        .merge(crate::billing::staff::router())
        .merge(crate::billing::staff_credits::router())
        .merge(crate::billing::staff_invoices::router())
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
    /// An invoice status's code; an unknown one lists every invoice.
    #[serde(default)]
    status: String,
}

#[derive(Template)]
#[template(path = "billing/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<InvoiceRow>,
    q: String,
    period: String,
    customer: String,
    statuses: Vec<Choice>,
    /// Whether any filter is set (an empty list then says nothing matched).
    filtered: bool,
    customer_name: Option<String>,
    errors: FieldErrors,
    unbilled: view::Unbilled,
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
        status: Status::from_code(p.status.trim()),
    };
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let found = invoices::list(&mut tx, me.reseller_id, &filter).await?;
    let customer_name = match filter.customer {
        Some(id) => crate::customers::store::name(&mut tx, me.reseller_id, id).await?,
        None => None,
    };
    let estimate = crate::billing::store::estimates::latest(&mut tx, me.reseller_id).await?;
    let changed = crate::billing::store::estimates::latest_change(&mut tx, me.reseller_id).await?;
    tx.commit().await?;
    let now = time::OffsetDateTime::now_utc();
    let this_month = Month::of(now.date());
    let current = estimate.filter(|e| e.period == this_month.first_day());
    let computed = current.as_ref().map(|e| e.computed_at);
    if let Some(moment) = crate::kept::refresh_due(computed, changed, now) {
        crate::billing::run::queue_estimate(&state.db, me.reseller_id, this_month, moment).await?;
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = ListPage {
        rows: found.iter().map(|i| view::invoice_row(&ctx, i)).collect(),
        statuses: Choice::list(Status::ALL, filter.status, Status::code, |s| ctx.t(s.key())),
        filtered: !filter.q.is_empty()
            || !p.period.trim().is_empty()
            || filter.customer.is_some()
            || filter.status.is_some(),
        q: filter.q,
        period: p.period.trim().chars().take(7).collect(),
        customer: filter.customer.map(|c| c.to_string()).unwrap_or_default(),
        customer_name,
        errors,
        unbilled: view::unbilled(&ctx, this_month, current),
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

/// The subscriptions whose seats differ the page lists (the report has them all).
const SEATS_LISTED: i64 = 100;
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
    credit_notes: Vec<view::CreditNoteRow>,
    seats: view::SeatSummary,
    groups: Vec<LineGroup>,
    chosen: Option<CustomerRow>,
    /// "The first 500 of 50,000 customers", when not all are listed.
    more_customers: Option<String>,
    /// Lines are shown only per customer (a large invoice), and none is chosen.
    choose_customer: bool,
    more_lines: bool,
    /// The files' query: one customer's, or the whole invoice's.
    files_query: String,
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(id): Path<Uuid>,
    Query(p): Query<ShowParams>,
) -> AppResult<Response> {
    let (mut tx, invoice) = opened(&state, &me, id).await?;
    let mut parts = invoices::customers(&mut tx, me.reseller_id, id).await?;
    let chosen = p.customer()?;
    if let Some(c) = chosen
        && !parts.iter().any(|x| x.customer_id == c)
    {
        // Beyond the first customers listed, or not on this invoice at all.
        let part = invoices::customer_part(&mut tx, me.reseller_id, id, c).await?;
        parts.push(part.ok_or(AppError::NotFound)?);
    }
    let customer_count = invoices::customer_count(&mut tx, me.reseller_id, id).await?;
    let notes = credit_notes::of_invoice(&mut tx, me.reseller_id, id).await?;
    let seat_summary = seats::summary(&mut tx, me.reseller_id, invoice.period).await?;
    let differing = seats::differing(
        &mut tx,
        me.reseller_id,
        invoice.period,
        chosen,
        SEATS_LISTED,
    )
    .await?;
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
        credit_notes: view::credit_note_rows(&ctx, notes, &invoice),
        seats: view::seat_summary(&ctx, seat_summary, differing),
        groups: view::line_groups(&ctx, lines, &parts, &invoice.currency),
        chosen: customers.iter().find(|c| c.selected).cloned(),
        more_customers: (customer_count > invoices::CUSTOMERS_LISTED).then(|| {
            ctx.t_with(
                "billing.more_customers",
                &[
                    ("listed", &invoices::CUSTOMERS_LISTED.to_string()),
                    ("all", &customer_count.to_string()),
                ],
            )
        }),
        choose_customer: !all && chosen.is_none(),
        more_lines,
        files_query: chosen.map(|c| format!("?customer={c}")).unwrap_or_default(),
        customers,
        ctx,
    };
    Ok(page::render(StatusCode::OK, &page))
}

/// The invoice as a PDF (its first lines; the reconciliation file has them all).
async fn pdf(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    let (mut tx, invoice) = opened(&state, &me, id).await?;
    let to = invoices::billed_to(&mut tx, me.reseller_id).await?;
    let parts = invoices::customers(&mut tx, me.reseller_id, id).await?;
    let customers = invoices::customer_count(&mut tx, me.reseller_id, id).await?;
    let lines = invoices::lines(&mut tx, me.reseller_id, id, None, pdf::LINES).await?;
    let notes = credit_notes::of_invoice(&mut tx, me.reseller_id, id).await?;
    tx.commit().await?;
    let filename = format!(
        "{}_{}.pdf",
        crate::text::file_part(&to.legal_name),
        invoice.number
    );
    let bytes = pdf::InvoicePdf {
        invoice: &invoice,
        to: &to,
        parts: &parts,
        customers,
        lines,
        notes,
    }
    .render(&ctx);
    Ok(download::attachment(&filename, "application/pdf", bytes))
}

/// A credit note of the invoice as a PDF.
async fn credit_note_pdf(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path((id, note)): Path<(Uuid, Uuid)>,
) -> AppResult<Response> {
    let (mut tx, invoice) = opened(&state, &me, id).await?;
    let found = credit_notes::get(&mut tx, me.reseller_id, id, note)
        .await?
        .ok_or(AppError::NotFound)?;
    let to = invoices::billed_to(&mut tx, me.reseller_id).await?;
    let lines = credit_notes::credited(&mut tx, me.reseller_id, note).await?;
    tx.commit().await?;
    let filename = format!(
        "{}_{}.pdf",
        crate::text::file_part(&to.legal_name),
        found.number
    );
    let bytes = pdf::CreditNotePdf {
        note: &found,
        invoice: &invoice,
        to: &to,
        lines,
    }
    .render(&ctx);
    Ok(download::attachment(&filename, "application/pdf", bytes))
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

#[derive(Deserialize, Default)]
struct FileParams {
    #[serde(default)]
    customer: String,
    /// The CSV's separator: `comma` or `semicolon` (the default for Spanish and Portuguese).
    #[serde(default)]
    sep: String,
}

/// A file of an invoice (or of one customer's part): its licence summary, its consumption
/// summary or its reconciliation file, as CSV or XLSX, streamed as the database returns its
/// lines.
async fn file(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path((id, name)): Path<(Uuid, String)>,
    Query(p): Query<FileParams>,
) -> AppResult<Response> {
    let (file, format) = File::parse(&name).ok_or(AppError::NotFound)?;
    let chosen = ShowParams {
        customer: p.customer.clone(),
    }
    .customer()?;
    let (mut tx, invoice) = opened(&state, &me, id).await?;
    let reseller = invoices::reseller_name(&mut tx, me.reseller_id).await?;
    let customer = match chosen {
        Some(c) => Some(
            invoices::customer_of(&mut tx, me.reseller_id, id, c)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    tx.commit().await?;
    let filename = file.name(&reseller, &invoice, customer.as_deref(), format);
    let sent = Sent {
        file,
        invoice,
        customer: chosen,
        filename,
    };
    match format {
        Format::Csv => Ok(send_csv(&state, ctx, &me, sent, &p.sep)),
        Format::Xlsx => send_xlsx(&state, ctx, &me, sent).await,
    }
}

/// A file being sent: which, of which invoice, for whom, named how.
struct Sent {
    file: File,
    invoice: Invoice,
    customer: Option<Uuid>,
    filename: String,
}

impl Sent {
    /// Reads the file's rows in the reseller's transaction `tx`, each to `each` (until it says
    /// stop).
    async fn rows<F, Fut>(
        &self,
        tx: &mut sqlx::PgConnection,
        reseller_id: Uuid,
        ctx: &PageCtx,
        mut each: F,
    ) -> sqlx::Result<()>
    where
        F: FnMut(Vec<crate::web::spreadsheet::Cell>) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        if self.file == File::Seats {
            return seats::each(
                tx,
                reseller_id,
                self.invoice.period,
                self.customer,
                false,
                i64::MAX,
                |c| each(files::seat_row(ctx, c)),
            )
            .await;
        }
        let kinds = self.file.kinds();
        invoices::reconciliation(
            tx,
            reseller_id,
            self.invoice.id,
            self.customer,
            kinds,
            |r| each(self.file.row(ctx, &self.invoice, r)),
        )
        .await
    }
}

/// The file as CSV, separated by `sep` (`comma`, `semicolon`; by default a comma for English
/// readers and a semicolon for the others, whose spreadsheets expect it).
fn send_csv(state: &AppState, ctx: PageCtx, me: &ResellerUser, sent: Sent, sep: &str) -> Response {
    let delimiter = download::delimiter(ctx.locale, sep);
    let header = sent
        .file
        .header(&ctx)
        .into_iter()
        .map(|c| c.header)
        .collect();
    let owner = me.download_owner();
    let filename = sent.filename.clone();
    download::tenant_csv(
        state.db.clone(),
        owner,
        &filename,
        delimiter,
        header,
        move |tx, rows| {
            Box::pin(async move {
                sent.rows(tx, owner.reseller_id, &ctx, |row| {
                    rows.send(row.into_iter().map(files::csv_text).collect())
                })
                .await
            })
        },
    )
}

/// The file as a spreadsheet.
async fn send_xlsx(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    sent: Sent,
) -> AppResult<Response> {
    let (sheet, header) = (sent.file.title(&ctx), sent.file.header(&ctx));
    let owner = me.download_owner();
    let filename = sent.filename.clone();
    download::tenant_xlsx(
        state.db.clone(),
        owner,
        &filename,
        sheet,
        header,
        move |tx, rows| {
            Box::pin(async move {
                sent.rows(tx, owner.reseller_id, &ctx, |row| rows.send(row))
                    .await
            })
        },
    )
    .await
}
