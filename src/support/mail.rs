//! The e-mails of a ticket: its number and due date to whoever opened it, and each answer from
//! the distributor with a link to it (internal notes send nothing).

use crate::config::Config;
use crate::i18n::{Locale, format_date, t, t_with};
use crate::mail::{Compose, OutgoingEmail};
use crate::support::rules::ticket_number;
use crate::support::store::Ticket;

fn locale_of(t: &Ticket) -> Locale {
    t.opener_locale
        .as_deref()
        .and_then(Locale::from_code)
        .unwrap_or_default()
}

fn message(
    config: &Config,
    ticket: &Ticket,
    subject: &str,
    body: &str,
) -> anyhow::Result<OutgoingEmail> {
    let locale = locale_of(ticket);
    let number = ticket_number(ticket.number);
    let due = format_date(locale, ticket.due_on);
    let args = [
        ("number", number.as_str()),
        ("subject", ticket.subject.as_str()),
        ("due", due.as_str()),
    ];
    Compose {
        locale,
        to: &ticket.opener_email,
        subject: t_with(locale, subject, &args),
        greeting: t_with(locale, "mail.greeting", &[("name", &ticket.opener)]),
        paragraphs: vec![t_with(locale, body, &args)],
        action: Some((
            t(locale, "mail.ticket.action"),
            config.link(&format!("/support/tickets/{}", ticket.id)),
        )),
    }
    .render()
}

/// The e-mail to whoever opened `ticket`: its number and when it will be answered.
pub fn opened(config: &Config, ticket: &Ticket) -> anyhow::Result<OutgoingEmail> {
    message(
        config,
        ticket,
        "mail.ticket.opened_subject",
        "mail.ticket.opened_body",
    )
}

/// The e-mail to whoever opened `ticket` when the distributor answers it.
pub fn answered(config: &Config, ticket: &Ticket) -> anyhow::Result<OutgoingEmail> {
    message(
        config,
        ticket,
        "mail.ticket.answered_subject",
        "mail.ticket.answered_body",
    )
}
