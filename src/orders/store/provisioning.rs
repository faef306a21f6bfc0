//! SQL for provisioning an order at the vendor: lines completed or failed, the order closed,
//! and who is told.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::i18n::Locale;
use crate::orders::rules::OrderStatus;
use crate::vendors::VendorErrorCode;

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
                  c.legal_name AS customer
           FROM orders o JOIN users u ON u.id = o.placed_by
           JOIN customers c ON c.reseller_id = o.reseller_id AND c.id = o.customer_id
           WHERE o.reseller_id = $1 AND o.id = $2 AND u.status = 'active'"#,
        reseller_id,
        order_id,
    )
    .fetch_optional(tx)
    .await
}
