//! Customer rules without I/O: the customer form turned into a normalised customer (address
//! included, by the country's rules) or messages beside the fields, and vendor tenant input.

use crate::countries::{self, address};
use crate::domain::{Domain, Email};
use crate::fields::{FieldErrors, trimmed};
use crate::partners::access::parse_phone;
use crate::vendors::VendorCode;

/// The customer form as typed (also carried, normalised, through the confirmation step).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct CustomerForm {
    #[serde(default)]
    pub legal_name: String,
    #[serde(default)]
    pub tax_id: String,
    #[serde(default)]
    pub industry: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub billing_email: String,
    #[serde(default)]
    pub address_line1: String,
    #[serde(default)]
    pub address_line2: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub country: String,
    /// Brazil's Inscrição Estadual (optional).
    #[serde(default)]
    pub state_registration: String,
}

crate::text_enum! {
    /// Whether a customer can be ordered for (an inactive one keeps its history).
    pub enum CustomerStatus {
        Active = "active" => "customers.status_active",
        Inactive = "inactive" => "customers.status_inactive",
    }
}

crate::text_enum! {
    /// How the customers list is sorted.
    #[derive(Default)]
    pub enum CustomerSort {
        #[default]
        Name = "name",
        Newest = "newest",
    }
}

crate::text_enum! {
    /// How a vendor tenant came to the customer: an existing one linked, a new one reserved,
    /// or a Google Workspace subscription transferred with the customer's token.
    pub enum TenantOrigin {
        Linked = "linked" => "tenants.origin_linked",
        Reserved = "reserved" => "tenants.origin_reserved",
        Transfer = "transfer" => "tenants.origin_transfer",
    }
}

impl TenantOrigin {
    /// The key of how a tenant reads on the customer's page: a reserved domain an order has
    /// created (its subscriptions are there) is no longer "new (reserve)".
    pub fn shown_key(self, created: bool) -> &'static str {
        match (self, created) {
            (TenantOrigin::Reserved, true) => "tenants.origin_created",
            (TenantOrigin::Reserved, false) => "tenants.origin_reserved_pending",
            (origin, _) => origin.key(),
        }
    }
}

/// A customer that passed every check, in its normalised form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerInput {
    pub legal_name: String,
    pub tax_id: String,
    pub country: &'static str,
    pub industry: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub billing_email: String,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub city: String,
    pub region_code: Option<String>,
    pub region_name: String,
    pub postal_code: String,
    pub state_registration: Option<String>,
}

impl CustomerInput {
    /// The form holding these normalised values (for the confirmation step and the edit page).
    pub fn to_form(&self) -> CustomerForm {
        CustomerForm {
            legal_name: self.legal_name.clone(),
            tax_id: self.tax_id.clone(),
            industry: self.industry.clone().unwrap_or_default(),
            contact_name: self.contact_name.clone(),
            contact_email: self.contact_email.clone(),
            contact_phone: self.contact_phone.clone(),
            billing_email: self.billing_email.clone(),
            address_line1: self.address_line1.clone(),
            address_line2: self.address_line2.clone().unwrap_or_default(),
            city: self.city.clone(),
            region: self
                .region_code
                .clone()
                .unwrap_or_else(|| self.region_name.clone()),
            postal_code: self.postal_code.clone(),
            country: self.country.to_string(),
            state_registration: self.state_registration.clone().unwrap_or_default(),
        }
    }
}

/// Collapses runs of whitespace and trims.
pub fn tidy(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Capitalises the words of a name typed all in capitals or all in lower case ("SAO PAULO" →
/// "Sao Paulo"); mixed case is kept as typed.
pub fn title_case(s: &str) -> String {
    let s = tidy(s);
    let has_upper = s.chars().any(char::is_uppercase);
    let has_lower = s.chars().any(char::is_lowercase);
    if has_upper && has_lower {
        return s;
    }
    const SMALL: [&str; 8] = ["de", "del", "la", "las", "los", "do", "da", "dos"];
    s.split(' ')
        .enumerate()
        .map(|(i, w)| {
            let lower = w.to_lowercase();
            if i > 0 && SMALL.contains(&lower.as_str()) {
                return lower;
            }
            let mut chars = lower.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn text(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
) -> String {
    match trimmed(value, max) {
        Ok(v) if required && v.is_empty() => {
            errors.add(field, "form.required");
            v
        }
        Ok(v) => tidy(&v),
        Err(k) => {
            errors.add(field, k);
            String::new()
        }
    }
}

/// The label of the address's second line in `country`: Mexico's "Colonia", elsewhere a line.
pub fn address_line2_key(country: &str) -> &'static str {
    if country.eq_ignore_ascii_case("MX") {
        "customers.address_line2_mx"
    } else {
        "customers.address_line2"
    }
}

impl CustomerForm {
    /// The label of the address's second line: Mexico's addresses name the colonia.
    pub fn address_line2_key(&self) -> &'static str {
        address_line2_key(self.country.trim())
    }

    /// Validates and normalises the whole form.
    pub fn parse(&self) -> Result<CustomerInput, FieldErrors> {
        let mut e = FieldErrors::new();
        let legal_name = text(&mut e, "legal_name", &self.legal_name, 200, true);
        let industry = text(&mut e, "industry", &self.industry, 80, false);
        let contact_name = text(&mut e, "contact_name", &self.contact_name, 120, true);
        let contact_email = Email::parse(&self.contact_email)
            .map_err(|k| e.add("contact_email", k))
            .ok();
        let billing_email = Email::parse(&self.billing_email)
            .map_err(|k| e.add("billing_email", k))
            .ok();
        let contact_phone = parse_phone(&self.contact_phone)
            .map_err(|k| e.add("contact_phone", k))
            .unwrap_or_default();
        let address_line1 = text(&mut e, "address_line1", &self.address_line1, 200, true);
        let address_line2 = text(&mut e, "address_line2", &self.address_line2, 200, false);
        let city = title_case(&text(&mut e, "city", &self.city, 100, true));
        let country = countries::by_code(&self.country);
        if country.is_none() {
            e.add("country", "access.invalid_country");
        }
        let (mut tax_id, mut region_code, mut region_name, mut postal_code) =
            (String::new(), None, String::new(), String::new());
        let mut state_registration = None;
        if let Some(c) = country {
            state_registration =
                countries::tax_id::state_registration(c.code, &self.state_registration)
                    .map_err(|k| e.add("state_registration", k))
                    .unwrap_or_default();
            tax_id = countries::tax_id::parse(c.code, &self.tax_id)
                .map_err(|k| e.add("tax_id", k))
                .unwrap_or_default();
            if self.region.trim().is_empty() {
                e.add("region", "form.required");
            } else {
                match address::find_region(c.code, &self.region) {
                    Some(r) => {
                        region_code = Some(r.code.to_string());
                        region_name = r.name.to_string();
                    }
                    None => e.add("region", "address.region_unknown"),
                }
            }
            postal_code = address::normalize_postal_code(c.code, &self.postal_code)
                .map_err(|k| e.add("postal_code", k))
                .unwrap_or_default();
        }
        match (country, contact_email, billing_email) {
            (Some(country), Some(contact_email), Some(billing_email)) if e.is_empty() => {
                Ok(CustomerInput {
                    legal_name,
                    tax_id,
                    country: country.code,
                    industry: (!industry.is_empty()).then_some(industry),
                    contact_name,
                    contact_email: contact_email.to_string(),
                    contact_phone,
                    billing_email: billing_email.to_string(),
                    address_line1,
                    address_line2: (!address_line2.is_empty()).then_some(address_line2),
                    city,
                    region_code,
                    region_name,
                    postal_code,
                    state_registration,
                })
            }
            _ => Err(e),
        }
    }
}

/// What a reseller asks for a customer's vendor tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantRequest {
    pub vendor: VendorCode,
    /// Link a tenant the customer already has (true) or reserve a new one.
    pub existing: bool,
    pub domain: String,
}

/// Checks a tenant request; the error is (field, translation key).
pub fn parse_tenant(
    vendor: &str,
    origin: &str,
    input: &str,
) -> Result<TenantRequest, (&'static str, &'static str)> {
    let vendor = VendorCode::parse(vendor).ok_or(("vendor", "catalog.invalid_choice"))?;
    let existing = match origin {
        "linked" => true,
        "reserved" => false,
        _ => return Err(("origin", "catalog.invalid_choice")),
    };
    let raw = input.trim();
    // An existing Microsoft tenant may be named by its tenant id.
    if vendor == VendorCode::Microsoft && existing {
        if let Ok(id) = uuid::Uuid::parse_str(raw) {
            return Ok(TenantRequest {
                vendor,
                existing,
                domain: id.to_string(),
            });
        }
    }
    let domain = Domain::parse(raw).map_err(|k| ("domain", k))?;
    match vendor {
        VendorCode::Microsoft if !existing && !domain.is_onmicrosoft() => {
            // A new Microsoft tenant is named name.onmicrosoft.com.
            Err(("domain", "tenants.new_microsoft_domain"))
        }
        VendorCode::Microsoft
            if domain.as_str().ends_with(".onmicrosoft.com") && !domain.is_onmicrosoft() =>
        {
            Err(("domain", "domain.invalid"))
        }
        VendorCode::Google if domain.as_str().ends_with(".onmicrosoft.com") => {
            Err(("domain", "programs.onmicrosoft_not_here"))
        }
        _ => Ok(TenantRequest {
            vendor,
            existing,
            domain: domain.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brazilian() -> CustomerForm {
        CustomerForm {
            legal_name: "  Padaria  São João Ltda. ".into(),
            tax_id: "11.222.333/0001-81".into(),
            industry: "".into(),
            contact_name: "João da Silva".into(),
            contact_email: "joao@padaria.example".into(),
            contact_phone: "+55 11 98765-4321".into(),
            billing_email: "financeiro@padaria.example".into(),
            address_line1: "Av.  Paulista, 1000".into(),
            address_line2: "".into(),
            city: "SAO PAULO".into(),
            region: "sao paulo".into(),
            postal_code: "01310100".into(),
            country: "BR".into(),
            state_registration: " 110.042.490.114 ".into(),
        }
    }

    #[test]
    fn a_brazilian_customer_is_normalised() {
        let c = brazilian().parse().unwrap();
        assert_eq!(c.legal_name, "Padaria São João Ltda.");
        assert_eq!(c.tax_id, "11222333000181");
        assert_eq!(c.address_line1, "Av. Paulista, 1000");
        assert_eq!(c.city, "Sao Paulo");
        assert_eq!(c.region_code.as_deref(), Some("SP"));
        assert_eq!(c.region_name, "São Paulo");
        assert_eq!(c.postal_code, "01310-100");
        assert_eq!(c.industry, None);
        assert_eq!(c.state_registration.as_deref(), Some("110042490114"));
        assert_eq!(
            c.to_form().parse().unwrap(),
            c,
            "normalising twice changes nothing"
        );
    }

    #[test]
    fn a_state_registration_is_brazils_optional_digits_or_isento() {
        let mut f = brazilian();
        for (typed, kept) in [
            ("", None),
            ("isento", Some("ISENTO")),
            ("12.345.678", Some("12345678")),
        ] {
            f.state_registration = typed.into();
            assert_eq!(
                f.parse().unwrap().state_registration.as_deref(),
                kept,
                "{typed}"
            );
        }
        for wrong in ["1234567", "123456789012345", "12AB5678"] {
            f.state_registration = wrong.into();
            let e = f.parse().unwrap_err();
            assert_eq!(
                e.get("state_registration"),
                Some("customers.state_registration_invalid"),
                "{wrong}"
            );
        }
        // Another country has none: what was typed is dropped.
        let mut mexican = brazilian();
        mexican.country = "MX".into();
        mexican.state_registration = "12345678".into();
        let e = mexican.parse().unwrap_err();
        assert_eq!(e.get("state_registration"), None);
    }

    #[test]
    fn each_field_says_what_is_wrong() {
        let mut f = brazilian();
        f.tax_id = "11.222.333/0001-82".into();
        f.postal_code = "0131".into();
        f.region = "Narnia".into();
        f.contact_email = "joao@".into();
        f.legal_name = "".into();
        let e = f.parse().unwrap_err();
        assert_eq!(e.get("tax_id"), Some("tax_id.invalid"));
        assert_eq!(e.get("postal_code"), Some("address.postal_code_invalid"));
        assert_eq!(e.get("region"), Some("address.region_unknown"));
        assert_eq!(e.get("contact_email"), Some("form.invalid_email"));
        assert_eq!(e.get("legal_name"), Some("form.required"));
    }

    #[test]
    fn names_in_capitals_get_title_case() {
        assert_eq!(title_case("CIUDAD DE MEXICO"), "Ciudad de Mexico");
        assert_eq!(title_case("rio de janeiro"), "Rio de Janeiro");
        assert_eq!(title_case("McAllen"), "McAllen");
    }

    #[test]
    fn tenant_requests_follow_vendor_rules() {
        assert!(parse_tenant("microsoft", "reserved", "contoso.onmicrosoft.com").is_ok());
        assert_eq!(
            parse_tenant("microsoft", "reserved", "contoso.com"),
            Err(("domain", "tenants.new_microsoft_domain"))
        );
        assert!(parse_tenant("microsoft", "linked", "contoso.com").is_ok());
        let by_id = parse_tenant(
            "microsoft",
            "linked",
            "72F988BF-86F1-41AF-91AB-2D7CD011DB47",
        )
        .unwrap();
        assert_eq!(by_id.domain, "72f988bf-86f1-41af-91ab-2d7cd011db47");
        assert_eq!(
            parse_tenant("google", "linked", "x.onmicrosoft.com"),
            Err(("domain", "programs.onmicrosoft_not_here"))
        );
        assert_eq!(
            parse_tenant("amazon", "linked", "x.com"),
            Err(("vendor", "catalog.invalid_choice"))
        );
        assert_eq!(
            parse_tenant("google", "linked", "not a domain"),
            Err(("domain", "domain.invalid"))
        );
    }
}
