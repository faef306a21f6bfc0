//! Tickets' SQL. A reseller's requests run in its tenant transaction, staff's with no tenant
//! set: the same reads serve both, row-level security deciding whose tickets they see.

use sqlx::{PgConnection, Postgres, QueryBuilder};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::i18n::Locale;
use crate::support::attachments;
use crate::support::rules::{self, Category, Link, NewTicket, TicketStatus};

/// A ticket as lists and its page show it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Ticket {
    pub id: Uuid,
    pub reseller_id: Uuid,
    pub reseller: String,
    pub country: String,
    pub time_zone: String,
    pub number: i64,
    pub category: Category,
    pub subject: String,
    pub status: TicketStatus,
    pub opened_by: Uuid,
    pub opener: String,
    pub opener_email: String,
    pub opener_locale: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub assignee: Option<String>,
    pub order_id: Option<Uuid>,
    pub subscription_id: Option<Uuid>,
    pub invoice_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub due_on: Date,
    pub due_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub closed_at: Option<OffsetDateTime>,
}

impl Ticket {
    pub fn link(&self) -> Option<Link> {
        Link::of_columns(
            self.order_id,
            self.subscription_id,
            self.invoice_id,
            self.customer_id,
        )
    }
}

const SELECTED: &str =
    "SELECT t.id, t.reseller_id, r.legal_name AS reseller, r.country::text AS country,
        r.time_zone, t.number, t.category, t.subject, t.status, t.opened_by, u.name AS opener,
        u.email::text AS opener_email, u.locale AS opener_locale, t.assignee_id,
        a.name AS assignee, t.order_id, t.subscription_id, t.invoice_id, t.customer_id,
        t.due_on, t.due_at, t.created_at, t.updated_at, t.closed_at
    FROM tickets t
    JOIN resellers r ON r.id = t.reseller_id
    JOIN users u ON u.id = t.opened_by
    LEFT JOIN users a ON a.id = t.assignee_id";

/// The ticket `id`, if this transaction sees it.
pub async fn ticket(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Ticket>> {
    let mut b = QueryBuilder::<Postgres>::new(SELECTED);
    b.push(" WHERE t.id = ").push_bind(id);
    b.build_query_as().fetch_optional(conn).await
}

/// What a list of tickets shows.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub status: Option<TicketStatus>,
    pub category: Option<Category>,
    pub reseller: Option<Uuid>,
    /// Staff's: assigned to this user (or to nobody, with `unassigned`).
    pub assignee: Option<Uuid>,
    pub unassigned: bool,
    /// Active and past its due moment.
    pub overdue: bool,
    /// Active and due by the end of today (UTC): the console's "due today".
    pub due_by: Option<OffsetDateTime>,
    /// A number (`CSCS-000012`, `12`) or words of the subject.
    pub q: String,
}

fn push_filter(b: &mut QueryBuilder<'_, Postgres>, f: &Filter) {
    b.push(" WHERE true");
    if let Some(s) = f.status {
        b.push(" AND t.status = ").push_bind(s.code());
    }
    if let Some(c) = f.category {
        b.push(" AND t.category = ").push_bind(c.code());
    }
    if let Some(r) = f.reseller {
        b.push(" AND t.reseller_id = ").push_bind(r);
    }
    if let Some(a) = f.assignee {
        b.push(" AND t.assignee_id = ").push_bind(a);
    }
    if f.unassigned {
        b.push(" AND t.assignee_id IS NULL");
    }
    if f.overdue {
        b.push(" AND t.status IN ('open', 'waiting') AND t.due_at <= now()");
    }
    if let Some(by) = f.due_by {
        b.push(" AND t.status IN ('open', 'waiting') AND t.due_at < ")
            .push_bind(by);
    }
    let q = f.q.trim();
    if !q.is_empty() {
        match rules::number_query(q) {
            Some(n) => b.push(" AND t.number = ").push_bind(n),
            None => b
                .push(" AND portal_fold(t.subject) LIKE '%' || portal_fold(")
                .push_bind(crate::text::like_escape(q))
                .push(") || '%'"),
        };
    }
}

/// A page of the tickets `f` finds, `limit` from `offset`: the active ones by due moment first
/// (staff's queue) or the newest first (a reseller's list); and how many there are.
pub async fn list(
    conn: &mut PgConnection,
    f: &Filter,
    by_due: bool,
    offset: i64,
    limit: i64,
) -> sqlx::Result<(Vec<Ticket>, i64)> {
    let mut b = QueryBuilder::<Postgres>::new(SELECTED);
    push_filter(&mut b, f);
    if by_due {
        b.push(" ORDER BY (t.status IN ('open', 'waiting')) DESC, t.due_at, t.number");
    } else {
        b.push(" ORDER BY t.created_at DESC, t.number DESC");
    }
    b.push(" OFFSET ")
        .push_bind(offset)
        .push(" LIMIT ")
        .push_bind(limit);
    let rows = b.build_query_as().fetch_all(&mut *conn).await?;
    let mut c = QueryBuilder::<Postgres>::new("SELECT count(*) FROM tickets t");
    push_filter(&mut c, f);
    let total: i64 = c.build_query_scalar().fetch_one(conn).await?;
    Ok((rows, total))
}

/// A message of a ticket's conversation.
#[derive(Clone, Debug)]
pub struct Message {
    pub id: Uuid,
    pub author: String,
    pub from_staff: bool,
    pub internal: bool,
    pub body: String,
    pub created_at: OffsetDateTime,
}

/// The conversation of `ticket`, oldest first; staff's internal notes only when `internal`.
pub async fn messages(
    conn: &mut PgConnection,
    ticket: Uuid,
    internal: bool,
) -> sqlx::Result<Vec<Message>> {
    sqlx::query_as!(
        Message,
        // A reseller does not see staff users (row-level security): their answers are the
        // distributor's.
        r#"SELECT m.id, coalesce(u.name, '') AS "author!", m.from_staff, m.internal, m.body,
                  m.created_at
         FROM ticket_messages m LEFT JOIN users u ON u.id = m.author_id
         WHERE m.ticket_id = $1 AND ($2 OR NOT m.internal)
         ORDER BY m.created_at, m.id"#,
        ticket,
        internal
    )
    .fetch_all(conn)
    .await
}

/// A ticket opened.
#[derive(Clone, Copy, Debug)]
pub struct Opened {
    pub id: Uuid,
    pub number: i64,
    pub due_on: Date,
}

/// Opens `t` for the reseller, by `user`, at `now`, in its tenant transaction: the ticket and
/// its first message. `Err` is the message key of a link that is not the reseller's.
pub async fn open(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user: Uuid,
    t: &NewTicket,
    files: &[attachments::File],
    now: OffsetDateTime,
) -> sqlx::Result<Result<Opened, &'static str>> {
    if let Some(link) = t.link {
        // The tenant transaction sees only the reseller's own.
        if link_label(tx, link, Locale::Es).await?.is_none() {
            return Ok(Err("support.link_invalid"));
        }
    }
    let place = sqlx::query!(
        r#"SELECT country::text AS "country!", time_zone FROM resellers WHERE id = $1"#,
        reseller_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let (due_on, due_at) = rules::due(now, &place.time_zone, &place.country);
    let [order, subscription, invoice, customer] = Link::columns(t.link);
    let row = sqlx::query!(
        "INSERT INTO tickets (reseller_id, category, subject, opened_by, order_id,
                              subscription_id, invoice_id, customer_id, due_on, due_at,
                              created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
         RETURNING id, number",
        reseller_id,
        t.category.code(),
        t.subject,
        user,
        order,
        subscription,
        invoice,
        customer,
        due_on,
        due_at,
        now,
    )
    .fetch_one(&mut *tx)
    .await?;
    let said = Said {
        body: &t.description,
        files,
    };
    add_message(tx, (reseller_id, row.id), user, (false, false), &said, now).await?;
    Ok(Ok(Opened {
        id: row.id,
        number: row.number,
        due_on,
    }))
}

/// What a message says: its text and its files (checked).
pub struct Said<'a> {
    pub body: &'a str,
    pub files: &'a [attachments::File],
}

/// Adds a message, with its files, to a ticket.
async fn add_message(
    tx: &mut PgConnection,
    (reseller_id, ticket): (Uuid, Uuid),
    author: Uuid,
    (from_staff, internal): (bool, bool),
    said: &Said<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    let id = sqlx::query_scalar!(
        "INSERT INTO ticket_messages (reseller_id, ticket_id, author_id, from_staff, internal,
                                      body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        reseller_id,
        ticket,
        author,
        from_staff,
        internal,
        said.body,
        now
    )
    .fetch_one(&mut *tx)
    .await?;
    for f in said.files {
        sqlx::query!(
            "INSERT INTO ticket_attachments (reseller_id, ticket_id, message_id, name, kind,
                                             size, data, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            reseller_id,
            ticket,
            id,
            f.checked.name,
            f.checked.kind.code(),
            f.bytes.len() as i32,
            &f.bytes[..],
            now
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// A file of a ticket, as listed under its message.
#[derive(Clone, Debug)]
pub struct Attachment {
    pub id: Uuid,
    pub message_id: Uuid,
    pub name: String,
    pub size: i32,
}

/// The files of `ticket`'s messages (those of internal notes only when `internal`).
pub async fn attachments(
    conn: &mut PgConnection,
    ticket: Uuid,
    internal: bool,
) -> sqlx::Result<Vec<Attachment>> {
    sqlx::query_as!(
        Attachment,
        "SELECT a.id, a.message_id, a.name, a.size
         FROM ticket_attachments a
         JOIN ticket_messages m ON m.reseller_id = a.reseller_id AND m.id = a.message_id
         WHERE a.ticket_id = $1 AND ($2 OR NOT m.internal)
         ORDER BY a.created_at, a.name",
        ticket,
        internal
    )
    .fetch_all(conn)
    .await
}

/// One file of `ticket` (not of an internal note unless `internal`): its name, kind and bytes.
pub async fn attachment(
    conn: &mut PgConnection,
    ticket: Uuid,
    id: Uuid,
    internal: bool,
) -> sqlx::Result<Option<(String, attachments::Kind, Vec<u8>)>> {
    let row = sqlx::query!(
        r#"SELECT a.name, a.kind AS "kind: attachments::Kind", a.data
           FROM ticket_attachments a
           JOIN ticket_messages m ON m.reseller_id = a.reseller_id AND m.id = a.message_id
           WHERE a.ticket_id = $1 AND a.id = $2 AND ($3 OR NOT m.internal)"#,
        ticket,
        id,
        internal
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.name, r.kind, r.data)))
}

/// The ticket `id`'s status, locked for a change in this transaction.
async fn lock(tx: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<(Uuid, TicketStatus)>> {
    let row = sqlx::query!(
        r#"SELECT reseller_id, status AS "status: TicketStatus" FROM tickets WHERE id = $1
           FOR UPDATE"#,
        id
    )
    .fetch_optional(tx)
    .await?;
    Ok(row.map(|r| (r.reseller_id, r.status)))
}

async fn set_status(
    tx: &mut PgConnection,
    id: Uuid,
    status: TicketStatus,
    due: Option<(Date, OffsetDateTime)>,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    let (due_on, due_at) = due.unzip();
    sqlx::query!(
        "UPDATE tickets
         SET status = $2, updated_at = $3::timestamptz,
             closed_at = CASE WHEN $2 = 'closed' THEN $3::timestamptz END,
             due_on = coalesce($4, due_on), due_at = coalesce($5, due_at)
         WHERE id = $1",
        id,
        status.code(),
        now,
        due_on,
        due_at
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// What a change to a ticket can be refused for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    NotFound,
    /// Closed: reopen it first (or it can no longer be).
    Closed,
    /// Not closed, or closed too long ago.
    CannotReopen,
}

/// A reply by the reseller's `user`: the ticket is open again (waiting for the distributor).
pub async fn reply(
    tx: &mut PgConnection,
    id: Uuid,
    user: Uuid,
    said: &Said<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<Result<(), Refused>> {
    let Some((reseller_id, status)) = lock(tx, id).await? else {
        return Ok(Err(Refused::NotFound));
    };
    if status == TicketStatus::Closed {
        return Ok(Err(Refused::Closed));
    }
    add_message(tx, (reseller_id, id), user, (false, false), said, now).await?;
    set_status(tx, id, TicketStatus::Open, None, now).await?;
    Ok(Ok(()))
}

/// The reseller closes the ticket.
pub async fn close(
    tx: &mut PgConnection,
    id: Uuid,
    now: OffsetDateTime,
) -> sqlx::Result<Result<(), Refused>> {
    match lock(tx, id).await? {
        None => Ok(Err(Refused::NotFound)),
        Some((_, TicketStatus::Closed)) => Ok(Err(Refused::Closed)),
        Some(_) => {
            set_status(tx, id, TicketStatus::Closed, None, now).await?;
            Ok(Ok(()))
        }
    }
}

/// The reseller reopens a ticket closed within [`rules::REOPEN_WITHIN`]: due again two business
/// days from now.
pub async fn reopen(
    tx: &mut PgConnection,
    id: Uuid,
    now: OffsetDateTime,
) -> sqlx::Result<Result<(), Refused>> {
    if lock(tx, id).await?.is_none() {
        return Ok(Err(Refused::NotFound));
    }
    let Some(t) = ticket(tx, id).await? else {
        return Ok(Err(Refused::NotFound));
    };
    if t.status != TicketStatus::Closed || !rules::can_reopen(t.closed_at, now) {
        return Ok(Err(Refused::CannotReopen));
    }
    let due = rules::due(now, &t.time_zone, &t.country);
    set_status(tx, id, TicketStatus::Open, Some(due), now).await?;
    Ok(Ok(()))
}

/// A staff member's reply or internal note; a reply to an open ticket leaves it waiting on the
/// reseller, unless `status` says otherwise.
pub async fn answer(
    tx: &mut PgConnection,
    id: Uuid,
    staff: Uuid,
    said: &Said<'_>,
    internal: bool,
    status: Option<TicketStatus>,
    now: OffsetDateTime,
) -> sqlx::Result<Result<(), Refused>> {
    let Some((reseller_id, current)) = lock(tx, id).await? else {
        return Ok(Err(Refused::NotFound));
    };
    add_message(tx, (reseller_id, id), staff, (true, internal), said, now).await?;
    let next = match (status, internal, current) {
        (Some(s), _, _) => Some(s),
        (None, false, TicketStatus::Open) => Some(TicketStatus::Waiting),
        _ => None,
    };
    match next {
        Some(s) if s != current => set_status(tx, id, s, None, now).await?,
        _ => {
            sqlx::query!("UPDATE tickets SET updated_at = $2 WHERE id = $1", id, now)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(Ok(()))
}

/// Staff set a ticket's status.
pub async fn change_status(
    tx: &mut PgConnection,
    id: Uuid,
    status: TicketStatus,
    now: OffsetDateTime,
) -> sqlx::Result<Result<TicketStatus, Refused>> {
    let Some((_, current)) = lock(tx, id).await? else {
        return Ok(Err(Refused::NotFound));
    };
    if current != status {
        set_status(tx, id, status, None, now).await?;
    }
    Ok(Ok(current))
}

/// Staff assign a ticket to `assignee` (a staff user) or to nobody; false when `assignee` is not
/// an active staff user.
pub async fn assign(
    tx: &mut PgConnection,
    id: Uuid,
    assignee: Option<Uuid>,
    now: OffsetDateTime,
) -> sqlx::Result<Result<(), Refused>> {
    if lock(tx, id).await?.is_none() {
        return Ok(Err(Refused::NotFound));
    }
    if let Some(a) = assignee {
        let staff = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND role = 'staff'
                              AND status = 'active') AS "staff!""#,
            a
        )
        .fetch_one(&mut *tx)
        .await?;
        if !staff {
            return Ok(Err(Refused::NotFound));
        }
    }
    sqlx::query!(
        "UPDATE tickets SET assignee_id = $2, updated_at = $3 WHERE id = $1",
        id,
        assignee,
        now
    )
    .execute(&mut *tx)
    .await?;
    Ok(Ok(()))
}

/// The resellers that have tickets (id and name, by name): the desk's reseller filter.
pub async fn resellers_with_tickets(conn: &mut PgConnection) -> sqlx::Result<Vec<(Uuid, String)>> {
    let rows = sqlx::query!(
        "SELECT r.id, r.legal_name FROM resellers r
         WHERE EXISTS (SELECT 1 FROM tickets t WHERE t.reseller_id = r.id)
         ORDER BY r.legal_name, r.id"
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.legal_name)).collect())
}

/// The active staff users (whom a ticket can be assigned to): id and name.
pub async fn staff_users(conn: &mut PgConnection) -> sqlx::Result<Vec<(Uuid, String)>> {
    let rows = sqlx::query!(
        "SELECT id, name FROM users WHERE role = 'staff' AND status = 'active' ORDER BY name, id"
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// What a new ticket can be linked to: the reseller's latest orders, subscriptions, invoices
/// and customers (value, label), and the one `wanted` when it is the reseller's.
pub async fn link_choices(
    tx: &mut PgConnection,
    wanted: Option<Link>,
    locale: Locale,
) -> sqlx::Result<Vec<(Link, String)>> {
    const LATEST: i64 = 20;
    let mut choices = Vec::new();
    for r in sqlx::query!(
        "SELECT o.id, o.number, c.legal_name FROM orders o
         JOIN customers c ON c.reseller_id = o.reseller_id AND c.id = o.customer_id
         ORDER BY o.created_at DESC LIMIT $1",
        LATEST
    )
    .fetch_all(&mut *tx)
    .await?
    {
        let label = format!(
            "{} — {}",
            crate::orders::rules::order_number(r.number),
            r.legal_name
        );
        choices.push((Link::Order(r.id), label));
    }
    for r in sqlx::query!(
        "SELECT s.id, p.name_es, p.name_en, p.name_pt, c.legal_name FROM subscriptions s
         JOIN products p ON p.id = s.product_id
         JOIN customers c ON c.reseller_id = s.reseller_id AND c.id = s.customer_id
         ORDER BY s.created_at DESC LIMIT $1",
        LATEST
    )
    .fetch_all(&mut *tx)
    .await?
    {
        let name = locale.pick(&r.name_es, &r.name_en, &r.name_pt);
        choices.push((
            Link::Subscription(r.id),
            format!("{name} — {}", r.legal_name),
        ));
    }
    for r in sqlx::query!(
        "SELECT id, number FROM invoices ORDER BY period DESC LIMIT $1",
        LATEST
    )
    .fetch_all(&mut *tx)
    .await?
    {
        choices.push((Link::Invoice(r.id), r.number));
    }
    for r in sqlx::query!(
        "SELECT id, legal_name FROM customers ORDER BY created_at DESC LIMIT $1",
        LATEST
    )
    .fetch_all(&mut *tx)
    .await?
    {
        choices.push((Link::Customer(r.id), r.legal_name));
    }
    if let Some(w) = wanted {
        if !choices.iter().any(|(l, _)| *l == w) {
            if let Some(label) = link_label(tx, w, locale).await? {
                choices.insert(0, (w, label));
            }
        }
    }
    Ok(choices)
}

/// What a link is called (the same labels as the choices), if this transaction sees it.
pub async fn link_label(
    tx: &mut PgConnection,
    link: Link,
    locale: Locale,
) -> sqlx::Result<Option<String>> {
    Ok(match link {
        Link::Order(id) => sqlx::query!(
            "SELECT o.number, c.legal_name FROM orders o
             JOIN customers c ON c.reseller_id = o.reseller_id AND c.id = o.customer_id
             WHERE o.id = $1",
            id
        )
        .fetch_optional(tx)
        .await?
        .map(|r| {
            format!(
                "{} — {}",
                crate::orders::rules::order_number(r.number),
                r.legal_name
            )
        }),
        Link::Subscription(id) => sqlx::query!(
            "SELECT p.name_es, p.name_en, p.name_pt, c.legal_name FROM subscriptions s
             JOIN products p ON p.id = s.product_id
             JOIN customers c ON c.reseller_id = s.reseller_id AND c.id = s.customer_id
             WHERE s.id = $1",
            id
        )
        .fetch_optional(tx)
        .await?
        .map(|r| {
            let name = locale.pick(&r.name_es, &r.name_en, &r.name_pt);
            format!("{name} — {}", r.legal_name)
        }),
        Link::Invoice(id) => {
            sqlx::query_scalar!("SELECT number FROM invoices WHERE id = $1", id)
                .fetch_optional(tx)
                .await?
        }
        Link::Customer(id) => {
            sqlx::query_scalar!("SELECT legal_name FROM customers WHERE id = $1", id)
                .fetch_optional(tx)
                .await?
        }
    })
}
