//! The audit log: who did what, to what, when and from where. Every sign-in, failure, lockout,
//! MFA change, role change, staff decision and change to money or seats is recorded here, in
//! the same transaction as the change itself.

use std::net::IpAddr;

use sqlx::PgExecutor;
use uuid::Uuid;

crate::text_enum! {
    /// What was done: one value per kind of change the log records.
    pub enum Action {
        OrderPlaced = "order_placed" => "audit.order_placed",
        TicketOpened = "ticket_opened" => "audit.ticket_opened",
        TicketReplied = "ticket_replied" => "audit.ticket_replied",
        TicketClosed = "ticket_closed" => "audit.ticket_closed",
        TicketReopened = "ticket_reopened" => "audit.ticket_reopened",
        TicketAnswered = "ticket_answered" => "audit.ticket_answered",
        TicketNoteAdded = "ticket_note_added" => "audit.ticket_note_added",
        TicketAssigned = "ticket_assigned" => "audit.ticket_assigned",
        TicketStatusChanged = "ticket_status_changed" => "audit.ticket_status_changed",
        OrderRetried = "order_retried" => "audit.order_retried",
        OrderRejected = "order_rejected" => "audit.order_rejected",
        OrderTenantConfigured = "order_tenant_configured" => "audit.order_tenant_configured",
        CustomerCreated = "customer_created" => "audit.customer_created",
        CustomerUpdated = "customer_updated" => "audit.customer_updated",
        CustomerDeactivated = "customer_deactivated" => "audit.customer_deactivated",
        CustomerReactivated = "customer_reactivated" => "audit.customer_reactivated",
        CustomerTenantAdded = "customer_tenant_added" => "audit.customer_tenant_added",
        CustomerMarkupChanged = "customer_markup_changed" => "audit.customer_markup_changed",
        SignIn = "sign_in" => "audit.sign_in",
        SignInFailed = "sign_in_failed" => "audit.sign_in_failed",
        SignInLocked = "sign_in_locked" => "audit.sign_in_locked",
        SecondFactorFailed = "second_factor_failed" => "audit.second_factor_failed",
        SecondFactorLocked = "second_factor_locked" => "audit.second_factor_locked",
        SignOut = "sign_out" => "audit.sign_out",
        MfaEnrolled = "mfa_enrolled" => "audit.mfa_enrolled",
        MfaReset = "mfa_reset" => "audit.mfa_reset",
        RecoveryCodesRegenerated = "recovery_codes_regenerated" => "audit.recovery_codes_regenerated",
        PasswordResetRequested = "password_reset_requested" => "audit.password_reset_requested",
        PasswordReset = "password_reset" => "audit.password_reset",
        PasswordChanged = "password_changed" => "audit.password_changed",
        InvitationAccepted = "invitation_accepted" => "audit.invitation_accepted",
        UserInvited = "user_invited" => "audit.user_invited",
        UserRoleChanged = "user_role_changed" => "audit.user_role_changed",
        UserDeactivated = "user_deactivated" => "audit.user_deactivated",
        UserReactivated = "user_reactivated" => "audit.user_reactivated",
        AccessRequested = "access_requested" => "audit.access_requested",
        AccessRequestApproved = "access_request_approved" => "audit.access_request_approved",
        AccessRequestRejected = "access_request_rejected" => "audit.access_request_rejected",
        SeedDemo = "seed_demo" => "audit.seed_demo",
        StaffCreated = "staff_created" => "audit.staff_created",
        MarkupChanged = "markup_changed" => "audit.markup_changed",
        SalesCostsChanged = "sales_costs_changed" => "audit.sales_costs_changed",
        ProductMarkupChanged = "product_markup_changed" => "audit.product_markup_changed",
        ProductCreated = "product_created" => "audit.product_created",
        ProductUpdated = "product_updated" => "audit.product_updated",
        ProductRetired = "product_retired" => "audit.product_retired",
        ProductReactivated = "product_reactivated" => "audit.product_reactivated",
        PriceAdded = "price_added" => "audit.price_added",
        PriceListImported = "price_list_imported" => "audit.price_list_imported",
        VendorCreated = "vendor_created" => "audit.vendor_created",
        VendorUpdated = "vendor_updated" => "audit.vendor_updated",
        ProgramCreated = "program_created" => "audit.program_created",
        ProgramUpdated = "program_updated" => "audit.program_updated",
        ProgramRequested = "program_requested" => "audit.program_requested",
        ProgramTermsAccepted = "program_terms_accepted" => "audit.program_terms_accepted",
        ProgramApproved = "program_approved" => "audit.program_approved",
        ProgramRejected = "program_rejected" => "audit.program_rejected",
        ProgramSuspended = "program_suspended" => "audit.program_suspended",
        ProgramReinstated = "program_reinstated" => "audit.program_reinstated",
        AccountUpdated = "account_updated" => "audit.account_updated",
        ResellerSuspended = "reseller_suspended" => "audit.reseller_suspended",
        ResellerReactivated = "reseller_reactivated" => "audit.reseller_reactivated",
        JobRetried = "job_retried" => "audit.job_retried",
        SubscriptionChangeRequested = "subscription_change_requested" => "audit.subscription_change_requested",
        TenantUserChangeRequested = "tenant_user_change_requested" => "audit.tenant_user_change_requested",
        LicenceBatchApplied = "licence_batch_applied" => "audit.licence_batch_applied",
        BillingRunStarted = "billing_run_started" => "audit.billing_run_started",
        BillingCreditGranted = "billing_credit_granted" => "audit.billing_credit_granted",
        CreditNoteIssued = "credit_note_issued" => "audit.credit_note_issued",
    }
}

/// One entry. `actor` is the user who acted; `actor_label` names a non-user actor (`cli`).
#[derive(Debug)]
pub struct Entry<'a> {
    pub reseller_id: Option<Uuid>,
    pub actor: Option<Uuid>,
    pub actor_label: Option<&'a str>,
    pub action: Action,
    pub subject_type: Option<&'a str>,
    pub subject_id: Option<String>,
    pub details: serde_json::Value,
    pub ip: Option<IpAddr>,
}

impl<'a> Entry<'a> {
    /// `action`, with nothing else known yet (fill the rest with struct update syntax).
    pub fn new(action: Action) -> Self {
        Self {
            reseller_id: None,
            actor: None,
            actor_label: None,
            action,
            subject_type: None,
            subject_id: None,
            details: serde_json::Value::Null,
            ip: None,
        }
    }

    /// An action by `actor` on their own account or on another user.
    pub fn on_user(
        action: Action,
        actor: Uuid,
        subject: Uuid,
        reseller_id: Option<Uuid>,
        ip: IpAddr,
    ) -> Self {
        Self {
            reseller_id,
            actor: Some(actor),
            action,
            subject_type: Some("user"),
            subject_id: Some(subject.to_string()),
            ip: Some(ip),
            ..Self::new(action)
        }
    }
}

pub async fn record(db: impl PgExecutor<'_>, entry: Entry<'_>) -> sqlx::Result<()> {
    let details = if entry.details.is_null() {
        serde_json::json!({})
    } else {
        entry.details
    };
    sqlx::query!(
        "INSERT INTO audit_log (reseller_id, actor_user_id, actor_label, action, subject_type,
                                subject_id, details, ip)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::inet)",
        entry.reseller_id,
        entry.actor,
        entry.actor_label,
        entry.action.code(),
        entry.subject_type,
        entry.subject_id,
        details,
        entry.ip.map(|ip| ip.to_string()),
    )
    .execute(db)
    .await?;
    Ok(())
}
