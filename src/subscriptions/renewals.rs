//! The renewal run: at term end an auto-renewing active subscription renews at the vendor (a
//! new term, a new seat batch with its window, today's price, its scheduled change applied);
//! any other expires. It runs as a job of the queue once a day (`Job`, enqueued for each UTC
//! date), and for any date the tests or the CLI choose: each subscription is decided on its
//! locked row, asked of the vendor with a key of its own term (asking again applies once), and
//! recorded only if its term has not moved meanwhile, so a run repeated or crashed part-way
//! renews nothing twice.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::subscriptions::rules::{self, TermEnd};
use crate::subscriptions::store::{self, Due, Renewed};
use crate::vendors::{ChangeRequest, Vendor, VendorChange, VendorError, rules as vendor_rules};

/// The daily run's job: one per UTC date.
#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub date: Date,
}

/// What one run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Ran {
    pub renewed: usize,
    pub expired: usize,
    /// Left for the next run: a change waiting for the vendor, or the vendor did not answer.
    pub left: usize,
}

/// How many due subscriptions one pass reads.
const BATCH: i64 = 500;

/// Renews or expires every subscription whose term ended on or before `today`.
pub async fn run(db: &sqlx::PgPool, vendor: &dyn Vendor, today: Date) -> anyhow::Result<Ran> {
    let mut ran = Ran::default();
    let mut seen = std::collections::HashSet::new();
    loop {
        let due = store::due(db, today, BATCH).await?;
        let fresh: Vec<Due> = due.into_iter().filter(|d| seen.insert(d.id)).collect();
        if fresh.is_empty() {
            return Ok(ran);
        }
        for d in fresh {
            match one(db, vendor, &d, today).await {
                Ok(Some(TermEnd::Renew)) => ran.renewed += 1,
                Ok(Some(TermEnd::Expire)) => ran.expired += 1,
                Ok(None) => ran.left += 1,
                Err(e) => {
                    tracing::warn!(subscription = %d.id, error = format!("{e:#}"), "renewal left for the next run");
                    ran.left += 1;
                }
            }
        }
    }
}

/// One subscription at its term end; `None` when it is left for the next run.
async fn one(
    db: &sqlx::PgPool,
    vendor: &dyn Vendor,
    due: &Due,
    today: Date,
) -> anyhow::Result<Option<TermEnd>> {
    let mut tx = crate::db::tenant_tx(db, due.reseller_id).await?;
    let Some(s) = store::detail(&mut tx, due.reseller_id, due.id, true).await? else {
        return Ok(None);
    };
    if s.end_date != due.end_date || s.pending_change.is_some() {
        return Ok(None);
    }
    let outcome = rules::at_term_end(s.status, s.auto_renew);
    let ended = store::terms_ended(&mut tx, due.reseller_id, s.id).await?;
    let request_key = format!("term-end:{}:{}:{ended}", s.id, s.end_date);
    let (product, quantity) = match (s.next_product_id, s.next_quantity) {
        (Some(p), Some(q)) => (p, q),
        _ => (s.product_id, s.quantity),
    };
    let offer = s
        .next_term
        .zip(s.next_billing)
        .unwrap_or((s.term, s.billing));
    let sku = store::sku(&mut tx, product).await?;
    // Today's price for the new term (the one it had when no longer sold).
    let cost = store::cost_of(&mut tx, product, offer, &s, today).await?;
    // Priced as the customer's cart would price the product today.
    let (_, default) = crate::catalog::store::reseller_pricing(&mut tx, due.reseller_id).await?;
    let markups = crate::customers::store::markups_on(
        &mut tx,
        due.reseller_id,
        s.customer_id,
        today,
        default,
    )
    .await?;
    let markup = markups.of(product);
    tx.commit().await?;
    let change = match outcome {
        TermEnd::Renew => VendorChange::Renew {
            sku: &sku,
            quantity,
            term: offer.0,
            billing: offer.1,
        },
        TermEnd::Expire => VendorChange::Expire,
    };
    let request = ChangeRequest {
        vendor: s.vendor,
        vendor_ref: &s.vendor_ref,
        tenant_domain: &s.tenant_domain,
        request_key: &request_key,
        change,
    };
    match vendor.change_subscription(&request).await {
        Ok(()) => {}
        Err(VendorError::Transient(message)) => anyhow::bail!("vendor: {message}"),
        Err(VendorError::Permanent { code, .. }) => {
            tracing::warn!(subscription = %s.id, %code, "the vendor refused the renewal");
            return Ok(None);
        }
    }
    let mut tx = crate::db::tenant_tx(db, due.reseller_id).await?;
    let recorded = match outcome {
        TermEnd::Renew => {
            let (start, end) = rules::next_term(s.end_date, offer.0);
            let at = time::OffsetDateTime::now_utc();
            let unit_cost = cost.unwrap_or(s.unit_price);
            let renewed = Renewed {
                ended: s.end_date,
                start,
                end,
                product_id: product,
                quantity,
                term: offer.0,
                billing: offer.1,
                seats_before: s.quantity,
                unit_price: cost
                    .map(|c| crate::catalog::rules::your_price(c, markup))
                    .unwrap_or(s.unit_price),
                unit_cost,
                currency: s.currency.clone(),
                at,
                window_closes_at: vendor_rules::window_closes(s.vendor, at),
            };
            store::renew(&mut tx, due.reseller_id, s.id, &renewed).await?
        }
        TermEnd::Expire => {
            store::expire(
                &mut tx,
                due.reseller_id,
                s.id,
                s.end_date,
                s.quantity,
                &s.currency,
            )
            .await?
        }
    };
    tx.commit().await?;
    Ok(recorded.then_some(outcome))
}

/// The key that makes the daily run one job per date.
pub fn job_key(date: Date) -> String {
    format!("renewals:{date}")
}

/// Queues the run of `date` unless it is queued already.
pub async fn queue(db: &sqlx::PgPool, date: Date) -> anyhow::Result<()> {
    crate::jobs::enqueue_once(
        db,
        crate::jobs::JobKind::RenewSubscriptions.code(),
        &Job { date },
        &job_key(date),
    )
    .await?;
    Ok(())
}
