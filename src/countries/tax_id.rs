//! Tax identifiers per country: normalisation and validation, with the official check digit
//! where the country has one: Brazil's CNPJ (numeric and the 2026 alphanumeric one), Argentina's
//! CUIT, Chile's RUT, Mexico's RFC, Colombia's NIT and Peru's RUC. The United States EIN is
//! checked against the IRS campus prefixes; the other countries by shape.

/// Normalises and validates `input` as a tax id of `country`; the error is a translation key.
///
/// Spaces, dots, dashes and slashes are removed and letters upper-cased, so the result is the
/// compact form (`11.222.333/0001-81` → `11222333000181`).
pub fn parse(country: &str, input: &str) -> Result<String, &'static str> {
    let raw = input.trim();
    if raw.is_empty() {
        return Err("form.required");
    }
    if raw.chars().count() > 40 {
        return Err("form.too_long");
    }
    let compact: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '/'))
        .collect::<String>()
        .to_uppercase();
    let ok = match country {
        "BR" => cnpj_ok(&compact),
        "AR" => compact.len() == 11 && all_digits(&compact) && cuit_ok(&compact),
        "CL" => rut_ok(&compact),
        "MX" => rfc_ok(&compact),
        "CO" => nit_ok(&compact),
        "PE" => ruc_pe_ok(&compact),
        "US" => ein_ok(&compact),
        "UY" => compact.len() == 12 && all_digits(&compact),
        "EC" => compact.len() == 13 && all_digits(&compact) && compact.ends_with("001"),
        _ => {
            (4..=20).contains(&compact.len()) && compact.chars().all(|c| c.is_ascii_alphanumeric())
        }
    };
    if ok {
        Ok(compact)
    } else {
        Err("tax_id.invalid")
    }
}

/// Normalises a customer's state registration (Brazil's Inscrição Estadual): optional, the
/// digits the state gave (8 to 14, by state; dots, dashes, slashes and spaces are removed) or
/// ISENTO for an exempt company. Only Brazil has one: for another country it is dropped.
pub fn state_registration(country: &str, input: &str) -> Result<Option<String>, &'static str> {
    let compact: String = input
        .chars()
        .filter(|c| !matches!(c, '.' | '-' | '/' | ' '))
        .collect::<String>()
        .to_uppercase();
    if !country.eq_ignore_ascii_case("BR") || compact.is_empty() {
        return Ok(None);
    }
    let digits = compact.chars().all(|c| c.is_ascii_digit());
    if compact == "ISENTO" || (digits && (8..=14).contains(&compact.len())) {
        Ok(Some(compact))
    } else {
        Err("customers.state_registration_invalid")
    }
}

/// What the country calls its companies' tax id (`CNPJ`, `RFC`…), where it has one name.
pub fn name(country: &str) -> Option<&'static str> {
    Some(match country {
        "BR" => "CNPJ",
        "MX" => "RFC",
        "AR" => "CUIT",
        "CL" | "UY" => "RUT",
        "CO" => "NIT",
        "PE" | "EC" => "RUC",
        "US" => "EIN",
        _ => return None,
    })
}

/// A compact tax id (as [`parse`] keeps it) written as the country writes it: Brazil's CNPJ
/// `11.222.333/0001-81`, Argentina's CUIT `20-12345678-6`, Chile's RUT `12.345.678-5`, the
/// US EIN `12-3456789`; other ids as they are.
pub fn formatted(country: &str, compact: &str) -> String {
    let c: Vec<char> = compact.chars().collect();
    let part = |a: usize, b: usize| c[a..b].iter().collect::<String>();
    match (country, c.len()) {
        ("BR", 14) => format!(
            "{}.{}.{}/{}-{}",
            part(0, 2),
            part(2, 5),
            part(5, 8),
            part(8, 12),
            part(12, 14)
        ),
        ("AR", 11) => format!("{}-{}-{}", part(0, 2), part(2, 10), part(10, 11)),
        ("US", 9) => format!("{}-{}", part(0, 2), part(2, 9)),
        ("CL", n) if (8..=9).contains(&n) => {
            let body = part(0, n - 1);
            let mut grouped = String::new();
            for (i, ch) in body.chars().enumerate() {
                if i > 0 && (body.len() - i) % 3 == 0 {
                    grouped.push('.');
                }
                grouped.push(ch);
            }
            format!("{grouped}-{}", part(n - 1, n))
        }
        _ => compact.to_string(),
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

fn digits(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

/// Brazil's CNPJ: 12 characters (digits, or since 2026 also capital letters) and two mod-11
/// check digits. A character counts as its ASCII code minus 48 ('0' → 0, 'A' → 17).
fn cnpj_ok(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() != 14
        || !chars[..12]
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        || !chars[12..].iter().all(|c| c.is_ascii_digit())
        || chars.iter().all(|c| *c == chars[0])
    {
        return false;
    }
    let values: Vec<u32> = chars.iter().map(|c| u32::from(*c) - 48).collect();
    let check = |len: usize| {
        let weights: &[u32] = if len == 12 {
            &[5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
        } else {
            &[6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
        };
        let sum: u32 = values[..len].iter().zip(weights).map(|(a, w)| a * w).sum();
        let r = sum % 11;
        if r < 2 { 0 } else { 11 - r }
    };
    check(12) == values[12] && check(13) == values[13]
}

/// Argentina's CUIT: mod-11 check digit with weights 5432765432.
fn cuit_ok(s: &str) -> bool {
    let d = digits(s);
    let weights = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = d[..10].iter().zip(weights).map(|(a, w)| a * w).sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => 9,
        v => v,
    };
    check == d[10]
}

/// Chile's RUT: body digits and a mod-11 verifier (0-9 or K).
fn rut_ok(s: &str) -> bool {
    if !(2..=9).contains(&s.len()) || !s.is_ascii() {
        return false;
    }
    let (body, dv) = s.split_at(s.len() - 1);
    if !all_digits(body) {
        return false;
    }
    let mut sum = 0;
    let mut factor = 2;
    for d in digits(body).iter().rev() {
        sum += d * factor;
        factor = if factor == 7 { 2 } else { factor + 1 };
    }
    let expected = match 11 - sum % 11 {
        11 => '0',
        10 => 'K',
        v => char::from_digit(v, 10).unwrap_or('?'),
    };
    dv.starts_with(expected)
}

/// Mexico's RFC: 3 letters (companies) or 4 (people), a date YYMMDD, two characters of homoclave
/// and the SAT check digit. The generic RFCs of the public and of foreigners are accepted.
fn rfc_ok(s: &str) -> bool {
    if s == "XAXX010101000" || s == "XEXX010101000" {
        return true;
    }
    let chars: Vec<char> = s.chars().collect();
    let letters = match chars.len() {
        12 => 3,
        13 => 4,
        _ => return false,
    };
    let (prefix, rest) = chars.split_at(letters);
    let (date, key) = rest.split_at(6);
    if !prefix
        .iter()
        .all(|c| c.is_ascii_uppercase() || *c == '&' || *c == 'Ñ')
        || !date.iter().all(char::is_ascii_digit)
        || !key.iter().all(char::is_ascii_alphanumeric)
    {
        return false;
    }
    let number =
        |i: usize| date[i].to_digit(10).unwrap_or(0) * 10 + date[i + 1].to_digit(10).unwrap_or(0);
    let (year, month, day) = (number(0), number(2), number(4));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        // Two-digit years: allow the 29th in any year that may be a leap year (00 is 2000).
        2 if year % 4 == 0 => 29,
        2 => 28,
        _ => return false,
    };
    if !(1..=days).contains(&day) {
        return false;
    }
    // Companies' RFCs are padded with a leading space to 13 characters.
    let padded: Vec<char> = if letters == 3 {
        std::iter::once(' ').chain(chars.iter().copied()).collect()
    } else {
        chars.clone()
    };
    let mut sum = 0;
    for (i, c) in padded[..12].iter().enumerate() {
        let Some(value) = rfc_value(*c) else {
            return false;
        };
        sum += value * (13 - i as u32);
    }
    let expected = match 11 - sum % 11 {
        11 => '0',
        10 => 'A',
        v => char::from_digit(v, 10).unwrap_or('?'),
    };
    padded[12] == expected
}

/// The value of a character in the SAT check digit: 0-9, A-N 10-23, & 24, O-Z 25-36, space 37,
/// Ñ 38.
fn rfc_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        'A'..='N' => Some(u32::from(c) - u32::from('A') + 10),
        '&' => Some(24),
        'O'..='Z' => Some(u32::from(c) - u32::from('O') + 25),
        ' ' => Some(37),
        'Ñ' => Some(38),
        _ => None,
    }
}

/// Colombia's NIT: a body of 6 to 15 digits and the DIAN verification digit (mod 11 with prime
/// weights from the rightmost digit of the body).
fn nit_ok(s: &str) -> bool {
    if !(7..=16).contains(&s.len()) || !all_digits(s) {
        return false;
    }
    let d = digits(s);
    let (body, dv) = d.split_at(d.len() - 1);
    let weights = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71];
    let sum: u32 = body.iter().rev().zip(weights).map(|(a, w)| a * w).sum();
    let r = sum % 11;
    let expected = if r > 1 { 11 - r } else { r };
    dv[0] == expected
}

/// Peru's RUC: 11 digits starting 10, 15, 16, 17 (people) or 20 (companies), mod-11 check digit.
fn ruc_pe_ok(s: &str) -> bool {
    if s.len() != 11 || !all_digits(s) || !["10", "15", "16", "17", "20"].contains(&&s[..2]) {
        return false;
    }
    let d = digits(s);
    let weights = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = d[..10].iter().zip(weights).map(|(a, w)| a * w).sum();
    (11 - sum % 11) % 10 == d[10]
}

/// The United States EIN: 9 digits whose first two are a prefix the IRS assigns.
fn ein_ok(s: &str) -> bool {
    const UNASSIGNED: [&str; 17] = [
        "00", "07", "08", "09", "17", "18", "19", "28", "29", "49", "69", "70", "78", "79", "89",
        "96", "97",
    ];
    s.len() == 9 && all_digits(s) && !UNASSIGNED.contains(&&s[..2])
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_written_as_each_country_writes_them() {
        assert_eq!(
            super::formatted("BR", "11222333000181"),
            "11.222.333/0001-81"
        );
        assert_eq!(super::formatted("AR", "20123456786"), "20-12345678-6");
        assert_eq!(super::formatted("CL", "123456785"), "12.345.678-5");
        assert_eq!(super::formatted("CL", "76086428K"), "76.086.428-K");
        assert_eq!(super::formatted("US", "123456789"), "12-3456789");
        assert_eq!(super::formatted("MX", "CME180512AB1"), "CME180512AB1");
        assert_eq!(super::formatted("BR", "123"), "123", "not a CNPJ: as it is");
        assert_eq!(super::name("BR"), Some("CNPJ"));
        assert_eq!(super::name("FR"), None);
    }

    use super::parse;

    fn valid(country: &str, input: &str) -> bool {
        parse(country, input).is_ok()
    }

    #[test]
    fn brazilian_cnpj_check_digits() {
        assert_eq!(
            parse("BR", "11.222.333/0001-81"),
            Ok("11222333000181".into())
        );
        assert_eq!(parse("BR", "11.222.333/0001-82"), Err("tax_id.invalid"));
        assert_eq!(parse("BR", "00.000.000/0000-00"), Err("tax_id.invalid"));
        // Petrobras, Banco do Brasil.
        assert!(valid("BR", "33.000.167/0001-01"));
        assert!(valid("BR", "00.000.000/0001-91"));
        assert!(!valid("BR", "33.000.167/0001-10"));
        assert!(!valid("BR", "33.000.167/001-01"));
        assert!(!valid("BR", "11111111111111"));
    }

    #[test]
    fn brazilian_alphanumeric_cnpj() {
        // The Receita Federal's example of the 2026 format.
        assert_eq!(
            parse("BR", "12.ABC.345/01DE-35"),
            Ok("12ABC34501DE35".into())
        );
        assert_eq!(
            parse("BR", "12.abc.345/01de-35"),
            Ok("12ABC34501DE35".into())
        );
        // Check digits computed for this test.
        assert!(valid("BR", "A1.B2C.3D4/E5F6-68"));
        assert!(!valid("BR", "12.ABC.345/01DE-36"));
        assert!(!valid("BR", "12.ABC.345/01DE-3A"));
        assert!(!valid("BR", "12.AB#.345/01DE-35"));
    }

    #[test]
    fn argentine_cuit_and_chilean_rut() {
        assert_eq!(parse("AR", "30-50001091-2"), Ok("30500010912".into()));
        assert_eq!(parse("AR", "30-50001091-3"), Err("tax_id.invalid"));
        assert_eq!(parse("CL", "76.086.428-5"), Ok("760864285".into()));
        assert_eq!(parse("CL", "76.086.428-4"), Err("tax_id.invalid"));
        assert_eq!(parse("CL", "12.345.678-5"), Ok("123456785".into()));
        assert_eq!(parse("CL", "1234567ñ"), Err("tax_id.invalid"));
    }

    #[test]
    fn mexican_rfc_check_digit() {
        // SAT's test RFCs: companies (12) and people (13).
        assert_eq!(parse("MX", "EKU9003173C9"), Ok("EKU9003173C9".into()));
        assert!(valid("MX", "URE180429TM6"));
        assert!(valid("MX", "H&E951128469"));
        assert_eq!(parse("MX", "gode-561231-gr8"), Ok("GODE561231GR8".into()));
        assert!(valid("MX", "XOJI740919U48"));
        assert!(valid("MX", "NAS180512AB6"));
        // The generic RFCs of the public in general and of foreigners.
        assert!(valid("MX", "XAXX010101000"));
        assert!(valid("MX", "XEXX010101000"));
        // Wrong check digit, wrong length, impossible dates.
        assert_eq!(parse("MX", "NAS180512AB1"), Err("tax_id.invalid"));
        assert!(!valid("MX", "GODE561231GR9"));
        assert!(!valid("MX", "EKU9003173C"));
        assert!(!valid("MX", "nas-181312-ab1"));
        assert!(!valid("MX", "EKU900231XX2"));
        assert!(!valid("MX", "EKU900431XX1"));
    }

    #[test]
    fn mexican_rfc_dates() {
        // 29 February exists in years divisible by four (00 included), not in others. The check
        // digits are right, so only the dates make these invalid.
        assert!(valid("MX", "AAA000229AA5"));
        assert!(!valid("MX", "AAA010229AA8"));
        assert!(!valid("MX", "AAA000230AA3"));
        // Ñ counts as one character and has its own value.
        assert_eq!(parse("MX", "ñañ900101xx6"), Ok("ÑAÑ900101XX6".into()));
        assert!(valid("MX", "MUÑO800101AB3"));
        assert!(!valid("MX", "MUÑO800101AB4"));
    }

    #[test]
    fn colombian_nit() {
        // DIAN, Ecopetrol, Bancolombia, Bogotá D.C.
        assert_eq!(parse("CO", "800.197.268-4"), Ok("8001972684".into()));
        assert!(valid("CO", "899999068-1"));
        assert!(valid("CO", "8909039388"));
        assert!(valid("CO", "899.999.061-9"));
        assert!(valid("CO", "900.123.456-8"));
        assert!(!valid("CO", "800.197.268-5"));
        assert!(!valid("CO", "12345-6"));
        assert!(!valid("CO", "80019726A4"));
    }

    #[test]
    fn peruvian_ruc() {
        // Supermercados Peruanos, SUNAT, Banco de Crédito del Perú, BBVA Perú.
        assert_eq!(parse("PE", "20100070970"), Ok("20100070970".into()));
        assert!(valid("PE", "20131312955"));
        assert!(valid("PE", "20-100047218"));
        assert!(valid("PE", "20100130204"));
        assert!(!valid("PE", "20100070971"));
        assert!(!valid("PE", "2010007097"));
        assert!(!valid("PE", "30100070970"));
    }

    #[test]
    fn united_states_ein() {
        // Apple, Microsoft.
        assert_eq!(parse("US", "94-2404110"), Ok("942404110".into()));
        assert!(valid("US", "91-1144442"));
        assert_eq!(parse("US", "12-3456789"), Ok("123456789".into()));
        assert_eq!(parse("US", "12-345678"), Err("tax_id.invalid"));
        assert!(!valid("US", "07-3456789"));
        assert!(!valid("US", "00-0000000"));
    }

    #[test]
    fn other_countries_by_shape() {
        assert_eq!(parse("UY", ""), Err("form.required"));
        assert_eq!(parse("UY", "<script>"), Err("tax_id.invalid"));
        assert!(valid("UY", "21 100342 0017"));
        assert!(!valid("UY", "2110034200"));
        assert!(valid("EC", "1760013210001"));
        assert!(!valid("EC", "1760013210002"));
        assert!(valid("CR", "3-101-123456"));
        assert!(valid("GT", "1234567-8"));
        assert!(!valid("PA", "123"));
        assert_eq!(parse("DO", &"1".repeat(41)), Err("form.too_long"));
    }
}
