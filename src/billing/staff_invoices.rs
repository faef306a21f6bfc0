//! `/staff/billing/invoices/{id}`: an invoice as staff see it (any reseller's), with its credit
//! notes, and the form that issues one: the lines ticked or typed by number, or every line not
//! credited yet, with a reason. The note is numbered, e-mailed to the reseller's billing users
//! and audited in one transaction.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit;
use crate::billing::credit_notes::{self, Selection};
use crate::billing::mail::{Credited, Notify};
use crate::billing::store::credit_notes::{self as store, Note};
use crate::billing::store::invoices::{self, Invoice};
use crate::billing::store::runs::{self, Owner};
use crate::billing::view::{self, CreditNoteRow, LineRow, Totals};
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::StaffUser;
use crate::web::PageCtx;
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::Form;
use crate::web::page;
use crate::web::path::Path;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/billing/invoices/{id}", get(show))
        .route(
            "/staff/billing/invoices/{id}/credit-notes",
            axum::routing::post(issue),
        )
}

/// The lines the page lists with a box to tick (beyond, staff type their numbers).
const LINES_LISTED: i64 = 300;

/// What the credit note form holds, as typed.
#[derive(Deserialize, Default, Clone)]
struct NoteForm {
    #[serde(default)]
    reason: String,
    /// `1` when the whole invoice (what is left of it) is credited.
    #[serde(default)]
    whole: String,
    /// The lines ticked.
    #[serde(default)]
    line: Vec<String>,
    /// The lines typed: `3, 7-9`.
    #[serde(default)]
    lines: String,
    /// The lines a refusal is about (after its message), set when refused.
    #[serde(skip)]
    refused: String,
}

#[derive(Template)]
#[template(path = "staff/billing_invoice.html")]
struct InvoicePage {
    ctx: PageCtx,
    id: Uuid,
    reseller_id: Uuid,
    reseller: String,
    number: String,
    period: String,
    issued: String,
    lines: i32,
    totals: Totals,
    credit_notes: Vec<CreditNoteRow>,
    rows: Vec<LineRow>,
    more_lines: bool,
    /// Whether any line is left to credit.
    creditable: bool,
    form: NoteForm,
    errors: FieldErrors,
}

/// The invoice `id`, whoever's it is (404 when there is none).
async fn found(state: &AppState, id: Uuid) -> AppResult<(Owner, Invoice)> {
    let owner = runs::invoice_owner(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut conn = state.db.acquire().await?;
    let invoice = invoices::invoice(&mut conn, owner.reseller_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((owner, invoice))
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    render(&state, ctx, id, NoteForm::default(), FieldErrors::new()).await
}

async fn render(
    state: &AppState,
    ctx: PageCtx,
    id: Uuid,
    form: NoteForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let (owner, invoice) = found(state, id).await?;
    let mut conn = state.db.acquire().await?;
    let notes = store::of_invoice(&mut conn, owner.reseller_id, id).await?;
    let lines = invoices::lines(&mut conn, owner.reseller_id, id, None, LINES_LISTED + 1).await?;
    drop(conn);
    let more_lines = lines.len() as i64 > LINES_LISTED;
    let rows: Vec<LineRow> = view::line_groups(&ctx, lines, &[], &invoice.currency)
        .into_iter()
        .flat_map(|g| g.lines)
        .take(LINES_LISTED as usize)
        .collect();
    let status = page::form_status(&errors);
    let page = InvoicePage {
        id,
        reseller_id: owner.reseller_id,
        reseller: owner.reseller,
        number: invoice.number.clone(),
        period: ctx.month(invoice.period),
        issued: ctx.moment(invoice.issued_at),
        lines: invoice.lines,
        totals: view::totals(&ctx, &invoice),
        credit_notes: view::credit_note_rows(&ctx, notes, &invoice),
        creditable: more_lines || rows.iter().any(|r| r.creditable),
        rows,
        more_lines,
        form,
        errors,
        ctx,
    };
    Ok(page::render(status, &page))
}

/// Issues a credit note of the lines chosen, after checking each under the invoice's lock.
async fn issue(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
    Form(form): Form<NoteForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::new();
    let reason = crate::billing::credits::reason(&form.reason).map_err(|k| errors.add("reason", k));
    let selection = credit_notes::selection(form.whole == "1", &form.line, &form.lines)
        .map_err(|k| errors.add("lines", k));
    let (Ok(reason), Ok(selection)) = (reason, selection) else {
        return render(&state, ctx, id, form, errors).await;
    };
    let (owner, invoice) = found(&state, id).await?;
    let mut tx = state.db.begin().await?;
    store::lock(&mut tx, id).await?;
    if let Selection::Lines(chosen) = &selection {
        let numbers: Vec<i32> = chosen.iter().copied().collect();
        let named = store::named(&mut tx, owner.reseller_id, id, &numbers).await?;
        if let Some(r) = credit_notes::refusal(chosen, &named) {
            drop(tx);
            let form = NoteForm {
                refused: r.lines,
                ..form
            };
            return render(&state, ctx, id, form, FieldErrors::one("lines", r.key)).await;
        }
    }
    let note = Note {
        reseller_id: owner.reseller_id,
        invoice_id: id,
        currency: &invoice.currency,
        reason: &reason,
        staff_id: staff.id,
        at: time::OffsetDateTime::now_utc(),
    };
    let Some(written) = store::issue(&mut tx, &note, &selection).await? else {
        drop(tx);
        let errors = FieldErrors::one("lines", "billing.cn_nothing");
        return render(&state, ctx, id, form, errors).await;
    };
    let notify = Notify {
        mailer: &state.mailer,
        config: &state.config,
    };
    let told = Credited {
        invoice_id: id,
        invoice: &invoice.number,
        number: &written.number,
        total: written.total,
        currency: &invoice.currency,
        reason: &reason,
    };
    crate::billing::mail::credit_note_issued(&mut tx, notify, owner.reseller_id, &told)
        .await
        .map_err(AppError::Internal)?;
    let entry = audit::Entry {
        reseller_id: Some(owner.reseller_id),
        actor: Some(staff.id),
        subject_type: Some("credit_note"),
        subject_id: Some(written.id.to_string()),
        details: serde_json::json!({
            "invoice": invoice.number, "number": written.number, "lines": written.lines,
            "total": written.total, "reason": reason,
        }),
        ip: Some(ip),
        ..audit::Entry::new(audit::Action::CreditNoteIssued)
    };
    let back = format!("/staff/billing/invoices/{id}");
    let args = [("number", written.number.as_str())];
    flash::done(tx, &session, entry, "billing.cn_issued", &args, &back).await
}
