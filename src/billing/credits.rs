//! One-off credits (staff): an amount credited to a reseller for one of its customers, with
//! the reason, billed as a negative line on its next invoice. What staff type is checked here.

use rust_decimal::Decimal;

/// The largest one-off credit.
pub const MAX_CREDIT: i64 = 1_000_000;

/// A credit's amount as staff typed it (`.` or `,` for decimals): more than zero, to the cent,
/// at most [`MAX_CREDIT`]. The error is a message key.
pub fn amount(input: &str) -> Result<Decimal, &'static str> {
    const INVALID: &str = "billing.credit_amount_invalid";
    let value = crate::catalog::rules::parse_amount(input).map_err(|key| match key {
        "form.required" => key,
        _ => INVALID,
    })?;
    if value <= Decimal::ZERO || value.scale() > 2 || value > Decimal::from(MAX_CREDIT) {
        return Err(INVALID);
    }
    Ok(value)
}

/// A credit's reason: at least 3 characters, at most 500, spaces at the ends dropped.
pub fn reason(input: &str) -> Result<String, &'static str> {
    let reason = input.trim();
    let n = reason.chars().count();
    if n < 3 {
        return Err("billing.credit_reason_required");
    }
    if n > 500 {
        return Err("billing.credit_reason_long");
    }
    Ok(reason.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_positive_cents_within_the_limit() {
        assert_eq!(amount("12,50"), Ok("12.5".parse().unwrap()));
        assert_eq!(amount(" 1000000 "), Ok(Decimal::from(1_000_000)));
        assert_eq!(amount(""), Err("form.required"));
        for bad in ["0", "-5", "0.001", "1000000.01", "abc", "1e3", "12.5.1"] {
            assert_eq!(amount(bad), Err("billing.credit_amount_invalid"), "{bad}");
        }
    }

    #[test]
    fn reasons_are_said_in_a_few_words_at_least() {
        assert_eq!(reason("  Outage on 3 Nov "), Ok("Outage on 3 Nov".into()));
        assert_eq!(reason(" ab "), Err("billing.credit_reason_required"));
        assert_eq!(reason(&"x".repeat(501)), Err("billing.credit_reason_long"));
    }
}
