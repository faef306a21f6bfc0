//! The SQL of a tenant's users and licences. Every function takes the reseller and runs in its
//! tenant transaction; the seat limit of an assignment is the database's (migration 0029).

use sqlx::{PgConnection, Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::{OnConstraint, SaveError};
use crate::i18n::Locale;
use crate::licences::rules::{
    AssignmentStatus, LicenceChangeKind, LicenceChangeStatus, UserStatus,
};
use crate::vendors::{VendorCode, VendorErrorCode};
use crate::web::paging::{Cursor, Keyset, Listing};

/// A customer's tenant, whose users the pages show.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer: String,
    /// The customer's country: where a new user's licences are used, unless said otherwise.
    pub country: String,
    pub vendor: VendorCode,
    pub domain: String,
    /// The vendor's reference: none while the tenant is still to be created (with its first
    /// order).
    pub tenant_ref: Option<String>,
}

pub async fn tenant(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    customer_id: Uuid,
    tenant_id: Uuid,
) -> sqlx::Result<Option<Tenant>> {
    sqlx::query_as!(
        Tenant,
        r#"SELECT t.id, t.customer_id, c.legal_name AS customer, c.country::text AS "country!",
                  t.vendor AS "vendor: VendorCode",
                  t.domain, t.tenant_ref
           FROM customer_tenants t
           JOIN customers c ON c.reseller_id = t.reseller_id AND c.id = t.customer_id
           WHERE t.reseller_id = $1 AND t.customer_id = $2 AND t.id = $3"#,
        reseller_id,
        customer_id,
        tenant_id,
    )
    .fetch_optional(tx)
    .await
}

/// The tenant whose users hold the licences of subscription `id`.
pub async fn tenant_of_subscription(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Tenant>> {
    sqlx::query_as!(
        Tenant,
        r#"SELECT t.id, t.customer_id, c.legal_name AS customer, c.country::text AS "country!",
                  t.vendor AS "vendor: VendorCode", t.domain, t.tenant_ref
           FROM subscriptions s
           JOIN customer_tenants t ON t.reseller_id = s.reseller_id
                AND t.customer_id = s.customer_id AND t.vendor = s.vendor
                AND t.domain = s.tenant_domain
           JOIN customers c ON c.reseller_id = t.reseller_id AND c.id = t.customer_id
           WHERE s.reseller_id = $1 AND s.id = $2"#,
        reseller_id,
        id,
    )
    .fetch_optional(tx)
    .await
}

/// A user holding (or being given, or losing) a licence of a subscription.
#[derive(Debug, Clone)]
pub struct Holder {
    pub id: Uuid,
    pub display_name: String,
    pub user_name: String,
    pub status: AssignmentStatus,
}

/// The users holding a licence of subscription `id`, by name.
pub async fn holders(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Vec<Holder>> {
    sqlx::query_as!(
        Holder,
        r#"SELECT u.id, u.display_name, u.user_name::text AS "user_name!",
                  a.status AS "status: AssignmentStatus"
           FROM licence_assignments a
           JOIN tenant_users u ON u.reseller_id = a.reseller_id AND u.id = a.tenant_user_id
           WHERE a.reseller_id = $1 AND a.subscription_id = $2
           ORDER BY u.display_name, u.id"#,
        reseller_id,
        id,
    )
    .fetch_all(tx)
    .await
}

/// A user of the tenant who could be given a licence of a subscription.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: Uuid,
    pub display_name: String,
    pub user_name: String,
}

/// How many users the "add a user" choice offers at most (more: from the users' page).
pub const CANDIDATES: i64 = 500;

/// The tenant's users the vendor has made, with no change waiting and no licence of
/// subscription `id`, by name.
pub async fn candidates(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Vec<Candidate>> {
    sqlx::query_as!(
        Candidate,
        r#"SELECT u.id, u.display_name, u.user_name::text AS "user_name!"
           FROM tenant_users u
           WHERE u.reseller_id = $1 AND u.tenant_id = $2 AND u.status IN ('active', 'blocked')
             AND u.pending_change IS NULL
             AND NOT EXISTS (SELECT 1 FROM licence_assignments a
                             WHERE a.reseller_id = u.reseller_id AND a.tenant_user_id = u.id
                               AND a.subscription_id = $3)
           ORDER BY u.display_name, u.id LIMIT $4"#,
        reseller_id,
        tenant_id,
        id,
        CANDIDATES,
    )
    .fetch_all(tx)
    .await
}

/// A user on the tenant's list.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: Uuid,
    pub user_name: String,
    pub display_name: String,
    pub status: UserStatus,
    pub pending: bool,
    /// The products of its licences, in the reader's language.
    pub licences: Vec<String>,
}

/// Rows on a page of users.
pub const USERS_PAGE: i64 = 50;

/// The tenant's users whose name or user name contains `q`, by name, a page at `at`.
pub async fn users(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant_id: Uuid,
    q: &str,
    at: &Keyset,
    locale: Locale,
) -> sqlx::Result<Listing<UserRow>> {
    let filter = |b: &mut QueryBuilder<'_, Postgres>| {
        b.push(" FROM tenant_users u WHERE u.reseller_id = ")
            .push_bind(reseller_id)
            .push(" AND u.tenant_id = ")
            .push_bind(tenant_id);
        if !q.is_empty() {
            let like = format!("%{}%", crate::text::like_escape(q));
            b.push(" AND (u.display_name ILIKE ")
                .push_bind(like.clone())
                .push(" OR u.user_name::text ILIKE ")
                .push_bind(like)
                .push(")");
        }
    };
    let mut b = QueryBuilder::new(
        "SELECT u.id, u.user_name::text AS user_name, u.display_name, u.status,
                u.pending_change IS NOT NULL AS pending,
                coalesce((SELECT array_agg(CASE ",
    );
    b.push_bind(locale.code()).push(
        " WHEN 'en' THEN p.name_en WHEN 'pt-BR' THEN p.name_pt ELSE p.name_es END ORDER BY p.name_en)
           FROM licence_assignments a
           JOIN subscriptions s ON s.reseller_id = a.reseller_id AND s.id = a.subscription_id
           JOIN products p ON p.id = s.product_id
           WHERE a.reseller_id = u.reseller_id AND a.tenant_user_id = u.id), '{}') AS licences",
    );
    filter(&mut b);
    let backwards = at.backwards();
    if let Some(cursor) = at.cursor() {
        b.push(if backwards {
            " AND (u.display_name, u.id) < ("
        } else {
            " AND (u.display_name, u.id) > ("
        })
        .push_bind(cursor.key.clone())
        .push(", ")
        .push_bind(cursor.id)
        .push(")");
    }
    b.push(if backwards {
        " ORDER BY u.display_name DESC, u.id DESC"
    } else {
        " ORDER BY u.display_name, u.id"
    });
    b.push(" LIMIT ").push_bind(USERS_PAGE + 1);
    let rows: Vec<(Uuid, String, String, UserStatus, bool, Vec<String>)> =
        b.build_query_as().fetch_all(&mut *tx).await?;
    let rows = rows
        .into_iter()
        .map(
            |(id, user_name, display_name, status, pending, licences)| UserRow {
                id,
                user_name,
                display_name,
                status,
                pending,
                licences,
            },
        )
        .collect();
    let total = crate::db::total(tx, |b| filter(b)).await?;
    Ok(Listing::of(rows, USERS_PAGE, at, total))
}

/// Where a row of the users list is, for the links around a page.
pub fn cursor(row: &UserRow) -> Cursor {
    Cursor {
        key: row.display_name.clone(),
        id: row.id,
    }
}

/// One user of a tenant.
#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub user_name: String,
    pub display_name: String,
    pub usage_location: String,
    pub status: UserStatus,
    pub vendor_ref: Option<String>,
    pub pending_change: Option<Uuid>,
    pub created_at: OffsetDateTime,
}

/// The user `id` of the tenant; with `lock`, held until the transaction ends.
pub async fn user(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant_id: Uuid,
    id: Uuid,
    lock: bool,
) -> sqlx::Result<Option<User>> {
    if lock {
        let found = sqlx::query_scalar!(
            "SELECT id FROM tenant_users WHERE reseller_id = $1 AND tenant_id = $2 AND id = $3
             FOR UPDATE",
            reseller_id,
            tenant_id,
            id,
        )
        .fetch_optional(&mut *tx)
        .await?;
        if found.is_none() {
            return Ok(None);
        }
    }
    sqlx::query_as!(
        User,
        r#"SELECT id, tenant_id, user_name::text AS "user_name!", display_name,
                  usage_location AS "usage_location!", status AS "status: UserStatus", vendor_ref,
                  pending_change, created_at
           FROM tenant_users WHERE reseller_id = $1 AND tenant_id = $2 AND id = $3"#,
        reseller_id,
        tenant_id,
        id,
    )
    .fetch_optional(tx)
    .await
}

/// A subscription of the tenant that licences come from, with its seats.
#[derive(Debug, Clone)]
pub struct Licensable {
    pub subscription_id: Uuid,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    pub quantity: i32,
    pub assigned: i32,
    /// How the user holds one of its licences, if it does.
    pub held: Option<AssignmentStatus>,
}

impl Licensable {
    pub fn name(&self, locale: Locale) -> &str {
        locale.pick(&self.name_es, &self.name_en, &self.name_pt)
    }
}

/// The tenant's active subscriptions, each with whether `user` holds one of its licences.
pub async fn licensable(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant: &Tenant,
    user: Uuid,
) -> sqlx::Result<Vec<Licensable>> {
    sqlx::query_as!(
        Licensable,
        r#"SELECT s.id AS subscription_id, p.name_es, p.name_en, p.name_pt, s.quantity, s.assigned,
                  a.status AS "held?: AssignmentStatus"
           FROM subscriptions s
           JOIN products p ON p.id = s.product_id
           LEFT JOIN licence_assignments a ON a.reseller_id = s.reseller_id
                AND a.subscription_id = s.id AND a.tenant_user_id = $4
           WHERE s.reseller_id = $1 AND s.customer_id = $2 AND s.vendor = $3
             AND s.tenant_domain = $5 AND s.status = 'active'
           ORDER BY p.name_en, s.id"#,
        reseller_id,
        tenant.customer_id,
        tenant.vendor.code(),
        user,
        tenant.domain,
    )
    .fetch_all(tx)
    .await
}

/// A change of the user's, for its history.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub kind: LicenceChangeKind,
    pub status: LicenceChangeStatus,
    pub error: Option<VendorErrorCode>,
    pub product_es: Option<String>,
    pub product_en: Option<String>,
    pub product_pt: Option<String>,
    pub actor: Option<String>,
    pub requested_at: OffsetDateTime,
}

pub async fn history(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user: Uuid,
) -> sqlx::Result<Vec<HistoryRow>> {
    sqlx::query_as!(
        HistoryRow,
        r#"SELECT c.kind AS "kind: LicenceChangeKind", c.status AS "status: LicenceChangeStatus",
                  c.error AS "error: VendorErrorCode", p.name_es AS "product_es?",
                  p.name_en AS "product_en?", p.name_pt AS "product_pt?", a.name AS "actor?",
                  c.requested_at
           FROM licence_changes c
           LEFT JOIN subscriptions s ON s.reseller_id = c.reseller_id AND s.id = c.subscription_id
           LEFT JOIN products p ON p.id = s.product_id
           LEFT JOIN users a ON a.id = c.actor_id
           WHERE c.reseller_id = $1 AND c.tenant_user_id = $2
           ORDER BY c.requested_at DESC LIMIT 50"#,
        reseller_id,
        user,
    )
    .fetch_all(tx)
    .await
}

/// The latest licence changes of subscription `id` (who got or lost one), for its page.
pub async fn subscription_history(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<SubscriptionHistoryRow>> {
    sqlx::query_as!(
        SubscriptionHistoryRow,
        r#"SELECT c.kind AS "kind: LicenceChangeKind", c.status AS "status: LicenceChangeStatus",
                  c.error AS "error: VendorErrorCode", u.display_name AS "user?",
                  a.name AS "actor?", c.requested_at
           FROM licence_changes c
           LEFT JOIN tenant_users u ON u.reseller_id = c.reseller_id AND u.id = c.tenant_user_id
           LEFT JOIN users a ON a.id = c.actor_id
           WHERE c.reseller_id = $1 AND c.subscription_id = $2
           ORDER BY c.requested_at DESC LIMIT $3"#,
        reseller_id,
        id,
        limit,
    )
    .fetch_all(tx)
    .await
}

#[derive(Debug, Clone)]
pub struct SubscriptionHistoryRow {
    pub kind: LicenceChangeKind,
    pub status: LicenceChangeStatus,
    pub error: Option<VendorErrorCode>,
    /// None once the user was deleted.
    pub user: Option<String>,
    pub actor: Option<String>,
    pub requested_at: OffsetDateTime,
}

/// A new user of the tenant, as the form gave it.
pub struct NewUser<'a> {
    pub user_name: &'a str,
    pub display_name: &'a str,
    pub usage_location: &'a str,
}

/// Records a new user (being created) and its change; the change's id. A user name the tenant
/// has already is refused beside its field.
pub async fn create_user(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant_id: Uuid,
    user: &NewUser<'_>,
    actor: Uuid,
) -> Result<(Uuid, Uuid), SaveError> {
    let change_id = Uuid::new_v4();
    let user_id = sqlx::query_scalar!(
        "INSERT INTO tenant_users
             (reseller_id, tenant_id, user_name, display_name, usage_location, pending_change)
         VALUES ($1, $2, $3::text::citext, $4, $5, $6) RETURNING id",
        reseller_id,
        tenant_id,
        user.user_name,
        user.display_name,
        user.usage_location,
        change_id,
    )
    .fetch_one(&mut *tx)
    .await
    .on_constraint(
        "tenant_users_name_key",
        "user_name",
        "licences.user_name_taken",
    )?;
    insert_change(
        tx,
        reseller_id,
        change_id,
        tenant_id,
        user_id,
        None,
        LicenceChangeKind::CreateUser,
        actor,
    )
    .await?;
    Ok((user_id, change_id))
}

#[allow(clippy::too_many_arguments)]
async fn insert_change(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
    tenant_id: Uuid,
    user_id: Uuid,
    subscription_id: Option<Uuid>,
    kind: LicenceChangeKind,
    actor: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO licence_changes
             (reseller_id, id, tenant_id, tenant_user_id, subscription_id, kind, actor_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        reseller_id,
        id,
        tenant_id,
        user_id,
        subscription_id,
        kind.code(),
        actor,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Why a change of a user cannot be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Another change of the user waits for the vendor.
    Pending,
    /// Not possible in the user's state (blocking a blocked user, a licence of a user the
    /// vendor has not made).
    State,
    /// The licence is already held, or not held to remove.
    Unchanged,
    /// Not a subscription of this tenant.
    NotLicensable,
    /// Every seat has its licence.
    NoFreeSeat,
}

/// Records `kind` on the locked user (and, for a licence, takes or releases its seat); the
/// change's id.
pub async fn record(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant: &Tenant,
    user: &User,
    kind: LicenceChangeKind,
    subscription: Option<Uuid>,
    actor: Uuid,
) -> anyhow::Result<Result<Uuid, Refused>> {
    if user.pending_change.is_some() {
        return Ok(Err(Refused::Pending));
    }
    let allowed = match kind {
        LicenceChangeKind::Block => user.status == UserStatus::Active,
        LicenceChangeKind::Unblock => user.status == UserStatus::Blocked,
        LicenceChangeKind::DeleteUser => {
            matches!(user.status, UserStatus::Active | UserStatus::Blocked)
        }
        LicenceChangeKind::Assign | LicenceChangeKind::Unassign => {
            matches!(user.status, UserStatus::Active | UserStatus::Blocked)
        }
        LicenceChangeKind::CreateUser => false,
    };
    if !allowed {
        return Ok(Err(Refused::State));
    }
    let change_id = Uuid::new_v4();
    if let Some(subscription_id) = subscription {
        let licensable = licensable(tx, reseller_id, tenant, user.id).await?;
        let Some(found) = licensable
            .iter()
            .find(|l| l.subscription_id == subscription_id)
        else {
            return Ok(Err(Refused::NotLicensable));
        };
        match (kind, found.held) {
            (LicenceChangeKind::Assign, None) => {
                // The seat is taken here or refused by the database (two at once included).
                let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
                let taken = sqlx::query!(
                    "INSERT INTO licence_assignments (reseller_id, subscription_id, tenant_user_id)
                     VALUES ($1, $2, $3)",
                    reseller_id,
                    subscription_id,
                    user.id,
                )
                .execute(&mut *savepoint)
                .await
                .on_constraint(
                    "licence_assignments_within_seats",
                    "subscription",
                    "no_free_seat",
                );
                match taken {
                    Ok(_) => savepoint.commit().await?,
                    Err(SaveError::Refused(_)) => return Ok(Err(Refused::NoFreeSeat)),
                    Err(SaveError::Db(e)) => return Err(e.into()),
                }
            }
            (LicenceChangeKind::Unassign, Some(AssignmentStatus::Assigned)) => {
                sqlx::query!(
                    "UPDATE licence_assignments SET status = 'removing'
                     WHERE reseller_id = $1 AND subscription_id = $2 AND tenant_user_id = $3",
                    reseller_id,
                    subscription_id,
                    user.id,
                )
                .execute(&mut *tx)
                .await?;
            }
            _ => return Ok(Err(Refused::Unchanged)),
        }
    } else if matches!(
        kind,
        LicenceChangeKind::Assign | LicenceChangeKind::Unassign
    ) {
        return Ok(Err(Refused::NotLicensable));
    }
    insert_change(
        tx,
        reseller_id,
        change_id,
        tenant.id,
        user.id,
        subscription,
        kind,
        actor,
    )
    .await?;
    sqlx::query!(
        "UPDATE tenant_users SET pending_change = $3, updated_at = now()
         WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        user.id,
        change_id,
    )
    .execute(&mut *tx)
    .await?;
    Ok(Ok(change_id))
}

/// A change as its job reads it.
#[derive(Debug, Clone)]
pub struct Change {
    pub id: Uuid,
    pub kind: LicenceChangeKind,
    pub status: LicenceChangeStatus,
    pub tenant_user_id: Uuid,
    pub subscription_id: Option<Uuid>,
    pub vendor: VendorCode,
    pub tenant_ref: Option<String>,
    pub tenant_domain: String,
    pub user_name: Option<String>,
    pub display_name: Option<String>,
    pub usage_location: Option<String>,
    pub user_ref: Option<String>,
    pub subscription_ref: Option<String>,
}

pub async fn change(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Change>> {
    sqlx::query_as!(
        Change,
        r#"SELECT c.id, c.kind AS "kind: LicenceChangeKind",
                  c.status AS "status: LicenceChangeStatus", c.tenant_user_id, c.subscription_id,
                  t.vendor AS "vendor: VendorCode", t.tenant_ref, t.domain AS tenant_domain,
                  u.user_name::text AS "user_name?", u.display_name AS "display_name?",
                  u.usage_location::text AS "usage_location?", u.vendor_ref AS user_ref,
                  s.vendor_ref AS "subscription_ref?"
           FROM licence_changes c
           JOIN customer_tenants t ON t.reseller_id = c.reseller_id AND t.id = c.tenant_id
           LEFT JOIN tenant_users u ON u.reseller_id = c.reseller_id AND u.id = c.tenant_user_id
           LEFT JOIN subscriptions s ON s.reseller_id = c.reseller_id AND s.id = c.subscription_id
           WHERE c.reseller_id = $1 AND c.id = $2"#,
        reseller_id,
        id,
    )
    .fetch_optional(tx)
    .await
}

/// Records the vendor's acceptance of a pending change; `created` carries a new user's
/// reference and its sealed temporary password. `false` when it was decided meanwhile.
pub async fn apply(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    change: &Change,
    created: Option<(&str, &[u8])>,
) -> sqlx::Result<bool> {
    if !decide(
        tx,
        reseller_id,
        change.id,
        LicenceChangeStatus::Applied,
        None,
        created.map(|c| c.1),
    )
    .await?
    {
        return Ok(false);
    }
    let user = change.tenant_user_id;
    match change.kind {
        LicenceChangeKind::CreateUser => {
            let vendor_ref = created.map(|c| c.0);
            sqlx::query!(
                "UPDATE tenant_users SET status = 'active', vendor_ref = $3
                 WHERE reseller_id = $1 AND id = $2",
                reseller_id,
                user,
                vendor_ref,
            )
            .execute(&mut *tx)
            .await?;
        }
        LicenceChangeKind::Block | LicenceChangeKind::Unblock => {
            let status = if change.kind == LicenceChangeKind::Block {
                UserStatus::Blocked
            } else {
                UserStatus::Active
            };
            sqlx::query!(
                "UPDATE tenant_users SET status = $3 WHERE reseller_id = $1 AND id = $2",
                reseller_id,
                user,
                status.code(),
            )
            .execute(&mut *tx)
            .await?;
        }
        LicenceChangeKind::DeleteUser => {
            // Its licences are freed with it (the seat count follows, by the trigger).
            sqlx::query!(
                "DELETE FROM licence_assignments WHERE reseller_id = $1 AND tenant_user_id = $2",
                reseller_id,
                user,
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "DELETE FROM tenant_users WHERE reseller_id = $1 AND id = $2",
                reseller_id,
                user,
            )
            .execute(&mut *tx)
            .await?;
            return Ok(true);
        }
        LicenceChangeKind::Assign => {
            held(tx, reseller_id, user, change.subscription_id).await?;
        }
        LicenceChangeKind::Unassign => {
            drop_licence(tx, reseller_id, user, change.subscription_id).await?;
        }
    }
    release(tx, reseller_id, user, change.id).await?;
    Ok(true)
}

/// Records the vendor's refusal (`code`): what the change held is given back (a seat being
/// assigned, a licence being removed stays). `false` when it was decided meanwhile.
pub async fn fail(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    change: &Change,
    code: VendorErrorCode,
) -> sqlx::Result<bool> {
    if !decide(
        tx,
        reseller_id,
        change.id,
        LicenceChangeStatus::Failed,
        Some(code),
        None,
    )
    .await?
    {
        return Ok(false);
    }
    let user = change.tenant_user_id;
    match change.kind {
        LicenceChangeKind::CreateUser => {
            sqlx::query!(
                "UPDATE tenant_users SET status = 'failed' WHERE reseller_id = $1 AND id = $2",
                reseller_id,
                user,
            )
            .execute(&mut *tx)
            .await?;
        }
        LicenceChangeKind::Assign => {
            drop_licence(tx, reseller_id, user, change.subscription_id).await?;
        }
        LicenceChangeKind::Unassign => {
            held(tx, reseller_id, user, change.subscription_id).await?;
        }
        LicenceChangeKind::Block | LicenceChangeKind::Unblock | LicenceChangeKind::DeleteUser => {}
    }
    release(tx, reseller_id, user, change.id).await?;
    Ok(true)
}

/// The user's licence of the subscription is assigned (applied, or its removal refused).
async fn held(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user: Uuid,
    subscription: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE licence_assignments SET status = 'assigned'
         WHERE reseller_id = $1 AND tenant_user_id = $2 AND subscription_id = $3",
        reseller_id,
        user,
        subscription,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// The user's licence of the subscription is gone (removed, or its assignment refused): its
/// seat is free again (the trigger counts it).
async fn drop_licence(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user: Uuid,
    subscription: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM licence_assignments
         WHERE reseller_id = $1 AND tenant_user_id = $2 AND subscription_id = $3",
        reseller_id,
        user,
        subscription,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Sets a pending change's outcome; `false` when it is not pending any more.
async fn decide(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
    status: LicenceChangeStatus,
    error: Option<VendorErrorCode>,
    secret: Option<&[u8]>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE licence_changes SET status = $3, error = $4, secret = $5, decided_at = now()
         WHERE reseller_id = $1 AND id = $2 AND status = 'pending'",
        reseller_id,
        id,
        status.code(),
        error.map(VendorErrorCode::code),
        secret,
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The user is free for its next change.
async fn release(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user: Uuid,
    change: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE tenant_users SET pending_change = NULL, updated_at = now()
         WHERE reseller_id = $1 AND id = $2 AND pending_change = $3",
        reseller_id,
        user,
        change,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// The sealed temporary password of the user's creation, taken (erased) so it is shown once,
/// and only to who created the user.
pub async fn take_password(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user: Uuid,
    actor: Uuid,
) -> sqlx::Result<Option<Vec<u8>>> {
    sqlx::query_scalar!(
        r#"WITH taken AS (
               SELECT id, secret FROM licence_changes
               WHERE reseller_id = $1 AND tenant_user_id = $2 AND kind = 'create_user'
                 AND status = 'applied' AND secret IS NOT NULL AND actor_id = $3
               FOR UPDATE)
           UPDATE licence_changes c SET secret = NULL FROM taken
           WHERE c.reseller_id = $1 AND c.id = taken.id
           RETURNING taken.secret AS "secret!""#,
        reseller_id,
        user,
        actor,
    )
    .fetch_optional(tx)
    .await
}
