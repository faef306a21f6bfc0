//! The SQL of a tenant's users and licences: what the pages read here, the changes (recorded,
//! then applied or failed by the vendor's answer) in `changes`. Every function takes the
//! reseller and runs in its tenant transaction; the seat limit of an assignment is the
//! database's (migration 0029).

use sqlx::{PgConnection, Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

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
    /// When its users were last read from the vendor (none: never).
    pub users_read_at: Option<OffsetDateTime>,
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
                  t.domain, t.tenant_ref, t.users_read_at
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
                  t.vendor AS "vendor: VendorCode", t.domain, t.tenant_ref, t.users_read_at
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

mod changes;
pub use changes::*;

mod sync;
pub use sync::{Synced, follow_vendor};
