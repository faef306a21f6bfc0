//! `/partner`: the reseller's account. Company data (editable by owners and admins, with the
//! access request's validation), the public reseller id (customers quote it for Google
//! transfers), a summary of programs and users, and the default markup.

use std::net::IpAddr;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use tower_sessions::Session;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::countries::{self, zones, zones::ZoneGroup};
use crate::db::SaveError;
use crate::domain::Email;
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::i18n;
use crate::identity::{ResellerUser, Role};
use crate::partners::access::parse_phone;
use crate::partners::rules::required;
use crate::partners::store::{self, Account, CompanyData};
use crate::partners::{programs, view};
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::Form;
use crate::web::page::{self, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new().route("/partner", get(show).post(save))
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

impl AccountForm {
    /// The form as the account shows it before any change.
    fn of(account: &Account) -> Self {
        Self {
            legal_name: account.legal_name.clone(),
            tax_id: account.tax_id.clone(),
            phone: account.phone.clone().unwrap_or_default(),
            contact_email: account.contact_email.clone().unwrap_or_default(),
            partner_id: account.partner_id.clone().unwrap_or_default(),
            time_zone: account.time_zone.clone(),
        }
    }

    /// The company data of a reseller of `country`, or the messages beside the fields.
    pub fn parse(&self, country: &str) -> Result<CompanyData, FieldErrors> {
        let mut errors = FieldErrors::new();
        let legal_name = required(&mut errors, "legal_name", &self.legal_name, 200);
        let tax_id = countries::tax_id::parse(country, &self.tax_id)
            .map_err(|k| errors.add("tax_id", k))
            .unwrap_or_default();
        let phone = parse_phone(&self.phone)
            .map_err(|k| errors.add("phone", k))
            .unwrap_or_default();
        let contact_email = Email::parse(&self.contact_email)
            .map_err(|k| errors.add("contact_email", k))
            .ok();
        let partner_id = if self.partner_id.trim().is_empty() {
            None
        } else {
            programs::parse_partner_id(&self.partner_id)
                .map_err(|k| errors.add("partner_id", k))
                .ok()
        };
        let time_zone = self.time_zone.trim().to_string();
        if !zones::is_offered(&time_zone) {
            errors.add("time_zone", "account.time_zone_invalid");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CompanyData {
            legal_name,
            tax_id,
            phone,
            contact_email,
            partner_id,
            time_zone,
        })
    }
}

/// A time zone of the form's list.
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
    zones: Vec<ZoneGroup>,
    /// The account's time zone by its city, with today's offset.
    time_zone: String,
}

async fn render(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    form: Option<AccountForm>,
    errors: FieldErrors,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let account = store::account(&mut *tx, me.reseller_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let list = programs::for_reseller(&mut tx, me.reseller_id).await?;
    let users = store::active_users(&mut tx, me.reseller_id).await?;
    tx.commit().await?;
    // The programs the reseller asked for, with where each stands.
    let programs = list
        .into_iter()
        .filter_map(|p| Some((p.name, ctx.t(p.status?.key()))))
        .collect();
    let form = form.unwrap_or_else(|| AccountForm::of(&account));
    let now = time::OffsetDateTime::now_utc();
    let zones = zones::grouped(ctx.locale, &account.country, &form.time_zone, now);
    let time_zone = zones::label(&account.time_zone, now);
    let page = AccountPage {
        country_name: view::country_name(&ctx, &account.country),
        markup: i18n::format_decimal(ctx.locale, account.markup_percent, 2),
        can_edit: me.user.role.manages_users(),
        ctx,
        account,
        programs,
        users,
        form,
        zones,
        time_zone,
        errors,
    };
    Ok(page::render(page::form_status(&page.errors), &page))
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
    let country = store::lock_country(&mut tx, me.reseller_id).await?;
    let data = match form.parse(&country) {
        Ok(data) => data,
        Err(errors) => {
            drop(tx);
            return render(&state, ctx, &me, Some(form), errors).await;
        }
    };
    match store::update_account(&mut tx, me.reseller_id, &data).await {
        Ok(()) => {}
        Err(SaveError::Refused(errors)) => {
            drop(tx);
            return render(&state, ctx, &me, Some(form), errors).await;
        }
        Err(e) => return Err(e.into()),
    }
    let details = serde_json::json!({ "legal_name": data.legal_name, "tax_id": data.tax_id,
                                      "time_zone": data.time_zone });
    let entry = reseller_entry(&me, Action::AccountUpdated, ip, details);
    flash::done(tx, &session, entry, "account.saved", &[], "/partner").await
}

/// The audit entry of a change `me` made to their reseller's account.
pub(super) fn reseller_entry<'a>(
    me: &ResellerUser,
    action: Action,
    ip: IpAddr,
    details: serde_json::Value,
) -> audit::Entry<'a> {
    audit::Entry {
        reseller_id: Some(me.reseller_id),
        actor: Some(me.user.id),
        subject_type: Some("reseller"),
        subject_id: Some(me.reseller_id.to_string()),
        details,
        ip: Some(ip),
        ..audit::Entry::new(action)
    }
}
