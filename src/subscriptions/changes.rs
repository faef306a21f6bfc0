//! Changing a subscription: the request (planned by `rules::plan` on the locked subscription,
//! recorded as pending with the version the user saw, and queued for the vendor in one
//! transaction) and the job that asks the vendor and applies its answer. Nothing changes
//! locally before the vendor accepted; one click makes one vendor call, whatever the retries
//! (the change's id is the vendor's idempotency key).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::jobs::{JobError, JobKind, Worker};
use crate::subscriptions::rules::{self, Asked, ChangeKind, ChangeStatus, Current, Plan, Refusal};
use crate::subscriptions::store::{self, Detail};
use crate::vendors::{
    ChangeRequest, VendorChange, VendorError, VendorErrorCode, rules as vendor_rules,
};

/// The vendor job of one change.
#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub reseller_id: Uuid,
    pub change_id: Uuid,
}

/// What the rules need besides the subscription: its batches, the products it can move to with
/// this reseller's price today, what its own product costs today (a renewal's price), and every
/// way these products are sold (a change at renewal may change the term and billing).
pub struct Context {
    pub batches: Vec<rules::Batch>,
    pub targets: Vec<store::Target>,
    pub candidates: Vec<rules::Candidate>,
    pub renewal_price: Option<rust_decimal::Decimal>,
    pub offers: Vec<rules::Offer>,
}

pub async fn context(
    tx: &mut sqlx::PgConnection,
    reseller_id: Uuid,
    s: &Detail,
    today: time::Date,
) -> sqlx::Result<Context> {
    let batches = store::batches(tx, reseller_id, s.id).await?;
    let targets = store::targets(tx, s, today).await?;
    let products: Vec<Uuid> = std::iter::once(s.product_id)
        .chain(targets.iter().map(|t| t.product_id))
        .collect();
    let offers = store::offers(tx, &products, s, today).await?;
    // The customer's markups, as its cart would price these products today.
    let (_, default) = crate::catalog::store::reseller_pricing(tx, reseller_id).await?;
    let markups =
        crate::customers::store::markups_on(tx, reseller_id, s.customer_id, today, default).await?;
    let price = |product: Uuid, cost: rust_decimal::Decimal| {
        crate::catalog::rules::your_price(cost, markups.of(product))
    };
    let offers: Vec<rules::Offer> = offers
        .into_iter()
        .map(|o| rules::Offer {
            product_id: o.product_id,
            term: o.term,
            billing: o.billing,
            unit_price: price(o.product_id, o.cost),
            unit_cost: o.cost,
        })
        .collect();
    let renewal_price = offers
        .iter()
        .find(|o| o.product_id == s.product_id && o.term == s.term && o.billing == s.billing)
        .map(|o| o.unit_price);
    let candidates = targets
        .iter()
        .map(|t| rules::Candidate {
            product_id: t.product_id,
            upgrade: t.upgrade,
            unit_price: t.cost.map(|c| price(t.product_id, c)),
            unit_cost: t.cost,
            min_seats: t.min_seats,
            max_seats: t.max_seats,
        })
        .collect();
    Ok(Context {
        batches,
        targets,
        candidates,
        renewal_price,
        offers,
    })
}

/// The rules' view of a subscription in its context.
pub fn current<'a>(s: &Detail, context: &'a Context) -> Current<'a> {
    Current {
        vendor: s.vendor,
        term: s.term,
        billing: s.billing,
        status: s.status,
        quantity: s.quantity,
        assigned: s.assigned,
        min_seats: s.min_seats,
        max_seats: s.max_seats,
        unit_price: s.unit_price,
        unit_cost: s.unit_cost,
        start_date: s.start_date,
        end_date: s.end_date,
        auto_renew: s.auto_renew,
        suspension: s.suspension,
        pending: s.pending_change.is_some(),
        batches: &context.batches,
        product_id: s.product_id,
        candidates: &context.candidates,
        scheduled: s.next_product_id.is_some(),
        offers: &context.offers,
    }
}

/// How a change asked for ended.
#[derive(Debug)]
pub enum Requested {
    /// Recorded and sent to the vendor.
    Sent { change_id: Uuid, plan: Plan },
    /// The rules refuse it; nothing was recorded.
    Refused(Refusal),
    /// The subscription changed since the user saw version `seen`.
    Stale,
}

/// Records `asked` on the subscription as the user saw it (`version`) and queues it for the
/// vendor, in `tx`; `None` when the subscription is not the reseller's.
pub async fn request(
    tx: &mut sqlx::PgConnection,
    reseller_id: Uuid,
    subscription_id: Uuid,
    version: i32,
    asked: Asked,
    actor: Uuid,
) -> anyhow::Result<Option<Requested>> {
    let Some(subscription) = store::detail(tx, reseller_id, subscription_id, true).await? else {
        return Ok(None);
    };
    if subscription.version != version {
        return Ok(Some(Requested::Stale));
    }
    let now = time::OffsetDateTime::now_utc();
    let context = context(tx, reseller_id, &subscription, now.date()).await?;
    let plan = match rules::plan(&current(&subscription, &context), asked, now) {
        Ok(plan) => plan,
        Err(refusal) => return Ok(Some(Requested::Refused(refusal))),
    };
    let Some(change_id) =
        store::record_change(tx, reseller_id, &subscription, version, &plan, actor).await?
    else {
        return Ok(Some(Requested::Stale));
    };
    let job = Job {
        reseller_id,
        change_id,
    };
    let key = format!("subscription_change:{change_id}");
    crate::jobs::enqueue_once(&mut *tx, JobKind::ChangeSubscription.code(), &job, &key).await?;
    Ok(Some(Requested::Sent { change_id, plan }))
}

/// Asks the vendor for the change and records its answer.
pub async fn run(worker: &Worker, job: Job, last_attempt: bool) -> Result<(), JobError> {
    let vendor = worker
        .vendor
        .clone()
        .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("no vendor configured")))?;
    let mut tx = crate::db::tenant_tx(&worker.db, job.reseller_id)
        .await
        .map_err(JobError::transient)?;
    let change = store::change(&mut tx, job.reseller_id, job.change_id)
        .await
        .map_err(JobError::transient)?
        .ok_or_else(|| {
            JobError::Permanent(anyhow::anyhow!("change {} not found", job.change_id))
        })?;
    tx.commit().await.map_err(JobError::transient)?;
    if change.status != ChangeStatus::Pending {
        return Ok(());
    }
    let request_key = change.id.to_string();
    let request = ChangeRequest {
        vendor: change.vendor,
        vendor_ref: &change.vendor_ref,
        tenant_domain: &change.tenant_domain,
        request_key: &request_key,
        change: match (change.kind, change.auto_renew) {
            (ChangeKind::AutoRenew, Some(on)) => VendorChange::AutoRenew(on),
            (ChangeKind::Suspend, _) => VendorChange::Suspend,
            (ChangeKind::Reactivate, _) => VendorChange::Reactivate,
            (ChangeKind::Cancel, _) => VendorChange::Cancel,
            (ChangeKind::Unschedule, _) => VendorChange::Unschedule,
            (ChangeKind::Upgrade, _) => VendorChange::Upgrade {
                sku: change.sku_after.as_deref().unwrap_or_default(),
            },
            (ChangeKind::Term, _) => VendorChange::Term {
                term: change.term_after.unwrap_or(change.term),
                billing: change.billing_after.unwrap_or(change.billing),
            },
            (ChangeKind::Schedule, _) => VendorChange::Schedule {
                sku: change.sku_after.as_deref().unwrap_or_default(),
                quantity: change.next_quantity.unwrap_or(change.seats_before),
                term: change.term_after.unwrap_or(change.term),
                billing: change.billing_after.unwrap_or(change.billing),
            },
            _ => VendorChange::Quantity(change.seats_after),
        },
    };
    let answer = vendor.change_subscription(&request).await;
    let refusal = VendorError::settle(answer, last_attempt)?.err();
    let mut tx = crate::db::tenant_tx(&worker.db, job.reseller_id)
        .await
        .map_err(JobError::transient)?;
    let recorded = match refusal {
        None => {
            let window = vendor_rules::window_closes(change.vendor, change.requested_at);
            store::apply(&mut tx, job.reseller_id, &change, window).await
        }
        Some(code) => store::fail(&mut tx, job.reseller_id, &change, code).await,
    }
    .map_err(JobError::transient)?;
    if !recorded {
        tracing::warn!(change = %change.id, "the change was decided meanwhile; this answer is not applied");
    }
    tx.commit().await.map_err(JobError::transient)
}

/// Fails a change whose job is dead (the vendor unreachable), so the subscription is free for
/// the next change.
pub async fn abandon(worker: &Worker, job: Job) -> Result<(), JobError> {
    let mut tx = crate::db::tenant_tx(&worker.db, job.reseller_id)
        .await
        .map_err(JobError::transient)?;
    if let Some(change) = store::change(&mut tx, job.reseller_id, job.change_id)
        .await
        .map_err(JobError::transient)?
    {
        store::fail(
            &mut tx,
            job.reseller_id,
            &change,
            VendorErrorCode::Unavailable,
        )
        .await
        .map_err(JobError::transient)?;
    }
    tx.commit().await.map_err(JobError::transient)
}
