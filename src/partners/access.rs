//! `/access-request`: a company without an account asks for one. Every field is validated; a
//! second request for the same e-mail or tax id is recognised and not stored twice, and the page
//! answers the same either way.

use std::net::IpAddr;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use sqlx::PgConnection;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::auth::{emails, throttle};
use crate::countries::{self, Country};
use crate::domain::Email;
use crate::error::AppResult;
use crate::fields::FieldErrors;
use crate::i18n::Locale;
use crate::partners::rules::required;
use crate::partners::{store, view};
use crate::web::client_ip::ClientIp;
use crate::web::forms::{Choice, Form};
use crate::web::page::{self, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new().route("/access-request", get(form_page).post(submit))
}

/// Requests from one address per hour (a public form must not become a mail cannon).
const REQUEST_ADDRESS: throttle::Policy = throttle::Policy {
    scope: "access_request_address",
    max_failures: 10,
    window_secs: 60 * 60,
    base_lock_secs: 30 * 60,
    max_lock_secs: 60 * 60,
};

#[derive(Deserialize, Default, Clone)]
pub struct AccessForm {
    #[serde(default)]
    pub legal_name: String,
    #[serde(default)]
    pub tax_id: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub partner_id: String,
}

/// A request that passed validation.
#[derive(Debug, PartialEq, Eq)]
pub struct AccessRequest {
    pub legal_name: String,
    pub tax_id: String,
    pub country: &'static Country,
    pub contact_name: String,
    pub email: Email,
    pub phone: String,
    pub partner_id: Option<String>,
}

/// A phone number as people write it: digits with spaces, dots, dashes, parentheses and an
/// optional leading `+`; 7 to 15 digits.
pub fn parse_phone(input: &str) -> Result<String, &'static str> {
    let v = input.trim();
    if v.is_empty() {
        return Err("form.required");
    }
    if v.chars().count() > 30 {
        return Err("form.too_long");
    }
    let body = v.strip_prefix('+').unwrap_or(v);
    let allowed = body
        .chars()
        .all(|c| c.is_ascii_digit() || " .-()".contains(c));
    let digits = body.chars().filter(char::is_ascii_digit).count();
    if allowed && (7..=15).contains(&digits) {
        Ok(v.split_whitespace().collect::<Vec<_>>().join(" "))
    } else {
        Err("access.invalid_phone")
    }
}

impl AccessForm {
    /// Turns the form into a request, or the messages to show beside the fields.
    pub fn parse(&self) -> Result<AccessRequest, FieldErrors> {
        let mut errors = FieldErrors::new();
        let legal_name = required(&mut errors, "legal_name", &self.legal_name, 200);
        let contact_name = required(&mut errors, "contact_name", &self.contact_name, 120);
        let country = countries::by_code(&self.country);
        if country.is_none() {
            errors.add("country", "access.invalid_country");
        }
        let tax_id = match country {
            Some(c) => countries::tax_id::parse(c.code, &self.tax_id)
                .map_err(|k| errors.add("tax_id", k))
                .unwrap_or_default(),
            None => String::new(),
        };
        let email = Email::parse(&self.email)
            .map_err(|k| errors.add("email", k))
            .ok();
        let phone = parse_phone(&self.phone)
            .map_err(|k| errors.add("phone", k))
            .unwrap_or_default();
        let partner = self.partner_id.trim();
        let partner_id = if partner.is_empty() {
            None
        } else if partner.len() <= 12
            && partner.chars().all(|c| c.is_ascii_digit())
            && partner.len() >= 4
        {
            Some(partner.to_string())
        } else {
            errors.add("partner_id", "access.invalid_partner_id");
            None
        };
        match (country, email) {
            (Some(country), Some(email)) if errors.is_empty() => Ok(AccessRequest {
                legal_name,
                tax_id,
                country,
                contact_name,
                email,
                phone,
                partner_id,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Template)]
#[template(path = "partners/access_request.html")]
struct AccessPage {
    ctx: PageCtx,
    form: AccessForm,
    countries: Vec<Choice>,
    errors: FieldErrors,
    message: Option<String>,
}

#[derive(Template)]
#[template(path = "partners/access_request_sent.html")]
struct SentPage {
    ctx: PageCtx,
    email: String,
}

/// The form, with what was typed, the errors beside the fields, and an optional message.
fn form(
    ctx: PageCtx,
    status: StatusCode,
    form: AccessForm,
    errors: FieldErrors,
    message: Option<String>,
) -> Response {
    let page = AccessPage {
        countries: view::country_choices(&ctx, &form.country),
        ctx,
        form,
        errors,
        message,
    };
    page::render(status, &page)
}

async fn form_page(ctx: PageCtx) -> Response {
    form(
        ctx,
        StatusCode::OK,
        AccessForm::default(),
        FieldErrors::new(),
        None,
    )
}

async fn submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    ClientIp(ip): ClientIp,
    Form(typed): Form<AccessForm>,
) -> AppResult<Response> {
    let request = match typed.parse() {
        Ok(r) => r,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(form(ctx, status, typed, errors, None));
        }
    };
    let ip_key = ip.to_string();
    // Every request counts towards the address's limit.
    if let Err(secs) = throttle::attempt(&state.db, REQUEST_ADDRESS, &ip_key).await? {
        let minutes = throttle::minutes(secs).to_string();
        let message = ctx.t_with("login.too_many", &[("minutes", &minutes)]);
        let (status, errors) = (StatusCode::TOO_MANY_REQUESTS, FieldErrors::new());
        return Ok(form(ctx, status, typed, errors, Some(message)));
    }
    let mut tx = state.db.begin().await?;
    receive(&mut tx, &state.mailer, &request, ctx.locale, ip).await?;
    tx.commit().await?;
    Ok(page::ok(&SentPage {
        ctx,
        email: request.email.to_string(),
    }))
}

/// Stores a request from a company we do not know yet, acknowledges it by e-mail and records
/// it; a company we know, or a second request, changes nothing (the page answers the same).
async fn receive(
    tx: &mut PgConnection,
    mailer: &crate::mail::Mailer,
    request: &AccessRequest,
    locale: Locale,
    ip: IpAddr,
) -> AppResult<()> {
    if store::known_company(tx, request).await? {
        return Ok(());
    }
    let Some(id) = store::save_access_request(tx, request, locale, ip).await? else {
        return Ok(());
    };
    let email = request.email.as_str();
    let ack =
        emails::access_request_received(locale, email, &request.contact_name, &request.legal_name)?;
    mailer.queue(&mut *tx, &ack).await?;
    let entry = audit::Entry {
        subject_type: Some("access_request"),
        subject_id: Some(id.to_string()),
        details: serde_json::json!({ "email": email, "country": request.country.code }),
        ip: Some(ip),
        ..audit::Entry::new(Action::AccessRequested)
    };
    audit::record(&mut *tx, entry).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> AccessForm {
        AccessForm {
            legal_name: " Nube Andina S.A. de C.V. ".into(),
            tax_id: "NAS180512AB6".into(),
            country: "MX".into(),
            contact_name: "Mariana López".into(),
            email: "mariana@nubeandina.example".into(),
            phone: "+52 55 1234 5678".into(),
            partner_id: "".into(),
        }
    }

    #[test]
    fn a_complete_form_becomes_a_request() {
        let r = valid().parse().unwrap();
        assert_eq!(r.legal_name, "Nube Andina S.A. de C.V.");
        assert_eq!(r.country.code, "MX");
        assert_eq!(r.partner_id, None);
    }

    #[test]
    fn each_field_is_checked() {
        let mut f = valid();
        f.legal_name = "".into();
        f.country = "FR".into();
        f.email = "nope".into();
        f.phone = "12ab".into();
        f.partner_id = "x1".into();
        let e = f.parse().unwrap_err();
        assert_eq!(e.get("legal_name"), Some("form.required"));
        assert_eq!(e.get("country"), Some("access.invalid_country"));
        assert_eq!(e.get("email"), Some("form.invalid_email"));
        assert_eq!(e.get("phone"), Some("access.invalid_phone"));
        assert_eq!(e.get("partner_id"), Some("access.invalid_partner_id"));
        let mut f = valid();
        f.country = "BR".into();
        f.tax_id = "11.222.333/0001-82".into();
        assert_eq!(f.parse().unwrap_err().get("tax_id"), Some("tax_id.invalid"));
        let mut f = valid();
        f.legal_name = "x".repeat(201);
        assert_eq!(
            f.parse().unwrap_err().get("legal_name"),
            Some("form.too_long")
        );
    }

    #[test]
    fn phones_are_digits_with_punctuation() {
        assert_eq!(
            parse_phone(" +55 (11) 98765-4321 "),
            Ok("+55 (11) 98765-4321".into())
        );
        assert_eq!(parse_phone("123"), Err("access.invalid_phone"));
        assert_eq!(
            parse_phone("<b>5551234567</b>"),
            Err("access.invalid_phone")
        );
    }
}
