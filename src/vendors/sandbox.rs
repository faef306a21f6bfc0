//! The vendor sandbox: plays Microsoft (new commerce) and Google Workspace with state of its own
//! in PostgreSQL, outside tenant security (like the real vendor, it knows every domain in use
//! across all resellers, which is where "domain already used" is answered).

use async_trait::async_trait;
use sqlx::PgPool;
use uuid::Uuid;

use crate::catalog::rules::{Billing, Term};
use crate::vendors::directory::{self, CreatedUser, NewUser, UserChangeRequest, VendorUser};
use crate::vendors::{
    ChangeRequest, Claim, IssuedToken, SubscriptionRequest, SuspensionReason, TenantOwner,
    TenantProfile, Vendor, VendorChange, VendorCode, VendorError, VendorErrorCode, check_token,
    normalize_token, rules,
};

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
        sqlx::query!(
            "INSERT INTO sandbox_transfer_tokens (token, domain, reseller_public_id, expires_at)
             VALUES ($1, lower($2), upper($3), now() + make_interval(secs => $4))",
            normalize_token(&token),
            domain,
            partner_id,
            valid_for.as_seconds_f64(),
        )
        .execute(&self.db)
        .await?;
        Ok(token)
    }

    /// Plays the reseller solving a declined payment with the vendor for the tenant on `domain`:
    /// the sandbox's `payment-declined` injection stops there, so staff can retry the order.
    pub async fn fix_payment(&self, domain: &str) -> anyhow::Result<()> {
        sqlx::query!(
            "INSERT INTO sandbox_payment_fixed (domain) VALUES (lower($1)) ON CONFLICT DO NOTHING",
            domain.trim(),
        )
        .execute(&self.db)
        .await?;
        Ok(())
    }

    async fn payment_fixed(&self, domain: &str) -> Result<bool, VendorError> {
        sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM sandbox_payment_fixed WHERE domain = $1) AS "fixed!""#,
            domain,
        )
        .fetch_one(&self.db)
        .await
        .map_err(internal)
    }

    async fn issued_token(&self, token: &str) -> Result<Option<IssuedToken>, VendorError> {
        sqlx::query_as!(
            IssuedToken,
            "SELECT domain, reseller_public_id AS partner_id, expires_at
             FROM sandbox_transfer_tokens WHERE token = $1",
            normalize_token(token),
        )
        .fetch_optional(&self.db)
        .await
        .map_err(internal)
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

impl Sandbox {
    /// The failures injected by tenant domain (see [`Sandbox`]).
    async fn inject(&self, domain: &str, request_key: &str) -> Result<(), VendorError> {
        if domain.starts_with("payment-declined") && !self.payment_fixed(domain).await? {
            return Err(refused(
                VendorErrorCode::PaymentDeclined,
                "The vendor declined the payment method.",
            ));
        }
        if domain.starts_with("over-limit") {
            return Err(refused(
                VendorErrorCode::SeatLimit,
                "The quantity exceeds the vendor's limit for this tenant.",
            ));
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
            let attempts = sqlx::query_scalar!(
                "INSERT INTO sandbox_attempts (request_key, attempts) VALUES ($1, 1)
                 ON CONFLICT (request_key) DO UPDATE SET attempts = sandbox_attempts.attempts + 1
                 RETURNING attempts",
                request_key,
            )
            .fetch_one(&self.db)
            .await
            .map_err(internal)?;
            if attempts == 1 {
                return Err(VendorError::Transient("502 Bad Gateway".into()));
            }
        }
        Ok(())
    }

    /// What a change does to the vendor's state (its status is set by the caller).
    async fn apply(
        &self,
        tx: &mut sqlx::PgConnection,
        request: &ChangeRequest<'_>,
        term: Term,
        quantity: i32,
    ) -> Result<(), VendorError> {
        match request.change {
            VendorChange::Reactivate => {}
            VendorChange::Upgrade { sku } => {
                sqlx::query!(
                    "UPDATE sandbox_subscriptions SET sku = $2 WHERE vendor_ref = $1",
                    request.vendor_ref,
                    sku,
                )
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            }
            VendorChange::Term {
                term: longer,
                billing,
            } => {
                rules::may_change_term_now(term, longer)
                    .map_err(|code| refused(code, "A term only gets longer mid-term."))?;
                sqlx::query!(
                    "UPDATE sandbox_subscriptions SET term = $2, billing = $3 WHERE vendor_ref = $1",
                    request.vendor_ref,
                    longer.code(),
                    billing.code(),
                )
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            }
            VendorChange::Schedule {
                sku,
                quantity,
                term,
                billing,
            } => {
                let next = (sku, quantity, term, billing);
                self.schedule(&mut *tx, request.vendor_ref, Some(next))
                    .await?;
            }
            VendorChange::Unschedule | VendorChange::Expire => {
                self.schedule(&mut *tx, request.vendor_ref, None).await?;
            }
            VendorChange::Renew {
                sku,
                quantity,
                term,
                billing,
            } => {
                // The new term's seats are one new batch, with a new window.
                sqlx::query!(
                    "WITH spent AS (UPDATE sandbox_seat_batches SET quantity = 0 WHERE vendor_ref = $1)
                     INSERT INTO sandbox_seat_batches (vendor_ref, quantity) VALUES ($1, $2)",
                    request.vendor_ref,
                    quantity,
                )
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
                sqlx::query!(
                    "UPDATE sandbox_subscriptions SET sku = $2, quantity = $3, term = $4,
                            billing = $5, next_sku = NULL, next_quantity = NULL, next_term = NULL,
                            next_billing = NULL
                     WHERE vendor_ref = $1",
                    request.vendor_ref,
                    sku,
                    quantity,
                    term.code(),
                    billing.code(),
                )
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            }
            VendorChange::Suspend => {
                // A suspension drops what was scheduled for renewal.
                self.set_status(&mut *tx, request.vendor_ref, "suspended", Some("reseller"))
                    .await?;
                self.schedule(&mut *tx, request.vendor_ref, None).await?;
            }
            VendorChange::Cancel => {
                self.reduce(&mut *tx, request, term, quantity).await?;
                self.set_status(&mut *tx, request.vendor_ref, "cancelled", None)
                    .await?;
            }
            VendorChange::AutoRenew(on) => {
                sqlx::query!(
                    "UPDATE sandbox_subscriptions SET auto_renew = $2 WHERE vendor_ref = $1",
                    request.vendor_ref,
                    on,
                )
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            }
            VendorChange::Quantity(seats) if seats > quantity => {
                sqlx::query!(
                    "INSERT INTO sandbox_seat_batches (vendor_ref, quantity) VALUES ($1, $2)",
                    request.vendor_ref,
                    seats - quantity,
                )
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            }
            VendorChange::Quantity(seats) => {
                self.reduce(&mut *tx, request, term, quantity - seats)
                    .await?;
            }
        }
        if let VendorChange::Quantity(seats) = request.change {
            sqlx::query!(
                "UPDATE sandbox_subscriptions SET quantity = $2 WHERE vendor_ref = $1",
                request.vendor_ref,
                seats,
            )
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        }
        Ok(())
    }

    async fn schedule(
        &self,
        tx: &mut sqlx::PgConnection,
        vendor_ref: &str,
        next: Option<(&str, i32, Term, Billing)>,
    ) -> Result<(), VendorError> {
        sqlx::query!(
            "UPDATE sandbox_subscriptions SET next_sku = $2, next_quantity = $3, next_term = $4,
                    next_billing = $5
             WHERE vendor_ref = $1",
            vendor_ref,
            next.map(|n| n.0),
            next.map(|n| n.1),
            next.map(|n| n.2.code()),
            next.map(|n| n.3.code()),
        )
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        Ok(())
    }

    async fn set_status(
        &self,
        tx: &mut sqlx::PgConnection,
        vendor_ref: &str,
        status: &str,
        reason: Option<&str>,
    ) -> Result<(), VendorError> {
        sqlx::query!(
            "UPDATE sandbox_subscriptions SET status = $2, suspension_reason = $3
             WHERE vendor_ref = $1",
            vendor_ref,
            status,
            reason,
        )
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        Ok(())
    }

    /// Takes `seats` seats off a subscription, from its newest batches the vendor's rules
    /// still let go; refused (nothing taken) when they are not enough.
    async fn reduce(
        &self,
        tx: &mut sqlx::PgConnection,
        request: &ChangeRequest<'_>,
        term: Term,
        seats: i32,
    ) -> Result<(), VendorError> {
        let now = time::OffsetDateTime::now_utc();
        let batches = sqlx::query!(
            "SELECT id, quantity, added_at FROM sandbox_seat_batches
             WHERE vendor_ref = $1 AND quantity > 0 ORDER BY added_at DESC, id DESC",
            request.vendor_ref,
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        let mut left = seats;
        let mut refusal = VendorErrorCode::WindowClosed;
        for batch in batches {
            if left == 0 {
                break;
            }
            if let Err(code) = rules::may_reduce(request.vendor, term, batch.added_at, now) {
                refusal = code;
                continue;
            }
            let take = left.min(batch.quantity);
            sqlx::query!(
                "UPDATE sandbox_seat_batches SET quantity = quantity - $2 WHERE id = $1",
                batch.id,
                take,
            )
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
            left -= take;
        }
        if left > 0 {
            return Err(refused(
                refusal,
                "These seats can no longer be reduced before renewal.",
            ));
        }
        Ok(())
    }
}

fn refused(code: VendorErrorCode, message: &str) -> VendorError {
    VendorError::Permanent {
        code,
        message: message.into(),
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
        let holder =
            sqlx::query!(
                "SELECT reseller_id, customer_id FROM sandbox_domains WHERE vendor = $1 AND domain = $2",
                vendor.code(),
                domain,
            )
            .fetch_optional(&self.db)
            .await?;
        Ok(holder.is_none_or(|h| {
            h.reseller_id == owner.reseller_id && h.customer_id == owner.customer_id
        }))
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
        sqlx::query!(
            "INSERT INTO sandbox_domains (vendor, domain, reseller_id, customer_id, tenant_ref)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (vendor, domain) DO NOTHING",
            vendor.code(),
            domain,
            owner.reseller_id,
            owner.customer_id,
            tenant_ref,
        )
        .execute(&self.db)
        .await?;
        let holder = sqlx::query!(
            "SELECT reseller_id, customer_id, tenant_ref FROM sandbox_domains
             WHERE vendor = $1 AND domain = $2",
            vendor.code(),
            domain,
        )
        .fetch_one(&self.db)
        .await?;
        Ok(
            if holder.reseller_id == owner.reseller_id && holder.customer_id == owner.customer_id {
                Claim::Granted(holder.tenant_ref)
            } else {
                Claim::Taken
            },
        )
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
            sqlx::query!(
                "UPDATE sandbox_domains SET profile = $3 WHERE vendor = $1 AND domain = $2",
                vendor.code(),
                domain,
                serde_json::to_value(profile)?,
            )
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
        sqlx::query_scalar!(
            "INSERT INTO sandbox_domains (vendor, domain, reseller_id, customer_id, tenant_ref)
             VALUES ('google', $1, $2, $3, $4)
             ON CONFLICT (vendor, domain) DO UPDATE SET
                 tenant_ref = CASE WHEN sandbox_domains.reseller_id = EXCLUDED.reseller_id
                                    AND sandbox_domains.customer_id = EXCLUDED.customer_id
                                   THEN sandbox_domains.tenant_ref ELSE EXCLUDED.tenant_ref END,
                 reseller_id = EXCLUDED.reseller_id, customer_id = EXCLUDED.customer_id
             RETURNING tenant_ref",
            domain,
            owner.reseller_id,
            owner.customer_id,
            tenant_ref,
        )
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
        self.inject(request.tenant_domain, request.request_key)
            .await?;
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
        sqlx::query!(
            "WITH created AS (
                 INSERT INTO sandbox_subscriptions (vendor_ref, vendor, tenant_ref, sku, quantity,
                                                    request_key, term, billing)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (request_key) DO NOTHING
                 RETURNING vendor_ref, quantity)
             INSERT INTO sandbox_seat_batches (vendor_ref, quantity)
             SELECT vendor_ref, quantity FROM created",
            vendor_ref,
            request.vendor.code(),
            request.tenant_ref,
            request.sku,
            request.quantity,
            request.request_key,
            request.term.code(),
            request.billing.code(),
        )
        .execute(&self.db)
        .await
        .map_err(internal)?;
        sqlx::query_scalar!(
            "SELECT vendor_ref FROM sandbox_subscriptions WHERE request_key = $1",
            request.request_key,
        )
        .fetch_one(&self.db)
        .await
        .map_err(internal)
    }

    async fn create_user(&self, user: &NewUser<'_>) -> Result<CreatedUser, VendorError> {
        tokio::time::sleep(self.latency).await;
        self.inject(user.tenant_domain, user.request_key).await?;
        directory::create_user(&self.db, user).await
    }

    async fn change_user(&self, request: &UserChangeRequest<'_>) -> Result<(), VendorError> {
        tokio::time::sleep(self.latency).await;
        self.inject(request.tenant_domain, request.request_key)
            .await?;
        directory::change_user(&self.db, request).await
    }

    async fn list_users(
        &self,
        vendor: VendorCode,
        tenant_ref: &str,
        tenant_domain: &str,
    ) -> Result<Vec<VendorUser>, VendorError> {
        tokio::time::sleep(self.latency).await;
        self.inject(tenant_domain, tenant_ref).await?;
        directory::list_users(&self.db, vendor, tenant_ref).await
    }

    async fn daily_usage(
        &self,
        vendor: VendorCode,
        day: time::Date,
    ) -> Result<Vec<crate::vendors::usage::UsageRecord>, VendorError> {
        tokio::time::sleep(self.latency).await;
        crate::vendors::usage::sandbox_day(&self.db, vendor, day)
            .await
            .map_err(|e| VendorError::Transient(format!("{e:#}")))
    }

    async fn seat_counts(
        &self,
        vendor: VendorCode,
        refs: &[String],
    ) -> Result<Vec<(String, i32)>, VendorError> {
        tokio::time::sleep(self.latency).await;
        let rows = sqlx::query!(
            "SELECT vendor_ref, quantity FROM sandbox_subscriptions
             WHERE vendor = $1 AND vendor_ref = ANY($2)",
            vendor.code(),
            refs,
        )
        .fetch_all(&self.db)
        .await
        .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|r| (r.vendor_ref, r.quantity))
            .collect())
    }

    async fn change_subscription(&self, request: &ChangeRequest<'_>) -> Result<(), VendorError> {
        tokio::time::sleep(self.latency).await;
        self.inject(request.tenant_domain, request.request_key)
            .await?;
        let mut tx = self.db.begin().await.map_err(internal)?;
        let first = sqlx::query!(
            "INSERT INTO sandbox_changes (request_key, vendor_ref) VALUES ($1, $2)
             ON CONFLICT (request_key) DO NOTHING",
            request.request_key,
            request.vendor_ref,
        )
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        if first.rows_affected() == 0 {
            // Asked again (a retry after a lost answer): it was applied the first time.
            return Ok(());
        }
        let current = sqlx::query!(
            "SELECT quantity, term, status, suspension_reason FROM sandbox_subscriptions
             WHERE vendor_ref = $1 FOR UPDATE",
            request.vendor_ref,
        )
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?
        .ok_or_else(|| refused(VendorErrorCode::NotActive, "No such subscription."))?;
        let term = Term::from_code(&current.term).unwrap_or(Term::Yearly);
        let status = match (request.change, current.status.as_str()) {
            (VendorChange::Expire, "active" | "suspended") => Some("expired"),
            (VendorChange::Renew { .. }, "active") => None,
            (VendorChange::Reactivate, "suspended") => {
                let reason = current
                    .suspension_reason
                    .as_deref()
                    .and_then(SuspensionReason::from_code);
                rules::may_reactivate(reason)
                    .map_err(|code| refused(code, "Suspended by the vendor."))?;
                Some("active")
            }
            (VendorChange::Reactivate, _) => {
                return Err(refused(VendorErrorCode::NotActive, "Not suspended."));
            }
            (_, "active") => None,
            _ => return Err(refused(VendorErrorCode::NotActive, "Not active.")),
        };
        self.apply(&mut tx, request, term, current.quantity).await?;
        if let Some(status) = status {
            self.set_status(&mut tx, request.vendor_ref, status, None)
                .await?;
        }
        tx.commit().await.map_err(internal)
    }
}
