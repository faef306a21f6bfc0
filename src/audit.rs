//! The audit log: who did what, to what, when and from where. Every sign-in, failure, lockout,
//! MFA change, role change, staff decision and change to money or seats is recorded here, in
//! the same transaction as the change itself.

use std::net::IpAddr;

use sqlx::PgExecutor;
use uuid::Uuid;

/// One entry. `actor` is the user who acted; `actor_label` names a non-user actor (`cli`).
#[derive(Debug, Default)]
pub struct Entry<'a> {
    pub reseller_id: Option<Uuid>,
    pub actor: Option<Uuid>,
    pub actor_label: Option<&'a str>,
    pub action: &'a str,
    pub subject_type: Option<&'a str>,
    pub subject_id: Option<String>,
    pub details: serde_json::Value,
    pub ip: Option<IpAddr>,
}

impl<'a> Entry<'a> {
    /// An action by `actor` on their own account or on another user.
    pub fn on_user(
        action: &'a str,
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
            ..Default::default()
        }
    }
}

pub async fn record(db: impl PgExecutor<'_>, entry: Entry<'_>) -> sqlx::Result<()> {
    let details = if entry.details.is_null() {
        serde_json::json!({})
    } else {
        entry.details
    };
    sqlx::query(
        "INSERT INTO audit_log (reseller_id, actor_user_id, actor_label, action, subject_type,
                                subject_id, details, ip)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::inet)",
    )
    .bind(entry.reseller_id)
    .bind(entry.actor)
    .bind(entry.actor_label)
    .bind(entry.action)
    .bind(entry.subject_type)
    .bind(entry.subject_id)
    .bind(details)
    .bind(entry.ip.map(|ip| ip.to_string()))
    .execute(db)
    .await?;
    Ok(())
}
