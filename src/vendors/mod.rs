//! Cloud vendors (Microsoft, Google) behind one interface. The shipped implementation is a
//! sandbox that plays the vendor with state of its own in PostgreSQL, outside tenant security:
//! like the real vendor, it knows every domain in use across all resellers. Real vendor APIs
//! plug in behind the same trait: tenants (with the customer data the vendor requires),
//! subscriptions, and Google Workspace transfers with the customer's transfer token.

pub mod directory;
pub mod rules;
pub mod sandbox;
pub mod usage;

use async_trait::async_trait;
use uuid::Uuid;

use crate::catalog::rules::{Billing, Term};

pub use sandbox::Sandbox;

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
        /// Fewer seats than the product's minimum (or none).
        BelowMinimum = "below_minimum" => "vendor_error.below_minimum",
        /// Microsoft: the seats' cancellation window has closed.
        WindowClosed = "window_closed" => "vendor_error.window_closed",
        /// Google: an annual plan's seats cannot go down until renewal.
        CommitmentLocked = "commitment_locked" => "vendor_error.commitment_locked",
        /// The subscription is not active (suspended, cancelled, expired).
        NotActive = "not_active" => "vendor_error.not_active",
        /// The vendor suspended it (not the reseller): only resolving the reason lifts it.
        SuspendedByVendor = "suspended_by_vendor" => "vendor_error.suspended_by_vendor",
        /// Mid-term a term only gets longer (a shorter one waits for renewal).
        TermNotLonger = "term_not_longer" => "vendor_error.term_not_longer",
        /// The vendor did not answer after every attempt.
        Unavailable = "unavailable" => "vendor_error.unavailable",
        /// A user of the tenant already has this name.
        UserNameTaken = "user_name_taken" => "vendor_error.user_name_taken",
        /// A user name outside the tenant's domains.
        UserNameDomain = "user_name_domain" => "vendor_error.user_name_domain",
        /// Every seat of the subscription has its licence assigned.
        NoFreeSeat = "no_free_seat" => "vendor_error.no_free_seat",
        /// The user does not exist in the tenant (any more).
        NoSuchUser = "no_such_user" => "vendor_error.no_such_user",
    }
}

crate::text_enum! {
    /// Why a subscription is suspended: by the reseller, or by the vendor (Google: terms of
    /// service not accepted, a renewal set to cancel, a trial that ended).
    pub enum SuspensionReason {
        Reseller = "reseller" => "subscriptions.suspended_reseller",
        TermsPending = "terms_pending" => "subscriptions.suspended_terms_pending",
        RenewalCancel = "renewal_cancel" => "subscriptions.suspended_renewal_cancel",
        TrialEnded = "trial_ended" => "subscriptions.suspended_trial_ended",
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

impl VendorError {
    /// What a job does with a vendor's answer: a transient failure is tried again unless this
    /// was the last attempt (then the vendor counts as unavailable); a refusal is final, with
    /// its reason.
    pub fn settle<T>(
        answer: Result<T, VendorError>,
        last_attempt: bool,
    ) -> Result<Result<T, VendorErrorCode>, crate::jobs::JobError> {
        match answer {
            Ok(value) => Ok(Ok(value)),
            Err(VendorError::Transient(message)) if !last_attempt => Err(
                crate::jobs::JobError::Transient(anyhow::anyhow!("vendor: {message}")),
            ),
            Err(VendorError::Transient(_)) => Ok(Err(VendorErrorCode::Unavailable)),
            Err(VendorError::Permanent { code, .. }) => Ok(Err(code)),
        }
    }
}

/// A subscription to create at the vendor.
#[derive(Debug, Clone)]
pub struct SubscriptionRequest<'a> {
    pub vendor: VendorCode,
    pub tenant_ref: &'a str,
    pub tenant_domain: &'a str,
    pub sku: &'a str,
    pub quantity: i32,
    pub term: crate::catalog::rules::Term,
    pub billing: Billing,
    /// Idempotency: the same key answers the subscription created the first time.
    pub request_key: &'a str,
    /// The reseller's public id, which the vendor knows it by.
    pub partner_id: &'a str,
    /// Moves the customer's existing subscription to this reseller instead of creating one
    /// (Google Workspace), with the token the customer generated.
    pub transfer_token: Option<&'a str>,
}

/// A change to an existing subscription at the vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VendorChange<'a> {
    /// The subscription's seats become this many (more: a new batch; fewer: taken from the
    /// batches the vendor still lets go).
    Quantity(i32),
    /// Renew at term end, or not.
    AutoRenew(bool),
    /// Suspended by the reseller (still billed).
    Suspend,
    /// The reseller's own suspension lifted.
    Reactivate,
    /// Ended now, within the seats' windows, for a prorated refund.
    Cancel,
    /// Moved now to another product (along its upgrade paths), keeping its id and term end.
    Upgrade { sku: &'a str },
    /// A longer term now (Microsoft: monthly to yearly, yearly to three years; Google: flexible
    /// to annual), starting today, with this billing frequency.
    Term { term: Term, billing: Billing },
    /// At renewal: this product, quantity, term and billing frequency.
    Schedule {
        sku: &'a str,
        quantity: i32,
        term: Term,
        billing: Billing,
    },
    /// The change scheduled for renewal dropped.
    Unschedule,
    /// A new term at term end, with this product, quantity, term and billing frequency (its
    /// scheduled change applied).
    Renew {
        sku: &'a str,
        quantity: i32,
        term: Term,
        billing: Billing,
    },
    /// Ended at term end.
    Expire,
}

/// A change to ask the vendor for.
#[derive(Debug, Clone)]
pub struct ChangeRequest<'a> {
    pub vendor: VendorCode,
    pub vendor_ref: &'a str,
    pub tenant_domain: &'a str,
    /// Idempotency: asking again with the same key applies the change once.
    pub request_key: &'a str,
    pub change: VendorChange<'a>,
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

    /// Changes a subscription (its seats, its renewal setting), by the vendor's rules
    /// (`vendors::rules`): a refusal is permanent, with the vendor's reason.
    async fn change_subscription(&self, request: &ChangeRequest<'_>) -> Result<(), VendorError>;

    /// Creates a user in a customer's tenant; the vendor's reference for it and a temporary
    /// password. Asking again with the same key answers the same user.
    async fn create_user(
        &self,
        user: &directory::NewUser<'_>,
    ) -> Result<directory::CreatedUser, VendorError>;

    /// Blocks, unblocks or deletes a tenant's user, or assigns or removes one of its licences.
    async fn change_user(
        &self,
        request: &directory::UserChangeRequest<'_>,
    ) -> Result<(), VendorError>;

    /// The users of a customer's tenant (`tenant_domain` for the failure injection), each with
    /// its licences, as the vendor has them now (made in the portal or outside it).
    async fn list_users(
        &self,
        vendor: VendorCode,
        tenant_ref: &str,
        tenant_domain: &str,
    ) -> Result<Vec<directory::VendorUser>, VendorError>;

    /// The seats `vendor` holds now on each subscription of `refs` (its references); one it does
    /// not know is left out.
    async fn seat_counts(
        &self,
        vendor: VendorCode,
        refs: &[String],
    ) -> Result<Vec<(String, i32)>, VendorError>;

    /// The rated usage of `day` at `vendor`: every consumption subscription of the partner's
    /// (the distributor's), each meter it used that day. Asking again answers the same.
    async fn daily_usage(
        &self,
        vendor: VendorCode,
        day: time::Date,
    ) -> Result<Vec<usage::UsageRecord>, VendorError>;
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
