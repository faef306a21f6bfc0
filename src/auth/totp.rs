//! Authenticator-app codes (TOTP, RFC 6238: SHA-1, 6 digits, 30-second steps, ±1 step of skew)
//! and one-time recovery codes. A code is accepted once: the caller records the matched step and
//! accepts only later ones (see `store::accept_totp_step`).

use rand::Rng;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Secret, Totp};

pub const ISSUER: &str = "Portal Cloud";
pub const RECOVERY_CODES: usize = 10;

/// A new random seed (160 bits, as RFC 4226 recommends).
pub fn new_secret() -> Vec<u8> {
    let mut bytes = vec![0u8; 20];
    rand::rng().fill(&mut bytes[..]);
    bytes
}

fn totp(secret: &[u8], account: &str) -> anyhow::Result<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(Secret::from(secret.to_vec()))
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| anyhow::anyhow!("totp: {e}"))
}

/// The seed in base32, for typing into an app by hand (grouped by four for reading).
pub fn secret_text(secret: &[u8]) -> String {
    let b32 = Secret::from(secret.to_vec()).to_base32();
    b32.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `otpauth://` address and a PNG QR code of it (base64), rendered here: no external service.
pub fn enrolment(secret: &[u8], account: &str) -> anyhow::Result<(String, String)> {
    let t = totp(secret, account)?;
    let url = t.to_url().map_err(|e| anyhow::anyhow!("totp url: {e}"))?;
    let qr = t.to_qr_base64().map_err(|e| anyhow::anyhow!("qr: {e}"))?;
    Ok((url, qr))
}

/// The time step that `code` matches at `unix_time` (±1 step), if any.
pub fn matching_step(secret: &[u8], code: &str, unix_time: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret, "x").ok()?;
    t.check(&code, unix_time).map(|step| step as i64)
}

/// The code for `unix_time` (tests and the demo data use it).
pub fn code_at(secret: &[u8], unix_time: u64) -> String {
    totp(secret, "x")
        .map(|t| t.generate(unix_time).to_string())
        .unwrap_or_default()
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Ten recovery codes like `k7pq-2mzx-9wrt` (60 bits each, no look-alike characters).
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..12)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect();
            format!("{}-{}-{}", &chars[0..4], &chars[4..8], &chars[8..12])
        })
        .collect()
}

/// Whether `input` has the shape of a recovery code (so the form knows which check to make).
pub fn looks_like_recovery_code(input: &str) -> bool {
    normalise_recovery_code(input).len() == 12
}

fn normalise_recovery_code(input: &str) -> String {
    input
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// What is stored for a recovery code: the SHA-256 of its normalised form. The codes are long
/// random strings, so a fast hash is enough (as for the tokens in e-mails).
pub fn hash_recovery_code(input: &str) -> Vec<u8> {
    Sha256::digest(normalise_recovery_code(input).as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_within_one_step_of_skew() {
        let secret = new_secret();
        let t = 1_800_000_000u64;
        let code = code_at(&secret, t);
        let step = (t / 30) as i64;
        assert_eq!(matching_step(&secret, &code, t), Some(step));
        assert_eq!(matching_step(&secret, &code, t + 30), Some(step));
        assert_eq!(matching_step(&secret, &code, t - 30), Some(step));
        assert_eq!(matching_step(&secret, &code, t + 90), None);
        assert_eq!(matching_step(&secret, "12345", t), None);
        assert_eq!(matching_step(&secret, "abcdef", t), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(matching_step(&secret, &spaced, t), Some(step));
    }

    #[test]
    fn rfc_6238_test_vector() {
        // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits); the last 6 are 287082.
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59), "287082");
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_the_same_however_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), 10);
        let c = &codes[0];
        assert!(looks_like_recovery_code(c));
        assert_eq!(
            hash_recovery_code(c),
            hash_recovery_code(&c.to_uppercase().replace('-', " "))
        );
        assert!(!looks_like_recovery_code("123456"));
    }

    #[test]
    fn enrolment_gives_an_otpauth_url_and_a_png() {
        let (url, qr) = enrolment(&new_secret(), "ana@example.com").unwrap();
        assert!(url.starts_with("otpauth://totp/Portal%20Cloud:ana%40example.com?"));
        assert!(!qr.is_empty());
        assert_eq!(secret_text(&[0u8; 20]).replace(' ', "").len(), 32);
    }
}
