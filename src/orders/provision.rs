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
use crate::orders::store::{self, Actor, OrderLine, OrderRow};
use crate::subscriptions::store::FromLine;
use crate::vendors::{SubscriptionRequest, VendorError, VendorErrorCode};

#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub reseller_id: Uuid,
    pub order_id: Uuid,
}

pub async fn run(worker: &Worker, job: Job, last_attempt: bool) -> Result<(), JobError> {
    let vendor = worker
        .vendor
        .clone()
        .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("no vendor configured")))?;
    let db = &worker.db;
    let mut tx = crate::db::tenant_tx(db, job.reseller_id)
        .await
        .map_err(JobError::transient)?;
    let Some(order) = store::order(&mut tx, job.reseller_id, job.order_id)
        .await
        .map_err(JobError::transient)?
    else {
        return Err(JobError::Permanent(anyhow::anyhow!(
            "order {} not found",
            job.order_id
        )));
    };
    if !order.status.in_progress() {
        return Ok(());
    }
    let status = OrderStatus::Provisioning;
    match store::start_provisioning(&mut tx, job.reseller_id, job.order_id)
        .await
        .map_err(JobError::transient)?
    {
        store::Start::Started => {
            store::add_event(
                &mut tx,
                job.reseller_id,
                job.order_id,
                status,
                None,
                Actor::System,
            )
            .await
            .map_err(JobError::transient)?;
        }
        store::Start::Continued => {}
        // Rejected after this run read the order: recorded, nothing sent to the vendor.
        store::Start::Closed(closed) => {
            store::add_not_applied(&mut tx, job.reseller_id, job.order_id, status, closed)
                .await
                .map_err(JobError::transient)?;
            return tx.commit().await.map_err(JobError::transient);
        }
    }
    let lines = store::order_lines(&mut tx, job.reseller_id, job.order_id)
        .await
        .map_err(JobError::transient)?;
    let partner_id = crate::partners::store::public_id(&mut *tx, job.reseller_id)
        .await
        .map_err(JobError::transient)?;
    crate::orders::admin::plan(&mut tx, job.reseller_id, job.order_id)
        .await
        .map_err(JobError::transient)?;
    tx.commit().await.map_err(JobError::transient)?;

    let mut failure: Option<VendorErrorCode> = None;
    for line in lines.iter().filter(|l| l.status == LineStatus::Pending) {
        let request_key = line.id.to_string();
        let request = SubscriptionRequest {
            vendor: line.vendor,
            tenant_ref: &line.tenant_ref,
            tenant_domain: &line.tenant_domain,
            sku: &line.sku,
            quantity: line.quantity,
            term: line.term,
            billing: line.billing,
            request_key: &request_key,
            partner_id: &partner_id,
            transfer_token: line.transfer_token.as_deref(),
        };
        let code = match vendor.create_subscription(&request).await {
            Ok(vendor_ref) => {
                complete_line(worker, &job, &order, line, &vendor_ref).await?;
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
            .map_err(JobError::transient)?;
        store::fail_line(&mut tx, job.reseller_id, line.id, code)
            .await
            .map_err(JobError::transient)?;
        tx.commit().await.map_err(JobError::transient)?;
    }
    finish(worker, &job, failure).await
}

/// Closes an order whose provisioning job is dead (it crashed, ran over or could not reach the
/// database on its last attempt): its pending lines fail with the vendor unreachable, and the
/// order with them, so that it never stays "provisioning"; staff can retry it from the order.
pub async fn abandon(worker: &Worker, job: Job) -> Result<(), JobError> {
    let code = VendorErrorCode::Unavailable;
    let mut tx = crate::db::tenant_tx(&worker.db, job.reseller_id)
        .await
        .map_err(JobError::transient)?;
    let in_progress = store::order(&mut tx, job.reseller_id, job.order_id)
        .await
        .map_err(JobError::transient)?
        .is_some_and(|o| o.status.in_progress());
    if !in_progress {
        return Ok(());
    }
    store::fail_pending_lines(&mut tx, job.reseller_id, job.order_id, code)
        .await
        .map_err(JobError::transient)?;
    tx.commit().await.map_err(JobError::transient)?;
    finish(worker, &job, Some(code)).await
}

/// Records the vendor's subscription as ours and the line as completed, together.
async fn complete_line(
    worker: &Worker,
    job: &Job,
    order: &OrderRow,
    line: &OrderLine,
    vendor_ref: &str,
) -> Result<(), JobError> {
    let now = time::OffsetDateTime::now_utc();
    let today = now.date();
    let subscription = FromLine {
        customer_id: order.customer_id,
        product_id: line.product_id,
        order_line_id: line.id,
        vendor: line.vendor,
        tenant_domain: &line.tenant_domain,
        unit_price: line.unit_price,
        unit_cost: line.unit_cost,
        currency: &order.currency,
        created_at: now,
        quantity: line.quantity,
        term: line.term,
        billing: line.billing,
        start_date: today,
        end_date: rules::term_end(today, line.term),
        vendor_ref,
    };
    let mut tx = crate::db::tenant_tx(&worker.db, job.reseller_id)
        .await
        .map_err(JobError::transient)?;
    crate::subscriptions::store::create_from_line(&mut tx, job.reseller_id, &subscription)
        .await
        .map_err(JobError::transient)?;
    store::complete_line(&mut tx, job.reseller_id, line.id)
        .await
        .map_err(JobError::transient)?;
    tx.commit().await.map_err(JobError::transient)
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
        .map_err(JobError::transient)?;
    let failed = match failure {
        Some(code) => Some(code),
        None => store::first_failure(&mut tx, job.reseller_id, job.order_id)
            .await
            .map_err(JobError::transient)?,
    };
    let reason = failed.map(VendorErrorCode::code);
    let status = rules::outcome(reason);
    let closed = store::finish(&mut tx, job.reseller_id, job.order_id, status, reason)
        .await
        .map_err(JobError::transient)?;
    if !closed {
        // Closed meanwhile (another run finished it): the outcome is recorded on the timeline
        // and not applied.
        tracing::warn!(
            order = %job.order_id,
            outcome = %status,
            "the order was closed while the vendor worked on it; its outcome is not applied"
        );
        let now = store::lock_status(&mut tx, job.reseller_id, job.order_id)
            .await
            .map_err(JobError::transient)?;
        store::add_not_applied(&mut tx, job.reseller_id, job.order_id, status, now)
            .await
            .map_err(JobError::transient)?;
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
        .map_err(JobError::transient)?;
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
    tx.commit().await.map_err(JobError::transient)
}
