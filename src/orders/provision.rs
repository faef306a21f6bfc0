//! Provisioning an order at the vendors, as a job of the durable queue. Each line becomes a
//! vendor subscription (the order line id is the vendor request's idempotency key, so a job run
//! again after a crash does not create a second one) and then a subscription of ours. Transient
//! vendor errors are retried by the queue with backoff; a permanent one fails the line and the
//! order with the vendor's reason. The ordering user is told by e-mail either way.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::jobs::{JobError, Worker};
use crate::orders::mail::Ending;
use crate::orders::rules::{self, LineStatus, OrderStatus};
use crate::orders::store::{self, Actor, OrderLine};
use crate::subscriptions::store::FromLine;
use crate::vendors::{SubscriptionRequest, VendorError, VendorErrorCode};

#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub reseller_id: Uuid,
    pub order_id: Uuid,
}

fn db_error(e: impl Into<anyhow::Error>) -> JobError {
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
    if !order.status.in_progress() {
        return Ok(());
    }
    if store::start_provisioning(&mut tx, job.reseller_id, job.order_id)
        .await
        .map_err(db_error)?
    {
        let status = OrderStatus::Provisioning;
        store::add_event(
            &mut tx,
            job.reseller_id,
            job.order_id,
            status,
            None,
            Actor::System,
        )
        .await
        .map_err(db_error)?;
    }
    let lines = store::order_lines(&mut tx, job.reseller_id, job.order_id)
        .await
        .map_err(db_error)?;
    let partner_id = crate::partners::store::public_id(&mut *tx, job.reseller_id)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;

    let mut failure: Option<VendorErrorCode> = None;
    for line in lines.iter().filter(|l| l.status == LineStatus::Pending) {
        let request_key = line.id.to_string();
        let request = SubscriptionRequest {
            vendor: line.vendor,
            tenant_ref: &line.tenant_ref,
            tenant_domain: &line.tenant_domain,
            sku: &line.sku,
            quantity: line.quantity,
            request_key: &request_key,
            partner_id: &partner_id,
            transfer_token: line.transfer_token.as_deref(),
        };
        let code = match vendor.create_subscription(&request).await {
            Ok(vendor_ref) => {
                complete_line(worker, &job, order.customer_id, line, &vendor_ref).await?;
                continue;
            }
            Err(VendorError::Transient(message)) if !last_attempt => {
                return Err(JobError::Transient(anyhow::anyhow!("vendor: {message}")));
            }
            Err(VendorError::Transient(_)) => VendorErrorCode::Unavailable,
            Err(VendorError::Permanent { code, .. }) => code,
        };
        failure = Some(code);
        let mut tx = crate::db::tenant_tx(db, job.reseller_id)
            .await
            .map_err(db_error)?;
        store::fail_line(&mut tx, job.reseller_id, line.id, code)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
    }
    finish(worker, &job, failure).await
}

/// Records the vendor's subscription as ours and the line as completed, together.
async fn complete_line(
    worker: &Worker,
    job: &Job,
    customer_id: Uuid,
    line: &OrderLine,
    vendor_ref: &str,
) -> Result<(), JobError> {
    let today = time::OffsetDateTime::now_utc().date();
    let subscription = FromLine {
        customer_id,
        product_id: line.product_id,
        order_line_id: line.id,
        quantity: line.quantity,
        term: line.term,
        billing: line.billing,
        start_date: today,
        end_date: rules::term_end(today, line.term),
        vendor_ref,
    };
    let mut tx = crate::db::tenant_tx(&worker.db, job.reseller_id)
        .await
        .map_err(db_error)?;
    crate::subscriptions::store::create_from_line(&mut tx, job.reseller_id, &subscription)
        .await
        .map_err(db_error)?;
    store::complete_line(&mut tx, job.reseller_id, line.id)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)
}

/// Closes the order: completed when every line is, failed with the vendor's reason otherwise;
/// records the event and mails the user who placed it.
async fn finish(
    worker: &Worker,
    job: &Job,
    failure: Option<VendorErrorCode>,
) -> Result<(), JobError> {
    let mut tx = crate::db::tenant_tx(&worker.db, job.reseller_id)
        .await
        .map_err(db_error)?;
    let failed = match failure {
        Some(code) => Some(code),
        None => store::first_failure(&mut tx, job.reseller_id, job.order_id)
            .await
            .map_err(db_error)?,
    };
    let reason = failed.map(VendorErrorCode::code);
    let status = rules::outcome(reason);
    let closed = store::finish(&mut tx, job.reseller_id, job.order_id, status, reason)
        .await
        .map_err(db_error)?;
    if !closed {
        // Closed meanwhile (staff rejected it, or another run finished it): the outcome is
        // recorded here and not applied.
        tracing::warn!(
            order = %job.order_id,
            outcome = %status,
            "the order was closed while the vendor worked on it; its outcome is not applied"
        );
    }
    if closed {
        store::add_event(
            &mut tx,
            job.reseller_id,
            job.order_id,
            status,
            reason,
            Actor::System,
        )
        .await
        .map_err(db_error)?;
        if let Some(config) = &worker.config {
            let ending = failed.map_or(Ending::Completed, Ending::Failed);
            let email = crate::orders::mail::order_finished(
                &mut tx,
                config,
                job.reseller_id,
                job.order_id,
                ending,
            )
            .await
            .map_err(JobError::Transient)?;
            if let Some(email) = email {
                worker
                    .mailer
                    .queue(&mut *tx, &email)
                    .await
                    .map_err(JobError::Transient)?;
            }
        }
    }
    tx.commit().await.map_err(db_error)
}
