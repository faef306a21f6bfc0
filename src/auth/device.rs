//! Device cookies (OWASP's "device cookies", the idea behind Microsoft Entra ID's smart
//! lockout): a browser that completed a sign-in to an account keeps a cookie sealed with the
//! installation's key and naming the user. Its password attempts on that account count apart
//! from everyone else's, so a stranger guessing the password can neither get past the
//! strangers' limit nor lock the owner out (`throttle::PasswordKeys`, decision 0014).

use axum::http::{HeaderMap, HeaderValue};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::config::Config;
use crate::crypto::SecretBox;

/// How long a device stays known after its last sign-in.
pub const KEEP_DAYS: i64 = 90;

/// The cookie of `user_id`'s device (one per account a browser signs in to).
fn name(user_id: Uuid) -> String {
    let digest = Sha256::digest(user_id.as_bytes());
    let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("portal_device_{short}")
}

/// The `Set-Cookie` value that makes this browser a known device of `user_id` (after a
/// complete sign-in).
pub fn issue(
    secrets: &SecretBox,
    config: &Config,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Option<HeaderValue> {
    cookie(secrets, config.secure_cookies(), user_id, now)
}

fn cookie(
    secrets: &SecretBox,
    secure: bool,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Option<HeaderValue> {
    let mut plain = user_id.as_bytes().to_vec();
    plain.extend(now.unix_timestamp().to_be_bytes());
    let value = URL_SAFE_NO_PAD.encode(secrets.seal(&plain));
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{}={value}; Path=/login; Max-Age={}; SameSite=Lax; HttpOnly{secure}",
        name(user_id),
        KEEP_DAYS * 86_400
    );
    HeaderValue::from_str(&cookie).ok()
}

/// The key this browser's attempts on `user_id` count under, when it holds a valid device
/// cookie for that account (sealed by this installation, naming the user, not too old).
pub fn known(
    secrets: &SecretBox,
    headers: &HeaderMap,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Option<String> {
    let value = crate::web::cookies::value(headers, &name(user_id))?;
    let sealed = URL_SAFE_NO_PAD.decode(value.as_bytes()).ok()?;
    let plain = secrets.open(&sealed).ok()?;
    let (user, issued) = plain.split_at_checked(16)?;
    let issued = i64::from_be_bytes(issued.try_into().ok()?);
    let fresh = now.unix_timestamp() - issued <= KEEP_DAYS * 86_400;
    (user == user_id.as_bytes() && fresh).then(|| {
        let digest = Sha256::digest(value.as_bytes());
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    fn cookie_header(set_cookie: &HeaderValue) -> HeaderMap {
        let pair = set_cookie.to_str().unwrap().split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(pair).unwrap());
        headers
    }

    #[test]
    fn a_device_cookie_is_known_only_for_its_user_its_installation_and_its_time() {
        let secrets = SecretBox::new(&[7u8; 32]);
        let (ana, bea) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let now = OffsetDateTime::now_utc();
        let set = cookie(&secrets, false, ana, now).unwrap();
        let headers = cookie_header(&set);
        let key = known(&secrets, &headers, ana, now).expect("known for its user");
        assert_eq!(known(&secrets, &headers, ana, now), Some(key));
        assert_eq!(known(&secrets, &headers, bea, now), None, "another account");
        let other = SecretBox::new(&[8u8; 32]);
        assert_eq!(
            known(&other, &headers, ana, now),
            None,
            "another installation"
        );
        let later = now + time::Duration::days(KEEP_DAYS + 1);
        assert_eq!(known(&secrets, &headers, ana, later), None, "too old");
        // Bea's own cookie name holding Ana's value: not Bea's device either.
        let forged = set.to_str().unwrap().replace(&name(ana), &name(bea));
        let forged = cookie_header(&HeaderValue::from_str(&forged).unwrap());
        assert_eq!(known(&secrets, &forged, bea, now), None);
        assert_eq!(known(&secrets, &HeaderMap::new(), ana, now), None);
    }
}
