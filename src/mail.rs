//! Outgoing e-mail: composing localized messages (text and HTML parts from templates) and
//! delivering them over SMTP, or, without `SMTP_URL`, to `.eml` files under `<data>/mail`.
//!
//! Features never send mail inside a request: they enqueue a `send_email` job in the same
//! transaction as the change that caused it (see `queue`), and the worker delivers it. A page
//! therefore answers in the same time whether or not a mail was sent.

use base64::Engine;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use askama::Template;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use sqlx::PgExecutor;

use crate::config::Config;
use crate::i18n::{Locale, t};

/// A message ready to send; stored as the payload of a `send_email` job.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Delivers messages.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Arc<Transport>,
    /// Seals queued messages (`Mailer::queue`).
    seal: crate::crypto::SecretBox,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files {
        dir: PathBuf,
        inner: AsyncFileTransport<Tokio1Executor>,
        links_in_log: bool,
    },
}

impl Mailer {
    /// The installation's key, which seals queued mail: the worker seals other secrets it
    /// keeps with it (a new tenant user's temporary password until it is shown).
    pub fn secrets(&self) -> &crate::crypto::SecretBox {
        &self.seal
    }

    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("SMTP_URL")?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .build(),
            ),
            None => {
                // Mail holds live links (password resets, invitations): only this account may
                // read the folder and its files.
                let dir = config.data_dir.join("mail");
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
                    .with_context(|| format!("cannot restrict {}", dir.display()))?;
                Transport::Files {
                    inner: AsyncFileTransport::<Tokio1Executor>::new(&dir),
                    dir,
                    links_in_log: config.mail_links_in_log,
                }
            }
        };
        Ok(Self {
            from: config.mail_from.clone(),
            transport: Arc::new(transport),
            seal: crate::crypto::SecretBox::from_config(
                config.secret_key.as_deref(),
                &config.data_dir,
            )?,
        })
    }

    /// Sends one message now. Errors are worth retrying (the job queue does).
    pub async fn send(&self, email: &OutgoingEmail) -> anyhow::Result<()> {
        let to: Mailbox = email
            .to
            .parse()
            .with_context(|| format!("bad recipient {:?}", email.to))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&email.subject)
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .context("cannot build the message")?;
        match self.transport.as_ref() {
            Transport::Smtp(smtp) => {
                smtp.send(message).await.context("SMTP delivery failed")?;
                tracing::info!(to = %email.to, subject = %email.subject, "mail sent over SMTP");
            }
            Transport::Files {
                dir,
                inner,
                links_in_log,
            } => {
                let id = inner
                    .send(message)
                    .await
                    .context("cannot write the mail file")?;
                let file = dir.join(format!("{id}.eml"));
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .with_context(|| format!("cannot restrict {}", file.display()))?;
                // The log names the file; the links only when a developer asks for them.
                let links: Vec<&str> = email
                    .text
                    .split_whitespace()
                    .filter(|w| {
                        *links_in_log && (w.starts_with("http://") || w.starts_with("https://"))
                    })
                    .collect();
                tracing::info!(
                    to = %email.to,
                    subject = %email.subject,
                    file = %file.display(),
                    links = ?links,
                    "mail written to a file (no SMTP_URL)"
                );
            }
        }
        Ok(())
    }
}

/// The payload of a `send_email` job: the message sealed with the installation's key, so that
/// the queue (and every backup of it) holds no live link (a password reset, an invitation).
#[derive(Serialize, Deserialize)]
struct Sealed {
    sealed: String,
}

impl Mailer {
    /// Queues `email` for delivery, in the caller's transaction, sealed.
    pub async fn queue(
        &self,
        db: impl PgExecutor<'_>,
        email: &OutgoingEmail,
    ) -> anyhow::Result<()> {
        let sealed = self.sealed(email)?;
        crate::jobs::enqueue(db, crate::jobs::JobKind::SendEmail.code(), &sealed, None).await?;
        Ok(())
    }

    /// Queues `email` unless a message with the same `key` was queued before (one reminder per
    /// user and day); whether it was queued now.
    pub async fn queue_once(
        &self,
        db: impl PgExecutor<'_>,
        email: &OutgoingEmail,
        key: &str,
    ) -> anyhow::Result<bool> {
        let kind = crate::jobs::JobKind::SendEmail.code();
        crate::jobs::enqueue_once(db, kind, &self.sealed(email)?, key).await
    }

    fn sealed(&self, email: &OutgoingEmail) -> anyhow::Result<Sealed> {
        let plain = serde_json::to_vec(email)?;
        Ok(Sealed {
            sealed: base64::engine::general_purpose::STANDARD.encode(self.seal.seal(&plain)),
        })
    }

    /// The message of a `send_email` job's payload.
    pub fn unseal(&self, payload: &serde_json::Value) -> anyhow::Result<OutgoingEmail> {
        let sealed: Sealed = serde_json::from_value(payload.clone())?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(sealed.sealed)?;
        Ok(serde_json::from_slice(&self.seal.open(&bytes)?)?)
    }
}

/// The shared frame of every e-mail: greeting, paragraphs, an optional button, the signature.
#[derive(Template)]
#[template(path = "mail/message.html")]
struct HtmlMessage<'a> {
    lang: &'a str,
    subject: &'a str,
    greeting: &'a str,
    paragraphs: &'a [String],
    action: Option<(&'a str, &'a str)>,
    footer: &'a str,
}

#[derive(Template)]
#[template(path = "mail/message.txt")]
struct TextMessage<'a> {
    greeting: &'a str,
    paragraphs: &'a [String],
    action: Option<(&'a str, &'a str)>,
    footer: &'a str,
}

/// The parts of a message, already translated.
pub struct Compose<'a> {
    pub locale: Locale,
    pub to: &'a str,
    pub subject: String,
    pub greeting: String,
    pub paragraphs: Vec<String>,
    /// A button (label, absolute link built from the configured base URL).
    pub action: Option<(String, String)>,
}

impl Compose<'_> {
    /// Renders the text and HTML parts.
    pub fn render(self) -> anyhow::Result<OutgoingEmail> {
        let footer = t(self.locale, "mail.footer");
        let action = self.action.as_ref().map(|(l, u)| (l.as_str(), u.as_str()));
        let html = HtmlMessage {
            lang: self.locale.code(),
            subject: &self.subject,
            greeting: &self.greeting,
            paragraphs: &self.paragraphs,
            action,
            footer: &footer,
        }
        .render()?;
        let text = TextMessage {
            greeting: &self.greeting,
            paragraphs: &self.paragraphs,
            action,
            footer: &footer,
        }
        .render()?;
        Ok(OutgoingEmail {
            to: self.to.to_string(),
            subject: self.subject,
            text,
            html,
        })
    }
}

/// The message `portal send-test-mail` sends to check the mail settings.
pub fn test_message(config: &Config, locale: Locale, to: &str) -> anyhow::Result<OutgoingEmail> {
    Compose {
        locale,
        to,
        subject: t(locale, "mail.test.subject"),
        greeting: t(locale, "mail.greeting_generic"),
        paragraphs: vec![t(locale, "mail.test.body")],
        action: Some((t(locale, "mail.test.action"), config.link("/login"))),
    }
    .render()
}

/// Accepts only plain `local@domain` e-mail addresses for outgoing mail.
pub fn is_plain_address(address: &str) -> bool {
    address.parse::<lettre::Address>().is_ok() && !address.contains(['<', '>', ' '])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without SMTP, mail files hold live links: only the portal's account may read them.
    #[tokio::test]
    async fn mail_files_are_readable_by_the_portal_account_only() {
        let dir = std::env::temp_dir().join(format!("portal-mail-test-{}", uuid::Uuid::new_v4()));
        let config = Config::from_lookup(|k| match k {
            "PORTAL_DATA_DIR" => Some(dir.display().to_string()),
            _ => None,
        })
        .unwrap();
        let mailer = Mailer::from_config(&config).unwrap();
        let email = Compose {
            locale: Locale::En,
            to: "ana@example.com",
            subject: "Reset".into(),
            greeting: "Hi,".into(),
            paragraphs: vec![],
            action: Some(("Open".into(), "https://portal.example.com/reset/x".into())),
        }
        .render()
        .unwrap();
        mailer.send(&email).await.unwrap();
        let folder = dir.join("mail");
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&folder), 0o700);
        let files: Vec<_> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        assert_eq!(mode(&files[0]), 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn composed_mail_escapes_html_and_keeps_text() {
        let email = Compose {
            locale: Locale::En,
            to: "ana@example.com",
            subject: "Hello".into(),
            greeting: "Hi <b>Ana</b>,".into(),
            paragraphs: vec!["First & second".into()],
            action: Some(("Open".into(), "https://portal.example.com/x?a=1&b=2".into())),
        }
        .render()
        .unwrap();
        assert!(email.html.contains("Hi &#60;b&#62;Ana&#60;/b&#62;,"));
        assert!(email.html.contains("First &#38; second"));
        assert!(email.html.contains("lang=\"en\""));
        assert!(email.text.contains("Hi <b>Ana</b>,"));
        assert!(email.text.contains("https://portal.example.com/x?a=1&b=2"));
        assert!(email.text.contains("First & second"));
    }

    #[test]
    fn plain_addresses_only() {
        assert!(is_plain_address("ana@example.com"));
        assert!(!is_plain_address("Ana <ana@example.com>"));
        assert!(!is_plain_address("not-an-address"));
    }
}
