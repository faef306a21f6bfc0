//! The job of an applied file: its changes asked of the vendor one by one in the file's order
//! (a new user before its licences), each recorded as it is answered, so the batch's page shows
//! the progress and a retried job goes on where it stopped (each change's id is the vendor's
//! idempotency key, and a decided change is not asked again).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::store;
use crate::jobs::{JobError, JobKind, Worker};
use crate::licences::changes;

/// How many waiting changes are read at a time.
const PAGE: i64 = 200;

#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub reseller_id: Uuid,
    pub batch_id: Uuid,
}

/// Queues the job of batch `batch_id`, in the transaction that recorded its changes.
pub async fn queue(
    tx: &mut sqlx::PgConnection,
    reseller_id: Uuid,
    batch_id: Uuid,
) -> anyhow::Result<()> {
    let job = Job {
        reseller_id,
        batch_id,
    };
    let key = format!("licence_batch:{batch_id}");
    crate::jobs::enqueue_once(&mut *tx, JobKind::ApplyLicenceBatch.code(), &job, &key).await?;
    Ok(())
}

pub async fn run(worker: &Worker, job: Job, last_attempt: bool) -> Result<(), JobError> {
    let mut after = 0;
    loop {
        let next = {
            let mut tx = crate::db::tenant_tx(&worker.db, job.reseller_id)
                .await
                .map_err(JobError::transient)?;
            store::waiting(&mut tx, job.reseller_id, job.batch_id, after, PAGE)
                .await
                .map_err(JobError::transient)?
        };
        if next.is_empty() {
            break;
        }
        for (change_id, seq) in next {
            changes::decide(worker, job.reseller_id, change_id, last_attempt).await?;
            after = seq;
        }
    }
    let mut tx = crate::db::tenant_tx(&worker.db, job.reseller_id)
        .await
        .map_err(JobError::transient)?;
    store::finish(&mut tx, job.reseller_id, job.batch_id)
        .await
        .map_err(JobError::transient)?;
    tx.commit().await.map_err(JobError::transient)
}

/// Fails what a dead job left waiting (the vendor unreachable), so its users and seats are free.
pub async fn abandon(worker: &Worker, job: Job) -> Result<(), JobError> {
    let mut tx = crate::db::tenant_tx(&worker.db, job.reseller_id)
        .await
        .map_err(JobError::transient)?;
    let mut after = 0;
    loop {
        let next = store::waiting(&mut tx, job.reseller_id, job.batch_id, after, PAGE)
            .await
            .map_err(JobError::transient)?;
        let Some(&(_, seq)) = next.last() else {
            break;
        };
        for (change_id, _) in next {
            changes::give_up(&mut tx, job.reseller_id, change_id).await?;
        }
        after = seq;
    }
    store::finish(&mut tx, job.reseller_id, job.batch_id)
        .await
        .map_err(JobError::transient)?;
    tx.commit().await.map_err(JobError::transient)
}
