//! Secrets at rest and one-time tokens.
//!
//! `SecretBox` encrypts small secrets (TOTP seeds) with XChaCha20-Poly1305 under the key from
//! `PORTAL_SECRET_KEY`, or, when unset, a key generated once into `<data>/secret.key` (never
//! committed). Tokens sent by e-mail are 256-bit random values of which only a SHA-256 is stored.

use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
    /// The root of [`SecretBox::derive`]d secrets, apart from the encryption key itself.
    derivation: [u8; 32],
}

impl SecretBox {
    pub fn new(key: &[u8; 32]) -> Self {
        let mut root = Sha256::new();
        root.update(b"portal key derivation\0");
        root.update(key);
        Self {
            cipher: XChaCha20Poly1305::new(key.into()),
            derivation: root.finalize().into(),
        }
    }

    /// A secret for `purpose` (such as the serving role's database password) that every
    /// instance of this installation computes alike and nobody can compute without its key: 256
    /// bits, URL-safe base64.
    pub fn derive(&self, purpose: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.derivation);
        h.update(purpose.as_bytes());
        URL_SAFE_NO_PAD.encode(h.finalize())
    }

    /// The key from `PORTAL_SECRET_KEY` (base64 or hex of 32 bytes), else from
    /// `<data_dir>/secret.key`, created on first use.
    pub fn from_config(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        if let Some(text) = configured {
            return Ok(Self::new(&parse_key(text).context(
                "PORTAL_SECRET_KEY must be 32 bytes in base64 or hex (e.g. `openssl rand -base64 32`)",
            )?));
        }
        let path = data_dir.join("secret.key");
        if let Ok(text) = std::fs::read_to_string(&path) {
            return Ok(Self::new(&parse_key(text.trim()).with_context(|| {
                format!("{} does not hold a valid key", path.display())
            })?));
        }
        std::fs::create_dir_all(data_dir)?;
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        let encoded = base64::engine::general_purpose::STANDARD.encode(key);
        {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            writeln!(f, "{encoded}")?;
        }
        tracing::warn!(file = %path.display(), "generated a secret key for this installation; set PORTAL_SECRET_KEY in production");
        Ok(Self::new(&key))
    }

    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        // Encryption with a fresh nonce cannot fail for inputs of this size.
        out.extend(
            self.cipher
                .encrypt(XNonce::from_slice(&nonce), plain)
                .unwrap_or_default(),
        );
        out
    }

    pub fn open(&self, sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
        if sealed.len() < 24 + 16 {
            bail!("sealed secret too short");
        }
        let (nonce, body) = sealed.split_at(24);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), body)
            .map_err(|_| anyhow::anyhow!("cannot decrypt a secret: wrong PORTAL_SECRET_KEY?"))
    }
}

pub(crate) fn parse_key(text: &str) -> anyhow::Result<[u8; 32]> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
        hex::decode(text)?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text))?
    };
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("the key is not 32 bytes long"))
}

/// A new random token for a link (256 bits, URL-safe) and the hash to store.
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

/// What is stored for a token: its SHA-256.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_with_the_same_key_only() {
        let a = SecretBox::new(&[7u8; 32]);
        let b = SecretBox::new(&[8u8; 32]);
        let sealed = a.seal(b"JBSWY3DPEHPK3PXP");
        assert_ne!(&sealed[24..], b"JBSWY3DPEHPK3PXP");
        assert_eq!(a.open(&sealed).unwrap(), b"JBSWY3DPEHPK3PXP");
        assert!(b.open(&sealed).is_err());
        assert!(a.open(&sealed[..10]).is_err());
        assert_ne!(a.seal(b"x"), a.seal(b"x"), "fresh nonce each time");
    }

    #[test]
    fn derived_secrets_depend_on_the_key_and_the_purpose_only() {
        let a = SecretBox::new(&[7u8; 32]);
        assert_eq!(a.derive("role"), SecretBox::new(&[7u8; 32]).derive("role"));
        assert_ne!(a.derive("role"), SecretBox::new(&[8u8; 32]).derive("role"));
        assert_ne!(a.derive("role"), a.derive("other"));
        assert_eq!(a.derive("role").len(), 43);
        assert!(
            !a.derive("role")
                .contains(&URL_SAFE_NO_PAD.encode([7u8; 32]))
        );
    }

    #[test]
    fn keys_parse_from_base64_or_hex() {
        let b64 = base64::engine::general_purpose::STANDARD.encode([1u8; 32]);
        assert_eq!(parse_key(&b64).unwrap(), [1u8; 32]);
        assert_eq!(parse_key(&"ab".repeat(32)).unwrap(), [0xab; 32]);
        assert!(parse_key("short").is_err());
    }

    #[test]
    fn tokens_are_long_random_and_stored_hashed() {
        let (t1, h1) = new_token();
        let (t2, _) = new_token();
        assert_ne!(t1, t2);
        assert!(t1.len() >= 43);
        assert_eq!(hash_token(&t1), h1);
        assert_eq!(h1.len(), 32);
    }
}
