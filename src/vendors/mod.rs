//! Cloud vendors (Microsoft, Google) behind one interface. The shipped implementation is a
//! sandbox that plays the vendor with state of its own in PostgreSQL, outside tenant security:
//! like the real vendor, it knows every domain in use across all resellers. Real vendor APIs
//! plug in behind the same trait: tenants (with the customer data the vendor requires),
//! subscriptions, and Google Workspace transfers with the customer's transfer token.

use async_trait::async_trait;
use sqlx::PgPool;
use uuid::Uuid;

crate::text_enum! {
    /// A cloud vendor, as products, tenants and order lines name it.
    pub enum VendorCode {
        Microsoft = "microsoft" => "tenants.vendor_microsoft",
        Google = "google" => "tenants.vendor_google",
    }
}

impl VendorCode {
    /// The vendor of a code (`microsoft`, `google`).
    pub fn parse(s: &str) -> Option<Self> {
        Self::from_code(s)
    }
}

crate::text_enum! {
    /// Why a vendor refused something for good, as stored on a failed order line and shown to
    /// the user in their words.
    pub enum VendorErrorCode {
        TransferTokenInvalid = "transfer_token_invalid" => "vendor_error.transfer_token_invalid",
        TransferTokenDomain = "transfer_token_domain" => "vendor_error.transfer_token_domain",
        TransferTokenReseller = "transfer_token_reseller" => "vendor_error.transfer_token_reseller",
        TransferTokenExpired = "transfer_token_expired" => "vendor_error.transfer_token_expired",
        PaymentDeclined = "payment_declined" => "vendor_error.payment_declined",
        SeatLimit = "seat_limit" => "vendor_error.seat_limit",
        /// The vendor did not answer after every attempt.
        Unavailable = "unavailable" => "vendor_error.unavailable",
    }
}

/// Why a vendor refused or could not do something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VendorError {
    /// Worth trying again later (the vendor is down, slow, or busy).
    Transient(String),
    /// Will not work as asked; `code` names the reason for the user (`vendor_error.<code>`).
    Permanent {
        code: VendorErrorCode,
        message: String,
    },
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
    /// The reseller's public id, which the vendor knows it by.
    pub partner_id: &'a str,
    /// Moves the customer's existing subscription to this reseller instead of creating one
    /// (Google Workspace), with the token the customer generated.
    pub transfer_token: Option<&'a str>,
}

/// The customer data a vendor requires to create a tenant (confirmed by the reseller).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TenantProfile {
    pub company: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub address_line1: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

/// A transfer token as stored by the vendor, to check a request against.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    pub domain: String,
    pub partner_id: String,
    pub expires_at: time::OffsetDateTime,
}

/// Normalises a typed transfer token (spaces and case do not matter).
pub fn normalize_token(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Whether a transfer `token` lets `partner_id` take over `domain` at `now`: the vendor's
/// reason code otherwise (`vendor_error.<code>`).
pub fn check_token(
    issued: Option<&IssuedToken>,
    domain: &str,
    partner_id: &str,
    now: time::OffsetDateTime,
) -> Result<(), VendorErrorCode> {
    let issued = issued.ok_or(VendorErrorCode::TransferTokenInvalid)?;
    if !issued.domain.eq_ignore_ascii_case(domain) {
        return Err(VendorErrorCode::TransferTokenDomain);
    }
    if !issued.partner_id.eq_ignore_ascii_case(partner_id) {
        return Err(VendorErrorCode::TransferTokenReseller);
    }
    if issued.expires_at <= now {
        return Err(VendorErrorCode::TransferTokenExpired);
    }
    Ok(())
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

    /// Creates a new tenant for `owner` on `domain` with the customer data the vendor requires.
    /// Asking again for the same owner and domain answers the same reference.
    async fn create_tenant(
        &self,
        vendor: VendorCode,
        domain: &str,
        owner: TenantOwner,
        profile: &TenantProfile,
    ) -> anyhow::Result<Claim>;

    /// Takes over the customer's Google Workspace domain with the transfer token the customer
    /// generated naming this reseller (`partner_id`); returns the tenant reference.
    async fn transfer_tenant(
        &self,
        domain: &str,
        token: &str,
        partner_id: &str,
        owner: TenantOwner,
    ) -> Result<String, VendorError>;

    /// Creates a subscription (or, with a transfer token, takes over the customer's existing
    /// one); returns the vendor's reference for it.
    async fn create_subscription(
        &self,
        request: &SubscriptionRequest<'_>,
    ) -> Result<String, VendorError>;
}

/// The sandbox vendor.
///
/// Failure injection by tenant domain, so tests and demos show every path: a domain starting
/// with `payment-declined` is refused (permanent, until `fix_payment`), `over-limit` exceeds the vendor's seat limit
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

    /// Plays the customer in their Google admin console: a transfer token for `domain` naming
    /// the reseller `partner_id`, valid for `valid_for`.
    pub async fn issue_transfer_token(
        &self,
        domain: &str,
        partner_id: &str,
        valid_for: time::Duration,
    ) -> anyhow::Result<String> {
        let raw = Uuid::new_v4().simple().to_string().to_uppercase();
        let token = format!("{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..16]);
        sqlx::query(
            "INSERT INTO sandbox_transfer_tokens (token, domain, reseller_public_id, expires_at)
             VALUES ($1, lower($2), upper($3), now() + make_interval(secs => $4))",
        )
        .bind(normalize_token(&token))
        .bind(domain)
        .bind(partner_id)
        .bind(valid_for.as_seconds_f64())
        .execute(&self.db)
        .await?;
        Ok(token)
    }

    /// Plays the reseller solving a declined payment with the vendor for the tenant on `domain`:
    /// the sandbox's `payment-declined` injection stops there, so staff can retry the order.
    pub async fn fix_payment(&self, domain: &str) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO sandbox_payment_fixed (domain) VALUES (lower($1)) ON CONFLICT DO NOTHING",
        )
        .bind(domain.trim())
        .execute(&self.db)
        .await?;
        Ok(())
    }

    async fn payment_fixed(&self, domain: &str) -> Result<bool, VendorError> {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM sandbox_payment_fixed WHERE domain = $1)")
            .bind(domain)
            .fetch_one(&self.db)
            .await
            .map_err(internal)
    }

    async fn issued_token(&self, token: &str) -> Result<Option<IssuedToken>, VendorError> {
        let row: Option<(String, String, time::OffsetDateTime)> = sqlx::query_as(
            "SELECT domain, reseller_public_id, expires_at FROM sandbox_transfer_tokens WHERE token = $1",
        )
        .bind(normalize_token(token))
        .fetch_optional(&self.db)
        .await
        .map_err(internal)?;
        Ok(row.map(|(domain, partner_id, expires_at)| IssuedToken {
            domain,
            partner_id,
            expires_at,
        }))
    }

    async fn check_transfer(
        &self,
        token: &str,
        domain: &str,
        partner_id: &str,
    ) -> Result<(), VendorError> {
        let issued = self.issued_token(token).await?;
        check_token(
            issued.as_ref(),
            domain,
            partner_id,
            time::OffsetDateTime::now_utc(),
        )
        .map_err(|code| VendorError::Permanent {
            code,
            message: format!("transfer refused: {code}"),
        })
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

    async fn create_tenant(
        &self,
        vendor: VendorCode,
        domain: &str,
        owner: TenantOwner,
        profile: &TenantProfile,
    ) -> anyhow::Result<Claim> {
        tokio::time::sleep(self.latency).await;
        let claim = self.claim_tenant(vendor, domain, owner, false).await?;
        if matches!(claim, Claim::Granted(_)) {
            sqlx::query(
                "UPDATE sandbox_domains SET profile = $3 WHERE vendor = $1 AND domain = $2",
            )
            .bind(vendor.code())
            .bind(domain)
            .bind(serde_json::to_value(profile)?)
            .execute(&self.db)
            .await?;
        }
        Ok(claim)
    }

    async fn transfer_tenant(
        &self,
        domain: &str,
        token: &str,
        partner_id: &str,
        owner: TenantOwner,
    ) -> Result<String, VendorError> {
        tokio::time::sleep(self.latency).await;
        self.check_transfer(token, domain, partner_id).await?;
        // The customer moves to this reseller: the domain is theirs now, whoever held it.
        let tenant_ref = format!("google-transfer-{}", Uuid::new_v4().simple());
        sqlx::query_scalar(
            "INSERT INTO sandbox_domains (vendor, domain, reseller_id, customer_id, tenant_ref)
             VALUES ('google', $1, $2, $3, $4)
             ON CONFLICT (vendor, domain) DO UPDATE SET
                 tenant_ref = CASE WHEN sandbox_domains.reseller_id = EXCLUDED.reseller_id
                                    AND sandbox_domains.customer_id = EXCLUDED.customer_id
                                   THEN sandbox_domains.tenant_ref ELSE EXCLUDED.tenant_ref END,
                 reseller_id = EXCLUDED.reseller_id, customer_id = EXCLUDED.customer_id
             RETURNING tenant_ref",
        )
        .bind(domain)
        .bind(owner.reseller_id)
        .bind(owner.customer_id)
        .bind(&tenant_ref)
        .fetch_one(&self.db)
        .await
        .map_err(internal)
    }

    async fn create_subscription(
        &self,
        request: &SubscriptionRequest<'_>,
    ) -> Result<String, VendorError> {
        tokio::time::sleep(self.latency).await;
        if let Some(token) = request.transfer_token {
            self.check_transfer(token, request.tenant_domain, request.partner_id)
                .await?;
        }
        let domain = request.tenant_domain;
        if domain.starts_with("payment-declined") && !self.payment_fixed(domain).await? {
            return Err(VendorError::Permanent {
                code: VendorErrorCode::PaymentDeclined,
                message: "The vendor declined the payment method.".into(),
            });
        }
        if domain.starts_with("over-limit") {
            return Err(VendorError::Permanent {
                code: VendorErrorCode::SeatLimit,
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
        let kind = if request.transfer_token.is_some() {
            "transfer"
        } else {
            "sub"
        };
        let vendor_ref = format!(
            "{}-{kind}-{}",
            request.vendor.code(),
            Uuid::new_v4().simple()
        );
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn transfer_tokens_name_the_domain_and_the_reseller_and_expire() {
        let now = datetime!(2026-11-24 12:00 UTC);
        let issued = IssuedToken {
            domain: "fabrikam.com".into(),
            partner_id: "R-7K3M9Q".into(),
            expires_at: datetime!(2026-12-08 12:00 UTC),
        };
        assert_eq!(
            check_token(Some(&issued), "Fabrikam.com", "r-7k3m9q", now),
            Ok(())
        );
        assert_eq!(
            check_token(None, "fabrikam.com", "R-7K3M9Q", now),
            Err(VendorErrorCode::TransferTokenInvalid)
        );
        assert_eq!(
            check_token(Some(&issued), "contoso.com", "R-7K3M9Q", now),
            Err(VendorErrorCode::TransferTokenDomain)
        );
        assert_eq!(
            check_token(Some(&issued), "fabrikam.com", "R-000000", now),
            Err(VendorErrorCode::TransferTokenReseller)
        );
        assert_eq!(
            check_token(
                Some(&issued),
                "fabrikam.com",
                "R-7K3M9Q",
                datetime!(2026-12-08 12:00 UTC)
            ),
            Err(VendorErrorCode::TransferTokenExpired)
        );
    }

    #[test]
    fn typed_tokens_ignore_spaces_and_case() {
        assert_eq!(normalize_token(" ab12-cd34 -ef56\n"), "AB12-CD34-EF56");
    }
}
