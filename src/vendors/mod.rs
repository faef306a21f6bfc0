//! Cloud vendors (Microsoft, Google) behind one interface. The shipped implementation is a
//! sandbox that plays the vendor with state of its own in PostgreSQL, outside tenant security:
//! like the real vendor, it knows every domain in use across all resellers. Real vendor APIs
//! plug in behind the same trait. Orders add subscriptions, quantities and transfers here.

use async_trait::async_trait;
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VendorCode {
    Microsoft,
    Google,
}

impl VendorCode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "microsoft" => Some(VendorCode::Microsoft),
            "google" => Some(VendorCode::Google),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            VendorCode::Microsoft => "microsoft",
            VendorCode::Google => "google",
        }
    }
}

/// Who a vendor tenant is for.
#[derive(Clone, Copy, Debug)]
pub struct TenantOwner {
    pub reseller_id: Uuid,
    pub customer_id: Uuid,
}

/// The answer about a domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The tenant is this customer's; the vendor's reference for it.
    Granted(String),
    /// Another customer of the platform already uses this domain.
    Taken,
}

#[async_trait]
pub trait Vendor: Send + Sync {
    /// Whether `domain` is free at `vendor` (or already this owner's).
    async fn domain_available(
        &self,
        vendor: VendorCode,
        domain: &str,
        owner: TenantOwner,
    ) -> anyhow::Result<bool>;

    /// Links an existing tenant (`existing`) or reserves a new one for `owner`. Asking again
    /// for the same owner and domain answers the same reference.
    async fn claim_tenant(
        &self,
        vendor: VendorCode,
        domain: &str,
        owner: TenantOwner,
        existing: bool,
    ) -> anyhow::Result<Claim>;
}

/// The sandbox vendor.
#[derive(Clone)]
pub struct Sandbox {
    db: PgPool,
}

impl Sandbox {
    pub fn new(db: PgPool) -> Self {
        Self { db }
    }
}

#[async_trait]
impl Vendor for Sandbox {
    async fn domain_available(
        &self,
        vendor: VendorCode,
        domain: &str,
        owner: TenantOwner,
    ) -> anyhow::Result<bool> {
        let holder: Option<(Uuid, Uuid)> =
            sqlx::query_as("SELECT reseller_id, customer_id FROM sandbox_domains WHERE vendor = $1 AND domain = $2")
                .bind(vendor.code())
                .bind(domain)
                .fetch_optional(&self.db)
                .await?;
        Ok(holder.is_none_or(|(r, c)| r == owner.reseller_id && c == owner.customer_id))
    }

    async fn claim_tenant(
        &self,
        vendor: VendorCode,
        domain: &str,
        owner: TenantOwner,
        existing: bool,
    ) -> anyhow::Result<Claim> {
        let reference = if existing { "linked" } else { "created" };
        let tenant_ref = format!("{}-{reference}-{}", vendor.code(), Uuid::new_v4().simple());
        // The database decides between two claims of one domain at the same moment.
        sqlx::query(
            "INSERT INTO sandbox_domains (vendor, domain, reseller_id, customer_id, tenant_ref)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (vendor, domain) DO NOTHING",
        )
        .bind(vendor.code())
        .bind(domain)
        .bind(owner.reseller_id)
        .bind(owner.customer_id)
        .bind(&tenant_ref)
        .execute(&self.db)
        .await?;
        let (r, c, t): (Uuid, Uuid, String) = sqlx::query_as(
            "SELECT reseller_id, customer_id, tenant_ref FROM sandbox_domains WHERE vendor = $1 AND domain = $2",
        )
        .bind(vendor.code())
        .bind(domain)
        .fetch_one(&self.db)
        .await?;
        Ok(if r == owner.reseller_id && c == owner.customer_id {
            Claim::Granted(t)
        } else {
            Claim::Taken
        })
    }
}
