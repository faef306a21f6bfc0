//! A change of a tenant's users and licences: recorded as pending and queued for the vendor in
//! one transaction, then the job that asks the vendor (once, whatever the retries: the change's
//! id is the vendor's idempotency key) and records its answer.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::jobs::{JobError, JobKind, Worker};
use crate::licences::rules::{LicenceChangeKind, LicenceChangeStatus};
use crate::licences::store::{self, Change};
use crate::vendors::directory::{NewUser, UserChange, UserChangeRequest};
use crate::vendors::{VendorError, VendorErrorCode};

/// The vendor job of one change.
#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub reseller_id: Uuid,
    pub change_id: Uuid,
}

/// Queues the vendor job of change `change_id`, in the transaction that recorded it.
pub async fn queue(
    tx: &mut sqlx::PgConnection,
    reseller_id: Uuid,
    change_id: Uuid,
) -> anyhow::Result<()> {
    let job = Job {
        reseller_id,
        change_id,
    };
    let key = format!("licence_change:{change_id}");
    crate::jobs::enqueue_once(&mut *tx, JobKind::ChangeLicences.code(), &job, &key).await?;
    Ok(())
}

/// What the vendor answered.
enum Answer {
    Done { created: Option<(String, String)> },
    Refused(VendorErrorCode),
}

/// Asks the vendor for the change and records its answer.
pub async fn run(worker: &Worker, job: Job, last_attempt: bool) -> Result<(), JobError> {
    decide(worker, job.reseller_id, job.change_id, last_attempt).await
}

/// Asks the vendor for change `change_id`, unless it is decided already, and records its
/// answer (a bulk change's job asks for each of its changes so).
pub async fn decide(
    worker: &Worker,
    reseller_id: Uuid,
    change_id: Uuid,
    last_attempt: bool,
) -> Result<(), JobError> {
    let vendor = worker
        .vendor
        .clone()
        .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("no vendor configured")))?;
    let mut tx = crate::db::tenant_tx(&worker.db, reseller_id)
        .await
        .map_err(JobError::transient)?;
    let change = store::change(&mut tx, reseller_id, change_id)
        .await
        .map_err(JobError::transient)?
        .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("change {change_id} not found")))?;
    tx.commit().await.map_err(JobError::transient)?;
    if change.status != LicenceChangeStatus::Pending {
        return Ok(());
    }
    let key = change.id.to_string();
    let answer = ask(vendor.as_ref(), &change, &key).await;
    let asked = VendorError::settle(answer, last_attempt)?.unwrap_or_else(Answer::Refused);
    let mut tx = crate::db::tenant_tx(&worker.db, reseller_id)
        .await
        .map_err(JobError::transient)?;
    let recorded = match asked {
        Answer::Done { created } => {
            let sealed = created.as_ref().map(|(r, password)| {
                (
                    r.as_str(),
                    worker.mailer.secrets().seal(password.as_bytes()),
                )
            });
            let created = sealed.as_ref().map(|(r, s)| (*r, s.as_slice()));
            store::apply(&mut tx, reseller_id, &change, created).await
        }
        Answer::Refused(code) => store::fail(&mut tx, reseller_id, &change, code).await,
    }
    .map_err(JobError::transient)?;
    if !recorded {
        tracing::warn!(change = %change.id, "the licence change was decided meanwhile; this answer is not applied");
    }
    tx.commit().await.map_err(JobError::transient)
}

async fn ask(
    vendor: &dyn crate::vendors::Vendor,
    change: &Change,
    key: &str,
) -> Result<Answer, VendorError> {
    let missing = || VendorError::Permanent {
        code: VendorErrorCode::NoSuchUser,
        message: "the user or its tenant is not known to the vendor".into(),
    };
    if change.kind == LicenceChangeKind::CreateUser {
        let user = NewUser {
            vendor: change.vendor,
            tenant_ref: change.tenant_ref.as_deref().ok_or_else(missing)?,
            tenant_domain: &change.tenant_domain,
            user_name: change.user_name.as_deref().ok_or_else(missing)?,
            display_name: change.display_name.as_deref().ok_or_else(missing)?,
            usage_location: change.usage_location.as_deref().ok_or_else(missing)?,
            request_key: key,
        };
        let created = vendor.create_user(&user).await?;
        return Ok(Answer::Done {
            created: Some((created.vendor_ref, created.temporary_password)),
        });
    }
    let subscription = || change.subscription_ref.as_deref().ok_or_else(missing);
    let what = match change.kind {
        LicenceChangeKind::Block => UserChange::Block,
        LicenceChangeKind::Unblock => UserChange::Unblock,
        LicenceChangeKind::DeleteUser => UserChange::Delete,
        LicenceChangeKind::Assign => UserChange::Assign {
            subscription_ref: subscription()?,
        },
        LicenceChangeKind::Unassign => UserChange::Unassign {
            subscription_ref: subscription()?,
        },
        LicenceChangeKind::CreateUser => return Err(missing()),
    };
    let request = UserChangeRequest {
        vendor: change.vendor,
        tenant_domain: &change.tenant_domain,
        user_ref: change.user_ref.as_deref().ok_or_else(missing)?,
        request_key: key,
        change: what,
    };
    vendor.change_user(&request).await?;
    Ok(Answer::Done { created: None })
}

/// Fails a change whose job is dead (the vendor unreachable), so the user is free for the next.
pub async fn abandon(worker: &Worker, job: Job) -> Result<(), JobError> {
    let mut tx = crate::db::tenant_tx(&worker.db, job.reseller_id)
        .await
        .map_err(JobError::transient)?;
    give_up(&mut tx, job.reseller_id, job.change_id).await?;
    tx.commit().await.map_err(JobError::transient)
}

/// Fails change `change_id` as the vendor unreachable, if it still waits.
pub async fn give_up(
    tx: &mut sqlx::PgConnection,
    reseller_id: Uuid,
    change_id: Uuid,
) -> Result<(), JobError> {
    if let Some(change) = store::change(&mut *tx, reseller_id, change_id)
        .await
        .map_err(JobError::transient)?
    {
        store::fail(tx, reseller_id, &change, VendorErrorCode::Unavailable)
            .await
            .map_err(JobError::transient)?;
    }
    Ok(())
}
