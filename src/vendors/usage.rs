//! Daily rated usage, as the vendors report it (modelled on Microsoft's daily rated usage file:
//! one row per subscription, day and meter, with its quantity, unit and the rated unit cost).
//!
//! The sandbox plays the vendor: each consumption subscription it holds reports, for each day
//! it was active, a few meters with quantities that vary from day to day but are the same each
//! time a day is asked for (derived from the subscription and the day), as a vendor's file is.

use rust_decimal::Decimal;
use sqlx::PgPool;
use time::Date;

use crate::vendors::VendorCode;

/// One row of a day's rated usage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRecord {
    /// The vendor's reference of the subscription.
    pub subscription_ref: String,
    pub usage_date: Date,
    pub meter_id: String,
    pub meter_name: String,
    pub category: String,
    pub region: String,
    pub unit: String,
    pub quantity: Decimal,
    /// Per unit, rated by the distributor's price list (what it bills the reseller).
    pub unit_cost: Decimal,
}

/// A meter a consumption product reports.
struct Meter {
    id: &'static str,
    name: &'static str,
    category: &'static str,
    unit: &'static str,
    /// Per unit, in ten-thousandths (USD).
    cost: i64,
    /// The day's quantity: from `base` to `base + spread` (in thousandths), by the day.
    base: i64,
    spread: i64,
}

const AZURE: &[Meter] = &[
    Meter {
        id: "az-vm-d2s-v5",
        name: "Virtual Machines Dsv5 Series - D2s v5",
        category: "Virtual Machines",
        unit: "1 Hour",
        cost: 960,
        base: 24_000,
        spread: 48_000,
    },
    Meter {
        id: "az-disk-e10-lrs",
        name: "Standard SSD Managed Disks - E10 LRS Disk",
        category: "Storage",
        unit: "1/Day",
        cost: 3_200,
        base: 2_000,
        spread: 1_000,
    },
    Meter {
        id: "az-bandwidth-out",
        name: "Bandwidth - Standard Data Transfer Out",
        category: "Networking",
        unit: "1 GB",
        cost: 870,
        base: 500,
        spread: 30_000,
    },
];

const GOOGLE_CLOUD: &[Meter] = &[
    Meter {
        id: "gce-n2-core",
        name: "N2 Instance Core running",
        category: "Compute Engine",
        unit: "hour",
        cost: 316,
        base: 48_000,
        spread: 96_000,
    },
    Meter {
        id: "gcs-standard",
        name: "Standard Storage",
        category: "Cloud Storage",
        unit: "gibibyte day",
        cost: 7,
        base: 50_000,
        spread: 450_000,
    },
    Meter {
        id: "bq-analysis",
        name: "Analysis",
        category: "BigQuery",
        unit: "tebibyte",
        cost: 62_500,
        base: 0,
        spread: 400,
    },
];

/// The products that report usage, by SKU.
pub const CONSUMPTION_SKUS: [&str; 2] = ["DZH318Z0BPS6", "GCP-BILLING-ACCOUNT"];

/// A number from 0 to `n - 1` for `key` (FNV-1a): the same every time.
fn pick(key: &str, n: i64) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % n.max(1) as u64) as i64
}

/// The day's usage of one consumption subscription (`sku`, `vendor_ref`).
pub fn day_of(vendor_ref: &str, sku: &str, day: Date) -> Vec<UsageRecord> {
    let (meters, regions): (&[Meter], &[&str]) = match sku {
        "DZH318Z0BPS6" => (AZURE, &["brazilsouth", "southcentralus", "eastus2"]),
        "GCP-BILLING-ACCOUNT" => (GOOGLE_CLOUD, &["southamerica-east1", "us-central1"]),
        _ => return Vec::new(),
    };
    let region = regions[pick(vendor_ref, regions.len() as i64) as usize];
    meters
        .iter()
        .map(|m| {
            let key = format!("{vendor_ref}:{day}:{}", m.id);
            UsageRecord {
                subscription_ref: vendor_ref.to_string(),
                usage_date: day,
                meter_id: m.id.into(),
                meter_name: m.name.into(),
                category: m.category.into(),
                region: region.into(),
                unit: m.unit.into(),
                quantity: Decimal::new(m.base + pick(&key, m.spread + 1), 3),
                unit_cost: Decimal::new(m.cost, 4),
            }
        })
        .collect()
}

/// The sandbox's rated usage of `day` at `vendor`: every consumption subscription it holds that
/// was active that day.
pub async fn sandbox_day(
    db: &PgPool,
    vendor: VendorCode,
    day: Date,
) -> anyhow::Result<Vec<UsageRecord>> {
    let subs = sqlx::query!(
        "SELECT vendor_ref, sku FROM sandbox_subscriptions
         WHERE vendor = $1 AND sku = ANY($2) AND created_at::date <= $3
           AND status IN ('active', 'suspended')
         ORDER BY vendor_ref",
        vendor.code(),
        &CONSUMPTION_SKUS.map(String::from),
        day,
    )
    .fetch_all(db)
    .await?;
    Ok(subs
        .iter()
        .flat_map(|s| day_of(&s.vendor_ref, &s.sku, day))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_day_reports_the_same_usage_each_time_and_days_differ() {
        let a = day_of("ms-sub-1", "DZH318Z0BPS6", date!(2026 - 11 - 03));
        assert_eq!(a.len(), 3);
        assert_eq!(a, day_of("ms-sub-1", "DZH318Z0BPS6", date!(2026 - 11 - 03)));
        let b = day_of("ms-sub-1", "DZH318Z0BPS6", date!(2026 - 11 - 04));
        assert_ne!(a[0].quantity, b[0].quantity);
        for r in a.iter().chain(&b) {
            assert!(
                r.quantity >= Decimal::ZERO && r.unit_cost > Decimal::ZERO,
                "{r:?}"
            );
        }
        assert_eq!(
            day_of("ms-sub-1", "CFQ7TTC0LDPB", date!(2026 - 11 - 03)),
            []
        );
        assert_eq!(
            day_of("g-1", "GCP-BILLING-ACCOUNT", date!(2026 - 11 - 03)).len(),
            3
        );
    }
}
