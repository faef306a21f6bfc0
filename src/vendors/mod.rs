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

/// Why a vendor refused or could not do something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VendorError {
    /// Worth trying again later (the vendor is down, slow, or busy).
    Transient(String),
    /// Will not work as asked; `code` names the reason for the user (`vendor_error.<code>`).
    Permanent { code: &'static str, message: String },
}

/// A subscription to create at the vendor.
#[derive(Debug, Clone)]
pub struct SubscriptionRequest<'a> {
    pub vendor: VendorCode,
    pub tenant_ref: &'a str,
    pub tenant_domain: &'a str,
    pub sku: &'a str,
    pub quantity: i32,
    /// Idempotency: the same key answers the subscription created the first time.
    pub request_key: &'a str,
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

    /// Creates a subscription; returns the vendor's reference for it.
    async fn create_subscription(
        &self,
        request: &SubscriptionRequest<'_>,
    ) -> Result<String, VendorError>;
}

/// The sandbox vendor.
///
/// Failure injection by tenant domain, so tests and demos show every path: a domain starting
/// with `payment-declined` is refused (permanent), `over-limit` exceeds the vendor's seat limit
/// (permanent), `vendor-down` always answers a transient error, `flaky` fails the first attempt
/// only, `timeout` never answers in time (transient).
#[derive(Clone)]
pub struct Sandbox {
    db: PgPool,
    latency: std::time::Duration,
}

impl Sandbox {
    pub fn new(db: PgPool) -> Self {
        Self {
            db,
            latency: std::time::Duration::ZERO,
        }
    }

    /// Answers after `latency`, like a remote API.
    pub fn with_latency(mut self, latency: std::time::Duration) -> Self {
        self.latency = latency;
        self
    }
}

fn internal(e: impl std::fmt::Display) -> VendorError {
    VendorError::Transient(format!("sandbox storage: {e}"))
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

    async fn create_subscription(
        &self,
        request: &SubscriptionRequest<'_>,
    ) -> Result<String, VendorError> {
        tokio::time::sleep(self.latency).await;
        let domain = request.tenant_domain;
        if domain.starts_with("payment-declined") {
            return Err(VendorError::Permanent {
                code: "payment_declined",
                message: "The vendor declined the payment method.".into(),
            });
        }
        if domain.starts_with("over-limit") {
            return Err(VendorError::Permanent {
                code: "seat_limit",
                message: "The quantity exceeds the vendor's limit for this tenant.".into(),
            });
        }
        if domain.starts_with("vendor-down") {
            return Err(VendorError::Transient("503 Service Unavailable".into()));
        }
        if domain.starts_with("timeout") {
            return Err(VendorError::Transient(
                "timed out waiting for the vendor".into(),
            ));
        }
        if domain.starts_with("flaky") {
            let attempts: i32 = sqlx::query_scalar(
                "INSERT INTO sandbox_attempts (request_key, attempts) VALUES ($1, 1)
                 ON CONFLICT (request_key) DO UPDATE SET attempts = sandbox_attempts.attempts + 1
                 RETURNING attempts",
            )
            .bind(request.request_key)
            .fetch_one(&self.db)
            .await
            .map_err(internal)?;
            if attempts == 1 {
                return Err(VendorError::Transient("502 Bad Gateway".into()));
            }
        }
        let vendor_ref = format!("{}-sub-{}", request.vendor.code(), Uuid::new_v4().simple());
        sqlx::query(
            "INSERT INTO sandbox_subscriptions (vendor_ref, vendor, tenant_ref, sku, quantity, request_key)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_key) DO NOTHING",
        )
        .bind(&vendor_ref)
        .bind(request.vendor.code())
        .bind(request.tenant_ref)
        .bind(request.sku)
        .bind(request.quantity)
        .bind(request.request_key)
        .execute(&self.db)
        .await
        .map_err(internal)?;
        sqlx::query_scalar("SELECT vendor_ref FROM sandbox_subscriptions WHERE request_key = $1")
            .bind(request.request_key)
            .fetch_one(&self.db)
            .await
            .map_err(internal)
    }
}
