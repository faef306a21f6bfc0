//! Reading a tenant's users back from the vendor: a job asks the vendor for the tenant's users
//! and their licences and makes the portal's copy follow (`store::follow_vendor`). Queued from
//! the users' page (its button, and by itself the first time the page is shown).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::jobs::{JobError, JobKind, Worker};
use crate::licences::store::{self, Tenant};

#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub reseller_id: Uuid,
    pub customer_id: Uuid,
    pub tenant_id: Uuid,
}

/// Queues the reading of `tenant`'s users, once per `occasion` (asking twice within it reads
/// once).
pub async fn queue(
    tx: &mut sqlx::PgConnection,
    reseller_id: Uuid,
    tenant: &Tenant,
    occasion: &str,
) -> anyhow::Result<bool> {
    let job = Job {
        reseller_id,
        customer_id: tenant.customer_id,
        tenant_id: tenant.id,
    };
    let key = format!("tenant_users_read:{}:{occasion}", tenant.id);
    crate::jobs::enqueue_once(&mut *tx, JobKind::ReadTenantUsers.code(), &job, &key).await
}

pub async fn run(worker: &Worker, job: Job, last_attempt: bool) -> Result<(), JobError> {
    let vendor = worker
        .vendor
        .clone()
        .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("no vendor configured")))?;
    let tenant = {
        let mut tx = crate::db::tenant_tx(&worker.db, job.reseller_id)
            .await
            .map_err(JobError::transient)?;
        store::tenant(&mut tx, job.reseller_id, job.customer_id, job.tenant_id)
            .await
            .map_err(JobError::transient)?
            .ok_or_else(|| {
                JobError::Permanent(anyhow::anyhow!("tenant {} not found", job.tenant_id))
            })?
    };
    let Some(tenant_ref) = tenant.tenant_ref.as_deref() else {
        // Not made at the vendor yet: nothing to read.
        return Ok(());
    };
    let answer = vendor
        .list_users(tenant.vendor, tenant_ref, &tenant.domain)
        .await;
    let users = match crate::vendors::VendorError::settle(answer, last_attempt)? {
        Ok(users) => users,
        Err(code) => {
            // The copy stays as it was; the next reading (the page's button) tries again.
            tracing::warn!(tenant = %tenant.id, code = code.code(), "the vendor did not list the tenant's users");
            return Ok(());
        }
    };
    let mut tx = crate::db::tenant_tx(&worker.db, job.reseller_id)
        .await
        .map_err(JobError::transient)?;
    let synced = store::follow_vendor(&mut tx, job.reseller_id, &tenant, &users)
        .await
        .map_err(JobError::transient)?;
    tx.commit().await.map_err(JobError::transient)?;
    tracing::info!(tenant = %tenant.id, ?synced, "tenant users read from the vendor");
    Ok(())
}
