//! The platform's figures on the staff console's home, across resellers (staff requests run
//! with no tenant set).

use sqlx::PgPool;
use time::{Date, OffsetDateTime};

/// What the console's home counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub pending_access: i64,
    pub pending_programs: i64,
    /// When the oldest request still waiting was made.
    pub oldest_access: Option<OffsetDateTime>,
    pub oldest_program: Option<OffsetDateTime>,
    pub resellers: i64,
    pub active_resellers: i64,
    pub products: i64,
    pub orders_today: i64,
    pub failed_orders: i64,
    /// Tickets still to answer whose due moment is before the end of today (UTC).
    pub tickets_due: i64,
}

/// The figures, "today" being the UTC calendar day `today`.
pub async fn figures(db: &PgPool, today: Date) -> sqlx::Result<Figures> {
    let r = sqlx::query!(
        r#"SELECT (SELECT count(*) FROM access_requests WHERE status = 'pending') AS "access!",
                  (SELECT min(created_at) FROM access_requests WHERE status = 'pending')
                      AS oldest_access,
                  (SELECT count(*) FROM program_enrollments WHERE status = 'pending')
                      AS "programs!",
                  (SELECT min(requested_at) FROM program_enrollments WHERE status = 'pending')
                      AS oldest_program,
                  (SELECT count(*) FROM resellers) AS "resellers!",
                  (SELECT count(*) FROM resellers WHERE status = 'active') AS "active!",
                  (SELECT count(*) FROM products WHERE status = 'active') AS "products!",
                  (SELECT count(*) FROM orders
                   WHERE created_at >= $1::date::timestamp AT TIME ZONE 'UTC') AS "today!",
                  (SELECT count(*) FROM orders WHERE status = 'failed') AS "failed!",
                  (SELECT count(*) FROM tickets WHERE status IN ('open', 'waiting')
                   AND due_at < ($1::date + 1)::timestamp AT TIME ZONE 'UTC') AS "tickets!""#,
        today,
    )
    .fetch_one(db)
    .await?;
    Ok(Figures {
        pending_access: r.access,
        pending_programs: r.programs,
        oldest_access: r.oldest_access,
        oldest_program: r.oldest_program,
        resellers: r.resellers,
        active_resellers: r.active,
        products: r.products,
        orders_today: r.today,
        failed_orders: r.failed,
        tickets_due: r.tickets,
    })
}

/// How long something has waited, as a count and its unit's message keys (many, one): minutes
/// under an hour, hours under two days, days after.
pub fn waited(since: OffsetDateTime, now: OffsetDateTime) -> (i64, &'static str, &'static str) {
    let d = (now - since).max(time::Duration::ZERO);
    if d < time::Duration::HOUR {
        (d.whole_minutes(), "staff.minutes_many", "staff.minutes_one")
    } else if d < time::Duration::days(2) {
        (d.whole_hours(), "staff.hours_many", "staff.hours_one")
    } else {
        (d.whole_days(), "staff.days_many", "staff.days_one")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn waiting_times_in_the_unit_that_reads_best() {
        let now = datetime!(2026-12-03 12:00 UTC);
        assert_eq!(waited(datetime!(2026-12-03 11:15 UTC), now).0, 45);
        assert_eq!(
            waited(datetime!(2026-12-03 11:15 UTC), now).1,
            "staff.minutes_many"
        );
        assert_eq!(
            waited(datetime!(2026-12-02 10:00 UTC), now),
            (26, "staff.hours_many", "staff.hours_one")
        );
        assert_eq!(
            waited(datetime!(2026-11-28 12:00 UTC), now),
            (5, "staff.days_many", "staff.days_one")
        );
        // A clock a little behind: nothing waited.
        assert_eq!(waited(datetime!(2026-12-03 12:01 UTC), now).0, 0);
    }
}
