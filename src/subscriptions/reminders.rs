//! Reminders by e-mail, once a day: renewals 30, 7 and 1 days ahead, and cancellation windows
//! closing within 24 hours, in one message per user (owners, admins and sales who have not
//! turned them off in their profile), in their language and time zone. Each user's message of
//! a day is queued once, however often the day's run is repeated.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::config::Config;
use crate::i18n::{self, Locale, t, t_with};
use crate::mail::{Compose, Mailer};

/// How many days ahead of a renewal a reminder goes.
pub const RENEWAL_DAYS: [i32; 3] = [30, 7, 1];

/// The daily run's job: one per UTC date.
#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub date: Date,
}

/// Something to remind a reseller of.
#[derive(Debug, Clone)]
pub struct Item {
    pub reseller_id: Uuid,
    pub subscription_id: Uuid,
    pub customer: String,
    pub name_es: String,
    pub name_en: String,
    pub name_pt: String,
    pub seats: i32,
    /// The renewal's date, or when the window closes.
    pub renews_on: Option<Date>,
    pub window_closes_at: Option<OffsetDateTime>,
}

/// Everything due on `today`, across resellers: renewals in 30, 7 or 1 days, and windows
/// closing within 24 hours of `now`.
async fn due(db: &sqlx::PgPool, today: Date, now: OffsetDateTime) -> sqlx::Result<Vec<Item>> {
    let days: Vec<Date> = RENEWAL_DAYS
        .iter()
        .map(|&d| today + time::Duration::days(d as i64))
        .collect();
    sqlx::query_as!(
        Item,
        r#"SELECT s.reseller_id AS "reseller_id!", s.id AS "subscription_id!",
                  c.legal_name AS "customer!", p.name_es AS "name_es!", p.name_en AS "name_en!",
                  p.name_pt AS "name_pt!", s.quantity AS "seats!", s.end_date AS "renews_on?",
                  NULL::timestamptz AS "window_closes_at?"
           FROM subscriptions s
           JOIN customers c ON c.reseller_id = s.reseller_id AND c.id = s.customer_id
           JOIN products p ON p.id = s.product_id
           WHERE s.status = 'active' AND s.end_date = ANY($1)
           UNION ALL
           SELECT s.reseller_id, s.id, c.legal_name, p.name_es, p.name_en, p.name_pt,
                  b.quantity, NULL::date, b.window_closes_at
           FROM seat_batches b
           JOIN subscriptions s ON s.reseller_id = b.reseller_id AND s.id = b.subscription_id
           JOIN customers c ON c.reseller_id = s.reseller_id AND c.id = s.customer_id
           JOIN products p ON p.id = s.product_id
           WHERE b.quantity > 0 AND s.status = 'active'
             AND b.window_closes_at > $2 AND b.window_closes_at <= $2 + interval '24 hours'
           ORDER BY 1"#,
        &days,
        now,
    )
    .fetch_all(db)
    .await
}

/// Who is reminded.
struct Recipient {
    id: Uuid,
    email: String,
    name: String,
    locale: Option<String>,
    time_zone: Option<String>,
}

async fn recipients(db: &sqlx::PgPool, reseller_id: Uuid) -> sqlx::Result<Vec<Recipient>> {
    sqlx::query_as!(
        Recipient,
        "SELECT u.id, u.email, u.name, COALESCE(u.locale, r.default_locale) AS locale, r.time_zone
         FROM users u JOIN resellers r ON r.id = u.reseller_id
         WHERE u.reseller_id = $1 AND u.status = 'active' AND u.subscription_reminders
           AND u.role IN ('owner', 'admin', 'sales')
         ORDER BY u.email",
        reseller_id,
    )
    .fetch_all(db)
    .await
}

/// Queues the day's reminders; how many messages.
pub async fn run(
    db: &sqlx::PgPool,
    mailer: &Mailer,
    config: &Config,
    today: Date,
) -> anyhow::Result<usize> {
    let now = OffsetDateTime::now_utc();
    let items = due(db, today, now).await?;
    let mut sent = 0;
    for chunk in items.chunk_by(|a, b| a.reseller_id == b.reseller_id) {
        for to in recipients(db, chunk[0].reseller_id).await? {
            let locale = to
                .locale
                .as_deref()
                .and_then(Locale::from_code)
                .unwrap_or_default();
            let zone = to.time_zone.as_deref();
            let lines: Vec<String> = chunk.iter().map(|i| line(locale, zone, today, i)).collect();
            let email = Compose {
                locale,
                to: &to.email,
                subject: t_with(
                    locale,
                    "mail.reminders.subject",
                    &[("count", &chunk.len().to_string())],
                ),
                greeting: t_with(locale, "mail.greeting", &[("name", &to.name)]),
                paragraphs: std::iter::once(t(locale, "mail.reminders.intro"))
                    .chain(lines)
                    .chain(std::iter::once(t(locale, "mail.reminders.turn_off")))
                    .collect(),
                action: Some((
                    t(locale, "mail.reminders.action"),
                    config.link("/subscriptions?renews=30&sort=renews"),
                )),
            }
            .render()?;
            if mailer
                .queue_once(db, &email, &format!("reminder-mail:{}:{today}", to.id))
                .await?
            {
                sent += 1;
            }
        }
    }
    Ok(sent)
}

/// One item, in the reader's words and time zone.
fn line(locale: Locale, zone: Option<&str>, today: Date, i: &Item) -> String {
    let name = locale.pick(&i.name_es, &i.name_en, &i.name_pt);
    let seats = i18n::format_integer(locale, i.seats as i64);
    match (i.renews_on, i.window_closes_at) {
        (Some(day), _) => t_with(
            locale,
            "mail.reminders.renewal",
            &[
                ("product", name),
                ("customer", &i.customer),
                ("seats", &seats),
                ("date", &i18n::format_date(locale, day)),
                ("days", &(day - today).whole_days().to_string()),
            ],
        ),
        (None, Some(closes)) => t_with(
            locale,
            "mail.reminders.window",
            &[
                ("product", name),
                ("customer", &i.customer),
                ("seats", &seats),
                ("until", &i18n::format_moment(locale, closes, zone)),
            ],
        ),
        (None, None) => String::new(),
    }
}

/// The key that makes the daily run one job per date.
pub fn job_key(date: Date) -> String {
    format!("reminders:{date}")
}

/// Queues the run of `date` unless it is queued already.
pub async fn queue(db: &sqlx::PgPool, date: Date) -> anyhow::Result<()> {
    crate::jobs::enqueue_once(
        db,
        crate::jobs::JobKind::SendReminders.code(),
        &Job { date },
        &job_key(date),
    )
    .await?;
    Ok(())
}
