//! Tickets as pages show them, in the reader's language.

use time::OffsetDateTime;

use crate::support::rules::{self, Sla, TicketStatus, ticket_number};
use crate::support::store::{Attachment, Message, Ticket};
use crate::web::PageCtx;

/// A ticket's row in a list, or the head of its page.
pub struct TicketView {
    pub id: uuid::Uuid,
    pub number: String,
    pub subject: String,
    pub category: String,
    pub status: TicketStatus,
    pub status_label: String,
    pub reseller: String,
    pub assignee: String,
    pub opened: String,
    pub updated: String,
    pub due: String,
    /// The due date's badge ("due today", "overdue by 2 business days"), its CSS class.
    pub sla: Option<(String, &'static str)>,
}

/// The view of `t` at `now`; on the help desk (`desk`) with the desk's status labels.
pub fn ticket(ctx: &PageCtx, t: &Ticket, now: OffsetDateTime, desk: bool) -> TicketView {
    let sla = t
        .status
        .is_active()
        .then(|| rules::sla(t.due_on, t.due_at, now, &t.time_zone, &t.country));
    TicketView {
        id: t.id,
        number: ticket_number(t.number),
        subject: t.subject.clone(),
        category: ctx.t(t.category.key()),
        status: t.status,
        status_label: ctx.t(if desk {
            t.status.desk_key()
        } else {
            t.status.key()
        }),
        reseller: t.reseller.clone(),
        assignee: t.assignee.clone().unwrap_or_default(),
        opened: ctx.moment(t.created_at),
        updated: ctx.moment(t.updated_at),
        due: ctx.date(t.due_on),
        sla: match sla {
            Some(Sla::DueToday) => Some((ctx.t("support.due_today"), "badge-warning")),
            Some(Sla::Overdue(n)) => Some((
                ctx.t_count("support.overdue_many", "support.overdue_one", n.into()),
                "badge-failed",
            )),
            _ => None,
        },
    }
}

/// A message of the conversation.
pub struct MessageView {
    pub author: String,
    pub from_staff: bool,
    pub internal: bool,
    pub body: String,
    pub at: String,
    /// Its files: link, name, size.
    pub files: Vec<(String, String, String)>,
}

/// The conversation, each message with its files (linked under `base`, the ticket's page).
pub fn messages(
    ctx: &PageCtx,
    messages: &[Message],
    files: &[Attachment],
    base: &str,
) -> Vec<MessageView> {
    messages
        .iter()
        .map(|m| MessageView {
            files: files
                .iter()
                .filter(|f| f.message_id == m.id)
                .map(|f| {
                    (
                        format!("{base}/files/{}", f.id),
                        f.name.clone(),
                        size(ctx, f.size),
                    )
                })
                .collect(),
            author: m.author.clone(),
            from_staff: m.from_staff,
            internal: m.internal,
            body: m.body.clone(),
            at: ctx.moment(m.created_at),
        })
        .collect()
}

/// A file's size as people read it (KB under a megabyte, MB above).
fn size(ctx: &PageCtx, bytes: i32) -> String {
    let bytes = i64::from(bytes);
    if bytes < 1024 * 1024 {
        format!(
            "{} KB",
            crate::i18n::format_integer(ctx.locale, (bytes + 1023) / 1024)
        )
    } else {
        let mb = rust_decimal::Decimal::from(bytes) / rust_decimal::Decimal::from(1024 * 1024);
        format!("{} MB", crate::i18n::format_decimal(ctx.locale, mb, 1))
    }
}
