//! Addresses per country: the regions (states, departments, provinces) with their ISO 3166-2
//! codes, the names people also use for them, and the shape of postal codes. One table per
//! country, so that adding a country or a rule means adding data, not code.

use super::regions::*;
use crate::text::fold;

/// A first-level subdivision of a country.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// The ISO 3166-2 code without the country prefix (`SP` for `BR-SP`); Puerto Rico has no
    /// ISO subdivisions, so its municipios use their Census (FIPS) codes.
    pub code: &'static str,
    /// The official name, with accents.
    pub name: &'static str,
}

pub(super) const fn region(code: &'static str, name: &'static str) -> Region {
    Region { code, name }
}

/// How the postal codes of a country look.
enum PostalFormat {
    /// Exactly this many digits.
    Digits(usize),
    /// A ZIP code: 5 digits, optionally followed by 4 more (ZIP+4, written `12345-6789`),
    /// starting with one of these prefixes (any when the list is empty).
    Zip(&'static [&'static str]),
    /// Brazil's CEP: 8 digits, written `01310-100`.
    Cep,
    /// Argentina: the old 4-digit code, or the CPA: the province letter, the 4 digits and 3
    /// letters for the side of the block (`C1425BAA`).
    Cpa,
}

/// Everything this module knows about one country's addresses.
struct Rules {
    country: &'static str,
    /// In alphabetical order of the name, as shown in selects.
    regions: &'static [Region],
    /// Other names and abbreviations people use, with the code of the region they mean.
    aliases: &'static [(&'static str, &'static str)],
    postal: PostalFormat,
    postal_required: bool,
    postal_example: &'static str,
}

const RULES: &[Rules] = &[
    Rules {
        country: "AR",
        regions: AR,
        aliases: &[
            ("CABA", "C"),
            ("Capital Federal", "C"),
            ("Ciudad de Buenos Aires", "C"),
            ("Tierra del Fuego, Antártida e Islas del Atlántico Sur", "V"),
        ],
        postal: PostalFormat::Cpa,
        postal_required: true,
        postal_example: "C1425BAA",
    },
    Rules {
        country: "BR",
        regions: BR,
        aliases: &[("Brasília", "DF")],
        postal: PostalFormat::Cep,
        postal_required: true,
        postal_example: "01310-100",
    },
    Rules {
        country: "CL",
        regions: CL,
        aliases: &[
            ("Metropolitana", "RM"),
            ("Región Metropolitana", "RM"),
            ("Santiago", "RM"),
            ("O'Higgins", "LI"),
            ("Aysén", "AI"),
            ("Aisén", "AI"),
            ("Magallanes", "MA"),
            ("Araucanía", "AR"),
            ("Bío Bío", "BI"),
        ],
        postal: PostalFormat::Digits(7),
        postal_required: true,
        postal_example: "8320000",
    },
    Rules {
        country: "CO",
        regions: CO,
        aliases: &[
            ("Bogotá", "DC"),
            ("Distrito Capital", "DC"),
            ("Bogotá Distrito Capital", "DC"),
            ("Distrito Capital de Bogotá", "DC"),
            ("Santa Fe de Bogotá", "DC"),
            ("San Andrés", "SAP"),
            ("San Andrés y Providencia", "SAP"),
            (
                "Archipiélago de San Andrés, Providencia y Santa Catalina",
                "SAP",
            ),
            ("Valle", "VAC"),
            ("Guajira", "LAG"),
        ],
        postal: PostalFormat::Digits(6),
        postal_required: true,
        postal_example: "110111",
    },
    Rules {
        country: "CR",
        regions: CR,
        aliases: &[],
        postal: PostalFormat::Digits(5),
        postal_required: false,
        postal_example: "10101",
    },
    Rules {
        country: "DO",
        regions: DO,
        aliases: &[
            ("DN", "01"),
            ("Santo Domingo de Guzmán", "01"),
            ("Baoruco", "03"),
            ("El Seybo", "08"),
            ("Montecristi", "15"),
            ("Salcedo", "19"),
        ],
        postal: PostalFormat::Digits(5),
        postal_required: false,
        postal_example: "10101",
    },
    Rules {
        country: "EC",
        regions: EC,
        aliases: &[("Santo Domingo", "SD")],
        postal: PostalFormat::Digits(6),
        postal_required: true,
        postal_example: "170150",
    },
    Rules {
        country: "GT",
        regions: GT,
        // The letter codes ISO used until 2021.
        aliases: &[
            ("AV", "16"),
            ("BV", "15"),
            ("CM", "04"),
            ("CQ", "20"),
            ("PR", "02"),
            ("ES", "05"),
            ("GU", "01"),
            ("HU", "13"),
            ("IZ", "18"),
            ("JA", "21"),
            ("JU", "22"),
            ("PE", "17"),
            ("QZ", "09"),
            ("QC", "14"),
            ("RE", "11"),
            ("SA", "03"),
            ("SM", "12"),
            ("SR", "06"),
            ("SO", "07"),
            ("SU", "10"),
            ("TO", "08"),
            ("ZA", "19"),
            ("El Quiché", "14"),
            ("El Petén", "17"),
            ("Xela", "09"),
        ],
        postal: PostalFormat::Digits(5),
        postal_required: false,
        postal_example: "01001",
    },
    Rules {
        country: "MX",
        regions: MX,
        aliases: &[
            ("CDMX", "CMX"),
            ("DF", "CMX"),
            ("DIF", "CMX"),
            ("Distrito Federal", "CMX"),
            ("México DF", "CMX"),
            ("Mexico City", "CMX"),
            ("México", "MEX"),
            ("Edomex", "MEX"),
            ("Edo Mex", "MEX"),
            ("Edo de México", "MEX"),
            ("Coahuila de Zaragoza", "COA"),
            ("Michoacán de Ocampo", "MIC"),
            ("Veracruz de Ignacio de la Llave", "VER"),
            ("AGS", "AGU"),
            ("BC", "BCN"),
            ("CAMP", "CAM"),
            ("CHIS", "CHP"),
            ("CHIH", "CHH"),
            ("COAH", "COA"),
            ("DGO", "DUR"),
            ("GTO", "GUA"),
            ("HGO", "HID"),
            ("MICH", "MIC"),
            ("NL", "NLE"),
            ("QRO", "QUE"),
            ("Q Roo", "ROO"),
            ("QROO", "ROO"),
            ("TAMPS", "TAM"),
            ("TLAX", "TLA"),
        ],
        postal: PostalFormat::Digits(5),
        postal_required: true,
        postal_example: "12345",
    },
    Rules {
        country: "PA",
        regions: PA,
        aliases: &[
            ("Emberá", "EM"),
            ("Kuna Yala", "KY"),
            ("San Blas", "KY"),
            ("Ngöbe-Buglé", "NB"),
        ],
        postal: PostalFormat::Digits(4),
        postal_required: false,
        postal_example: "0801",
    },
    Rules {
        country: "PE",
        regions: PE,
        aliases: &[
            ("El Callao", "CAL"),
            ("Provincia Constitucional del Callao", "CAL"),
            ("Cuzco", "CUS"),
            ("Ancash", "ANC"),
            ("Lima Provincias", "LIM"),
            ("Municipalidad Metropolitana de Lima", "LMA"),
            ("Provincia de Lima", "LMA"),
        ],
        postal: PostalFormat::Digits(5),
        postal_required: false,
        postal_example: "15001",
    },
    Rules {
        country: "PR",
        regions: PR,
        aliases: &[],
        postal: PostalFormat::Zip(&["006", "007", "009"]),
        postal_required: true,
        postal_example: "00901",
    },
    Rules {
        country: "US",
        regions: US,
        aliases: &[
            ("Washington DC", "DC"),
            ("Washington, D.C.", "DC"),
            ("Virgin Islands", "VI"),
        ],
        postal: PostalFormat::Zip(&[]),
        postal_required: true,
        postal_example: "12345",
    },
    Rules {
        country: "UY",
        regions: UY,
        aliases: &[],
        postal: PostalFormat::Digits(5),
        postal_required: true,
        postal_example: "11000",
    },
];

fn rules(country: &str) -> Option<&'static Rules> {
    RULES
        .iter()
        .find(|r| r.country.eq_ignore_ascii_case(country.trim()))
}

/// The regions (states, departments, provinces) of a country, in the official naming.
pub fn regions(country: &str) -> &'static [Region] {
    rules(country).map_or(&[], |r| r.regions)
}

/// Finds a region by its code or name, ignoring case, accents and extra spaces
/// ("sao paulo", "SP", "São Paulo" → SP; "cdmx", "Ciudad de Mexico", "CMX" → Ciudad de México).
///
/// Also accepted: the code with the country prefix (`BR-SP`), numeric codes without their
/// leading zeros (`1` for Guatemala's `01`), the usual other names and abbreviations, and names
/// preceded by "Estado de", "Departamento de", "Provincia de", "Región de" and the like.
pub fn find_region(country: &str, input: &str) -> Option<&'static Region> {
    let rules = rules(country)?;
    let key = search_key(input);
    if key.is_empty() {
        return None;
    }
    let by_code = |key: &str| {
        rules.regions.iter().find(|r| {
            let code = search_key(r.code);
            code == key || same_number(&code, key)
        })
    };
    let by_name = |key: &str| {
        rules
            .regions
            .iter()
            .find(|r| search_key(r.name) == key)
            .or_else(|| {
                let (_, code) = rules.aliases.iter().find(|(a, _)| search_key(a) == key)?;
                rules.regions.iter().find(|r| r.code == *code)
            })
    };
    let prefix = format!("{} ", fold(rules.country));
    if let Some(found) = by_code(&key)
        .or_else(|| by_code(key.strip_prefix(&prefix)?))
        .or_else(|| by_name(&key))
    {
        return Some(found);
    }
    const KINDS: [&str; 13] = [
        "estado de ",
        "estado do ",
        "estado ",
        "state of ",
        "departamento de ",
        "departamento del ",
        "departamento ",
        "provincia de ",
        "provincia del ",
        "provincia ",
        "region de ",
        "region del ",
        "region ",
    ];
    let rest = KINDS
        .iter()
        .find_map(|kind| key.strip_prefix(kind))
        .or_else(|| key.strip_prefix("comarca "))?;
    by_name(rest)
}

/// The text compared when searching: folded, without dots and apostrophes, other punctuation
/// as spaces, and single spaces between words (`Bogotá, D.C.` → `bogota dc`).
fn search_key(input: &str) -> String {
    let folded: String = fold(input)
        .chars()
        .filter(|c| !matches!(c, '.' | '\'' | '’'))
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether both are numbers and equal (`1` and `01`).
fn same_number(a: &str, b: &str) -> bool {
    let number = |s: &str| {
        if s.is_empty() || s.len() > 4 || !s.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse::<u32>().ok()
    };
    matches!((number(a), number(b)), (Some(x), Some(y)) if x == y)
}

/// Whether addresses in the country need a postal code.
pub fn postal_code_required(country: &str) -> bool {
    rules(country).is_some_and(|r| r.postal_required)
}

/// Normalises and checks a postal code: Err("address.postal_code_required") when required and
/// empty, Err("address.postal_code_invalid") when the shape is wrong. Ok("") when not required
/// and empty.
///
/// Spaces, dashes and dots are ignored and letters upper-cased; the result is written the way
/// the country writes it (`01310100` → `01310-100` in Brazil).
pub fn normalize_postal_code(country: &str, input: &str) -> Result<String, &'static str> {
    let compact: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.'))
        .collect::<String>()
        .to_uppercase();
    let rules = rules(country);
    if compact.is_empty() {
        return if rules.is_some_and(|r| r.postal_required) {
            Err("address.postal_code_required")
        } else {
            Ok(String::new())
        };
    }
    let digits = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_digit());
    let Some(rules) = rules else {
        // A country without rules: anything that looks like a postal code.
        let ok =
            (2..=10).contains(&compact.len()) && compact.chars().all(|c| c.is_ascii_alphanumeric());
        return if ok {
            Ok(compact)
        } else {
            Err("address.postal_code_invalid")
        };
    };
    let normalised = match rules.postal {
        PostalFormat::Digits(n) => digits(&compact, n).then(|| compact.clone()),
        PostalFormat::Zip(prefixes) => {
            let prefix_ok = prefixes.is_empty() || prefixes.iter().any(|p| compact.starts_with(p));
            if !prefix_ok {
                None
            } else if digits(&compact, 5) {
                Some(compact.clone())
            } else if digits(&compact, 9) {
                Some(format!("{}-{}", &compact[..5], &compact[5..]))
            } else {
                None
            }
        }
        PostalFormat::Cep => {
            digits(&compact, 8).then(|| format!("{}-{}", &compact[..5], &compact[5..]))
        }
        PostalFormat::Cpa => {
            let cpa = compact.len() == 8
                && compact.is_ascii()
                && rules
                    .regions
                    .iter()
                    .any(|r| r.code.len() == 1 && compact.starts_with(r.code))
                && digits(&compact[1..5], 4)
                && compact[5..].chars().all(|c| c.is_ascii_uppercase());
            (cpa || digits(&compact, 4)).then(|| compact.clone())
        }
    };
    normalised.ok_or("address.postal_code_invalid")
}

/// A human hint of the expected format, e.g. "01310-100" for BR, "12345" for MX.
pub fn postal_code_example(country: &str) -> &'static str {
    rules(country).map_or("", |r| r.postal_example)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::countries::COUNTRIES;

    fn region_code(country: &str, input: &str) -> Option<&'static str> {
        find_region(country, input).map(|r| r.code)
    }

    #[test]
    fn every_country_has_rules_and_sorted_regions_with_unique_codes() {
        let counts = [
            ("AR", 24),
            ("BR", 27),
            ("CL", 16),
            ("CO", 33),
            ("CR", 7),
            ("DO", 32),
            ("EC", 24),
            ("GT", 22),
            ("MX", 32),
            ("PA", 14),
            ("PE", 26),
            ("PR", 78),
            ("US", 55),
            ("UY", 19),
        ];
        assert_eq!(counts.len(), COUNTRIES.len());
        for (country, count) in counts {
            let list = regions(country);
            assert_eq!(list.len(), count, "{country}");
            assert!(!postal_code_example(country).is_empty(), "{country}");
            let mut codes: Vec<&str> = list.iter().map(|r| r.code).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), list.len(), "{country} has repeated codes");
            let names: Vec<String> = list.iter().map(|r| fold(r.name)).collect();
            assert!(
                names.windows(2).all(|w| w[0] < w[1]),
                "{country} is not in alphabetical order"
            );
            for r in list {
                assert_eq!(
                    find_region(country, r.code),
                    Some(r),
                    "{country} {}",
                    r.code
                );
                assert_eq!(
                    find_region(country, r.name),
                    Some(r),
                    "{country} {}",
                    r.name
                );
            }
            let rules = rules(country).unwrap();
            for (alias, code) in rules.aliases {
                assert_eq!(
                    region_code(country, alias),
                    Some(*code),
                    "{country} {alias}"
                );
            }
        }
        for country in COUNTRIES {
            assert!(!regions(country.code).is_empty(), "{}", country.code);
        }
        assert!(regions("FR").is_empty());
    }

    #[test]
    fn regions_are_found_by_code_name_and_usual_names() {
        assert_eq!(region_code("BR", "sao paulo"), Some("SP"));
        assert_eq!(region_code("BR", " SP "), Some("SP"));
        assert_eq!(region_code("BR", "São  Paulo"), Some("SP"));
        assert_eq!(region_code("BR", "BR-SP"), Some("SP"));
        assert_eq!(region_code("br", "estado de são paulo"), Some("SP"));
        assert_eq!(region_code("MX", "cdmx"), Some("CMX"));
        assert_eq!(region_code("MX", "Ciudad de Mexico"), Some("CMX"));
        assert_eq!(region_code("MX", "CMX"), Some("CMX"));
        assert_eq!(region_code("MX", "D.F."), Some("CMX"));
        assert_eq!(region_code("MX", "michoacan"), Some("MIC"));
        assert_eq!(region_code("MX", "Estado de México"), Some("MEX"));
        assert_eq!(region_code("MX", "Nuevo Leon"), Some("NLE"));
        assert_eq!(region_code("CO", "Bogota"), Some("DC"));
        assert_eq!(region_code("CO", "bogotá, d.c."), Some("DC"));
        assert_eq!(
            region_code("CO", "Departamento del Valle del Cauca"),
            Some("VAC")
        );
        assert_eq!(region_code("AR", "caba"), Some("C"));
        assert_eq!(region_code("AR", "Provincia de Buenos Aires"), Some("B"));
        assert_eq!(region_code("AR", "neuquen"), Some("Q"));
        assert_eq!(region_code("CL", "Región de Ñuble"), Some("NB"));
        assert_eq!(
            region_code("CL", "Region del Libertador General Bernardo O’Higgins"),
            Some("LI")
        );
        assert_eq!(region_code("CL", "metropolitana"), Some("RM"));
        assert_eq!(region_code("PE", "Lima"), Some("LIM"));
        assert_eq!(region_code("PE", "lima metropolitana"), Some("LMA"));
        assert_eq!(region_code("PE", "cuzco"), Some("CUS"));
        assert_eq!(region_code("DO", "1"), Some("01"));
        assert_eq!(region_code("DO", "Distrito Nacional"), Some("01"));
        assert_eq!(region_code("DO", "san pedro de macoris"), Some("23"));
        assert_eq!(region_code("GT", "GT-16"), Some("16"));
        assert_eq!(region_code("GT", "AV"), Some("16"));
        assert_eq!(region_code("GT", "peten"), Some("17"));
        assert_eq!(region_code("PA", "8"), Some("8"));
        assert_eq!(region_code("PA", "Comarca Ngäbe-Buglé"), Some("NB"));
        assert_eq!(region_code("PA", "ngobe bugle"), Some("NB"));
        assert_eq!(region_code("CR", "san jose"), Some("SJ"));
        assert_eq!(region_code("EC", "galapagos"), Some("W"));
        assert_eq!(region_code("UY", "paysandu"), Some("PA"));
        assert_eq!(region_code("PR", "mayaguez"), Some("097"));
        assert_eq!(region_code("PR", "San Juan"), Some("127"));
        assert_eq!(region_code("US", "new york"), Some("NY"));
        assert_eq!(region_code("US", "Washington D.C."), Some("DC"));
        assert_eq!(
            find_region("MX", "CMX").map(|r| r.name),
            Some("Ciudad de México")
        );
    }

    #[test]
    fn unknown_regions_are_not_found() {
        assert_eq!(region_code("BR", "Narnia"), None);
        assert_eq!(region_code("BR", ""), None);
        assert_eq!(region_code("BR", "  . "), None);
        assert_eq!(region_code("MX", "SP"), None);
        assert_eq!(region_code("US", "Puerto Rico"), None);
        assert_eq!(region_code("DO", "0"), None);
        assert_eq!(region_code("PE", "region"), None);
        assert_eq!(region_code("FR", "Paris"), None);
    }

    fn postal(country: &str, input: &str) -> Result<String, &'static str> {
        normalize_postal_code(country, input)
    }

    const INVALID: &str = "address.postal_code_invalid";
    const REQUIRED: &str = "address.postal_code_required";

    #[test]
    fn postal_codes_of_the_americas() {
        assert_eq!(postal("MX", "06600"), Ok("06600".into()));
        assert_eq!(postal("MX", "0660"), Err(INVALID));
        assert_eq!(postal("MX", "066OO"), Err(INVALID));
        assert_eq!(postal("US", "10001"), Ok("10001".into()));
        assert_eq!(postal("US", "10001 1234"), Ok("10001-1234".into()));
        assert_eq!(postal("US", "100011234"), Ok("10001-1234".into()));
        assert_eq!(postal("US", "1000"), Err(INVALID));
        assert_eq!(postal("US", "10001-123"), Err(INVALID));
        assert_eq!(postal("PR", "00901"), Ok("00901".into()));
        assert_eq!(postal("PR", "00680-1234"), Ok("00680-1234".into()));
        assert_eq!(postal("PR", "00795"), Ok("00795".into()));
        assert_eq!(postal("PR", "10001"), Err(INVALID));
        assert_eq!(postal("PR", "00801"), Err(INVALID));
        assert_eq!(postal("BR", "01310100"), Ok("01310-100".into()));
        assert_eq!(postal("BR", " 01310-100 "), Ok("01310-100".into()));
        assert_eq!(postal("BR", "01.310-100"), Ok("01310-100".into()));
        assert_eq!(postal("BR", "0131"), Err(INVALID));
        assert_eq!(postal("BR", "01310-10A"), Err(INVALID));
        assert_eq!(postal("AR", "c1425baa"), Ok("C1425BAA".into()));
        assert_eq!(postal("AR", "C 1425 BAA"), Ok("C1425BAA".into()));
        assert_eq!(postal("AR", "5000"), Ok("5000".into()));
        assert_eq!(postal("AR", "I1425BAA"), Err(INVALID));
        assert_eq!(postal("AR", "C1425BA1"), Err(INVALID));
        assert_eq!(postal("AR", "50000"), Err(INVALID));
        assert_eq!(postal("CL", "832-0000"), Ok("8320000".into()));
        assert_eq!(postal("CL", "832000"), Err(INVALID));
        assert_eq!(postal("CO", "110111"), Ok("110111".into()));
        assert_eq!(postal("CO", "11011"), Err(INVALID));
        assert_eq!(postal("PE", "15001"), Ok("15001".into()));
        assert_eq!(postal("PE", "LIMA 1"), Err(INVALID));
        assert_eq!(postal("CR", "10101"), Ok("10101".into()));
        assert_eq!(postal("CR", "1010"), Err(INVALID));
        assert_eq!(postal("DO", "10 101"), Ok("10101".into()));
        assert_eq!(postal("DO", "101010"), Err(INVALID));
        assert_eq!(postal("EC", "170150"), Ok("170150".into()));
        assert_eq!(postal("EC", "EC170150"), Err(INVALID));
        assert_eq!(postal("GT", "01001"), Ok("01001".into()));
        assert_eq!(postal("GT", "0100"), Err(INVALID));
        assert_eq!(postal("UY", "11000"), Ok("11000".into()));
        assert_eq!(postal("UY", "1100"), Err(INVALID));
        assert_eq!(postal("PA", "0801"), Ok("0801".into()));
        assert_eq!(postal("PA", "08010"), Err(INVALID));
    }

    /// Where postal codes exist but are rarely known or used on addresses, they are optional
    /// (still checked when given).
    const POSTAL_OPTIONAL: [&str; 5] = ["CR", "DO", "GT", "PA", "PE"];

    #[test]
    fn postal_codes_are_required_where_addresses_use_them() {
        for country in COUNTRIES {
            let required = !POSTAL_OPTIONAL.contains(&country.code);
            assert_eq!(
                postal_code_required(country.code),
                required,
                "{}",
                country.code
            );
            let empty = postal(country.code, "  ");
            if required {
                assert_eq!(empty, Err(REQUIRED), "{}", country.code);
            } else {
                assert_eq!(empty, Ok(String::new()));
            }
            // The example of the format is itself valid.
            let example = postal_code_example(country.code);
            assert_eq!(postal(country.code, example), Ok(example.to_string()));
        }
        assert!(!postal_code_required("FR"));
        assert_eq!(postal("FR", ""), Ok(String::new()));
        assert_eq!(postal("FR", "75001"), Ok("75001".into()));
        assert_eq!(postal("FR", "<b>"), Err(INVALID));
        assert_eq!(postal_code_example("BR"), "01310-100");
    }
}
