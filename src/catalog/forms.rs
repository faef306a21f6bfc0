//! The checks of staff's catalog forms, without I/O: a product (names, category, kind, seats,
//! offers, relations), a price, a vendor or program code and the countries a program is
//! offered in. Each form becomes a typed value or the messages beside its fields.

use rust_decimal::Decimal;
use time::Date;

use crate::catalog::rules::{Billing, CURRENCIES, Category, Kind, Term, parse_amount, parse_date};
use crate::fields::{FieldErrors, trimmed};

/// A row of a price list: one price of one product, checked without the database (the import
/// and the staff price form make these).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceLine {
    /// The line of the file it came from (0 for the form).
    pub line: usize,
    pub sku: String,
    pub term: Term,
    pub billing: Billing,
    pub currency: String,
    pub cost: Decimal,
    pub retail: Decimal,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
}

/// The staff product form as typed.
#[derive(serde::Deserialize, Default, Clone, Debug)]
pub struct ProductForm {
    #[serde(default)]
    pub sku: String,
    #[serde(default)]
    pub program: String,
    #[serde(default)]
    pub name_es: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub name_pt: String,
    #[serde(default)]
    pub description_es: String,
    #[serde(default)]
    pub description_en: String,
    #[serde(default)]
    pub description_pt: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub min_seats: String,
    #[serde(default)]
    pub max_seats: String,
    /// `P1Y:annual` pairs, several.
    #[serde(default)]
    pub offers: Vec<String>,
    /// Comma-separated SKUs.
    #[serde(default)]
    pub upgrades: String,
    #[serde(default)]
    pub addon_of: String,
}

/// A product form that passed its checks.
#[derive(Debug)]
pub struct ProductInput {
    pub sku: String,
    pub program_code: String,
    pub names: [String; 3],
    pub descriptions: [String; 3],
    pub category: Category,
    pub kind: Kind,
    pub min_seats: i32,
    pub max_seats: i32,
    pub offers: Vec<(Term, Billing)>,
    pub upgrades: Vec<String>,
    pub addon_of: Vec<String>,
}

/// SKUs typed in a list (commas, spaces or lines between them).
fn skus(list: &str) -> Vec<String> {
    list.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether `sku` is one the catalog accepts (letters, digits and `._:/-`, 2 to 64).
pub fn valid_sku(sku: &str) -> bool {
    (2..=64).contains(&sku.len())
        && sku
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:/-".contains(c))
        && sku
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
}

/// A text field: trimmed, bounded, required or not.
fn text_field(
    e: &mut FieldErrors,
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
) -> String {
    match trimmed(value, max) {
        Ok(v) if required && v.is_empty() => {
            e.add(field, "form.required");
            v
        }
        Ok(v) => v,
        Err(k) => {
            e.add(field, k);
            String::new()
        }
    }
}

/// The term and billing pairs ticked, each once; an error for a pair that does not exist.
fn parse_offers(e: &mut FieldErrors, ticked: &[String]) -> Vec<(Term, Billing)> {
    let mut offers = Vec::new();
    for o in ticked {
        let parsed = o
            .split_once(':')
            .and_then(|(t, b)| Some((Term::parse(t)?, Billing::parse(b)?)))
            .filter(|(t, b)| b.fits(*t));
        match parsed {
            Some(pair) if !offers.contains(&pair) => offers.push(pair),
            Some(_) => {}
            None => e.add("offers", "catalog.invalid_choice"),
        }
    }
    if offers.is_empty() {
        e.add("offers", "catalog.offers_required");
    }
    offers
}

impl ProductForm {
    pub fn parse(&self) -> Result<ProductInput, FieldErrors> {
        let mut e = FieldErrors::new();
        let sku = self.sku.trim().to_string();
        if !valid_sku(&sku) {
            e.add("sku", "catalog.invalid_sku");
        }
        let names = [
            text_field(&mut e, "name_es", &self.name_es, 200, true),
            text_field(&mut e, "name_en", &self.name_en, 200, true),
            text_field(&mut e, "name_pt", &self.name_pt, 200, true),
        ];
        let descriptions = [
            text_field(&mut e, "description_es", &self.description_es, 4000, false),
            text_field(&mut e, "description_en", &self.description_en, 4000, false),
            text_field(&mut e, "description_pt", &self.description_pt, 4000, false),
        ];
        let category = Category::from_code(&self.category);
        if category.is_none() {
            e.add("category", "catalog.invalid_choice");
        }
        let kind = Kind::from_code(&self.kind);
        if kind.is_none() {
            e.add("kind", "catalog.invalid_choice");
        }
        let seats = |v: &str| {
            v.trim()
                .parse::<i32>()
                .ok()
                .filter(|n| (1..=1_000_000).contains(n))
        };
        let (min_seats, max_seats) = (seats(&self.min_seats), seats(&self.max_seats));
        if min_seats.is_none() {
            e.add("min_seats", "catalog.invalid_seats");
        }
        match (min_seats, max_seats) {
            (_, None) => e.add("max_seats", "catalog.invalid_seats"),
            (Some(min), Some(max)) if max < min => e.add("max_seats", "catalog.max_below_min"),
            _ => {}
        }
        let offers = parse_offers(&mut e, &self.offers);
        let upgrades = skus(&self.upgrades);
        let addon_of = skus(&self.addon_of);
        if upgrades.contains(&sku) || addon_of.contains(&sku) {
            e.add("upgrades", "catalog.self_relation");
        }
        match (category, kind, min_seats, max_seats) {
            (Some(category), Some(kind), Some(min_seats), Some(max_seats)) if e.is_empty() => {
                Ok(ProductInput {
                    sku,
                    program_code: self.program.clone(),
                    names,
                    descriptions,
                    category,
                    kind,
                    min_seats,
                    max_seats,
                    offers,
                    upgrades,
                    addon_of,
                })
            }
            _ => Err(e),
        }
    }
}

/// The staff form that adds one price to a product, as typed.
#[derive(serde::Deserialize, Default, Clone, Debug)]
pub struct PriceForm {
    #[serde(default)]
    pub term: String,
    #[serde(default)]
    pub billing: String,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub cost: String,
    #[serde(default)]
    pub retail: String,
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub valid_to: String,
}

impl PriceForm {
    /// The price for product `sku`, or the messages beside the fields.
    pub fn parse(&self, sku: &str) -> Result<PriceLine, FieldErrors> {
        let mut e = FieldErrors::new();
        let term = Term::parse(&self.term);
        let billing = Billing::parse(&self.billing);
        if term.is_none() {
            e.add("term", "catalog.invalid_choice");
        }
        match (term, billing) {
            (_, None) => e.add("billing", "catalog.invalid_choice"),
            (Some(t), Some(b)) if !b.fits(t) => e.add("billing", "import.billing_term"),
            _ => {}
        }
        if !CURRENCIES.contains(&self.currency.as_str()) {
            e.add("currency", "import.bad_currency");
        }
        let cost = parse_amount(&self.cost).map_err(|k| e.add("cost", k)).ok();
        let retail = parse_amount(&self.retail)
            .map_err(|k| e.add("retail", k))
            .ok();
        let from = parse_date(&self.valid_from)
            .map_err(|k| e.add("valid_from", k))
            .ok();
        let to = if self.valid_to.trim().is_empty() {
            None
        } else {
            parse_date(&self.valid_to)
                .map_err(|k| e.add("valid_to", k))
                .ok()
        };
        if let (Some(f), Some(t)) = (from, to) {
            if t <= f {
                e.add("valid_to", "import.dates_order");
            }
        }
        match (term, billing, cost, retail, from) {
            (Some(term), Some(billing), Some(cost), Some(retail), Some(valid_from))
                if e.is_empty() =>
            {
                Ok(PriceLine {
                    line: 0,
                    sku: sku.to_string(),
                    term,
                    billing,
                    currency: self.currency.clone(),
                    cost,
                    retail,
                    valid_from,
                    valid_to: to,
                })
            }
            _ => Err(e),
        }
    }
}

/// Country codes separated by commas or spaces, each one the distributor serves.
pub fn parse_countries(input: &str) -> Result<Vec<String>, &'static str> {
    let list: Vec<String> = input
        .split([',', ' '])
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .collect();
    if list.iter().any(|c| crate::countries::by_code(c).is_none()) {
        Err("catalog.invalid_countries")
    } else {
        Ok(list)
    }
}

/// A vendor or program code: lower-case letters, digits and dashes, 2 to 40.
pub fn valid_code(code: &str) -> bool {
    (2..=40).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !code.starts_with('-')
}

/// A program form checked: its name, countries and descriptions (the code too when `new`).
pub struct ProgramInput {
    pub code: String,
    pub name: String,
    pub countries: Vec<String>,
    /// Spanish, English and Portuguese; an empty one shows the Spanish.
    pub descriptions: [String; 3],
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product_form() -> ProductForm {
        ProductForm {
            sku: "CFQ7TTC0LF8Q".into(),
            program: "microsoft-csp".into(),
            name_es: "Microsoft 365 E3".into(),
            name_en: "Microsoft 365 E3".into(),
            name_pt: "Microsoft 365 E3".into(),
            category: "productivity".into(),
            kind: "license".into(),
            min_seats: "1".into(),
            max_seats: "300".into(),
            offers: vec![
                "P1Y:annual".into(),
                "P1Y:monthly".into(),
                "P1Y:annual".into(),
            ],
            upgrades: "A, B".into(),
            ..Default::default()
        }
    }

    #[test]
    fn product_forms_become_typed_products_or_field_errors() {
        let p = product_form().parse().unwrap();
        assert_eq!(p.category, Category::Productivity);
        assert_eq!(p.kind, Kind::License);
        assert_eq!(
            p.offers,
            [
                (Term::Yearly, Billing::Annual),
                (Term::Yearly, Billing::Monthly)
            ]
        );
        assert_eq!(p.upgrades, ["A", "B"]);
        let bad = ProductForm {
            sku: "-x".into(),
            category: "toys".into(),
            min_seats: "10".into(),
            max_seats: "5".into(),
            offers: vec!["P1M:annual".into()],
            upgrades: "-x".into(),
            name_pt: " ".into(),
            ..product_form()
        };
        let e = bad.parse().unwrap_err();
        assert_eq!(e.get("sku"), Some("catalog.invalid_sku"));
        assert_eq!(e.get("category"), Some("catalog.invalid_choice"));
        assert_eq!(e.get("max_seats"), Some("catalog.max_below_min"));
        assert_eq!(e.get("offers"), Some("catalog.invalid_choice"));
        assert_eq!(e.get("upgrades"), Some("catalog.self_relation"));
        assert_eq!(e.get("name_pt"), Some("form.required"));
    }

    #[test]
    fn price_forms_check_every_field() {
        let form = PriceForm {
            term: "P1Y".into(),
            billing: "monthly".into(),
            currency: "USD".into(),
            cost: "10.50".into(),
            retail: "12".into(),
            valid_from: "2026-12-01".into(),
            valid_to: String::new(),
        };
        let line = form.parse("SKU-1").unwrap();
        assert_eq!(line.term, Term::Yearly);
        assert_eq!(line.valid_to, None);
        let bad = PriceForm {
            billing: "triennial".into(),
            currency: "EUR".into(),
            cost: "abc".into(),
            valid_to: "2026-11-30".into(),
            ..form
        };
        let e = bad.parse("SKU-1").unwrap_err();
        assert_eq!(e.get("billing"), Some("import.billing_term"));
        assert_eq!(e.get("currency"), Some("import.bad_currency"));
        assert!(e.get("cost").is_some());
        assert_eq!(e.get("valid_to"), Some("import.dates_order"));
    }

    #[test]
    fn codes_and_countries_of_vendors_and_programs() {
        assert!(valid_code("microsoft-csp"));
        assert!(!valid_code("-x"));
        assert!(!valid_code("Upper"));
        assert_eq!(
            parse_countries("mx, br co"),
            Ok(vec!["MX".into(), "BR".into(), "CO".into()])
        );
        assert_eq!(parse_countries("MX, ZZ"), Err("catalog.invalid_countries"));
    }
}
