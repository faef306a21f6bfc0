//! The SQL of bulk changes: a file kept as a draft, the tenant as a file is planned against, the
//! plan recorded all at once (set-based: a file may have 50 000 rows), and the batch's progress
//! read from its changes.

use std::collections::HashMap;

use rust_decimal::Decimal;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Action, Existing, Licence, Plan};
use crate::catalog::rules::Billing;
use crate::licences::rules::{BatchStatus, LicenceChangeKind, LicenceChangeStatus};
use crate::licences::store::Tenant;
use crate::vendors::VendorErrorCode;

/// Keeps an uploaded file as a draft of tenant `tenant_id`; its id.
pub async fn draft(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant_id: Uuid,
    file_name: &str,
    content: &str,
    actor: Uuid,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO licence_batches (reseller_id, tenant_id, file_name, content, actor_id)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        reseller_id,
        tenant_id,
        file_name,
        content,
        actor,
    )
    .fetch_one(tx)
    .await
}

/// A batch of tenant `tenant_id`.
#[derive(Debug, Clone)]
pub struct Batch {
    pub id: Uuid,
    pub file_name: String,
    pub content: String,
    pub status: BatchStatus,
    pub changes: i32,
    pub actor: Option<String>,
    pub created_at: OffsetDateTime,
}

/// The batch `id` of the tenant; with `lock`, held until the transaction ends.
pub async fn batch(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant_id: Uuid,
    id: Uuid,
    lock: bool,
) -> sqlx::Result<Option<Batch>> {
    if lock {
        sqlx::query!(
            "SELECT id FROM licence_batches WHERE reseller_id = $1 AND tenant_id = $2 AND id = $3
             FOR UPDATE",
            reseller_id,
            tenant_id,
            id,
        )
        .fetch_optional(&mut *tx)
        .await?;
    }
    sqlx::query_as!(
        Batch,
        r#"SELECT b.id, b.file_name, b.content, b.status AS "status: BatchStatus", b.changes,
                  a.name AS "actor?", b.created_at
           FROM licence_batches b LEFT JOIN users a ON a.id = b.actor_id
           WHERE b.reseller_id = $1 AND b.tenant_id = $2 AND b.id = $3"#,
        reseller_id,
        tenant_id,
        id,
    )
    .fetch_optional(tx)
    .await
}

/// A batch on the tenant's list of recent files.
#[derive(Debug, Clone)]
pub struct BatchRow {
    pub id: Uuid,
    pub file_name: String,
    pub status: BatchStatus,
    pub changes: i32,
    pub actor: Option<String>,
    pub created_at: OffsetDateTime,
}

/// The tenant's latest files.
pub async fn batches(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant_id: Uuid,
) -> sqlx::Result<Vec<BatchRow>> {
    sqlx::query_as!(
        BatchRow,
        r#"SELECT b.id, b.file_name, b.status AS "status: BatchStatus", b.changes,
                  a.name AS "actor?", b.created_at
           FROM licence_batches b LEFT JOIN users a ON a.id = b.actor_id
           WHERE b.reseller_id = $1 AND b.tenant_id = $2
           ORDER BY b.created_at DESC LIMIT 10"#,
        reseller_id,
        tenant_id,
    )
    .fetch_all(tx)
    .await
}

/// What adding a seat to a subscription costs, for the seats a file lacks.
#[derive(Debug, Clone)]
pub struct SeatPrice {
    pub unit_price: Decimal,
    pub currency: String,
    pub billing: Billing,
}

/// The tenant as a file is planned against: its users by user name, and the licences of its
/// active subscriptions with their free seats and prices.
pub struct Snapshot {
    pub users: HashMap<String, Existing>,
    pub licences: Vec<Licence>,
    pub prices: HashMap<Uuid, SeatPrice>,
}

impl Snapshot {
    /// The tenant as the planner reads it.
    pub fn tenant<'a>(&'a self, tenant: &'a Tenant) -> super::Tenant<'a> {
        super::Tenant {
            domain: &tenant.domain,
            users: &self.users,
            licences: &self.licences,
        }
    }
}

/// The tenant's licences as a file's rows (user name, name, licence), by user: the template a
/// file starts from.
pub async fn current(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant_id: Uuid,
) -> sqlx::Result<Vec<(String, String, String)>> {
    let rows = sqlx::query!(
        r#"SELECT u.user_name::text AS "user_name!", u.display_name, p.sku
           FROM licence_assignments a
           JOIN tenant_users u ON u.reseller_id = a.reseller_id AND u.id = a.tenant_user_id
           JOIN subscriptions s ON s.reseller_id = a.reseller_id AND s.id = a.subscription_id
           JOIN products p ON p.id = s.product_id
           WHERE a.reseller_id = $1 AND u.tenant_id = $2
           ORDER BY u.user_name, p.sku LIMIT $3"#,
        reseller_id,
        tenant_id,
        super::MAX_ROWS as i64,
    )
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.user_name, r.display_name, r.sku))
        .collect())
}

/// The tenant as it is. With `lock`, its users and subscriptions are held until the transaction
/// ends (users first, as a single change takes them), so the plan made on it stays true.
pub async fn snapshot(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant: &Tenant,
    lock: bool,
) -> sqlx::Result<Snapshot> {
    if lock {
        sqlx::query!(
            "SELECT id FROM tenant_users WHERE reseller_id = $1 AND tenant_id = $2
             ORDER BY id FOR UPDATE",
            reseller_id,
            tenant.id,
        )
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query!(
            "SELECT id FROM subscriptions
             WHERE reseller_id = $1 AND customer_id = $2 AND vendor = $3 AND tenant_domain = $4
               AND status = 'active'
             ORDER BY id FOR UPDATE",
            reseller_id,
            tenant.customer_id,
            tenant.vendor.code(),
            tenant.domain,
        )
        .fetch_all(&mut *tx)
        .await?;
    }
    let users = sqlx::query!(
        r#"SELECT u.id, u.user_name::text AS "user_name!",
                  (u.pending_change IS NOT NULL OR u.status NOT IN ('active', 'blocked')) AS "busy!",
                  coalesce(array_agg(a.subscription_id) FILTER (WHERE a.subscription_id IS NOT NULL),
                           '{}') AS "licences!: Vec<Uuid>"
           FROM tenant_users u
           LEFT JOIN licence_assignments a ON a.reseller_id = u.reseller_id
                AND a.tenant_user_id = u.id
           WHERE u.reseller_id = $1 AND u.tenant_id = $2
           GROUP BY u.reseller_id, u.id"#,
        reseller_id,
        tenant.id,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|u| {
        let existing = Existing {
            id: u.id,
            licences: u.licences.into_iter().collect(),
            busy: u.busy,
        };
        (u.user_name.to_lowercase(), existing)
    })
    .collect();
    let (licences, prices) = licences(tx, reseller_id, tenant).await?;
    Ok(Snapshot {
        users,
        licences,
        prices,
    })
}

/// The licences of the tenant's active subscriptions, with their free seats and prices.
pub async fn licences(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant: &Tenant,
) -> sqlx::Result<(Vec<Licence>, HashMap<Uuid, SeatPrice>)> {
    // The free seats: below the seats after a reduction waiting for the vendor, as the
    // database's seat rule counts them (migration 0032).
    let rows = sqlx::query!(
        r#"SELECT s.id, p.sku, p.name_es, p.name_en, p.name_pt, s.unit_price, s.currency::text AS "currency!",
                  s.billing AS "billing: Billing",
                  least(s.quantity, coalesce(
                      (SELECT c.seats_after FROM subscription_changes c
                       WHERE c.reseller_id = s.reseller_id AND c.id = s.pending_change
                         AND c.kind = 'remove_seats'), s.quantity)) - s.assigned AS "free!"
           FROM subscriptions s JOIN products p ON p.id = s.product_id
           WHERE s.reseller_id = $1 AND s.customer_id = $2 AND s.vendor = $3
             AND s.tenant_domain = $4 AND s.status = 'active'
           ORDER BY p.name_en, s.id"#,
        reseller_id,
        tenant.customer_id,
        tenant.vendor.code(),
        tenant.domain,
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut licences = Vec::with_capacity(rows.len());
    let mut prices = HashMap::new();
    for r in rows {
        prices.insert(
            r.id,
            SeatPrice {
                unit_price: r.unit_price,
                currency: r.currency,
                billing: r.billing,
            },
        );
        licences.push(Licence {
            subscription_id: r.id,
            sku: r.sku,
            names: [r.name_es, r.name_en, r.name_pt],
            free: r.free.max(0),
        });
    }
    Ok((licences, prices))
}

/// The changes of a plan, in the order the vendor is asked: users created first, then the
/// file's rows.
struct Changes {
    ids: Vec<Uuid>,
    users: Vec<Uuid>,
    subscriptions: Vec<Uuid>,
    kinds: Vec<String>,
    seqs: Vec<i32>,
}

/// Records the applicable `plan` of batch `batch_id` on the tenant locked by [`snapshot`]: its
/// new users (being created), licences taken (a seat each, or the database refuses the whole)
/// or being removed, one change each in the file's order, each user waiting for its last one;
/// and the batch applying. The number of changes.
pub async fn record(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant: &Tenant,
    batch_id: Uuid,
    plan: &Plan,
    users: &HashMap<String, Existing>,
    actor: Uuid,
) -> sqlx::Result<i32> {
    let mut ids: HashMap<&str, Uuid> = users.iter().map(|(k, u)| (k.as_str(), u.id)).collect();
    let new_ids: Vec<Uuid> = plan.creates.iter().map(|_| Uuid::new_v4()).collect();
    let names: Vec<String> = plan.creates.iter().map(|c| c.0.clone()).collect();
    let displays: Vec<String> = plan.creates.iter().map(|c| c.1.clone()).collect();
    for (name, id) in names.iter().zip(&new_ids) {
        ids.insert(name.as_str(), *id);
    }
    let created_changes: Vec<Uuid> = new_ids.iter().map(|_| Uuid::new_v4()).collect();
    let mut last: HashMap<Uuid, Uuid> = new_ids
        .iter()
        .copied()
        .zip(created_changes.iter().copied())
        .collect();
    let mut changes = Changes {
        ids: Vec::with_capacity(plan.steps.len()),
        users: Vec::with_capacity(plan.steps.len()),
        subscriptions: Vec::with_capacity(plan.steps.len()),
        kinds: Vec::with_capacity(plan.steps.len()),
        seqs: Vec::with_capacity(plan.steps.len()),
    };
    let (mut adds, mut removes) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
    let first = new_ids.len() as i32 + 1;
    for (n, step) in plan.steps.iter().enumerate() {
        let Some(&user) = ids.get(step.user_name.as_str()) else {
            continue;
        };
        let id = Uuid::new_v4();
        let kind = match step.action {
            Action::Add => {
                adds.0.push(step.subscription_id);
                adds.1.push(user);
                LicenceChangeKind::Assign
            }
            Action::Remove => {
                removes.0.push(step.subscription_id);
                removes.1.push(user);
                LicenceChangeKind::Unassign
            }
        };
        changes.ids.push(id);
        changes.users.push(user);
        changes.subscriptions.push(step.subscription_id);
        changes.kinds.push(kind.code().to_string());
        changes.seqs.push(first + n as i32);
        last.insert(user, id);
    }
    let location = &tenant.country;
    sqlx::query!(
        "INSERT INTO tenant_users
             (reseller_id, id, tenant_id, user_name, display_name, usage_location)
         SELECT $1, n.id, $2, n.name::citext, n.display, $3
         FROM UNNEST($4::uuid[], $5::text[], $6::text[]) AS n(id, name, display)",
        reseller_id,
        tenant.id,
        location as &str,
        &new_ids,
        &names,
        &displays,
    )
    .execute(&mut *tx)
    .await?;
    let seqs: Vec<i32> = (1..first).collect();
    sqlx::query!(
        "INSERT INTO licence_changes
             (reseller_id, id, tenant_id, tenant_user_id, kind, actor_id, batch_id, batch_seq)
         SELECT $1, c.id, $2, c.user_id, 'create_user', $3, $4, c.seq
         FROM UNNEST($5::uuid[], $6::uuid[], $7::int[]) AS c(id, user_id, seq)",
        reseller_id,
        tenant.id,
        actor,
        batch_id,
        &created_changes,
        &new_ids,
        &seqs,
    )
    .execute(&mut *tx)
    .await?;
    // Each seat is taken by the trigger of migration 0029, or the whole is refused.
    sqlx::query!(
        "INSERT INTO licence_assignments (reseller_id, subscription_id, tenant_user_id)
         SELECT $1, a.subscription_id, a.user_id
         FROM UNNEST($2::uuid[], $3::uuid[]) AS a(subscription_id, user_id)",
        reseller_id,
        &adds.0,
        &adds.1,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE licence_assignments a SET status = 'removing'
         FROM UNNEST($2::uuid[], $3::uuid[]) AS r(subscription_id, user_id)
         WHERE a.reseller_id = $1 AND a.subscription_id = r.subscription_id
           AND a.tenant_user_id = r.user_id",
        reseller_id,
        &removes.0,
        &removes.1,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO licence_changes
             (reseller_id, id, tenant_id, tenant_user_id, subscription_id, kind, actor_id,
              batch_id, batch_seq)
         SELECT $1, c.id, $2, c.user_id, c.subscription_id, c.kind, $3, $4, c.seq
         FROM UNNEST($5::uuid[], $6::uuid[], $7::uuid[], $8::text[], $9::int[])
              AS c(id, user_id, subscription_id, kind, seq)",
        reseller_id,
        tenant.id,
        actor,
        batch_id,
        &changes.ids,
        &changes.users,
        &changes.subscriptions,
        &changes.kinds,
        &changes.seqs,
    )
    .execute(&mut *tx)
    .await?;
    let (waiting_users, waiting_changes): (Vec<Uuid>, Vec<Uuid>) = last.into_iter().unzip();
    sqlx::query!(
        "UPDATE tenant_users u SET pending_change = w.change_id, updated_at = now()
         FROM UNNEST($2::uuid[], $3::uuid[]) AS w(user_id, change_id)
         WHERE u.reseller_id = $1 AND u.id = w.user_id",
        reseller_id,
        &waiting_users,
        &waiting_changes,
    )
    .execute(&mut *tx)
    .await?;
    let total = (new_ids.len() + changes.ids.len()) as i32;
    sqlx::query!(
        "UPDATE licence_batches SET status = 'applying', changes = $3, applied_at = now()
         WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        batch_id,
        total,
    )
    .execute(&mut *tx)
    .await?;
    Ok(total)
}

/// The next changes of batch `id` still waiting for the vendor after place `after`, in order.
pub async fn waiting(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
    after: i32,
    limit: i64,
) -> sqlx::Result<Vec<(Uuid, i32)>> {
    let rows = sqlx::query!(
        r#"SELECT id, batch_seq AS "seq!" FROM licence_changes
           WHERE reseller_id = $1 AND batch_id = $2 AND batch_seq > $3 AND status = 'pending'
           ORDER BY batch_seq LIMIT $4"#,
        reseller_id,
        id,
        after,
        limit,
    )
    .fetch_all(tx)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.seq)).collect())
}

/// Batch `id` has had every change decided.
pub async fn finish(tx: &mut PgConnection, reseller_id: Uuid, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE licence_batches SET status = 'done', finished_at = now()
         WHERE reseller_id = $1 AND id = $2 AND status = 'applying'",
        reseller_id,
        id,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// How far a batch's changes are.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub pending: i64,
    pub applied: i64,
    pub failed: i64,
}

pub async fn progress(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Progress> {
    let row = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE status = 'pending') AS "pending!",
                  count(*) FILTER (WHERE status = 'applied') AS "applied!",
                  count(*) FILTER (WHERE status = 'failed') AS "failed!"
           FROM licence_changes WHERE reseller_id = $1 AND batch_id = $2"#,
        reseller_id,
        id,
    )
    .fetch_one(tx)
    .await?;
    Ok(Progress {
        pending: row.pending,
        applied: row.applied,
        failed: row.failed,
    })
}

/// A change of a batch the vendor refused.
#[derive(Debug, Clone)]
pub struct FailedRow {
    pub kind: LicenceChangeKind,
    pub status: LicenceChangeStatus,
    pub error: Option<VendorErrorCode>,
    pub user_name: Option<String>,
    pub product_es: Option<String>,
    pub product_en: Option<String>,
    pub product_pt: Option<String>,
}

/// The changes of batch `id` the vendor refused, in the file's order (the first hundred).
pub async fn failed(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Vec<FailedRow>> {
    sqlx::query_as!(
        FailedRow,
        r#"SELECT c.kind AS "kind: LicenceChangeKind", c.status AS "status: LicenceChangeStatus",
                  c.error AS "error: VendorErrorCode", u.user_name::text AS "user_name?",
                  p.name_es AS "product_es?", p.name_en AS "product_en?",
                  p.name_pt AS "product_pt?"
           FROM licence_changes c
           LEFT JOIN tenant_users u ON u.reseller_id = c.reseller_id AND u.id = c.tenant_user_id
           LEFT JOIN subscriptions s ON s.reseller_id = c.reseller_id AND s.id = c.subscription_id
           LEFT JOIN products p ON p.id = s.product_id
           WHERE c.reseller_id = $1 AND c.batch_id = $2 AND c.status = 'failed'
           ORDER BY c.batch_seq LIMIT 100"#,
        reseller_id,
        id,
    )
    .fetch_all(tx)
    .await
}
