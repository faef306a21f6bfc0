//! The daily usage import: each vendor's rated usage of a day, matched to the portal's
//! subscriptions by the vendor's reference and rated with the reseller's markup (its price),
//! then billed by the month's run. Importing a day again adds only what was not there (a day
//! counts once); a row for a subscription the portal does not know, or with a quantity that is
//! no quantity, is kept aside for staff and never billed.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::billing::store::usage as store;
use crate::vendors::{Vendor, VendorCode, VendorError};

/// The job: the import of one day.
#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub date: Date,
}

/// What an import did, for all vendors.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// Rows recorded now (not those recorded already).
    pub records: u64,
    /// Rows kept aside now.
    pub unmatched: u64,
}

/// Imports every vendor's usage of `day`.
pub async fn import(
    db: &sqlx::PgPool,
    vendor: &dyn Vendor,
    day: Date,
) -> Result<Imported, VendorError> {
    let mut imported = Imported::default();
    for &code in VendorCode::ALL {
        let rows = vendor.daily_usage(code, day).await?;
        let (records, unmatched) = store::record(db, code, day, &rows)
            .await
            .map_err(|e| VendorError::Transient(format!("{e:#}")))?;
        imported.records += records;
        imported.unmatched += unmatched;
    }
    Ok(imported)
}

/// The key that makes a day's import one job.
pub fn job_key(day: Date) -> String {
    format!("usage:{day}")
}

/// Queues the import of the day before `today`, unless queued already.
pub async fn queue(db: &sqlx::PgPool, today: Date) -> anyhow::Result<()> {
    let day = today.previous_day().unwrap_or(today);
    crate::jobs::enqueue_once(
        db,
        crate::jobs::JobKind::ImportUsage.code(),
        &Job { date: day },
        &job_key(day),
    )
    .await?;
    Ok(())
}
