//! Configuration read from environment variables, each with a safe default.
//!
//! Every variable is validated at start; a bad value stops the program with a message that names
//! the variable, what it holds and what was expected.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use lettre::message::Mailbox;
use url::Url;

/// Everything the portal reads from its environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`: a PostgreSQL server to use. `None` starts the embedded cluster.
    pub database_url: Option<String>,
    /// `PORTAL_SERVING_DATABASE_URL`: the login role requests and jobs use, created beforehand
    /// by whoever runs the server. `None`: the portal creates [`Config::serving_role`] itself.
    pub serving_database_url: Option<String>,
    /// `PORTAL_SERVING_ROLE`: the name of the serving role the portal creates (default
    /// `portal_serve`; one per installation when several share a PostgreSQL server).
    pub serving_role: String,
    /// `PORTAL_BIND`: the address the web server listens on.
    pub bind: SocketAddr,
    /// `PORTAL_BASE_URL`: the public address; every link in an e-mail is built from it.
    pub base_url: Url,
    /// `SMTP_URL`: where mail goes. `None` writes `.eml` files under `<data_dir>/mail`.
    pub smtp_url: Option<String>,
    /// `PORTAL_MAIL_FROM`: the sender of every e-mail.
    pub mail_from: Mailbox,
    /// `PORTAL_LOG`: a tracing filter such as `info` or `portal=debug,info`.
    pub log_filter: String,
    /// `PORTAL_LOG_FORMAT`: `text` (default) or `json`.
    pub log_json: bool,
    /// `PORTAL_DATA_DIR`: the embedded database and mail files live here.
    pub data_dir: PathBuf,
    /// Whether `PORTAL_DATA_DIR` was set (else the default `var`, which the embedded database
    /// may leave for a place its account can reach).
    pub data_dir_chosen: bool,
    /// `PORTAL_TRUSTED_PROXIES`: addresses whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// `PORTAL_SESSION_IDLE_MINUTES`: a session ends after this long without a request.
    pub session_idle_minutes: i64,
    /// `PORTAL_MAX_BODY_BYTES`: the largest request body accepted (uploads included).
    pub max_body_bytes: usize,
    /// `PORTAL_SHUTDOWN_GRACE_SECS`: how long a shutdown waits for requests in flight (a
    /// streamed export included) before it closes them.
    pub shutdown_grace: std::time::Duration,
    /// `PORTAL_JOB_LEASE_SECS`: how long a claimed job is held without its worker's heartbeat
    /// (a crashed worker's job is taken up again this long after; decision 0015).
    pub job_lease: std::time::Duration,
    /// `PORTAL_WORKER`: run the background worker inside `serve` (default `true`).
    pub run_worker: bool,
    /// `PORTAL_LOG_MAIL_LINKS`: without SMTP, also log the links of each mail written to a file
    /// (development only: reset and invitation links are live; default `false`).
    pub mail_links_in_log: bool,
    /// How long the vendor sandbox takes to answer, like a remote API (`PORTAL_SANDBOX_LATENCY_MS`).
    pub sandbox_latency: std::time::Duration,
    /// `PORTAL_SECRET_KEY`: encrypts secrets at rest (TOTP seeds). Unset: `<data_dir>/secret.key`.
    pub secret_key: Option<SecretKey>,
}

/// The largest plain form body (every form but uploads, whose routes raise it): a form never
/// needs more, and a bound this low keeps a flood of big bodies from costing memory.
pub const FORM_BODY_BYTES: usize = 1024 * 1024;

/// The default largest body: a ticket message's five files of 10 MB and its texts.
pub const DEFAULT_MAX_BODY_BYTES: usize = 52 * 1024 * 1024;

/// A secret from the configuration: readable where it is used, never printed (its `Debug`
/// says only that it is there), so logging the configuration cannot leak it.
#[derive(Clone)]
pub struct SecretKey(String);

impl std::ops::Deref for SecretKey {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// A variable that holds a value the portal cannot use.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {problem} (it holds {value:?})")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub problem: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests can supply their own variables.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let bad = |name: &'static str, value: &str, problem: &str| ConfigError {
            name,
            value: value.to_string(),
            problem: problem.to_string(),
        };

        let postgres_url = |name: &'static str, example: &str| match get(name) {
            Some(v) if !(v.starts_with("postgres://") || v.starts_with("postgresql://")) => {
                Err(bad(name, &v, &format!("expected a URL such as {example}")))
            }
            other => Ok(other),
        };
        let database_url = postgres_url("DATABASE_URL", "postgres://user@127.0.0.1:5432/portal")?;
        let serving_database_url = postgres_url(
            "PORTAL_SERVING_DATABASE_URL",
            "postgres://portal_serve:password@127.0.0.1:5432/portal",
        )?;
        let serving_role = get("PORTAL_SERVING_ROLE").unwrap_or_else(|| "portal_serve".into());
        if !crate::db::roles::is_role_name(&serving_role) {
            return Err(bad(
                "PORTAL_SERVING_ROLE",
                &serving_role,
                "expected a name of lower-case letters, digits and _ (at most 63), not starting with a digit or pg_",
            ));
        }

        let bind_text = get("PORTAL_BIND").unwrap_or_else(|| "127.0.0.1:3000".into());
        let bind: SocketAddr = bind_text.parse().map_err(|_| {
            bad(
                "PORTAL_BIND",
                &bind_text,
                "expected an address and port such as 127.0.0.1:3000",
            )
        })?;

        let base_text = get("PORTAL_BASE_URL").unwrap_or_else(|| {
            let host = if bind.ip().is_unspecified() {
                "127.0.0.1".to_string()
            } else {
                bind.ip().to_string()
            };
            match bind.ip() {
                IpAddr::V6(_) if !bind.ip().is_unspecified() => {
                    format!("http://[{host}]:{}", bind.port())
                }
                _ => format!("http://{host}:{}", bind.port()),
            }
        });
        let base_url = Url::parse(&base_text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                bad(
                    "PORTAL_BASE_URL",
                    &base_text,
                    "expected an http(s) URL such as https://portal.example.com",
                )
            })?;

        let smtp_url = match get("SMTP_URL") {
            Some(v) => {
                if let Err(e) = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(&v) {
                    return Err(bad(
                        "SMTP_URL",
                        &redact_password(&v),
                        &format!(
                            "expected smtp://host:port, smtp://user:pass@host:587?tls=required or smtps://host:465 ({e})"
                        ),
                    ));
                }
                Some(v)
            }
            None => None,
        };

        let from_text =
            get("PORTAL_MAIL_FROM").unwrap_or_else(|| "Portal Cloud <no-reply@localhost>".into());
        let mail_from: Mailbox = from_text.parse().map_err(|_| {
            bad(
                "PORTAL_MAIL_FROM",
                &from_text,
                "expected an address such as \"Portal Cloud <no-reply@example.com>\"",
            )
        })?;

        let log_filter = get("PORTAL_LOG")
            .or_else(|| get("RUST_LOG"))
            .unwrap_or_else(|| "info".into());
        if tracing_subscriber::EnvFilter::try_new(&log_filter).is_err() {
            return Err(bad(
                "PORTAL_LOG",
                &log_filter,
                "expected a filter such as info or portal=debug,info",
            ));
        }
        let log_json = match get("PORTAL_LOG_FORMAT").as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => return Err(bad("PORTAL_LOG_FORMAT", other, "expected text or json")),
        };

        let data_dir_chosen = get("PORTAL_DATA_DIR").is_some();
        let data_dir = PathBuf::from(get("PORTAL_DATA_DIR").unwrap_or_else(|| "var".into()));

        let mut trusted_proxies = Vec::new();
        if let Some(list) = get("PORTAL_TRUSTED_PROXIES") {
            for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                trusted_proxies.push(part.parse().map_err(|_| {
                    bad(
                        "PORTAL_TRUSTED_PROXIES",
                        &list,
                        "expected IP addresses separated by commas",
                    )
                })?);
            }
        }

        let session_idle_minutes =
            parse_number(&get, "PORTAL_SESSION_IDLE_MINUTES", 120, 5..=7 * 24 * 60)?;
        let max_body_bytes = parse_number(
            &get,
            "PORTAL_MAX_BODY_BYTES",
            DEFAULT_MAX_BODY_BYTES as i64,
            1024..=100 * 1024 * 1024,
        )? as usize;

        let shutdown_grace = std::time::Duration::from_secs(parse_number(
            &get,
            "PORTAL_SHUTDOWN_GRACE_SECS",
            20,
            1..=600,
        )? as u64);

        let job_lease = std::time::Duration::from_secs(parse_number(
            &get,
            "PORTAL_JOB_LEASE_SECS",
            crate::jobs::DEFAULT_LEASE.as_secs() as i64,
            3..=3600,
        )? as u64);

        let sandbox_latency = std::time::Duration::from_millis(parse_number(
            &get,
            "PORTAL_SANDBOX_LATENCY_MS",
            300,
            0..=60_000,
        )? as u64);

        let flag = |name: &'static str, default: bool| match get(name).as_deref() {
            None => Ok(default),
            Some("true") | Some("1") | Some("yes") => Ok(true),
            Some("false") | Some("0") | Some("no") => Ok(false),
            Some(other) => Err(bad(name, other, "expected true or false")),
        };
        let run_worker = flag("PORTAL_WORKER", true)?;
        let mail_links_in_log = flag("PORTAL_LOG_MAIL_LINKS", false)?;

        let secret_key = get("PORTAL_SECRET_KEY");
        if let Some(k) = &secret_key {
            if crate::crypto::parse_key(k).is_err() {
                return Err(bad(
                    "PORTAL_SECRET_KEY",
                    "(hidden)",
                    "expected 32 random bytes in base64 or hex, e.g. from `openssl rand -base64 32`",
                ));
            }
        }

        Ok(Self {
            secret_key: secret_key.map(SecretKey),
            database_url,
            serving_database_url,
            serving_role,
            bind,
            base_url,
            smtp_url,
            mail_from,
            log_filter,
            log_json,
            data_dir,
            data_dir_chosen,
            trusted_proxies,
            session_idle_minutes,
            max_body_bytes,
            shutdown_grace,
            run_worker,
            job_lease,
            mail_links_in_log,
            sandbox_latency,
        })
    }

    /// The cookie gets `Secure` when the portal is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// An absolute link to `path` on this portal, for e-mails: never from the request's `Host`.
    pub fn link(&self, path: &str) -> String {
        let base = self.base_url.as_str().trim_end_matches('/');
        format!("{base}{path}")
    }
}

fn parse_number(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(ConfigError {
                name,
                value: v,
                problem: format!(
                    "expected a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            }),
        },
    }
}

/// Hides the password of a URL before it is shown in a message.
fn redact_password(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_safe() {
        let c = config(&[]).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(c.base_url.as_str(), "http://127.0.0.1:3000/");
        assert!(c.database_url.is_none());
        assert!(c.smtp_url.is_none());
        assert!(!c.secure_cookies());
        assert_eq!(c.link("/login"), "http://127.0.0.1:3000/login");
    }

    #[test]
    fn bad_bind_names_the_variable() {
        let err = config(&[("PORTAL_BIND", "localhost")]).unwrap_err();
        assert_eq!(err.name, "PORTAL_BIND");
        assert!(err.to_string().contains("PORTAL_BIND"));
    }

    #[test]
    fn bad_values_are_refused() {
        assert_eq!(
            config(&[("DATABASE_URL", "mysql://x")]).unwrap_err().name,
            "DATABASE_URL"
        );
        assert_eq!(
            config(&[("PORTAL_SERVING_DATABASE_URL", "x")])
                .unwrap_err()
                .name,
            "PORTAL_SERVING_DATABASE_URL"
        );
        assert_eq!(
            config(&[("PORTAL_SERVING_ROLE", "postgres\"; --")])
                .unwrap_err()
                .name,
            "PORTAL_SERVING_ROLE"
        );
        assert_eq!(
            config(&[("PORTAL_BASE_URL", "ftp://x")]).unwrap_err().name,
            "PORTAL_BASE_URL"
        );
        assert_eq!(
            config(&[("PORTAL_MAIL_FROM", "not an address")])
                .unwrap_err()
                .name,
            "PORTAL_MAIL_FROM"
        );
        assert_eq!(
            config(&[("PORTAL_SESSION_IDLE_MINUTES", "0")])
                .unwrap_err()
                .name,
            "PORTAL_SESSION_IDLE_MINUTES"
        );
        assert_eq!(
            config(&[("PORTAL_TRUSTED_PROXIES", "10.0.0.1,nope")])
                .unwrap_err()
                .name,
            "PORTAL_TRUSTED_PROXIES"
        );
        assert_eq!(
            config(&[("SMTP_URL", "gopher://x")]).unwrap_err().name,
            "SMTP_URL"
        );
    }

    #[test]
    fn https_base_url_makes_cookies_secure() {
        let c = config(&[("PORTAL_BASE_URL", "https://portal.example.com/")]).unwrap();
        assert!(c.secure_cookies());
        assert_eq!(c.link("/x"), "https://portal.example.com/x");
    }

    #[test]
    fn smtp_password_is_not_echoed() {
        assert_eq!(
            redact_password("smtp://user:secret@mail.example.com:587"),
            "smtp://user:***@mail.example.com:587"
        );
    }
}
