//! The e-mail to the user who placed an order, when it completes or fails.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::config::Config;
use crate::i18n::{t, t_with};
use crate::mail::{Compose, OutgoingEmail};
use crate::orders::rules::order_number;
use crate::orders::store;
use crate::vendors::VendorErrorCode;

/// How the order ended, as the e-mail says it.
#[derive(Clone, Copy, Debug)]
pub enum Ending {
    Completed,
    Failed(VendorErrorCode),
}

/// The e-mail for an order that ended (none when the user who placed it is no longer active).
pub async fn order_finished(
    tx: &mut PgConnection,
    config: &Config,
    reseller_id: Uuid,
    order_id: Uuid,
    ending: Ending,
) -> anyhow::Result<Option<OutgoingEmail>> {
    let Some(to) = store::recipient(tx, reseller_id, order_id).await? else {
        return Ok(None);
    };
    let locale = to.locale.unwrap_or_default();
    let number = order_number(to.number);
    let args = [
        ("number", number.as_str()),
        ("customer", to.customer.as_str()),
    ];
    let (subject, body, reason) = match ending {
        Ending::Completed => (
            "mail.order.completed_subject",
            "mail.order.completed_body",
            None,
        ),
        Ending::Failed(code) => (
            "mail.order.failed_subject",
            "mail.order.failed_body",
            Some(t(locale, code.key())),
        ),
    };
    let mut paragraphs = vec![t_with(locale, body, &args)];
    paragraphs.extend(reason);
    if let Some(po) = &to.po_reference {
        paragraphs.push(t_with(locale, "mail.order.po_reference", &[("po", po)]));
    }
    let lines = store::order_lines(tx, reseller_id, order_id).await?;
    paragraphs.extend(lines.iter().map(|l| {
        let quantity = l.quantity.to_string();
        let line = t_with(
            locale,
            "mail.order.line",
            &[
                ("quantity", quantity.as_str()),
                ("product", l.product_name.as_str()),
                ("term", t(locale, l.term.key()).as_str()),
                ("tenant", l.tenant_domain.as_str()),
            ],
        );
        match ending {
            Ending::Completed => line,
            Ending::Failed(_) => format!("{line} · {}", t(locale, l.status.key())),
        }
    }));
    Ok(Some(
        Compose {
            locale,
            to: &to.email,
            subject: t_with(locale, subject, &args),
            greeting: t_with(locale, "mail.greeting", &[("name", &to.name)]),
            paragraphs,
            action: Some((
                t(locale, "mail.order.action"),
                config.link(&format!("/orders/{order_id}")),
            )),
        }
        .render()?,
    ))
}
