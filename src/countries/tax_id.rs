//! Tax identifiers per country: normalisation and validation, with the official check digit
//! where the country has one that this module knows (more are added with the customers feature).

/// Normalises and validates `input` as a tax id of `country`; the error is a translation key.
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
        "BR" => {
            compact.len() == 14 && compact.chars().all(|c| c.is_ascii_digit()) && cnpj_ok(&compact)
        }
        "AR" => {
            compact.len() == 11 && compact.chars().all(|c| c.is_ascii_digit()) && cuit_ok(&compact)
        }
        "CL" => rut_ok(&compact),
        "MX" => rfc_shape_ok(&compact),
        "US" => compact.len() == 9 && compact.chars().all(|c| c.is_ascii_digit()),
        "PE" => compact.len() == 11 && compact.chars().all(|c| c.is_ascii_digit()),
        "CO" => (8..=10).contains(&compact.len()) && compact.chars().all(|c| c.is_ascii_digit()),
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

fn digits(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

/// Brazil's CNPJ: two mod-11 check digits.
fn cnpj_ok(s: &str) -> bool {
    let d = digits(s);
    if d.iter().all(|x| *x == d[0]) {
        return false;
    }
    let check = |len: usize| {
        let weights: Vec<u32> = if len == 12 {
            vec![5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
        } else {
            vec![6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
        };
        let sum: u32 = d[..len].iter().zip(weights).map(|(a, w)| a * w).sum();
        let r = sum % 11;
        if r < 2 { 0 } else { 11 - r }
    };
    check(12) == d[12] && check(13) == d[13]
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
    if s.len() < 2 || s.len() > 9 {
        return false;
    }
    let (body, dv) = s.split_at(s.len() - 1);
    if !body.chars().all(|c| c.is_ascii_digit()) {
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

/// Mexico's RFC: 3 letters (companies) or 4 (people), a date YYMMDD, and a 3-character key.
fn rfc_shape_ok(s: &str) -> bool {
    let letters = match s.len() {
        12 => 3,
        13 => 4,
        _ => return false,
    };
    let (prefix, rest) = s.split_at(letters);
    let (date, key) = rest.split_at(6);
    let month: u32 = date[2..4].parse().unwrap_or(0);
    let day: u32 = date[4..6].parse().unwrap_or(0);
    prefix
        .chars()
        .all(|c| c.is_ascii_alphabetic() || c == '&' || c == 'Ñ')
        && date.chars().all(|c| c.is_ascii_digit())
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && key.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn brazilian_cnpj_check_digits() {
        assert_eq!(
            parse("BR", "11.222.333/0001-81"),
            Ok("11222333000181".into())
        );
        assert_eq!(parse("BR", "11.222.333/0001-82"), Err("tax_id.invalid"));
        assert_eq!(parse("BR", "00.000.000/0000-00"), Err("tax_id.invalid"));
    }

    #[test]
    fn argentine_cuit_and_chilean_rut() {
        assert_eq!(parse("AR", "30-50001091-2"), Ok("30500010912".into()));
        assert_eq!(parse("AR", "30-50001091-3"), Err("tax_id.invalid"));
        assert_eq!(parse("CL", "76.086.428-5"), Ok("760864285".into()));
        assert_eq!(parse("CL", "76.086.428-4"), Err("tax_id.invalid"));
        assert_eq!(parse("CL", "12.345.678-5"), Ok("123456785".into()));
    }

    #[test]
    fn mexican_rfc_and_others_by_shape() {
        assert_eq!(parse("MX", "NAS180512AB1"), Ok("NAS180512AB1".into()));
        assert_eq!(parse("MX", "nas-181312-ab1"), Err("tax_id.invalid"));
        assert_eq!(parse("US", "12-3456789"), Ok("123456789".into()));
        assert_eq!(parse("US", "12-345678"), Err("tax_id.invalid"));
        assert_eq!(parse("UY", ""), Err("form.required"));
        assert_eq!(parse("UY", "<script>"), Err("tax_id.invalid"));
    }
}
