//! Tickets without I/O: categories and statuses, numbers, due dates in business days, what a
//! new ticket and a reply must hold, and when a closed ticket can be reopened.

use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use crate::countries::holidays;
use crate::fields::FieldErrors;

crate::text_enum! {
    /// What a ticket is about (the handbook's Cloud Success Center categories).
    pub enum Category {
        QuotePrices = "quote_prices" => "support.category_quote_prices",
        OrderFailed = "order_failed" => "support.category_order_failed",
        PlatformUse = "platform_use" => "support.category_platform_use",
        Billing = "billing" => "support.category_billing",
        PublicId = "public_id" => "support.category_public_id",
        Training = "training" => "support.category_training",
        Other = "other" => "support.category_other",
    }
}

crate::text_enum! {
    /// Where a ticket stands.
    pub enum TicketStatus {
        /// Waiting for the distributor's answer.
        Open = "open" => "support.status_open",
        /// Answered: waiting for the reseller.
        Waiting = "waiting" => "support.status_waiting",
        Solved = "solved" => "support.status_solved",
        Closed = "closed" => "support.status_closed",
    }
}

impl TicketStatus {
    /// Its label on the help desk, where "waiting" is on the reseller, not on the reader.
    pub fn desk_key(self) -> &'static str {
        match self {
            TicketStatus::Waiting => "support.status_waiting_desk",
            other => other.key(),
        }
    }

    /// Whether the distributor still owes an answer or the reseller one (its due date counts).
    pub fn is_active(self) -> bool {
        matches!(self, TicketStatus::Open | TicketStatus::Waiting)
    }
}

/// A ticket's number as people read it: `CSCS-000001`.
pub fn ticket_number(n: i64) -> String {
    format!("CSCS-{n:06}")
}

/// The number a search for `q` means (`CSCS-000012`, `cscs-12` or `12`), if it is one.
pub fn number_query(q: &str) -> Option<i64> {
    let q = q.trim();
    let digits = match q.get(..5) {
        Some(prefix) if prefix.eq_ignore_ascii_case("cscs-") => &q[5..],
        _ => q,
    };
    digits.parse().ok().filter(|n| *n > 0)
}

/// Business days a ticket has to be answered in.
pub const ANSWER_WITHIN_DAYS: u32 = 2;
/// Days after closing in which the reseller can reopen a ticket.
pub const REOPEN_WITHIN: Duration = Duration::days(14);

/// When a ticket opened at `opened` by a reseller in `country` and time zone `zone` is due: the
/// second business day after the local day it was opened, and the moment that day ends there.
pub fn due(opened: OffsetDateTime, zone: &str, country: &str) -> (Date, OffsetDateTime) {
    let local = crate::i18n::local_date(opened, Some(zone));
    let day = holidays::business_days_after(country, local, ANSWER_WITHIN_DAYS);
    (day, start_of(day.next_day().unwrap_or(day), zone))
}

/// The moment `day` starts in `zone` (UTC when the zone is unknown).
fn start_of(day: Date, zone: &str) -> OffsetDateTime {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let civil = jiff::civil::Date::new(
        day.year() as i16,
        u8::from(day.month()) as i8,
        day.day() as i8,
    );
    let seconds = civil
        .and_then(|d| d.to_zoned(tz))
        .map(|z| z.timestamp().as_second())
        .unwrap_or_else(|_| day.midnight().assume_utc().unix_timestamp());
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// How a ticket stands against its due date at `now`, for its badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sla {
    /// Due on a later day.
    OnTime,
    /// Due by the end of today (in the reseller's zone).
    DueToday,
    /// Past its due moment, by this many business days (at least one).
    Overdue(u32),
}

/// Where an active ticket due on `due_on` (ending at `due_at`) stands at `now`.
pub fn sla(
    due_on: Date,
    due_at: OffsetDateTime,
    now: OffsetDateTime,
    zone: &str,
    country: &str,
) -> Sla {
    if now >= due_at {
        let today = crate::i18n::local_date(now, Some(zone));
        return Sla::Overdue(holidays::business_days_between(country, due_on, today).max(1));
    }
    if crate::i18n::local_date(now, Some(zone)) == due_on {
        Sla::DueToday
    } else {
        Sla::OnTime
    }
}

/// The longest subject and message.
pub const SUBJECT_MAX: usize = 200;
pub const BODY_MAX: usize = 10_000;

/// What a ticket is linked to (chosen from the reseller's own lists).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Order(Uuid),
    Subscription(Uuid),
    Invoice(Uuid),
    Customer(Uuid),
}

impl Link {
    /// The link a form's choice (`order:<id>`…) names; none when empty, the message key of the
    /// error otherwise.
    pub fn parse(raw: &str) -> Result<Option<Link>, &'static str> {
        const INVALID: &str = "support.link_invalid";
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        let (kind, id) = raw.split_once(':').ok_or(INVALID)?;
        let id = Uuid::parse_str(id).map_err(|_| INVALID)?;
        Ok(Some(match kind {
            "order" => Link::Order(id),
            "subscription" => Link::Subscription(id),
            "invoice" => Link::Invoice(id),
            "customer" => Link::Customer(id),
            _ => return Err(INVALID),
        }))
    }

    /// The form's value for it.
    pub fn code(self) -> String {
        match self {
            Link::Order(id) => format!("order:{id}"),
            Link::Subscription(id) => format!("subscription:{id}"),
            Link::Invoice(id) => format!("invoice:{id}"),
            Link::Customer(id) => format!("customer:{id}"),
        }
    }

    /// Its page in the reseller's portal.
    pub fn href(self) -> String {
        match self {
            Link::Order(id) => format!("/orders/{id}"),
            Link::Subscription(id) => format!("/subscriptions/{id}"),
            Link::Invoice(id) => format!("/billing/{id}"),
            Link::Customer(id) => format!("/customers/{id}"),
        }
    }

    /// Its columns: order, subscription, invoice, customer.
    pub fn columns(link: Option<Link>) -> [Option<Uuid>; 4] {
        match link {
            None => [None; 4],
            Some(Link::Order(id)) => [Some(id), None, None, None],
            Some(Link::Subscription(id)) => [None, Some(id), None, None],
            Some(Link::Invoice(id)) => [None, None, Some(id), None],
            Some(Link::Customer(id)) => [None, None, None, Some(id)],
        }
    }

    /// The link of a ticket's columns.
    pub fn of_columns(
        order: Option<Uuid>,
        subscription: Option<Uuid>,
        invoice: Option<Uuid>,
        customer: Option<Uuid>,
    ) -> Option<Link> {
        order
            .map(Link::Order)
            .or(subscription.map(Link::Subscription))
            .or(invoice.map(Link::Invoice))
            .or(customer.map(Link::Customer))
    }
}

/// A new ticket's form, as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct TicketForm {
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub link: String,
}

/// A new ticket, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTicket {
    pub category: Category,
    pub subject: String,
    pub description: String,
    pub link: Option<Link>,
}

/// A message's text, trimmed, if it is one: not empty, not longer than [`BODY_MAX`].
pub fn body(raw: &str) -> Result<String, &'static str> {
    let text = raw.trim();
    if text.is_empty() {
        Err("support.body_required")
    } else if text.chars().count() > BODY_MAX {
        Err("support.body_too_long")
    } else {
        Ok(text.to_string())
    }
}

impl TicketForm {
    /// The ticket the form describes, or the message of each field that cannot be one.
    pub fn parse(&self) -> Result<NewTicket, FieldErrors> {
        let mut errors = FieldErrors::new();
        let category = Category::from_code(self.category.trim());
        if category.is_none() {
            errors.add("category", "support.category_required");
        }
        let subject = self.subject.trim().to_string();
        if subject.is_empty() {
            errors.add("subject", "support.subject_required");
        } else if subject.chars().count() > SUBJECT_MAX || subject.chars().any(char::is_control) {
            errors.add("subject", "support.subject_invalid");
        }
        let description = body(&self.description)
            .map_err(|k| errors.add("description", k))
            .ok();
        let link = Link::parse(&self.link)
            .map_err(|k| errors.add("link", k))
            .ok()
            .flatten();
        match (category, description) {
            (Some(category), Some(description)) if errors.is_empty() => Ok(NewTicket {
                category,
                subject,
                description,
                link,
            }),
            _ => Err(errors),
        }
    }
}

/// Whether a ticket closed at `closed` can be reopened at `now`.
pub fn can_reopen(closed: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
    closed.is_some_and(|at| now - at <= REOPEN_WITHIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn numbers_read_and_searched() {
        assert_eq!(ticket_number(1), "CSCS-000001");
        assert_eq!(ticket_number(1234567), "CSCS-1234567");
        assert_eq!(number_query("CSCS-000012"), Some(12));
        assert_eq!(number_query("cscs-12"), Some(12));
        assert_eq!(number_query(" 7 "), Some(7));
        assert_eq!(number_query("ORD-1"), None);
        assert_eq!(number_query("0"), None);
    }

    #[test]
    fn due_two_business_days_later_in_the_resellers_zone_and_country() {
        // São Paulo, the Friday before Carnaval 2027 at 16:00 local (19:00 UTC): Monday and
        // Tuesday are Carnaval, so it is due on Thursday, by its end (03:00 UTC on Friday).
        let (day, at) = due(datetime!(2027-02-05 19:00 UTC), "America/Sao_Paulo", "BR");
        assert_eq!(day, date!(2027 - 02 - 11));
        assert_eq!(at, datetime!(2027-02-12 03:00 UTC));
        // Late on Friday in Mexico City is already Saturday in UTC: the local day counts.
        let (day, _) = due(datetime!(2026-09-12 04:30 UTC), "America/Mexico_City", "MX");
        assert_eq!(
            day,
            date!(2026 - 09 - 15),
            "opened Friday the 11th: Monday, Tuesday"
        );
        // Just after midnight local, on Saturday: the same Monday and Tuesday.
        let (day, _) = due(datetime!(2026-09-12 06:30 UTC), "America/Mexico_City", "MX");
        assert_eq!(day, date!(2026 - 09 - 15));
        // An unknown zone counts in UTC.
        let (day, at) = due(datetime!(2026-12-03 12:00 UTC), "Nowhere/Else", "CL");
        assert_eq!(day, date!(2026 - 12 - 07));
        assert_eq!(at, datetime!(2026-12-08 00:00 UTC));
    }

    #[test]
    fn due_today_on_time_or_overdue_by_business_days() {
        let zone = "America/Sao_Paulo";
        let due_on = date!(2027 - 02 - 11);
        let due_at = datetime!(2027-02-12 03:00 UTC);
        assert_eq!(
            sla(due_on, due_at, datetime!(2027-02-10 12:00 UTC), zone, "BR"),
            Sla::OnTime
        );
        assert_eq!(
            sla(due_on, due_at, datetime!(2027-02-11 12:00 UTC), zone, "BR"),
            Sla::DueToday
        );
        assert_eq!(
            sla(due_on, due_at, datetime!(2027-02-12 12:00 UTC), zone, "BR"),
            Sla::Overdue(1)
        );
        // Over the weekend it stays one business day late; on Tuesday it is three.
        assert_eq!(
            sla(due_on, due_at, datetime!(2027-02-14 12:00 UTC), zone, "BR"),
            Sla::Overdue(1)
        );
        assert_eq!(
            sla(due_on, due_at, datetime!(2027-02-16 12:00 UTC), zone, "BR"),
            Sla::Overdue(3)
        );
    }

    #[test]
    fn a_new_ticket_needs_a_category_a_subject_and_a_description() {
        let id = Uuid::new_v4();
        let form = TicketForm {
            category: "order_failed".into(),
            subject: "  My order failed ".into(),
            description: "It says rejected.".into(),
            link: format!("order:{id}"),
        };
        let t = form.parse().unwrap();
        assert_eq!(t.category, Category::OrderFailed);
        assert_eq!(t.subject, "My order failed");
        assert_eq!(t.link, Some(Link::Order(id)));
        let bad = TicketForm {
            category: "nonsense".into(),
            subject: "x".repeat(201),
            description: " ".into(),
            link: "order:not-an-id".into(),
        };
        let errors = bad.parse().unwrap_err();
        for field in ["category", "subject", "description", "link"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let long = TicketForm {
            description: "x".repeat(BODY_MAX + 1),
            ..form.clone()
        };
        assert_eq!(
            long.parse().unwrap_err().get("description"),
            Some("support.body_too_long")
        );
        let control = TicketForm {
            subject: "a\u{7}b".into(),
            ..form
        };
        assert!(control.parse().is_err());
        assert_eq!(Link::parse("invoice:x"), Err("support.link_invalid"));
        assert!(Link::parse("payment:00000000-0000-0000-0000-000000000000").is_err());
        assert_eq!(Link::parse(""), Ok(None));
    }

    #[test]
    fn a_closed_ticket_reopens_within_14_days() {
        let closed = datetime!(2026-12-01 10:00 UTC);
        assert!(can_reopen(Some(closed), datetime!(2026-12-15 10:00 UTC)));
        assert!(!can_reopen(Some(closed), datetime!(2026-12-15 10:01 UTC)));
        assert!(!can_reopen(None, closed));
    }
}
