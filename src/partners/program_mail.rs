//! E-mails about program requests: to the requester and the reseller's owners and admins, each
//! in their own language, on submission and on every decision.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::i18n::{Locale, t, t_with};
use crate::mail::Compose;

/// Queues the message about `event` (`submitted`, `approved`, `rejected`, `suspended`,
/// `reinstated`) of `program` for the requester and the owners and admins of `reseller_id`.
pub async fn notify_admins(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    requester: Option<Uuid>,
    program: &str,
    event: &str,
    reason: Option<&str>,
    link: &str,
) -> anyhow::Result<()> {
    let recipients: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT email::text, name, locale FROM users
         WHERE reseller_id = $1 AND status = 'active'
           AND (role IN ('owner', 'admin') OR id = $2)
         ORDER BY email",
    )
    .bind(reseller_id)
    .bind(requester)
    .fetch_all(&mut *tx)
    .await?;
    for (email, name, locale) in recipients {
        let locale = locale
            .as_deref()
            .and_then(Locale::from_code)
            .unwrap_or_default();
        let mut paragraphs = vec![t_with(
            locale,
            &format!("mail.program.{event}_body"),
            &[("program", program)],
        )];
        if let Some(r) = reason {
            paragraphs.push(t_with(locale, "mail.program.reason", &[("reason", r)]));
        }
        let message = Compose {
            locale,
            to: &email,
            subject: t_with(
                locale,
                &format!("mail.program.{event}_subject"),
                &[("program", program)],
            ),
            greeting: t_with(locale, "mail.greeting", &[("name", &name)]),
            paragraphs,
            action: Some((t(locale, "mail.program.action"), link.to_string())),
        }
        .render()?;
        crate::mail::queue(&mut *tx, &message).await?;
    }
    Ok(())
}
