//! SQL for provisioning an order at the vendor: lines completed or failed, the order closed,
//! and who is told.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::i18n::Locale;
use crate::orders::rules::{AdminStatus, OrderStatus};
use crate::vendors::{VendorCode, VendorErrorCode};

/// How a provisioning run starts on an order, decided on the locked order (a staff rejection
/// either committed before, and the run stops, or waits for the run's transaction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// It was submitted and is provisioning now.
    Started,
    /// It was provisioning already (a run again after a retry or a crash).
    Continued,
    /// It was closed meanwhile with this status: nothing is sent to the vendor.
    Closed(OrderStatus),
}

/// Moves a submitted order to provisioning (the job's first step), holding its row until the
/// transaction ends.
pub async fn start_provisioning(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> sqlx::Result<Start> {
    let status = super::lock_status(&mut *tx, reseller_id, order_id).await?;
    match status {
        OrderStatus::Submitted => {
            sqlx::query!(
                "UPDATE orders SET status = 'provisioning', updated_at = now()
                 WHERE reseller_id = $1 AND id = $2",
                reseller_id,
                order_id,
            )
            .execute(tx)
            .await?;
            Ok(Start::Started)
        }
        OrderStatus::Provisioning => Ok(Start::Continued),
        closed => Ok(Start::Closed(closed)),
    }
}

pub async fn complete_line(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    line_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE order_lines SET status = 'completed', error = NULL WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        line_id,
    )
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn fail_line(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    line_id: Uuid,
    code: VendorErrorCode,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE order_lines SET status = 'failed', error = $3 WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        line_id,
        code.code(),
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// The vendor's reason of the order's first failed line, if a line failed.
/// Fails every line of the order still pending (its job gave up).
pub async fn fail_pending_lines(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
    code: VendorErrorCode,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE order_lines SET status = 'failed', error = $3
         WHERE reseller_id = $1 AND order_id = $2 AND status = 'pending'",
        reseller_id,
        order_id,
        code.code(),
    )
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn first_failure(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> sqlx::Result<Option<VendorErrorCode>> {
    let row = sqlx::query_scalar!(
        r#"SELECT error AS "error: VendorErrorCode" FROM order_lines
           WHERE reseller_id = $1 AND order_id = $2 AND status = 'failed' LIMIT 1"#,
        reseller_id,
        order_id,
    )
    .fetch_optional(tx)
    .await?;
    Ok(row.flatten())
}

/// Closes an order still in progress with `status`; false when it was closed already (a job
/// run twice closes it once).
pub async fn finish(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
    status: OrderStatus,
    reason: Option<&str>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE orders SET status = $3, reason = $4, updated_at = now()
         WHERE reseller_id = $1 AND id = $2 AND status IN ('submitted', 'provisioning')",
        reseller_id,
        order_id,
        status.code(),
        reason,
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Who the finished order's e-mail goes to.
pub struct Recipient {
    pub email: String,
    pub name: String,
    pub locale: Option<Locale>,
    pub number: i64,
    pub customer: String,
    pub po_reference: Option<String>,
}

/// The user who placed the order (while their account is active).
pub async fn recipient(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> sqlx::Result<Option<Recipient>> {
    sqlx::query_as!(
        Recipient,
        r#"SELECT u.email::text AS "email!", u.name, u.locale AS "locale: Locale", o.number,
                  c.legal_name AS customer, o.po_reference
           FROM orders o JOIN users u ON u.id = o.placed_by
           JOIN customers c ON c.reseller_id = o.reseller_id AND c.id = o.customer_id
           WHERE o.reseller_id = $1 AND o.id = $2 AND u.status = 'active'"#,
        reseller_id,
        order_id,
    )
    .fetch_optional(tx)
    .await
}

/// A tenant an order brings into being, without its first administrator yet.
#[derive(Clone, Debug)]
pub struct NewTenant {
    pub tenant_id: Uuid,
    pub vendor: VendorCode,
    pub tenant_ref: String,
    pub domain: String,
    /// The customer's country, the administrator's usage location.
    pub country: String,
}

/// The tenants the order's pending lines bring into being: reserved ones (a new Microsoft
/// tenant, a new Google Workspace domain) on which nothing was provisioned yet and whose
/// administrator is not made.
pub async fn new_tenants(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
) -> sqlx::Result<Vec<NewTenant>> {
    sqlx::query_as!(
        NewTenant,
        r#"SELECT DISTINCT t.id AS tenant_id, t.vendor AS "vendor: VendorCode",
                  t.tenant_ref AS "tenant_ref!", t.domain, c.country::text AS "country!"
           FROM orders o
           JOIN order_lines l ON l.reseller_id = o.reseller_id AND l.order_id = o.id
           JOIN customer_tenants t ON t.reseller_id = o.reseller_id
                AND t.customer_id = o.customer_id AND t.vendor = l.vendor
                AND t.tenant_ref = l.tenant_ref
           JOIN customers c ON c.reseller_id = o.reseller_id AND c.id = o.customer_id
           WHERE o.reseller_id = $1 AND o.id = $2 AND l.status = 'pending'
             AND t.origin = 'reserved'
             AND NOT EXISTS (SELECT 1 FROM tenant_admins a
                             WHERE a.reseller_id = t.reseller_id AND a.tenant_id = t.id)
             AND NOT EXISTS (SELECT 1 FROM order_lines l2
                             JOIN subscriptions s ON s.reseller_id = l2.reseller_id
                                  AND s.order_line_id = l2.id
                             WHERE l2.reseller_id = t.reseller_id AND l2.vendor = t.vendor
                               AND l2.tenant_ref = t.tenant_ref)"#,
        reseller_id,
        order_id,
    )
    .fetch_all(tx)
    .await
}

/// Plans a new tenant's first administrator (to be made by its job); false when it is planned
/// already.
pub async fn plan_tenant_admin(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant_id: Uuid,
    order_id: Uuid,
    user_name: &str,
) -> sqlx::Result<bool> {
    let planned = sqlx::query!(
        "INSERT INTO tenant_admins (reseller_id, tenant_id, order_id, user_name)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        reseller_id,
        tenant_id,
        order_id,
        user_name,
    )
    .execute(tx)
    .await?;
    Ok(planned.rows_affected() == 1)
}

/// A planned administrator with what the vendor needs to make it.
#[derive(Clone, Debug)]
pub struct PlannedAdmin {
    pub status: AdminStatus,
    pub user_name: String,
    pub vendor: VendorCode,
    pub tenant_ref: String,
    pub domain: String,
    pub country: String,
}

pub async fn planned_admin(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant_id: Uuid,
) -> sqlx::Result<Option<PlannedAdmin>> {
    sqlx::query_as!(
        PlannedAdmin,
        r#"SELECT a.status AS "status: AdminStatus", a.user_name, t.vendor AS "vendor: VendorCode",
                  t.tenant_ref AS "tenant_ref!", t.domain, c.country::text AS "country!"
           FROM tenant_admins a
           JOIN customer_tenants t ON t.reseller_id = a.reseller_id AND t.id = a.tenant_id
           JOIN customers c ON c.reseller_id = t.reseller_id AND c.id = t.customer_id
           WHERE a.reseller_id = $1 AND a.tenant_id = $2 AND t.tenant_ref IS NOT NULL"#,
        reseller_id,
        tenant_id,
    )
    .fetch_optional(tx)
    .await
}

/// Records what the vendor answered for a planned administrator: made, with its temporary
/// password sealed, or refused with its reason. Only a pending one changes.
pub async fn decide_tenant_admin(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant_id: Uuid,
    answer: Result<&[u8], VendorErrorCode>,
) -> sqlx::Result<()> {
    let (status, sealed, error) = match answer {
        Ok(sealed) => (AdminStatus::Made, Some(sealed), None),
        Err(code) => (AdminStatus::Refused, None, Some(code.code())),
    };
    sqlx::query!(
        "UPDATE tenant_admins SET status = $3, secret = $4, error = $5, decided_at = now()
         WHERE reseller_id = $1 AND tenant_id = $2 AND status = 'pending'",
        reseller_id,
        tenant_id,
        status.code(),
        sealed,
        error,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// The administrator of a tenant the order brought into being; `sealed` is its temporary
/// password when it is taken to be shown now.
#[derive(Clone, Debug)]
pub struct TenantAdmin {
    pub domain: String,
    pub user_name: String,
    pub status: AdminStatus,
    pub error: Option<VendorErrorCode>,
    pub sealed: Option<Vec<u8>>,
}

/// The administrators of the tenants an order brought into being. To the user who placed it
/// (`viewer`), once the order is no longer at the vendor, their passwords are taken (erased) so
/// that they are shown this once.
pub async fn tenant_admins(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order_id: Uuid,
    viewer: Uuid,
) -> sqlx::Result<Vec<TenantAdmin>> {
    let taken = sqlx::query!(
        r#"WITH taken AS (
               SELECT a.tenant_id, a.secret FROM tenant_admins a
               JOIN orders o ON o.reseller_id = a.reseller_id AND o.id = a.order_id
               WHERE a.reseller_id = $1 AND a.order_id = $2 AND a.secret IS NOT NULL
                 AND o.placed_by = $3 AND o.status IN ('completed', 'failed', 'rejected')
               FOR UPDATE OF a)
           UPDATE tenant_admins a SET secret = NULL FROM taken
           WHERE a.reseller_id = $1 AND a.tenant_id = taken.tenant_id
           RETURNING a.tenant_id, taken.secret AS "secret!""#,
        reseller_id,
        order_id,
        viewer,
    )
    .fetch_all(&mut *tx)
    .await?;
    let admins = sqlx::query!(
        r#"SELECT a.tenant_id, t.domain, a.user_name, a.status AS "status: AdminStatus",
                  a.error AS "error: VendorErrorCode"
           FROM tenant_admins a
           JOIN customer_tenants t ON t.reseller_id = a.reseller_id AND t.id = a.tenant_id
           WHERE a.reseller_id = $1 AND a.order_id = $2 ORDER BY t.domain"#,
        reseller_id,
        order_id,
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(admins
        .into_iter()
        .map(|a| TenantAdmin {
            sealed: taken
                .iter()
                .find(|t| t.tenant_id == a.tenant_id)
                .map(|t| t.secret.clone()),
            domain: a.domain,
            user_name: a.user_name,
            status: a.status,
            error: a.error,
        })
        .collect())
}
