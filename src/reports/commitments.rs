//! Committed spend: what each customer's subscriptions that are not cancelled will cost until
//! the end of their terms, and how much of it can still be taken off today (the seats whose
//! cancellation window is open). A job computes it for one reseller in one pass, prorated by
//! the rules billing charges by ([`proration::remaining`]), and replaces the kept rows whole
//! (migration 0045); the dashboard and the page read those.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::catalog::rules::Billing;
use crate::subscriptions::proration;

/// One customer's commitment (or the reseller's, summed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Commitment {
    pub subscriptions: i32,
    /// What the rest of the terms cost.
    pub committed: Decimal,
    /// The part the seats in open windows would take off if removed today.
    pub reducible: Decimal,
}

impl Commitment {
    fn add(&mut self, other: Commitment) {
        self.subscriptions += other.subscriptions;
        self.committed += other.committed;
        self.reducible += other.reducible;
    }
}

/// A subscription as the commitment reads it.
#[derive(Clone, Copy, Debug)]
pub struct Held {
    pub seats: i32,
    /// Seats whose cancellation window is open.
    pub open_seats: i32,
    pub unit_price: Decimal,
    pub billing: Billing,
    pub start: time::Date,
    pub end: time::Date,
}

/// What `held` commits on `today`.
pub fn of(held: &Held, today: time::Date) -> Commitment {
    let rest = |seats| {
        proration::remaining(
            held.unit_price,
            seats,
            held.billing,
            held.start,
            held.end,
            today,
        )
    };
    Commitment {
        subscriptions: 1,
        committed: rest(held.seats),
        reducible: if held.open_seats > 0 {
            rest(held.open_seats.min(held.seats))
        } else {
            Decimal::ZERO
        },
    }
}

/// The job that computes a reseller's commitments.
#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub reseller_id: Uuid,
}

/// Computes the reseller's commitments at `now` (its terms' remaining days from the UTC date,
/// as renewal dates are) and replaces the kept ones, in one transaction.
pub async fn refresh(
    db: &sqlx::PgPool,
    reseller_id: Uuid,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    use futures_util::TryStreamExt;
    let today = now.to_offset(time::UtcOffset::UTC).date();
    let mut tx = crate::db::tenant_tx(db, reseller_id).await?;
    let mut by_customer: HashMap<Uuid, Commitment> = HashMap::new();
    {
        // Open windows are few (a week's additions): summed apart, then joined.
        let mut rows = sqlx::query!(
            r#"SELECT s.customer_id, s.quantity, s.unit_price, s.billing AS "billing: Billing",
                      s.start_date, s.end_date, coalesce(w.open, 0)::int AS "open!"
               FROM subscriptions s
               LEFT JOIN (SELECT b.subscription_id, sum(b.quantity) AS open
                          FROM seat_batches b
                          WHERE b.reseller_id = $1 AND b.quantity > 0
                            AND b.window_closes_at > $2
                          GROUP BY b.subscription_id) w ON w.subscription_id = s.id
               WHERE s.reseller_id = $1 AND s.status <> 'cancelled' AND s.end_date > $3"#,
            reseller_id,
            now,
            today,
        )
        .fetch(&mut *tx);
        while let Some(r) = rows.try_next().await? {
            let held = Held {
                seats: r.quantity,
                open_seats: r.open,
                unit_price: r.unit_price,
                billing: r.billing,
                start: r.start_date,
                end: r.end_date,
            };
            by_customer
                .entry(r.customer_id)
                .or_default()
                .add(of(&held, today));
        }
    }
    replace(&mut tx, reseller_id, now, &by_customer).await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces the reseller's kept commitments with `by_customer`, computed at `now`.
async fn replace(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    now: OffsetDateTime,
    by_customer: &HashMap<Uuid, Commitment>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM commitments WHERE reseller_id = $1",
        reseller_id
    )
    .execute(&mut *tx)
    .await?;
    let mut total = Commitment::default();
    let (mut ids, mut subs, mut committed, mut reducible) = (vec![], vec![], vec![], vec![]);
    for (id, c) in by_customer {
        total.add(*c);
        ids.push(*id);
        subs.push(c.subscriptions);
        committed.push(c.committed);
        reducible.push(c.reducible);
    }
    sqlx::query!(
        "INSERT INTO commitments (reseller_id, customer_id, subscriptions, committed, reducible)
         SELECT $1, * FROM unnest($2::uuid[], $3::int[], $4::numeric[], $5::numeric[])",
        reseller_id,
        &ids,
        &subs,
        &committed,
        &reducible,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO commitment_totals
             (reseller_id, currency, customers, subscriptions, committed, reducible, computed_at)
         SELECT id, billing_currency, $2, $3, $4, $5, $6 FROM resellers WHERE id = $1
         ON CONFLICT (reseller_id) DO UPDATE
         SET currency = EXCLUDED.currency, customers = EXCLUDED.customers,
             subscriptions = EXCLUDED.subscriptions, committed = EXCLUDED.committed,
             reducible = EXCLUDED.reducible, computed_at = EXCLUDED.computed_at",
        reseller_id,
        ids.len() as i32,
        total.subscriptions,
        total.committed,
        total.reducible,
        now,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Queues a computation of the reseller's commitments, once per `moment` (from
/// [`crate::kept::refresh_due`]).
pub async fn queue(
    db: &sqlx::PgPool,
    reseller_id: Uuid,
    moment: OffsetDateTime,
) -> anyhow::Result<()> {
    let key = format!(
        "commitments:{reseller_id}:{}",
        moment.unix_timestamp_nanos() / 1_000
    );
    crate::jobs::enqueue_once(
        db,
        crate::jobs::JobKind::CountCommitments.code(),
        &Job { reseller_id },
        &key,
    )
    .await?;
    Ok(())
}

/// Queues a computation when the kept figures (computed at `computed`) are out of date at
/// `now`, the latest change having been decided at `changed`.
pub async fn refresh_if_due(
    db: &sqlx::PgPool,
    reseller_id: Uuid,
    computed: Option<OffsetDateTime>,
    changed: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    match crate::kept::refresh_due(computed, changed, now) {
        Some(moment) => queue(db, reseller_id, moment).await,
        None => Ok(()),
    }
}

/// The reseller's kept totals, if computed.
#[derive(Clone, Debug)]
pub struct Totals {
    pub currency: String,
    pub customers: i32,
    pub commitment: Commitment,
    pub computed_at: OffsetDateTime,
}

pub async fn totals(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<Option<Totals>> {
    let r = sqlx::query!(
        r#"SELECT currency AS "currency!", customers, subscriptions, committed, reducible,
                  computed_at
           FROM commitment_totals WHERE reseller_id = $1"#,
        reseller_id
    )
    .fetch_optional(tx)
    .await?;
    Ok(r.map(|r| Totals {
        currency: r.currency,
        customers: r.customers,
        commitment: Commitment {
            subscriptions: r.subscriptions,
            committed: r.committed,
            reducible: r.reducible,
        },
        computed_at: r.computed_at,
    }))
}

/// One customer's row of the page.
#[derive(Clone, Debug)]
pub struct Row {
    pub customer_id: Uuid,
    pub customer: String,
    pub commitment: Commitment,
}

/// How the page orders its customers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// The largest commitments first.
    #[default]
    Committed,
    /// The most that can be reduced today first (only those with something to reduce).
    Reducible,
}

impl Order {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "" | "committed" => Some(Self::Committed),
            "reducible" => Some(Self::Reducible),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Committed => "committed",
            Self::Reducible => "reducible",
        }
    }
}

/// A kept row as read.
struct Kept {
    customer_id: Uuid,
    customer: String,
    subscriptions: i32,
    committed: Decimal,
    reducible: Decimal,
}

/// A page of the kept rows in `order`, `limit` from `offset`, read from the order's index.
pub async fn rows(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    order: Order,
    offset: i64,
    limit: i64,
) -> sqlx::Result<Vec<Row>> {
    let rows = match order {
        Order::Committed => {
            sqlx::query_as!(
                Kept,
                "SELECT k.customer_id, c.legal_name AS customer, k.subscriptions, k.committed,
                        k.reducible
                 FROM commitments k
                 JOIN customers c ON c.reseller_id = k.reseller_id AND c.id = k.customer_id
                 WHERE k.reseller_id = $1
                 ORDER BY k.committed DESC, k.customer_id OFFSET $2 LIMIT $3",
                reseller_id,
                offset,
                limit
            )
            .fetch_all(tx)
            .await?
        }
        Order::Reducible => {
            sqlx::query_as!(
                Kept,
                "SELECT k.customer_id, c.legal_name AS customer, k.subscriptions, k.committed,
                        k.reducible
                 FROM commitments k
                 JOIN customers c ON c.reseller_id = k.reseller_id AND c.id = k.customer_id
                 WHERE k.reseller_id = $1 AND k.reducible > 0
                 ORDER BY k.reducible DESC, k.customer_id OFFSET $2 LIMIT $3",
                reseller_id,
                offset,
                limit
            )
            .fetch_all(tx)
            .await?
        }
    };
    Ok(rows
        .into_iter()
        .map(|r| Row {
            customer_id: r.customer_id,
            customer: r.customer,
            commitment: Commitment {
                subscriptions: r.subscriptions,
                committed: r.committed,
                reducible: r.reducible,
            },
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_subscription_commits_the_rest_of_its_term_and_its_open_seats_can_be_taken_off() {
        let held = Held {
            seats: 10,
            open_seats: 3,
            unit_price: d("12.00"),
            billing: Billing::Monthly,
            start: date!(2026 - 01 - 15),
            end: date!(2027 - 01 - 15),
        };
        let c = of(&held, date!(2026 - 12 - 03));
        // 12 of 30 days of this month's 120.00, then January's whole month.
        assert_eq!(c.committed, d("168.00"));
        // The three seats of the open window, over the same days.
        assert_eq!(c.reducible, d("50.40"));
        assert_eq!(c.subscriptions, 1);
        // No window open: nothing to reduce; more open seats than held are the held.
        let closed = of(
            &Held {
                open_seats: 0,
                ..held
            },
            date!(2026 - 12 - 03),
        );
        assert_eq!(closed.reducible, Decimal::ZERO);
        let all = of(
            &Held {
                open_seats: 40,
                ..held
            },
            date!(2026 - 12 - 03),
        );
        assert_eq!(all.reducible, all.committed);
    }

    #[test]
    fn commitments_add_up() {
        let mut total = Commitment::default();
        total.add(Commitment {
            subscriptions: 1,
            committed: d("10.50"),
            reducible: d("1"),
        });
        total.add(Commitment {
            subscriptions: 2,
            committed: d("4.25"),
            reducible: d("0"),
        });
        assert_eq!(
            total,
            Commitment {
                subscriptions: 3,
                committed: d("14.75"),
                reducible: d("1")
            }
        );
    }
}
