//! Provisioning an order at the vendors, as a job of the durable queue. Each line becomes a
//! vendor subscription (the order line id is the vendor request's idempotency key, so a job run
//! again after a crash does not create a second one) and then a subscription of ours. Transient
//! vendor errors are retried by the queue with backoff; a permanent one fails the line and the
//! order with the vendor's reason. The ordering user is told by e-mail either way.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::jobs::{JobError, Worker};
use crate::orders::store;
use crate::vendors::{SubscriptionRequest, VendorCode, VendorError};

#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub reseller_id: Uuid,
    pub order_id: Uuid,
}

fn db_error(e: sqlx::Error) -> JobError {
    JobError::Transient(e.into())
}

pub async fn run(worker: &Worker, job: Job, last_attempt: bool) -> Result<(), JobError> {
    let vendor = worker
        .vendor
        .clone()
        .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("no vendor configured")))?;
    let db = &worker.db;
    let mut tx = crate::db::tenant_tx(db, job.reseller_id)
        .await
        .map_err(db_error)?;
    let Some(order) = store::order(&mut tx, job.reseller_id, job.order_id)
        .await
        .map_err(db_error)?
    else {
        return Err(JobError::Permanent(anyhow::anyhow!(
            "order {} not found",
            job.order_id
        )));
    };
    if matches!(order.status.as_str(), "completed" | "failed" | "rejected") {
        return Ok(());
    }
    if order.status == "submitted" {
        sqlx::query("UPDATE orders SET status = 'provisioning', updated_at = now() WHERE reseller_id = $1 AND id = $2")
            .bind(job.reseller_id)
            .bind(job.order_id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        store::add_event(
            &mut tx,
            job.reseller_id,
            job.order_id,
            "provisioning",
            None,
            None,
            Some("worker"),
        )
        .await
        .map_err(db_error)?;
    }
    tx.commit().await.map_err(db_error)?;

    let mut tx = crate::db::tenant_tx(db, job.reseller_id)
        .await
        .map_err(db_error)?;
    let lines = store::order_lines(&mut tx, job.reseller_id, job.order_id)
        .await
        .map_err(db_error)?;
    let partner_id = crate::partners::store::public_id(&mut *tx, job.reseller_id)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    let today = time::OffsetDateTime::now_utc().date();
    let mut failure: Option<String> = None;
    for line in lines.iter().filter(|l| l.status == "pending") {
        let request_key = line.id.to_string();
        let request = SubscriptionRequest {
            vendor: VendorCode::parse(&line.vendor).unwrap_or(VendorCode::Microsoft),
            tenant_ref: &line.tenant_ref,
            tenant_domain: &line.tenant_domain,
            sku: &line.sku,
            quantity: line.quantity,
            request_key: &request_key,
            partner_id: &partner_id,
            transfer_token: line.transfer_token.as_deref(),
        };
        match vendor.create_subscription(&request).await {
            Ok(vendor_ref) => {
                let mut tx = crate::db::tenant_tx(db, job.reseller_id)
                    .await
                    .map_err(db_error)?;
                let term = crate::catalog::rules::Term::parse(&line.term)
                    .unwrap_or(crate::catalog::rules::Term::Monthly);
                sqlx::query(
                    "INSERT INTO subscriptions (reseller_id, customer_id, product_id, order_line_id, quantity, term, billing,
                                                start_date, end_date, vendor_ref)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                     ON CONFLICT (reseller_id, order_line_id) DO NOTHING",
                )
                .bind(job.reseller_id)
                .bind(order.customer_id)
                .bind(line.product_id)
                .bind(line.id)
                .bind(line.quantity)
                .bind(&line.term)
                .bind(&line.billing)
                .bind(today)
                .bind(crate::orders::rules::term_end(today, term))
                .bind(&vendor_ref)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
                sqlx::query("UPDATE order_lines SET status = 'completed', error = NULL WHERE reseller_id = $1 AND id = $2")
                    .bind(job.reseller_id)
                    .bind(line.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                tx.commit().await.map_err(db_error)?;
            }
            Err(VendorError::Transient(message)) if !last_attempt => {
                return Err(JobError::Transient(anyhow::anyhow!("vendor: {message}")));
            }
            Err(VendorError::Transient(_)) => {
                failure = Some("unavailable".into());
                mark_line_failed(worker, &job, line.id, "unavailable").await?;
            }
            Err(VendorError::Permanent { code, .. }) => {
                failure = Some(code.to_string());
                mark_line_failed(worker, &job, line.id, code).await?;
            }
        }
    }
    finish(worker, &job, failure).await
}

async fn mark_line_failed(
    worker: &Worker,
    job: &Job,
    line: Uuid,
    code: &str,
) -> Result<(), JobError> {
    let mut tx = crate::db::tenant_tx(&worker.db, job.reseller_id)
        .await
        .map_err(db_error)?;
    sqlx::query(
        "UPDATE order_lines SET status = 'failed', error = $3 WHERE reseller_id = $1 AND id = $2",
    )
    .bind(job.reseller_id)
    .bind(line)
    .bind(code)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    tx.commit().await.map_err(db_error)
}

/// Closes the order: completed when every line is, failed with the vendor's reason otherwise;
/// records the event and mails the user who placed it.
async fn finish(worker: &Worker, job: &Job, failure: Option<String>) -> Result<(), JobError> {
    let mut tx = crate::db::tenant_tx(&worker.db, job.reseller_id)
        .await
        .map_err(db_error)?;
    let failed: Option<String> = match failure {
        Some(code) => Some(code),
        None => sqlx::query_scalar("SELECT error FROM order_lines WHERE reseller_id = $1 AND order_id = $2 AND status = 'failed' LIMIT 1")
            .bind(job.reseller_id)
            .bind(job.order_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?
            .flatten(),
    };
    let status = if failed.is_some() {
        "failed"
    } else {
        "completed"
    };
    let changed = sqlx::query(
        "UPDATE orders SET status = $3, reason = $4, updated_at = now()
         WHERE reseller_id = $1 AND id = $2 AND status IN ('submitted', 'provisioning')",
    )
    .bind(job.reseller_id)
    .bind(job.order_id)
    .bind(status)
    .bind(&failed)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    if changed.rows_affected() == 1 {
        store::add_event(
            &mut tx,
            job.reseller_id,
            job.order_id,
            status,
            failed.as_deref(),
            None,
            Some("worker"),
        )
        .await
        .map_err(db_error)?;
        if let Some(config) = &worker.config {
            let email = crate::orders::mail::order_finished(
                &mut tx,
                config,
                job.reseller_id,
                job.order_id,
                status,
                failed.as_deref(),
            )
            .await
            .map_err(JobError::Transient)?;
            if let Some(email) = email {
                crate::mail::queue(&mut *tx, &email)
                    .await
                    .map_err(JobError::Transient)?;
            }
        }
    }
    tx.commit().await.map_err(db_error)
}
