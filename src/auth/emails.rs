//! The identity e-mails, each in the recipient's language, with links built from the configured
//! base URL.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::config::Config;
use crate::i18n::{Locale, t, t_with};
use crate::identity::Role;
use crate::mail::{Compose, OutgoingEmail};

fn greeting(locale: Locale, name: &str) -> String {
    t_with(locale, "mail.greeting", &[("name", name)])
}

pub fn password_reset(
    locale: Locale,
    to: &str,
    name: &str,
    link: &str,
) -> anyhow::Result<OutgoingEmail> {
    Compose {
        locale,
        to,
        subject: t(locale, "mail.reset.subject"),
        greeting: greeting(locale, name),
        paragraphs: vec![t(locale, "mail.reset.body"), t(locale, "mail.reset.ignore")],
        action: Some((t(locale, "mail.reset.action"), link.to_string())),
    }
    .render()
}

pub fn password_changed(
    config: &Config,
    locale: Locale,
    to: &str,
    name: &str,
) -> anyhow::Result<OutgoingEmail> {
    Compose {
        locale,
        to,
        subject: t(locale, "mail.password_changed.subject"),
        greeting: greeting(locale, name),
        paragraphs: vec![
            t(locale, "mail.password_changed.body"),
            t(locale, "mail.password_changed.not_you"),
        ],
        action: Some((
            t(locale, "mail.password_changed.action"),
            config.link("/password/forgot"),
        )),
    }
    .render()
}

/// A change to an account's security that ended its other sessions; the e-mail says what
/// changed and what to do if it was not the user (it holds no secret).
#[derive(Clone, Copy, Debug)]
pub enum AccountChange {
    Authenticator,
    RecoverySignIn,
    Role(Role),
}

pub fn account_changed(
    config: &Config,
    locale: Locale,
    to: &str,
    name: &str,
    change: AccountChange,
) -> anyhow::Result<OutgoingEmail> {
    let what = match change {
        AccountChange::Authenticator => t(locale, "mail.account_changed.authenticator"),
        AccountChange::RecoverySignIn => t(locale, "mail.account_changed.recovery_sign_in"),
        AccountChange::Role(role) => t_with(
            locale,
            "mail.account_changed.role",
            &[("role", &t(locale, role.key()))],
        ),
    };
    Compose {
        locale,
        to,
        subject: t(locale, "mail.account_changed.subject"),
        greeting: greeting(locale, name),
        paragraphs: vec![what, t(locale, "mail.account_changed.not_you")],
        action: Some((
            t(locale, "mail.account_changed.action"),
            config.link("/password/forgot"),
        )),
    }
    .render()
}

/// Queues the [`account_changed`] e-mail to `user_id`, in their language, on `conn` (in the
/// transaction that made the change).
pub async fn queue_account_changed(
    conn: &mut PgConnection,
    state: &crate::app::AppState,
    user_id: Uuid,
    change: AccountChange,
) -> anyhow::Result<()> {
    let Some(user) = super::store::load_signed_in(&mut *conn, user_id).await? else {
        return Ok(());
    };
    let locale = user.locale.unwrap_or_default();
    let mail = account_changed(&state.config, locale, &user.email, &user.name, change)?;
    state.mailer.queue(&mut *conn, &mail).await
}

/// An invitation to set a password: for the first user of an approved reseller, or a colleague.
pub fn invitation(
    locale: Locale,
    to: &str,
    name: &str,
    company: &str,
    inviter: Option<&str>,
    link: &str,
) -> anyhow::Result<OutgoingEmail> {
    let first = match inviter {
        Some(who) => t_with(
            locale,
            "mail.invitation.by_colleague",
            &[("inviter", who), ("company", company)],
        ),
        None => t_with(locale, "mail.invitation.approved", &[("company", company)]),
    };
    Compose {
        locale,
        to,
        subject: t_with(locale, "mail.invitation.subject", &[("company", company)]),
        greeting: greeting(locale, name),
        paragraphs: vec![
            first,
            t(locale, "mail.invitation.body"),
            t(locale, "mail.invitation.validity"),
        ],
        action: Some((t(locale, "mail.invitation.action"), link.to_string())),
    }
    .render()
}

/// Sent instead of an invitation when the address already has an account elsewhere.
pub fn invitation_refused(
    config: &Config,
    locale: Locale,
    to: &str,
    company: &str,
) -> anyhow::Result<OutgoingEmail> {
    Compose {
        locale,
        to,
        subject: t_with(
            locale,
            "mail.invitation_refused.subject",
            &[("company", company)],
        ),
        greeting: t(locale, "mail.greeting_generic"),
        paragraphs: vec![
            t_with(
                locale,
                "mail.invitation_refused.body",
                &[("company", company)],
            ),
            t_with(
                locale,
                "mail.invitation_refused.what_to_do",
                &[("company", company)],
            ),
        ],
        action: Some((
            t(locale, "mail.invitation_refused.action"),
            config.link("/login"),
        )),
    }
    .render()
}

pub fn access_request_received(
    locale: Locale,
    to: &str,
    name: &str,
    company: &str,
) -> anyhow::Result<OutgoingEmail> {
    Compose {
        locale,
        to,
        subject: t(locale, "mail.access_received.subject"),
        greeting: greeting(locale, name),
        paragraphs: vec![
            t_with(locale, "mail.access_received.body", &[("company", company)]),
            t(locale, "mail.access_received.next"),
        ],
        action: None,
    }
    .render()
}

pub fn access_request_rejected(
    locale: Locale,
    to: &str,
    name: &str,
    company: &str,
    reason: &str,
) -> anyhow::Result<OutgoingEmail> {
    Compose {
        locale,
        to,
        subject: t(locale, "mail.access_rejected.subject"),
        greeting: greeting(locale, name),
        paragraphs: vec![
            t_with(locale, "mail.access_rejected.body", &[("company", company)]),
            t_with(locale, "mail.access_rejected.reason", &[("reason", reason)]),
            t(locale, "mail.access_rejected.again"),
        ],
        action: None,
    }
    .render()
}
