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
    /// Licences assigned (or being assigned) to the tenant's users.
    pub assigned: i32,
    /// When its seats or licences last changed (for seats that stay unassigned).
    pub quiet_since: time::OffsetDateTime,
    pub term: Term,
    pub billing: Billing,
    pub start_date: time::Date,
    pub end_date: time::Date,
    pub auto_renew: bool,
    pub status: SubscriptionStatus,
    pub suspension: Option<SuspensionReason>,
    pub vendor_ref: String,
    pub unit_price: Decimal,
    pub unit_cost: Decimal,
    pub currency: String,
    pub version: i32,
    pub pending_change: Option<Uuid>,
    pub order_id: Uuid,
    pub product_id: Uuid,
    /// What is scheduled for renewal: the product's names and the seats.
    pub next_product_id: Option<Uuid>,
    pub next_name_es: Option<String>,
    pub next_name_en: Option<String>,
    pub next_name_pt: Option<String>,
    pub next_quantity: Option<i32>,
    pub next_term: Option<Term>,
    pub next_billing: Option<Billing>,
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
                  s.tenant_domain, s.quantity, s.assigned,
                  s.quiet_since,
                  s.term AS "term: Term",
                  s.billing AS "billing: Billing", s.start_date, s.end_date, s.auto_renew,
                  s.status AS "status: SubscriptionStatus",
                  s.suspension_reason AS "suspension: SuspensionReason", s.vendor_ref, s.unit_price, s.unit_cost,
                  s.currency AS "currency!", s.version, s.pending_change, l.order_id,
                  s.product_id, s.next_product_id, n.name_es AS "next_name_es?",
                  n.name_en AS "next_name_en?", n.name_pt AS "next_name_pt?", s.next_quantity,
                  s.next_term AS "next_term: Term", s.next_billing AS "next_billing: Billing"
           FROM subscriptions s
           JOIN customers c ON c.reseller_id = s.reseller_id AND c.id = s.customer_id
           JOIN products p ON p.id = s.product_id
           JOIN order_lines l ON l.reseller_id = s.reseller_id AND l.id = s.order_line_id
           LEFT JOIN products n ON n.id = s.next_product_id
           WHERE s.reseller_id = $1 AND s.id = $2"#,
        reseller_id,
        id,
    )
    .fetch_optional(tx)
    .await
}

/// A product the subscription can move to, as its page offers it.
#[derive(Debug, Clone)]
pub struct Target {
    pub product_id: Uuid,
    pub sku: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    pub upgrade: bool,
    pub min_seats: i32,
    pub max_seats: i32,
    /// Its cost for the subscription's term, billing and currency on `day` (none: not sold so).
    pub cost: Option<Decimal>,
}

impl Target {
    pub fn name(&self, locale: Locale) -> &str {
        locale.pick(&self.name_es, &self.name_en, &self.name_pt)
    }
}

/// The active products along the subscription's upgrade paths (upgrades first), with their
/// cost on `day`.
pub async fn targets(
    tx: &mut PgConnection,
    s: &Detail,
    day: time::Date,
) -> sqlx::Result<Vec<Target>> {
    sqlx::query_as!(
        Target,
        r#"SELECT p.id AS product_id, p.sku, p.name_es, p.name_en, p.name_pt,
                  u.from_id = $1 AS "upgrade!", p.min_seats, p.max_seats,
                  (SELECT x.cost FROM prices x
                   WHERE x.product_id = p.id AND x.term = $2 AND x.billing = $3
                     AND x.currency = $4 AND x.valid_from <= $5
                     AND (x.valid_to IS NULL OR x.valid_to > $5)) AS cost
           FROM product_upgrades u
           JOIN products p ON p.id = CASE WHEN u.from_id = $1 THEN u.to_id ELSE u.from_id END
           WHERE (u.from_id = $1 OR u.to_id = $1) AND p.status = 'active'
           ORDER BY u.from_id = $1 DESC, p.sort_name"#,
        s.product_id,
        s.term.code(),
        s.billing.code(),
        s.currency,
        day,
    )
    .fetch_all(tx)
    .await
}

/// The cost of `product` for `term` and `billing` in the subscription's currency on `day`.
pub async fn cost_of(
    tx: &mut PgConnection,
    product: Uuid,
    (term, billing): (Term, Billing),
    s: &Detail,
    day: time::Date,
) -> sqlx::Result<Option<Decimal>> {
    sqlx::query_scalar!(
        "SELECT cost FROM prices
         WHERE product_id = $1 AND term = $2 AND billing = $3 AND currency = $4
           AND valid_from <= $5 AND (valid_to IS NULL OR valid_to > $5)",
        product,
        term.code(),
        billing.code(),
        s.currency,
        day,
    )
    .fetch_optional(tx)
    .await
}

/// A way `product` is sold, at its cost on a day.
pub struct OfferCost {
    pub product_id: Uuid,
    pub term: Term,
    pub billing: Billing,
    pub cost: Decimal,
}

/// Every term and billing `products` are sold for in the subscription's currency on `day`.
pub async fn offers(
    tx: &mut PgConnection,
    products: &[Uuid],
    s: &Detail,
    day: time::Date,
) -> sqlx::Result<Vec<OfferCost>> {
    sqlx::query_as!(
        OfferCost,
        r#"SELECT product_id, term AS "term: Term", billing AS "billing: Billing", cost
           FROM prices
           WHERE product_id = ANY($1) AND currency = $2
             AND valid_from <= $3 AND (valid_to IS NULL OR valid_to > $3)
           ORDER BY product_id, term, billing"#,
        products,
        s.currency,
        day,
    )
    .fetch_all(tx)
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
    /// The product an upgrade or a schedule moves to, and the seats scheduled.
    pub product_es: Option<String>,
    pub product_en: Option<String>,
    pub product_pt: Option<String>,
    pub next_quantity: Option<i32>,
    /// The term and billing a schedule, a renewal or a longer term takes, and a longer term's
    /// last day.
    pub term_after: Option<Term>,
    pub billing_after: Option<Billing>,
    pub end_after: Option<time::Date>,
}

impl HistoryRow {
    pub fn product(&self, locale: Locale) -> &str {
        fn pick(n: &Option<String>) -> &str {
            n.as_deref().unwrap_or_default()
        }
        locale.pick(
            pick(&self.product_es),
            pick(&self.product_en),
            pick(&self.product_pt),
        )
    }
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
                  h.requested_at, h.decided_at, p.name_es AS "product_es?",
                  p.name_en AS "product_en?", p.name_pt AS "product_pt?", h.next_quantity,
                  h.term_after AS "term_after: Term", h.billing_after AS "billing_after: Billing",
                  h.end_after
           FROM subscription_changes h LEFT JOIN users u ON u.id = h.actor_id
           LEFT JOIN products p ON p.id = h.product_after
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
                                           actor_id, status_after, product_after,
                                           unit_price_after, unit_cost_after, next_quantity,
                                           term_after, billing_after, end_after, cost,
                                           start_after)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19, $20, $21)",
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
        plan.product_after,
        plan.unit_price_after,
        plan.unit_cost_after,
        plan.next_quantity,
        plan.term_after.map(Term::code),
        plan.billing_after.map(Billing::code),
        plan.end_after,
        plan.cost,
        plan.start_after,
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
    pub product_after: Option<Uuid>,
    pub sku_after: Option<String>,
    pub unit_price_after: Option<Decimal>,
    pub unit_cost_after: Option<Decimal>,
    pub next_quantity: Option<i32>,
    pub term_after: Option<Term>,
    pub billing_after: Option<Billing>,
    pub end_after: Option<time::Date>,
    pub requested_at: OffsetDateTime,
    pub vendor: VendorCode,
    pub vendor_ref: String,
    pub tenant_domain: String,
    /// The subscription's term and billing now.
    pub term: Term,
    pub billing: Billing,
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
                  h.product_after, p.sku AS "sku_after?", h.unit_price_after, h.unit_cost_after,
                  h.next_quantity, h.term_after AS "term_after: Term",
                  h.billing_after AS "billing_after: Billing", h.end_after, h.requested_at,
                  s.vendor AS "vendor: VendorCode", s.vendor_ref, s.tenant_domain,
                  s.term AS "term: Term", s.billing AS "billing: Billing"
           FROM subscription_changes h
           JOIN subscriptions s ON s.reseller_id = h.reseller_id AND s.id = h.subscription_id
           LEFT JOIN products p ON p.id = h.product_after
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
    // A suspension by the reseller is the reseller's to lift; any other status has none. A
    // suspension drops what was scheduled for renewal; an upgrade moves product and price.
    let status = change.status_after.map(SubscriptionStatus::code);
    let (upgrade, schedule) = match change.kind {
        ChangeKind::Upgrade => (change.product_after, None),
        ChangeKind::Schedule => (None, change.product_after.zip(change.next_quantity)),
        _ => (None, None),
    };
    // A longer term now: its term, billing and price, from the day it was asked for.
    let term = match change.kind {
        ChangeKind::Term => change
            .term_after
            .zip(change.billing_after)
            .zip(change.end_after),
        _ => None,
    };
    let repriced = upgrade.is_some() || term.is_some();
    let unschedule = matches!(change.kind, ChangeKind::Unschedule | ChangeKind::Suspend);
    sqlx::query!(
        "UPDATE subscriptions SET quantity = $3, auto_renew = COALESCE($4, auto_renew),
                status = COALESCE($5, status),
                suspension_reason = CASE WHEN $5 IS NULL THEN suspension_reason
                                         WHEN $5 = 'suspended' THEN 'reseller' END,
                product_id = COALESCE($6, product_id),
                unit_price = COALESCE($7, unit_price), unit_cost = COALESCE($8, unit_cost),
                term = COALESCE($14, term), billing = COALESCE($15, billing),
                start_date = COALESCE($16, start_date), end_date = COALESCE($17, end_date),
                next_product_id = CASE WHEN $11 THEN NULL ELSE COALESCE($9, next_product_id) END,
                next_quantity = CASE WHEN $11 THEN NULL ELSE COALESCE($10, next_quantity) END,
                next_term = CASE WHEN $11 THEN NULL ELSE COALESCE($12, next_term) END,
                next_billing = CASE WHEN $11 THEN NULL ELSE COALESCE($13, next_billing) END,
                version = version + 1, pending_change = NULL
         WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        change.subscription_id,
        change.seats_after,
        change.auto_renew,
        status,
        upgrade,
        change.unit_price_after.filter(|_| repriced),
        change.unit_cost_after.filter(|_| repriced),
        schedule.map(|(p, _)| p),
        schedule.map(|(_, q)| q),
        unschedule,
        schedule.and(change.term_after).map(Term::code),
        schedule.and(change.billing_after).map(Billing::code),
        term.map(|((t, _), _)| t.code()),
        term.map(|((_, b), _)| b.code()),
        term.map(|_| change.requested_at.date()),
        term.map(|(_, end)| end),
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
