//! The e-mail to the user who placed an order, when it completes or fails.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::config::Config;
use crate::i18n::{Locale, t, t_with};
use crate::mail::{Compose, OutgoingEmail};

pub async fn order_finished(
    tx: &mut PgConnection,
    config: &Config,
    reseller_id: Uuid,
    order_id: Uuid,
    status: &str,
    reason: Option<&str>,
) -> anyhow::Result<Option<OutgoingEmail>> {
    let row: Option<(String, String, Option<String>, i64, String)> = sqlx::query_as(
        "SELECT u.email::text, u.name, u.locale, o.number, c.legal_name
         FROM orders o JOIN users u ON u.id = o.placed_by
         JOIN customers c ON c.reseller_id = o.reseller_id AND c.id = o.customer_id
         WHERE o.reseller_id = $1 AND o.id = $2 AND u.status = 'active'",
    )
    .bind(reseller_id)
    .bind(order_id)
    .fetch_optional(tx)
    .await?;
    let Some((email, name, locale, number, customer)) = row else {
        return Ok(None);
    };
    let locale = locale
        .as_deref()
        .and_then(Locale::from_code)
        .unwrap_or_default();
    let number = crate::orders::routes::order_number(number);
    let args = [("number", number.as_str()), ("customer", customer.as_str())];
    let mut paragraphs = vec![t_with(locale, &format!("mail.order.{status}_body"), &args)];
    if let Some(code) = reason {
        paragraphs.push(t(locale, &format!("vendor_error.{code}")));
    }
    Ok(Some(
        Compose {
            locale,
            to: &email,
            subject: t_with(locale, &format!("mail.order.{status}_subject"), &args),
            greeting: t_with(locale, "mail.greeting", &[("name", &name)]),
            paragraphs,
            action: Some((
                t(locale, "mail.order.action"),
                config.link(&format!("/orders/{order_id}")),
            )),
        }
        .render()?,
    ))
}
