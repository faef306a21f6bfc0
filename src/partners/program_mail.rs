//! E-mails about program requests: to the requester and the reseller's owners and admins, each
//! in their own language, on submission and on every decision.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::i18n::{t, t_with};
use crate::mail::Compose;
use crate::partners::rules::ProgramEvent;
use crate::partners::store;

/// What a message about a program request says.
pub struct ProgramNews<'a> {
    pub program: &'a str,
    pub event: ProgramEvent,
    /// Why staff decided as they did (rejections and suspensions).
    pub reason: Option<&'a str>,
    /// Where the reseller sees its programs.
    pub link: &'a str,
}

/// Queues the message for the requester and the owners and admins of `reseller_id`.
pub async fn notify_admins(
    tx: &mut PgConnection,
    mailer: &crate::mail::Mailer,
    reseller_id: Uuid,
    requester: Option<Uuid>,
    news: &ProgramNews<'_>,
) -> anyhow::Result<()> {
    let program = [("program", news.program)];
    for to in store::program_recipients(tx, reseller_id, requester).await? {
        let locale = to.locale.unwrap_or_default();
        let mut paragraphs = vec![t_with(locale, news.event.body_key(), &program)];
        if let Some(r) = news.reason {
            paragraphs.push(t_with(locale, "mail.program.reason", &[("reason", r)]));
        }
        let message = Compose {
            locale,
            to: &to.email,
            subject: t_with(locale, news.event.subject_key(), &program),
            greeting: t_with(locale, "mail.greeting", &[("name", &to.name)]),
            paragraphs,
            action: Some((t(locale, "mail.program.action"), news.link.to_string())),
        }
        .render()?;
        mailer.queue(&mut *tx, &message).await?;
    }
    Ok(())
}
