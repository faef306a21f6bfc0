//! Passwords: argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane), computed on the
//! blocking pool behind one shared limiter, and the rules for choosing one (NIST SP 800-63B:
//! at least 12 characters, not a common password, no composition rules).

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use anyhow::Context;
use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier, Version,
};
use tokio::sync::Semaphore;

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 256;

/// Hashes and checks passwords. Every hashing path shares this one limiter: unbounded parallel
/// argon2 runs exhaust memory under a burst of sign-ins.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            permits: Arc::new(Semaphore::new(cores)),
        }
    }
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// A hash of a password nobody has, checked when an account does not exist so that the answer
/// takes as long as for an account that does.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    argon2()
        .hash_password(b"not-a-real-password-just-for-timing")
        .map(|h| h.to_string())
        .unwrap_or_default()
});

impl PasswordHasher {
    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let password = password.to_string();
        let _permit = self.permits.acquire().await?;
        tokio::task::spawn_blocking(move || {
            argon2()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| anyhow::anyhow!("argon2: {e}"))
        })
        .await
        .context("hashing task")?
    }

    /// Whether `password` matches `hash`; `None` as hash spends the same time and says no.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> anyhow::Result<bool> {
        let password = password.to_string();
        let (hash, real) = match hash {
            Some(h) => (h.to_string(), true),
            None => (DUMMY_HASH.clone(), false),
        };
        let _permit = self.permits.acquire().await?;
        let matches = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|parsed| {
                    argon2()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .context("verification task")?;
        Ok(real && matches)
    }
}

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
});

/// Checks a new password; the error is a translation key.
pub fn check_new(password: &str, email: &str) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        return Err("password.too_short");
    }
    if chars > MAX_LENGTH {
        return Err("password.too_long");
    }
    let lower = password.to_lowercase();
    if is_predictable(&lower) {
        return Err("password.too_common");
    }
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or("");
    if !email.is_empty()
        && (lower == email
            || (local.len() >= 4 && lower.contains(local) && lower.len() <= local.len() + 4))
    {
        return Err("password.like_email");
    }
    Ok(())
}

/// Words that belong to this service: a password built on them is easy to guess here.
const CONTEXT_WORDS: &[&str] = &["portal", "cloud", "nube", "nuvem", "reseller", "revendedor"];

/// A common password, one with digits or symbols appended (`password1234`), a service word with
/// the same, one character repeated, or a run of consecutive digits or letters.
fn is_predictable(lower: &str) -> bool {
    if COMMON.contains(lower) || COMMON.contains(lower.trim()) {
        return true;
    }
    let base = lower.trim_end_matches(|c: char| !c.is_alphabetic());
    let base = base.trim_start_matches(|c: char| !c.is_alphabetic());
    if base.chars().count() >= 3 && (COMMON.contains(base) || CONTEXT_WORDS.contains(&base)) {
        return true;
    }
    let chars: Vec<char> = lower.chars().collect();
    if chars.iter().all(|c| *c == chars[0]) {
        return true;
    }
    // Consecutive runs such as 123456789012 or abcdefghijkl (forwards or backwards).
    let steps: Vec<i64> = chars
        .windows(2)
        .map(|w| (w[1] as i64 - w[0] as i64).rem_euclid(10))
        .collect();
    let digits = chars.iter().all(|c| c.is_ascii_digit());
    if digits && (steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == 9)) {
        return true;
    }
    let letters = chars.iter().all(|c| c.is_ascii_lowercase());
    let letter_steps: Vec<i64> = chars
        .windows(2)
        .map(|w| w[1] as i64 - w[0] as i64)
        .collect();
    letters && (letter_steps.iter().all(|s| *s == 1) || letter_steps.iter().all(|s| *s == -1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_common_and_email_like_passwords_are_refused() {
        assert_eq!(check_new("short", "a@b.c"), Err("password.too_short"));
        assert_eq!(
            check_new("123456789012", "a@b.c"),
            Err("password.too_common")
        );
        assert_eq!(
            check_new("PASSWORD1234", "a@b.c"),
            Err("password.too_common")
        );
        assert_eq!(
            check_new("aaaaaaaaaaaaaaa", "a@b.c"),
            Err("password.too_common")
        );
        assert_eq!(
            check_new("mariana.lopez", "mariana.lopez@example.com"),
            Err("password.like_email")
        );
        assert_eq!(
            check_new(&"x".repeat(300), "a@b.c"),
            Err("password.too_long")
        );
        assert_eq!(
            check_new("qwerty123456", "a@b.c"),
            Err("password.too_common")
        );
        assert_eq!(
            check_new("Portal2026!!!", "a@b.c"),
            Err("password.too_common")
        );
        assert_eq!(
            check_new("dragon!!2024##", "a@b.c"),
            Err("password.too_common")
        );
        assert_eq!(
            check_new("abcdefghijklm", "a@b.c"),
            Err("password.too_common")
        );
        assert_eq!(check_new("correct horse battery", "a@b.c"), Ok(()));
        assert_eq!(check_new("7 blue pianos at dawn", "a@b.c"), Ok(()));
        assert_eq!(check_new("ação-çñü-日本語x", "a@b.c"), Ok(()));
    }

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let hasher = PasswordHasher::default();
        let h1 = hasher.hash("correct horse battery").await.unwrap();
        let h2 = hasher.hash("correct horse battery").await.unwrap();
        assert!(h1.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_ne!(h1, h2, "each hash has its own salt");
        assert!(
            hasher
                .verify("correct horse battery", Some(&h1))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("wrong horse battery", Some(&h1))
                .await
                .unwrap()
        );
        assert!(!hasher.verify("anything", None).await.unwrap());
        assert!(!hasher.verify("anything", Some("garbage")).await.unwrap());
    }
}
