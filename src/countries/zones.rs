//! The time zones a reseller may choose, by country: each served country's IANA zones (as the
//! time zone database lists them for it) named by the city people know, and shown with the
//! offset each has today, so that a picker reads "Ciudad de México (UTC−06:00)" under "México"
//! rather than 144 raw names.

use time::{OffsetDateTime, UtcOffset};

use crate::i18n::Locale;

/// A time zone of a country: its IANA name and the city it is named by there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone {
    pub name: &'static str,
    pub city: &'static str,
}

const fn z(name: &'static str, city: &'static str) -> Zone {
    Zone { name, city }
}

/// The zones of each served country, its most populous first.
const BY_COUNTRY: &[(&str, &[Zone])] = &[
    (
        "AR",
        &[
            z("America/Argentina/Buenos_Aires", "Buenos Aires"),
            z("America/Argentina/Cordoba", "Córdoba"),
            z("America/Argentina/Mendoza", "Mendoza"),
            z("America/Argentina/Salta", "Salta"),
            z("America/Argentina/Tucuman", "Tucumán"),
            z("America/Argentina/Jujuy", "Jujuy"),
            z("America/Argentina/Catamarca", "Catamarca"),
            z("America/Argentina/La_Rioja", "La Rioja"),
            z("America/Argentina/San_Juan", "San Juan"),
            z("America/Argentina/San_Luis", "San Luis"),
            z("America/Argentina/Rio_Gallegos", "Río Gallegos"),
            z("America/Argentina/Ushuaia", "Ushuaia"),
        ],
    ),
    (
        "BR",
        &[
            z("America/Sao_Paulo", "São Paulo"),
            z("America/Bahia", "Salvador"),
            z("America/Fortaleza", "Fortaleza"),
            z("America/Recife", "Recife"),
            z("America/Belem", "Belém"),
            z("America/Maceio", "Maceió"),
            z("America/Araguaina", "Araguaína"),
            z("America/Santarem", "Santarém"),
            z("America/Manaus", "Manaus"),
            z("America/Cuiaba", "Cuiabá"),
            z("America/Campo_Grande", "Campo Grande"),
            z("America/Porto_Velho", "Porto Velho"),
            z("America/Boa_Vista", "Boa Vista"),
            z("America/Rio_Branco", "Rio Branco"),
            z("America/Eirunepe", "Eirunepé"),
            z("America/Noronha", "Fernando de Noronha"),
        ],
    ),
    (
        "CL",
        &[
            z("America/Santiago", "Santiago"),
            z("America/Punta_Arenas", "Punta Arenas"),
            z("Pacific/Easter", "Rapa Nui"),
        ],
    ),
    ("CO", &[z("America/Bogota", "Bogotá")]),
    ("CR", &[z("America/Costa_Rica", "San José")]),
    ("DO", &[z("America/Santo_Domingo", "Santo Domingo")]),
    (
        "EC",
        &[
            z("America/Guayaquil", "Quito, Guayaquil"),
            z("Pacific/Galapagos", "Galápagos"),
        ],
    ),
    ("GT", &[z("America/Guatemala", "Guatemala")]),
    (
        "MX",
        &[
            z("America/Mexico_City", "Ciudad de México"),
            z("America/Monterrey", "Monterrey"),
            z("America/Merida", "Mérida"),
            z("America/Cancun", "Cancún"),
            z("America/Chihuahua", "Chihuahua"),
            z("America/Ciudad_Juarez", "Ciudad Juárez"),
            z("America/Ojinaga", "Ojinaga"),
            z("America/Matamoros", "Matamoros"),
            z("America/Mazatlan", "Mazatlán"),
            z("America/Bahia_Banderas", "Bahía de Banderas"),
            z("America/Hermosillo", "Hermosillo"),
            z("America/Tijuana", "Tijuana"),
        ],
    ),
    ("PA", &[z("America/Panama", "Panamá")]),
    ("PE", &[z("America/Lima", "Lima")]),
    ("PR", &[z("America/Puerto_Rico", "San Juan")]),
    (
        "US",
        &[
            z("America/New_York", "New York"),
            z("America/Chicago", "Chicago"),
            z("America/Denver", "Denver"),
            z("America/Phoenix", "Phoenix"),
            z("America/Los_Angeles", "Los Angeles"),
            z("America/Anchorage", "Anchorage"),
            z("Pacific/Honolulu", "Honolulu"),
        ],
    ),
    ("UY", &[z("America/Montevideo", "Montevideo")]),
];

/// Coordinated Universal Time, offered beside the countries' zones.
pub const UTC: &str = "UTC";

/// The zones of the country `code` (none for a country not served).
pub fn of_country(code: &str) -> &'static [Zone] {
    BY_COUNTRY
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map_or(&[], |(_, zones)| zones)
}

/// Whether `name` is a zone the picker offers.
pub fn is_offered(name: &str) -> bool {
    name == UTC
        || BY_COUNTRY
            .iter()
            .any(|(_, zones)| zones.iter().any(|z| z.name == name))
}

/// An offset as people read it: "UTC−03:00" (with a minus sign), "UTC+05:30", "UTC".
pub fn offset_text(offset: UtcOffset) -> String {
    let (h, m, _) = offset.as_hms();
    if h == 0 && m == 0 {
        return UTC.to_string();
    }
    let sign = if offset.is_negative() { '−' } else { '+' };
    format!("UTC{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
}

/// A zone by its city with its offset at `now` ("São Paulo (UTC−03:00)"); its IANA name when it
/// is not one the picker offers.
pub fn label(name: &str, now: OffsetDateTime) -> String {
    let city = BY_COUNTRY
        .iter()
        .flat_map(|(_, zones)| zones.iter())
        .find(|z| z.name == name)
        .map(|z| z.city);
    match (city, crate::i18n::zone_at(name, now)) {
        (Some(city), Some((offset, _))) => format!("{city} ({})", offset_text(offset)),
        _ => name.to_string(),
    }
}

/// One option of the picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneChoice {
    pub name: String,
    pub label: String,
    pub selected: bool,
}

/// A country's options, under its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneGroup {
    pub country: String,
    pub zones: Vec<ZoneChoice>,
}

/// The picker's groups: the country `first` (the reseller's) at the top, then the other served
/// countries by name in `locale`, then UTC; each zone with its offset at `now`. A zone the time
/// zone database does not know is left out.
pub fn grouped(locale: Locale, first: &str, chosen: &str, now: OffsetDateTime) -> Vec<ZoneGroup> {
    let mut countries = super::sorted(locale);
    countries.sort_by_key(|c| !c.code.eq_ignore_ascii_case(first));
    let choice = |name: &str, city: &str| {
        let (offset, _) = crate::i18n::zone_at(name, now)?;
        Some(ZoneChoice {
            name: name.to_string(),
            label: format!("{city} ({})", offset_text(offset)),
            selected: name == chosen,
        })
    };
    let mut groups: Vec<ZoneGroup> = countries
        .iter()
        .map(|c| ZoneGroup {
            country: c.name(locale).to_string(),
            zones: of_country(c.code)
                .iter()
                .filter_map(|z| choice(z.name, z.city))
                .collect(),
        })
        .filter(|g| !g.zones.is_empty())
        .collect();
    groups.push(ZoneGroup {
        country: UTC.to_string(),
        zones: vec![ZoneChoice {
            name: UTC.to_string(),
            label: UTC.to_string(),
            selected: chosen == UTC,
        }],
    });
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset};

    #[test]
    fn every_served_country_has_its_default_zone_among_its_zones_and_the_database_knows_them() {
        for c in super::super::COUNTRIES {
            let zones = of_country(c.code);
            assert!(
                zones.iter().any(|z| z.name == c.time_zone),
                "{}: {}",
                c.code,
                c.time_zone
            );
            for z in zones {
                assert!(
                    crate::i18n::zone_at(z.name, OffsetDateTime::now_utc()).is_some(),
                    "{}",
                    z.name
                );
            }
        }
        assert!(is_offered("America/Argentina/Buenos_Aires"));
        assert!(is_offered("UTC"));
        assert!(!is_offered("Europe/Madrid"));
        assert!(!is_offered("America/Nowhere"));
    }

    #[test]
    fn offsets_read_with_a_minus_sign_and_minutes() {
        assert_eq!(offset_text(offset!(-3)), "UTC−03:00");
        assert_eq!(offset_text(offset!(+5:30)), "UTC+05:30");
        assert_eq!(offset_text(offset!(-9:30)), "UTC−09:30");
        assert_eq!(offset_text(offset!(UTC)), "UTC");
    }

    #[test]
    fn the_resellers_country_comes_first_with_todays_offsets_and_utc_last() {
        // In November Chile keeps summer time (UTC−03:00) while Mexico no longer changes.
        let now = datetime!(2026-11-24 12:00 UTC);
        let groups = grouped(Locale::Es, "MX", "America/Monterrey", now);
        assert_eq!(groups[0].country, "México");
        assert_eq!(groups[0].zones[0].label, "Ciudad de México (UTC−06:00)");
        let chosen: Vec<&str> = groups
            .iter()
            .flat_map(|g| &g.zones)
            .filter(|z| z.selected)
            .map(|z| z.name.as_str())
            .collect();
        assert_eq!(chosen, ["America/Monterrey"]);
        let chile = groups.iter().find(|g| g.country == "Chile").unwrap();
        assert_eq!(chile.zones[0].label, "Santiago (UTC−03:00)");
        assert_eq!(label("America/Santiago", now), "Santiago (UTC−03:00)");
        assert_eq!(label("Europe/Madrid", now), "Europe/Madrid");
        let last = groups.last().unwrap();
        assert_eq!(
            (last.country.as_str(), last.zones[0].label.as_str()),
            ("UTC", "UTC")
        );
        // The others follow by their name in the reader's language.
        let names: Vec<&str> = groups[1..groups.len() - 1]
            .iter()
            .map(|g| g.country.as_str())
            .collect();
        let mut sorted = names.clone();
        sorted.sort_by_key(|n| crate::text::fold(n));
        assert_eq!(names, sorted);
    }
}
