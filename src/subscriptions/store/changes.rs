//! SQL for one subscription: its page (the subscription, its seat batches, its history) and its
//! changes, recorded as pending when asked, then applied or failed by the vendor's answer.

use rust_decimal::Decimal;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::catalog::rules::{Billing, Term};
use crate::i18n::Locale;
use crate::subscriptions::rules::{Batch, ChangeKind, ChangeStatus, Plan, SubscriptionStatus};
use crate::vendors::{SuspensionReason, VendorCode, VendorErrorCode};

/// A subscription as its page and its changes read it.
#[derive(Debug, Clone)]
pub struct Detail {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer: String,
    pub sku: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    pub min_seats: i32,
    pub max_seats: i32,
    pub vendor: VendorCode,
    pub tenant_domain: String,
    pub quantity: i32,
    pub term: Term,
    pub billing: Billing,
    pub start_date: time::Date,
    pub end_date: time::Date,
    pub auto_renew: bool,
    pub status: SubscriptionStatus,
    pub suspension: Option<SuspensionReason>,
    pub vendor_ref: String,
    pub unit_price: Decimal,
    pub currency: String,
    pub version: i32,
    pub pending_change: Option<Uuid>,
    pub order_id: Uuid,
}

impl Detail {
    pub fn name(&self, locale: Locale) -> &str {
        locale.pick(&self.name_es, &self.name_en, &self.name_pt)
    }
}

/// The subscription `id` of the reseller; with `lock`, held until the transaction ends (a
/// change decides on what it read).
pub async fn detail(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
    lock: bool,
) -> sqlx::Result<Option<Detail>> {
    if lock {
        let found = sqlx::query_scalar!(
            "SELECT id FROM subscriptions WHERE reseller_id = $1 AND id = $2 FOR UPDATE",
            reseller_id,
            id,
        )
        .fetch_optional(&mut *tx)
        .await?;
        if found.is_none() {
            return Ok(None);
        }
    }
    sqlx::query_as!(
        Detail,
        r#"SELECT s.id, s.customer_id, c.legal_name AS customer, p.sku, p.name_es, p.name_en,
                  p.name_pt, p.min_seats, p.max_seats, s.vendor AS "vendor: VendorCode",
                  s.tenant_domain, s.quantity, s.term AS "term: Term",
                  s.billing AS "billing: Billing", s.start_date, s.end_date, s.auto_renew,
                  s.status AS "status: SubscriptionStatus",
                  s.suspension_reason AS "suspension: SuspensionReason", s.vendor_ref, s.unit_price,
                  s.currency AS "currency!", s.version, s.pending_change, l.order_id
           FROM subscriptions s
           JOIN customers c ON c.reseller_id = s.reseller_id AND c.id = s.customer_id
           JOIN products p ON p.id = s.product_id
           JOIN order_lines l ON l.reseller_id = s.reseller_id AND l.id = s.order_line_id
           WHERE s.reseller_id = $1 AND s.id = $2"#,
        reseller_id,
        id,
    )
    .fetch_optional(tx)
    .await
}

/// The subscription's seat batches, the oldest first.
pub async fn batches(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    subscription_id: Uuid,
) -> sqlx::Result<Vec<Batch>> {
    sqlx::query_as!(
        Batch,
        "SELECT id, added, quantity, added_at, window_closes_at FROM seat_batches
         WHERE reseller_id = $1 AND subscription_id = $2 ORDER BY added_at, id",
        reseller_id,
        subscription_id,
    )
    .fetch_all(tx)
    .await
}

/// A change in the subscription's history.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub id: Uuid,
    pub kind: ChangeKind,
    pub seats_before: i32,
    pub seats_after: i32,
    pub auto_renew: Option<bool>,
    pub amount: Decimal,
    pub currency: String,
    pub status: ChangeStatus,
    pub error: Option<VendorErrorCode>,
    pub actor: Option<String>,
    pub requested_at: OffsetDateTime,
    pub decided_at: Option<OffsetDateTime>,
}

/// The subscription's history, the latest first (at most `limit` changes).
pub async fn history(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    subscription_id: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<HistoryRow>> {
    sqlx::query_as!(
        HistoryRow,
        r#"SELECT h.id, h.kind AS "kind: ChangeKind", h.seats_before, h.seats_after, h.auto_renew,
                  h.amount, h.currency AS "currency!", h.status AS "status: ChangeStatus",
                  h.error AS "error: VendorErrorCode", COALESCE(u.name, h.actor_label) AS actor,
                  h.requested_at, h.decided_at
           FROM subscription_changes h LEFT JOIN users u ON u.id = h.actor_id
           WHERE h.reseller_id = $1 AND h.subscription_id = $2
           ORDER BY h.requested_at DESC, h.id DESC LIMIT $3"#,
        reseller_id,
        subscription_id,
        limit,
    )
    .fetch_all(tx)
    .await
}

/// Records `plan` as a change waiting for the vendor, if the subscription is still at
/// `version` with no change waiting; its id, or `None` when the subscription changed meanwhile
/// (another tab, another user, a double click).
pub async fn record_change(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    subscription: &Detail,
    version: i32,
    plan: &Plan,
    actor: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    let change_id = Uuid::new_v4();
    let claimed = sqlx::query!(
        "UPDATE subscriptions SET version = version + 1, pending_change = $4
         WHERE reseller_id = $1 AND id = $2 AND version = $3 AND pending_change IS NULL",
        reseller_id,
        subscription.id,
        version,
        change_id,
    )
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() != 1 {
        return Ok(None);
    }
    sqlx::query!(
        "INSERT INTO subscription_changes (reseller_id, id, subscription_id, kind, seats_before,
                                           seats_after, batch_id, auto_renew, amount, currency,
                                           actor_id, status_after)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        reseller_id,
        change_id,
        subscription.id,
        plan.kind.code(),
        plan.seats_before,
        plan.seats_after,
        plan.batch,
        plan.auto_renew,
        plan.amount,
        subscription.currency,
        actor,
        plan.status_after.map(SubscriptionStatus::code),
    )
    .execute(&mut *tx)
    .await?;
    Ok(Some(change_id))
}

/// A change as the vendor job reads it.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub kind: ChangeKind,
    pub status: ChangeStatus,
    pub seats_before: i32,
    pub seats_after: i32,
    pub batch_id: Option<Uuid>,
    pub auto_renew: Option<bool>,
    pub status_after: Option<SubscriptionStatus>,
    pub requested_at: OffsetDateTime,
    pub vendor: VendorCode,
    pub vendor_ref: String,
    pub tenant_domain: String,
}

pub async fn change(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    change_id: Uuid,
) -> sqlx::Result<Option<Pending>> {
    sqlx::query_as!(
        Pending,
        r#"SELECT h.id, h.subscription_id, h.kind AS "kind: ChangeKind",
                  h.status AS "status: ChangeStatus", h.seats_before, h.seats_after, h.batch_id,
                  h.auto_renew, h.status_after AS "status_after: SubscriptionStatus",
                  h.requested_at, s.vendor AS "vendor: VendorCode", s.vendor_ref,
                  s.tenant_domain
           FROM subscription_changes h
           JOIN subscriptions s ON s.reseller_id = h.reseller_id AND s.id = h.subscription_id
           WHERE h.reseller_id = $1 AND h.id = $2"#,
        reseller_id,
        change_id,
    )
    .fetch_optional(tx)
    .await
}

/// Applies a change the vendor accepted: the subscription's seats or renewal setting, its
/// batches (a new one for added seats, with its window from when they were asked for; fewer
/// seats in the batch reduced), and the change marked applied. False when it was not pending
/// (applied or failed already: a job run again).
pub async fn apply(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    change: &Pending,
    window_closes_at: Option<OffsetDateTime>,
) -> sqlx::Result<bool> {
    let decided = sqlx::query!(
        "UPDATE subscription_changes SET status = 'applied', decided_at = now()
         WHERE reseller_id = $1 AND id = $2 AND status = 'pending'",
        reseller_id,
        change.id,
    )
    .execute(&mut *tx)
    .await?;
    if decided.rows_affected() != 1 {
        return Ok(false);
    }
    let delta = change.seats_after - change.seats_before;
    if delta > 0 {
        sqlx::query!(
            "INSERT INTO seat_batches (reseller_id, subscription_id, added, quantity, added_at,
                                       window_closes_at)
             VALUES ($1, $2, $3, $3, $4, $5)",
            reseller_id,
            change.subscription_id,
            delta,
            change.requested_at,
            window_closes_at,
        )
        .execute(&mut *tx)
        .await?;
    } else if let (true, Some(batch)) = (delta < 0, change.batch_id) {
        sqlx::query!(
            "UPDATE seat_batches SET quantity = quantity - $3
             WHERE reseller_id = $1 AND id = $2",
            reseller_id,
            batch,
            -delta,
        )
        .execute(&mut *tx)
        .await?;
    }
    // A suspension by the reseller is the reseller's to lift; any other status has none.
    let status = change.status_after.map(SubscriptionStatus::code);
    sqlx::query!(
        "UPDATE subscriptions SET quantity = $3, auto_renew = COALESCE($4, auto_renew),
                status = COALESCE($5, status),
                suspension_reason = CASE WHEN $5 IS NULL THEN suspension_reason
                                         WHEN $5 = 'suspended' THEN 'reseller' END,
                version = version + 1, pending_change = NULL
         WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        change.subscription_id,
        change.seats_after,
        change.auto_renew,
        status,
    )
    .execute(&mut *tx)
    .await?;
    Ok(true)
}

/// Records the vendor's refusal of a change: nothing else changes, and the subscription is
/// free for the next change. False when it was not pending.
pub async fn fail(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    change: &Pending,
    code: VendorErrorCode,
) -> sqlx::Result<bool> {
    let decided = sqlx::query!(
        "UPDATE subscription_changes SET status = 'failed', error = $3, decided_at = now()
         WHERE reseller_id = $1 AND id = $2 AND status = 'pending'",
        reseller_id,
        change.id,
        code.code(),
    )
    .execute(&mut *tx)
    .await?;
    if decided.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query!(
        "UPDATE subscriptions SET version = version + 1, pending_change = NULL
         WHERE reseller_id = $1 AND id = $2 AND pending_change = $3",
        reseller_id,
        change.subscription_id,
        change.id,
    )
    .execute(&mut *tx)
    .await?;
    Ok(true)
}
