//! `/partner`: the reseller's account. Company data (editable by owners and admins, with the
//! access request's validation), the public reseller id (customers quote it for Google
//! transfers), a summary of programs and users, and the default markup.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::countries;
use crate::domain::Email;
use crate::error::AppResult;
use crate::fields::{FieldErrors, trimmed};
use crate::i18n;
use crate::identity::{ResellerUser, Role};
use crate::partners::access::parse_phone;
use crate::partners::programs;
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::forms::Form;
use crate::web::page::{self, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new().route("/partner", get(show).post(save))
}

#[derive(Debug, sqlx::FromRow)]
pub struct Account {
    pub legal_name: String,
    pub tax_id: String,
    pub country: String,
    pub public_id: String,
    pub status: String,
    pub suspended_reason: Option<String>,
    pub billing_currency: String,
    pub time_zone: String,
    pub markup_percent: rust_decimal::Decimal,
    pub phone: Option<String>,
    pub contact_email: Option<String>,
    pub partner_id: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct AccountForm {
    #[serde(default)]
    pub legal_name: String,
    #[serde(default)]
    pub tax_id: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub partner_id: String,
    #[serde(default)]
    pub time_zone: String,
}

#[derive(Template)]
#[template(path = "partners/account.html")]
struct AccountPage {
    ctx: PageCtx,
    account: Account,
    country_name: String,
    markup: String,
    programs: Vec<(String, String)>,
    users: i64,
    can_edit: bool,
    form: AccountForm,
    errors: FieldErrors,
    zones: Vec<String>,
}

async fn render(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    form: Option<AccountForm>,
    errors: FieldErrors,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let account: Account = sqlx::query_as(
        "SELECT legal_name, tax_id, country::text AS country, public_id, status, suspended_reason,
                billing_currency::text AS billing_currency, time_zone, markup_percent, phone,
                contact_email::text AS contact_email, partner_id
         FROM resellers WHERE id = $1",
    )
    .bind(me.reseller_id)
    .fetch_one(&mut *tx)
    .await?;
    let list = programs::for_reseller(&mut tx, me.reseller_id).await?;
    let users: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM users WHERE reseller_id = $1 AND status <> 'deactivated'",
    )
    .bind(me.reseller_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let programs = list
        .into_iter()
        .filter(|p| p.status.is_some())
        .map(|p| {
            let status = ctx.t(p.status.map_or("programs.status_none", |s| s.key()));
            (p.name, status)
        })
        .collect();
    let form = form.unwrap_or_else(|| AccountForm {
        legal_name: account.legal_name.clone(),
        tax_id: account.tax_id.clone(),
        phone: account.phone.clone().unwrap_or_default(),
        contact_email: account.contact_email.clone().unwrap_or_default(),
        partner_id: account.partner_id.clone().unwrap_or_default(),
        time_zone: account.time_zone.clone(),
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page::render(
        status,
        &AccountPage {
            country_name: countries::by_code(&account.country)
                .map(|c| c.name(ctx.locale).to_string())
                .unwrap_or_else(|| account.country.clone()),
            markup: i18n::format_decimal(ctx.locale, account.markup_percent, 2),
            can_edit: me.user.role.manages_users(),
            ctx,
            account,
            programs,
            users,
            form,
            errors,
            zones: i18n::zone_choices(),
        },
    ))
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
) -> AppResult<Response> {
    render(&state, ctx, &me, None, FieldErrors::new()).await
}

async fn save(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<AccountForm>,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let country: String =
        sqlx::query_scalar("SELECT country::text FROM resellers WHERE id = $1 FOR UPDATE")
            .bind(me.reseller_id)
            .fetch_one(&mut *tx)
            .await?;
    let mut errors = FieldErrors::new();
    let legal_name = match trimmed(&form.legal_name, 200) {
        Ok(v) if v.is_empty() => {
            errors.add("legal_name", "form.required");
            v
        }
        Ok(v) => v,
        Err(k) => {
            errors.add("legal_name", k);
            String::new()
        }
    };
    let tax_id = countries::tax_id::parse(&country, &form.tax_id)
        .map_err(|k| errors.add("tax_id", k))
        .unwrap_or_default();
    let phone = parse_phone(&form.phone)
        .map_err(|k| errors.add("phone", k))
        .unwrap_or_default();
    let contact_email = Email::parse(&form.contact_email)
        .map_err(|k| errors.add("contact_email", k))
        .ok();
    let partner_id = if form.partner_id.trim().is_empty() {
        None
    } else {
        programs::parse_partner_id(&form.partner_id)
            .map_err(|k| errors.add("partner_id", k))
            .ok()
    };
    let time_zone = form.time_zone.trim().to_string();
    if !i18n::zone_choices().contains(&time_zone) {
        errors.add("time_zone", "account.time_zone_invalid");
    }
    if !errors.is_empty() {
        drop(tx);
        return render(&state, ctx, &me, Some(form), errors).await;
    }
    let updated = sqlx::query(
        "UPDATE resellers SET legal_name = $2, tax_id = $3, phone = $4, contact_email = $5::text,
                partner_id = $6, time_zone = $7, updated_at = now()
         WHERE id = $1",
    )
    .bind(me.reseller_id)
    .bind(&legal_name)
    .bind(&tax_id)
    .bind(&phone)
    .bind(contact_email.as_ref().map(|e| e.as_str()))
    .bind(&partner_id)
    .bind(&time_zone)
    .execute(&mut *tx)
    .await;
    if let Err(e) = &updated {
        if crate::db::violated_constraint(e) == Some("resellers_country_tax_id_key") {
            drop(tx);
            let errors = FieldErrors::one("tax_id", "account.tax_id_taken");
            return render(&state, ctx, &me, Some(form), errors).await;
        }
    }
    updated?;
    audit::record(
        &mut *tx,
        audit::Entry {
            reseller_id: Some(me.reseller_id),
            actor: Some(me.user.id),
            subject_type: Some("reseller"),
            subject_id: Some(me.reseller_id.to_string()),
            details: serde_json::json!({ "legal_name": legal_name, "tax_id": tax_id, "time_zone": time_zone }),
            ip: Some(ip),
            ..audit::Entry::new(Action::AccountUpdated)
        },
    )
    .await?;
    tx.commit().await?;
    flash::push(&session, Level::Success, "account.saved", &[]).await;
    Ok(page::see_other("/partner"))
}
