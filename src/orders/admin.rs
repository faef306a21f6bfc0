//! The first administrator of a tenant an order brings into being (a reserved Microsoft tenant,
//! a new Google Workspace domain), as Partner Center gives one with a new customer tenant: made at
//! the vendor by a job of its own, planned when the order's provisioning starts, so that its
//! retries never hold up the order's. Its temporary password is sealed until the user who placed
//! the order sees it once on the order's page.

use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::jobs::{JobError, JobKind, Worker};
use crate::orders::rules::{self, AdminStatus};
use crate::orders::store;
use crate::vendors::directory::NewUser;
use crate::vendors::{VendorError, VendorErrorCode};

#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub reseller_id: Uuid,
    pub tenant_id: Uuid,
}

/// Plans and queues the administrator of each tenant the order's pending lines bring into being
/// (once per tenant, whatever the runs).
pub async fn plan(tx: &mut PgConnection, reseller_id: Uuid, order_id: Uuid) -> anyhow::Result<()> {
    for tenant in store::new_tenants(&mut *tx, reseller_id, order_id).await? {
        let user_name = rules::admin_user_name(&tenant.domain);
        let tenant_id = tenant.tenant_id;
        if store::plan_tenant_admin(&mut *tx, reseller_id, tenant_id, order_id, &user_name).await? {
            let job = Job {
                reseller_id,
                tenant_id,
            };
            let key = format!("tenant_admin:{tenant_id}");
            crate::jobs::enqueue_once(&mut *tx, JobKind::MakeTenantAdmin.code(), &job, &key)
                .await?;
        }
    }
    Ok(())
}

pub async fn run(worker: &Worker, job: Job, last_attempt: bool) -> Result<(), JobError> {
    let vendor = worker
        .vendor
        .clone()
        .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("no vendor configured")))?;
    let mut tx = crate::db::tenant_tx(&worker.db, job.reseller_id)
        .await
        .map_err(JobError::transient)?;
    let planned = store::planned_admin(&mut tx, job.reseller_id, job.tenant_id)
        .await
        .map_err(JobError::transient)?;
    tx.commit().await.map_err(JobError::transient)?;
    let Some(planned) = planned.filter(|p| p.status == AdminStatus::Pending) else {
        return Ok(());
    };
    // The tenant id is the vendor request's idempotency key: a run again makes no second user.
    let request_key = format!("tenant-admin:{}", job.tenant_id);
    let user = NewUser {
        vendor: planned.vendor,
        tenant_ref: &planned.tenant_ref,
        tenant_domain: &planned.domain,
        user_name: &planned.user_name,
        display_name: rules::ADMIN_DISPLAY_NAME,
        usage_location: &planned.country,
        request_key: &request_key,
    };
    let answer = vendor.create_user(&user).await;
    let sealed = VendorError::settle(answer, last_attempt)?.map(|created| {
        worker
            .mailer
            .secrets()
            .seal(created.temporary_password.as_bytes())
    });
    decide(worker, &job, sealed.as_deref().map_err(|code| *code)).await
}

/// A dead job's administrator counts as refused, the vendor unreachable, rather than pending.
pub async fn abandon(worker: &Worker, job: Job) -> Result<(), JobError> {
    decide(worker, &job, Err(VendorErrorCode::Unavailable)).await
}

async fn decide(
    worker: &Worker,
    job: &Job,
    answer: Result<&[u8], VendorErrorCode>,
) -> Result<(), JobError> {
    let mut tx = crate::db::tenant_tx(&worker.db, job.reseller_id)
        .await
        .map_err(JobError::transient)?;
    store::decide_tenant_admin(&mut tx, job.reseller_id, job.tenant_id, answer)
        .await
        .map_err(JobError::transient)?;
    tx.commit().await.map_err(JobError::transient)
}
