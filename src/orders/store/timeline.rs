//! SQL for an order's timeline and staff's decisions on it.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::orders::rules::OrderStatus;
use crate::vendors::VendorCode;

crate::text_enum! {
    /// What an event of the timeline records: the order moving to its status, or a
    /// provisioning run's status that was not applied (the order had been closed meanwhile).
    pub enum EventKind {
        Status = "status" => "orders.event_status",
        NotApplied = "not_applied" => "orders.event_not_applied",
    }
}

#[derive(Debug)]
pub struct Event {
    pub kind: EventKind,
    pub status: OrderStatus,
    pub detail: Option<String>,
    /// The user who moved it on (when the reader may see them).
    pub actor: Option<String>,
    /// Moved on by the portal itself (the provisioning job), not by a user.
    pub by_system: bool,
    pub at: OffsetDateTime,
}

pub async fn events(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> sqlx::Result<Vec<Event>> {
    sqlx::query_as!(
        Event,
        r#"SELECT e.kind AS "kind: EventKind", e.status AS "status: OrderStatus", e.detail, u.name AS "actor?", (e.actor_id IS NULL AND e.actor_label IS NOT NULL) AS "by_system!", e.at
           FROM order_events e LEFT JOIN users u ON u.id = e.actor_id
           WHERE e.reseller_id = $1 AND e.order_id = $2 ORDER BY e.at, e.id"#,
        reseller_id,
        order_id,
    )
    .fetch_all(tx)
    .await
}

/// Who moved an order on: a user, or the portal itself (the provisioning job).
#[derive(Clone, Copy, Debug)]
pub enum Actor {
    User(Uuid),
    System,
}

pub async fn add_event(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
    status: OrderStatus,
    detail: Option<&str>,
    actor: Actor,
) -> sqlx::Result<()> {
    record(
        tx,
        reseller_id,
        order_id,
        EventKind::Status,
        status,
        detail,
        actor,
    )
    .await
}

/// Records on the timeline that a provisioning run's `status` was not applied: the order was
/// closed (`closed`) while the run worked on it.
pub async fn add_not_applied(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
    status: OrderStatus,
    closed: OrderStatus,
) -> sqlx::Result<()> {
    let kind = EventKind::NotApplied;
    let detail = Some(closed.code());
    record(
        tx,
        reseller_id,
        order_id,
        kind,
        status,
        detail,
        Actor::System,
    )
    .await
}

async fn record(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
    kind: EventKind,
    status: OrderStatus,
    detail: Option<&str>,
    actor: Actor,
) -> sqlx::Result<()> {
    let (actor_id, actor_label) = match actor {
        Actor::User(id) => (Some(id), None),
        Actor::System => (None, Some("worker")),
    };
    sqlx::query!(
        "INSERT INTO order_events (reseller_id, order_id, kind, status, detail, actor_id,
                                   actor_label)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        reseller_id,
        order_id,
        kind.code(),
        status.code(),
        detail,
        actor_id,
        actor_label,
    )
    .execute(tx)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- staff decisions

/// The order's status, locked until the transaction ends (decisions take turns).
pub async fn lock_status(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> sqlx::Result<OrderStatus> {
    sqlx::query_scalar!(
        r#"SELECT status AS "status: OrderStatus" FROM orders
           WHERE reseller_id = $1 AND id = $2 FOR UPDATE"#,
        reseller_id,
        order_id,
    )
    .fetch_one(tx)
    .await
}

/// Sends the failed lines of an order (or only `line`) back to the vendor; the names of the
/// products retried (none when nothing was failed).
pub async fn retry_lines(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
    line: Option<Uuid>,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "UPDATE order_lines SET status = 'pending', error = NULL
         WHERE reseller_id = $1 AND order_id = $2 AND status = 'failed'
           AND ($3::uuid IS NULL OR id = $3)
         RETURNING product_name",
        reseller_id,
        order_id,
        line,
    )
    .fetch_all(tx)
    .await
}

/// Sets the order's status (and reason: the vendor's error code or staff's words).
pub async fn set_status(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
    status: OrderStatus,
    reason: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE orders SET status = $3, reason = $4, updated_at = now()
         WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        order_id,
        status.code(),
        reason,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// How many times the order went to the vendor (each retry queues a job of its own).
pub async fn attempts(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> sqlx::Result<i64> {
    let n = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM order_events
           WHERE reseller_id = $1 AND order_id = $2 AND status = 'provisioning'"#,
        reseller_id,
        order_id,
    )
    .fetch_one(tx)
    .await?;
    Ok(n)
}

/// An order as the staff queue lists it, across every reseller.
#[derive(Debug)]
pub struct StaffRow {
    pub id: Uuid,
    pub reseller_id: Uuid,
    pub number: i64,
    pub reseller: String,
    pub customer: String,
    pub status: OrderStatus,
    pub reason: Option<String>,
    pub vendors: Vec<VendorCode>,
    pub created_at: OffsetDateTime,
}

/// The staff queue: failed orders first, then the newest (at most 200). Staff see every
/// reseller: this runs outside tenant transactions, on purpose.
pub async fn staff_orders(
    db: impl sqlx::PgExecutor<'_>,
    status: Option<OrderStatus>,
    reseller: &str,
    vendor: Option<VendorCode>,
) -> sqlx::Result<Vec<StaffRow>> {
    sqlx::query_as!(
        StaffRow,
        r#"SELECT o.id, o.reseller_id, o.number, r.legal_name AS reseller, c.legal_name AS customer,
                  o.status AS "status: OrderStatus", o.reason,
                  o.vendors AS "vendors: Vec<VendorCode>", o.created_at
           FROM orders o
           JOIN resellers r ON r.id = o.reseller_id
           JOIN customers c ON c.reseller_id = o.reseller_id AND c.id = o.customer_id
           WHERE ($1::text IS NULL OR o.status = $1)
             AND ($2 = '' OR portal_fold(r.legal_name) LIKE '%' || portal_fold($3) || '%'
                  OR r.public_id = upper($2))
             AND ($4::text IS NULL OR $4 = ANY (o.vendors))
           ORDER BY (o.status = 'failed') DESC, o.created_at DESC LIMIT 200"#,
        status.map(OrderStatus::code),
        reseller,
        crate::text::like_escape(reseller),
        vendor.map(VendorCode::code),
    )
    .fetch_all(db)
    .await
}

// ---------------------------------------------------------------- provisioning
