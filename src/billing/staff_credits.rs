//! `/staff/billing/credits`: one-off credits, with a reason, for a reseller's customer, billed on
//! the reseller's next invoice; the latest ones across resellers. Every credit is audited.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit;
use crate::billing::credits;
use crate::billing::store::credits::{self as store, Credit, Named};
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::StaffUser;
use crate::web::PageCtx;
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::Form;
use crate::web::page;

pub fn router() -> Router<AppState> {
    Router::new().route("/staff/billing/credits", get(page_of).post(grant))
}

/// Credits the page lists.
const LISTED: i64 = 50;

#[derive(Deserialize, Default)]
struct PageParams {
    #[serde(default)]
    reseller: String,
}

/// What the form holds, as typed.
#[derive(Deserialize, Default, Clone)]
struct CreditForm {
    #[serde(default)]
    reseller: String,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
}

/// A credit as the page lists it.
pub struct CreditRow {
    pub reseller: String,
    pub customer: String,
    pub amount: String,
    pub reason: String,
    pub staff: String,
    pub at: String,
    pub invoice: String,
}

fn credit_row(ctx: &PageCtx, c: Credit) -> CreditRow {
    CreditRow {
        amount: ctx.money(c.amount, &c.currency),
        at: ctx.moment(c.created_at),
        invoice: c
            .invoice
            .unwrap_or_else(|| ctx.t("billing.credit_next_invoice")),
        reseller: c.reseller,
        customer: c.customer,
        reason: c.reason,
        staff: c.staff,
    }
}

#[derive(Template)]
#[template(path = "staff/billing_credits.html")]
struct CreditsPage {
    ctx: PageCtx,
    resellers: Vec<Named>,
    customers: Vec<Named>,
    form: CreditForm,
    errors: FieldErrors,
    credits: Vec<CreditRow>,
}

async fn page_of(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Query(p): Query<PageParams>,
) -> AppResult<Response> {
    let form = CreditForm {
        reseller: p.reseller,
        ..CreditForm::default()
    };
    render(&state, ctx, form, FieldErrors::new()).await
}

async fn render(
    state: &AppState,
    ctx: PageCtx,
    form: CreditForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let resellers = store::resellers(&state.db).await?;
    let customers = match Uuid::parse_str(&form.reseller) {
        Ok(r) => store::customers(&state.db, r).await?,
        Err(_) => Vec::new(),
    };
    let credits = store::latest(&state.db, LISTED).await?;
    let status = page::form_status(&errors);
    let page = CreditsPage {
        credits: credits.into_iter().map(|c| credit_row(&ctx, c)).collect(),
        resellers,
        customers,
        form,
        errors,
        ctx,
    };
    Ok(page::render(status, &page))
}

/// Grants a credit: an amount to the cent, a reason, a customer of the reseller chosen.
async fn grant(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<CreditForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::new();
    let reseller = Uuid::parse_str(&form.reseller)
        .map_err(|_| errors.add("reseller", "billing.credit_reseller_required"));
    let customer = Uuid::parse_str(&form.customer)
        .map_err(|_| errors.add("customer", "billing.credit_customer_required"));
    let amount = credits::amount(&form.amount).map_err(|k| errors.add("amount", k));
    let reason = credits::reason(&form.reason).map_err(|k| errors.add("reason", k));
    let (Ok(reseller), Ok(customer), Ok(amount), Ok(reason)) = (reseller, customer, amount, reason)
    else {
        return render(&state, ctx, form, errors).await;
    };
    let mut tx = state.db.begin().await?;
    let Some(id) = store::grant(&mut tx, reseller, customer, amount, &reason, staff.id).await?
    else {
        return Err(AppError::NotFound);
    };
    let entry = audit::Entry {
        reseller_id: Some(reseller),
        actor: Some(staff.id),
        subject_type: Some("billing_credit"),
        subject_id: Some(id.to_string()),
        details: serde_json::json!({ "customer": customer, "amount": amount, "reason": reason }),
        ip: Some(ip),
        ..audit::Entry::new(audit::Action::BillingCreditGranted)
    };
    let back = format!("/staff/billing/credits?reseller={reseller}");
    flash::done(tx, &session, entry, "billing.credit_granted", &[], &back).await
}
