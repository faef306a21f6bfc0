//! Country rules, in one place for every feature: the countries the distributor serves, their
//! names, billing currency and time zone, and tax identifiers. Postal codes, regions, check
//! digits of every tax id and public holidays are added here as features need them.

pub mod address;
pub mod holidays;
mod regions;
pub mod tax_id;
pub mod zones;

use crate::i18n::Locale;

/// A country the distributor serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country {
    pub code: &'static str,
    pub name_es: &'static str,
    pub name_en: &'static str,
    pub name_pt: &'static str,
    /// The currency a reseller in this country is billed in (staff may change it).
    pub billing_currency: &'static str,
    /// The default time zone for resellers and customers there.
    pub time_zone: &'static str,
    /// The default language of people there.
    pub locale: Locale,
}

impl Country {
    pub fn name(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Es => self.name_es,
            Locale::En => self.name_en,
            Locale::PtBr => self.name_pt,
        }
    }
}

macro_rules! country {
    ($code:literal, $es:literal, $en:literal, $pt:literal, $cur:literal, $tz:literal, $loc:expr) => {
        Country {
            code: $code,
            name_es: $es,
            name_en: $en,
            name_pt: $pt,
            billing_currency: $cur,
            time_zone: $tz,
            locale: $loc,
        }
    };
}

pub const COUNTRIES: &[Country] = &[
    country!(
        "AR",
        "Argentina",
        "Argentina",
        "Argentina",
        "USD",
        "America/Argentina/Buenos_Aires",
        Locale::Es
    ),
    country!(
        "BR",
        "Brasil",
        "Brazil",
        "Brasil",
        "BRL",
        "America/Sao_Paulo",
        Locale::PtBr
    ),
    country!(
        "CL",
        "Chile",
        "Chile",
        "Chile",
        "USD",
        "America/Santiago",
        Locale::Es
    ),
    country!(
        "CO",
        "Colombia",
        "Colombia",
        "Colômbia",
        "USD",
        "America/Bogota",
        Locale::Es
    ),
    country!(
        "CR",
        "Costa Rica",
        "Costa Rica",
        "Costa Rica",
        "USD",
        "America/Costa_Rica",
        Locale::Es
    ),
    country!(
        "DO",
        "República Dominicana",
        "Dominican Republic",
        "República Dominicana",
        "USD",
        "America/Santo_Domingo",
        Locale::Es
    ),
    country!(
        "EC",
        "Ecuador",
        "Ecuador",
        "Equador",
        "USD",
        "America/Guayaquil",
        Locale::Es
    ),
    country!(
        "GT",
        "Guatemala",
        "Guatemala",
        "Guatemala",
        "USD",
        "America/Guatemala",
        Locale::Es
    ),
    country!(
        "MX",
        "México",
        "Mexico",
        "México",
        "USD",
        "America/Mexico_City",
        Locale::Es
    ),
    country!(
        "PA",
        "Panamá",
        "Panama",
        "Panamá",
        "USD",
        "America/Panama",
        Locale::Es
    ),
    country!(
        "PE",
        "Perú",
        "Peru",
        "Peru",
        "USD",
        "America/Lima",
        Locale::Es
    ),
    country!(
        "PR",
        "Puerto Rico",
        "Puerto Rico",
        "Porto Rico",
        "USD",
        "America/Puerto_Rico",
        Locale::Es
    ),
    country!(
        "US",
        "Estados Unidos",
        "United States",
        "Estados Unidos",
        "USD",
        "America/New_York",
        Locale::En
    ),
    country!(
        "UY",
        "Uruguay",
        "Uruguay",
        "Uruguai",
        "USD",
        "America/Montevideo",
        Locale::Es
    ),
];

/// The country with this ISO 3166-1 alpha-2 code, if the distributor serves it.
pub fn by_code(code: &str) -> Option<&'static Country> {
    COUNTRIES
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(code.trim()))
}

/// Countries sorted by their name in `locale`, for selects.
pub fn sorted(locale: Locale) -> Vec<&'static Country> {
    let mut list: Vec<&Country> = COUNTRIES.iter().collect();
    list.sort_by_key(|c| crate::text::fold(c.name(locale)));
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_are_found_by_code_and_sorted_by_local_name() {
        assert_eq!(by_code("br").unwrap().billing_currency, "BRL");
        assert_eq!(by_code("MX").unwrap().billing_currency, "USD");
        assert!(by_code("FR").is_none());
        let en: Vec<&str> = sorted(Locale::En).iter().map(|c| c.code).collect();
        assert_eq!(en.first(), Some(&"AR"));
        assert_eq!(en.last(), Some(&"UY"));
        // "México" sorts as "Mexico", before "Panamá".
        let es: Vec<&str> = sorted(Locale::Es).iter().map(|c| c.code).collect();
        let mx = es.iter().position(|c| *c == "MX").unwrap();
        let pa = es.iter().position(|c| *c == "PA").unwrap();
        assert!(mx < pa);
    }
}
