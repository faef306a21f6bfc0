//! The e-mail to a reseller's billing users (owners, admins, billing) when its invoice is issued:
//! the month, the total and the reseller's price, and a link to the invoice. Queued in the
//! issuing transaction, so that an invoice and its e-mails are recorded together or not at all.

use rust_decimal::Decimal;
use sqlx::PgConnection;
use time::Date;
use uuid::Uuid;

use crate::config::Config;
use crate::i18n::{Locale, format_money, format_month, t, t_with};
use crate::mail::{Compose, Mailer, OutgoingEmail};

/// What the issuing run needs to tell the reseller.
#[derive(Clone, Copy)]
pub struct Notify<'a> {
    pub mailer: &'a Mailer,
    pub config: &'a Config,
}

/// A user told of an invoice.
struct Recipient {
    email: String,
    name: String,
    locale: Option<Locale>,
}

/// What the e-mail says of the invoice.
pub struct Issued<'a> {
    pub id: Uuid,
    pub number: &'a str,
    pub period: Date,
    pub total: Decimal,
    pub resale: Decimal,
    pub currency: &'a str,
}

/// Queues the e-mail of `invoice` to each active billing user of `reseller_id`.
pub async fn invoice_issued(
    tx: &mut PgConnection,
    notify: Notify<'_>,
    reseller_id: Uuid,
    invoice: &Issued<'_>,
) -> anyhow::Result<usize> {
    let recipients = recipients(tx, reseller_id).await?;
    for to in &recipients {
        let email = message(notify.config, to, invoice)?;
        notify.mailer.queue(&mut *tx, &email).await?;
    }
    Ok(recipients.len())
}

/// What the e-mail says of a credit note.
pub struct Credited<'a> {
    pub invoice_id: Uuid,
    pub invoice: &'a str,
    pub number: &'a str,
    pub total: Decimal,
    pub currency: &'a str,
    pub reason: &'a str,
}

/// Queues the e-mail of a credit note to each active billing user of `reseller_id`.
pub async fn credit_note_issued(
    tx: &mut PgConnection,
    notify: Notify<'_>,
    reseller_id: Uuid,
    note: &Credited<'_>,
) -> anyhow::Result<usize> {
    let recipients = recipients(tx, reseller_id).await?;
    for to in &recipients {
        let locale = to.locale.unwrap_or_default();
        let total = format_money(locale, note.total, note.currency);
        let args = [
            ("number", note.number),
            ("invoice", note.invoice),
            ("total", total.as_str()),
            ("reason", note.reason),
        ];
        let email = Compose {
            locale,
            to: &to.email,
            subject: t_with(locale, "mail.credit_note.subject", &args),
            greeting: t_with(locale, "mail.greeting", &[("name", &to.name)]),
            paragraphs: vec![
                t_with(locale, "mail.credit_note.body", &args),
                t_with(locale, "mail.credit_note.reason", &args),
            ],
            action: Some((
                t(locale, "mail.credit_note.action"),
                notify
                    .config
                    .link(&format!("/billing/{}#credit-notes", note.invoice_id)),
            )),
        }
        .render()?;
        notify.mailer.queue(&mut *tx, &email).await?;
    }
    Ok(recipients.len())
}

/// The reseller's active users who see billing, the first made first.
async fn recipients(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<Vec<Recipient>> {
    sqlx::query_as!(
        Recipient,
        r#"SELECT u.email::text AS "email!", u.name,
                  coalesce(u.locale, r.default_locale) AS "locale: Locale"
           FROM users u JOIN resellers r ON r.id = u.reseller_id
           WHERE u.reseller_id = $1 AND u.status = 'active'
             AND u.role IN ('owner', 'admin', 'billing')
           ORDER BY u.created_at"#,
        reseller_id,
    )
    .fetch_all(tx)
    .await
}

fn message(config: &Config, to: &Recipient, i: &Issued<'_>) -> anyhow::Result<OutgoingEmail> {
    let locale = to.locale.unwrap_or_default();
    let month = format_month(locale, i.period);
    let total = format_money(locale, i.total, i.currency);
    let resale = format_money(locale, i.resale, i.currency);
    let args = [
        ("number", i.number),
        ("period", month.as_str()),
        ("total", total.as_str()),
        ("resale", resale.as_str()),
    ];
    Compose {
        locale,
        to: &to.email,
        subject: t_with(locale, "mail.invoice.subject", &args),
        greeting: t_with(locale, "mail.greeting", &[("name", &to.name)]),
        paragraphs: vec![
            t_with(locale, "mail.invoice.body", &args),
            t_with(locale, "mail.invoice.resale", &args),
        ],
        action: Some((
            t(locale, "mail.invoice.action"),
            config.link(&format!("/billing/{}", i.id)),
        )),
    }
    .render()
}
