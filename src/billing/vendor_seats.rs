//! The vendor's side of seat reconciliation: once an invoice is issued, a job asks each vendor
//! how many seats it holds on each subscription the month billed, and records the answer beside
//! the seats billed and the licences assigned (`store::seats`). A subscription the vendor does
//! not know counts zero seats there. Asking again (a retry) asks only for what is still missing.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::billing::charges::Month;
use crate::billing::store::seats;
use crate::vendors::{Vendor, VendorCode};

/// The job: a reseller's month.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub reseller_id: Uuid,
    pub period: String,
}

/// How many subscriptions one question to the vendor names.
const ASKED_AT_ONCE: usize = 1_000;

/// Queues the vendor's count of the reseller's `month`, in the transaction issuing its invoice.
pub async fn queue(
    tx: &mut sqlx::PgConnection,
    reseller_id: Uuid,
    month: Month,
) -> anyhow::Result<()> {
    let job = Job {
        reseller_id,
        period: month.code(),
    };
    let key = format!("vendor-seats:{reseller_id}:{}", month.code());
    crate::jobs::enqueue_once(
        &mut *tx,
        crate::jobs::JobKind::CountVendorSeats.code(),
        &job,
        &key,
    )
    .await?;
    Ok(())
}

/// Asks the vendors for the seats of the reseller's subscriptions billed in `month` that have
/// no count yet, and records them; how many were counted.
pub async fn count(
    db: &sqlx::PgPool,
    vendor: &dyn Vendor,
    reseller_id: Uuid,
    month: Month,
) -> anyhow::Result<usize> {
    let period = month.first_day();
    let mut tx = crate::db::tenant_tx(db, reseller_id).await?;
    let missing = seats::uncounted(&mut tx, reseller_id, period).await?;
    tx.commit().await?;
    let mut counted = 0;
    for chunk in missing.chunk_by(|a, b| a.vendor == b.vendor) {
        let code: VendorCode = chunk[0].vendor;
        for part in chunk.chunks(ASKED_AT_ONCE) {
            let refs: Vec<String> = part.iter().map(|u| u.vendor_ref.clone()).collect();
            let answered: HashMap<String, i32> = vendor
                .seat_counts(code, &refs)
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?
                .into_iter()
                .collect();
            let (ids, counts): (Vec<Uuid>, Vec<i32>) = part
                .iter()
                .map(|u| {
                    let held = answered.get(&u.vendor_ref).copied().unwrap_or(0);
                    (u.subscription_id, held)
                })
                .unzip();
            let now = time::OffsetDateTime::now_utc();
            let mut tx = crate::db::tenant_tx(db, reseller_id).await?;
            seats::record_vendor(&mut tx, reseller_id, period, &ids, &counts, now).await?;
            tx.commit().await?;
            counted += ids.len();
        }
    }
    Ok(counted)
}
