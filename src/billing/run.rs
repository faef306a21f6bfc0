//! The billing run of a month: one invoice per reseller, from what its subscriptions did
//! (`charges`). Each reseller is billed in one transaction of its own, under a lock of its own
//! for the month: a second run waits and then finds the invoice issued, a run that crashed
//! part-way left nothing of the reseller it was billing and bills it again, and the resellers
//! billed before the crash are not billed twice. A reseller with nothing to bill gets no invoice.
//!
//! It runs from the CLI (`portal billing-run --period 2026-11`), and as a job of the queue that
//! the worker queues once for each month that ends (`queue`).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::billing::charges::{self, Event, Month};
use crate::billing::invoice::{Line, Totals};
use crate::billing::mail::Notify;
use crate::billing::store::{self, Entry, NewInvoice, NewLine, Reseller, Subscription};

/// The job: the run of one month.
#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    /// `2026-11`.
    pub period: String,
    /// The run staff started (`billing_runs`); none for the schedule's, which records one.
    #[serde(default)]
    pub run: Option<Uuid>,
}

/// What a run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Ran {
    /// The invoices it issued: the reseller and the number.
    pub issued: Vec<(Uuid, String)>,
    /// Resellers with nothing to bill.
    pub empty: usize,
}

/// Why a run does not start; each is a message key.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("billing.period_open")]
    PeriodOpen,
}

/// How many subscriptions one batch reads.
const BATCH: usize = 2_000;

/// Bills `month` for every reseller not billed for it yet, issuing its invoices `at` (now; the
/// demo data issues its history's at the start of each next month); only a month that is over
/// by then is billed.
pub async fn run(db: &sqlx::PgPool, month: Month, at: OffsetDateTime) -> anyhow::Result<Ran> {
    let issue = Issue {
        at,
        run: None,
        notify: None,
    };
    run_with(db, month, &issue).await
}

/// How a run issues its invoices.
#[derive(Clone, Copy)]
pub struct Issue<'a> {
    /// When (now; the demo data issues its history's at the start of each next month).
    pub at: OffsetDateTime,
    /// The run it records its progress in (staff follow it on its page).
    pub run: Option<Uuid>,
    /// Whom it tells: each reseller's billing users get an e-mail per invoice.
    pub notify: Option<Notify<'a>>,
}

/// Bills `month` as `issue` says.
pub async fn run_with(db: &sqlx::PgPool, month: Month, issue: &Issue<'_>) -> anyhow::Result<Ran> {
    let (at, tracked) = (issue.at, issue.run);
    if !month.closed(at.date()) {
        return Err(Refused::PeriodOpen.into());
    }
    let resellers = store::unbilled(db, month.first_day(), month.end()).await?;
    if let Some(id) = tracked {
        store::runs::started(db, id, resellers.len() as i32).await?;
    }
    let mut ran = Ran::default();
    // One reseller that cannot be billed does not stop the others; the run fails after them
    // (its job is tried again, and bills only who is still unbilled).
    let mut failed: Vec<(Uuid, anyhow::Error)> = Vec::new();
    for reseller in resellers {
        let number = match bill_as(db, &reseller, month, issue).await {
            Ok(number) => number,
            Err(e) => {
                tracing::error!(reseller = %reseller.id, period = %month.code(),
                    error = format!("{e:#}"), "a reseller could not be billed");
                failed.push((reseller.id, e));
                continue;
            }
        };
        if let Some(id) = tracked {
            store::runs::progressed(db, id, number.is_some()).await?;
        }
        match number {
            Some(number) => ran.issued.push((reseller.id, number)),
            None => ran.empty += 1,
        }
    }
    if let Some((reseller, e)) = failed.first() {
        return Err(anyhow::anyhow!(
            "{} resellers could not be billed (the first, {reseller}: {e:#})",
            failed.len()
        ));
    }
    if let Some(id) = tracked {
        store::runs::finished(db, id, None).await?;
    }
    Ok(ran)
}

/// The job: a staff run, or the schedule's (recorded as a run of its own unless one of the month
/// is already queued or running); a failure is recorded on the run before it is retried.
pub async fn run_job(
    db: &sqlx::PgPool,
    job: &Job,
    at: OffsetDateTime,
    notify: Option<Notify<'_>>,
) -> anyhow::Result<Ran> {
    let month = Month::parse(&job.period).map_err(|e| anyhow::anyhow!("{e}: {}", job.period))?;
    let tracked = match job.run {
        Some(id) => Some(id),
        None => store::runs::queue(db, month.first_day(), None).await?,
    };
    let issue = Issue {
        at,
        run: tracked,
        notify,
    };
    let ran = run_with(db, month, &issue).await;
    if let (Err(e), Some(id)) = (&ran, tracked) {
        store::runs::finished(db, id, Some(&format!("{e:#}"))).await?;
    }
    ran
}

/// Bills one reseller for `month`: the invoice's number, or `None` when it was billed already
/// or had nothing to bill.
pub async fn bill(
    db: &sqlx::PgPool,
    reseller: &Reseller,
    month: Month,
    at: OffsetDateTime,
) -> anyhow::Result<Option<String>> {
    let issue = Issue {
        at,
        run: None,
        notify: None,
    };
    bill_as(db, reseller, month, &issue).await
}

async fn bill_as(
    db: &sqlx::PgPool,
    reseller: &Reseller,
    month: Month,
    issue: &Issue<'_>,
) -> anyhow::Result<Option<String>> {
    let period = month.first_day();
    let mut tx = crate::db::tenant_tx(db, reseller.id).await?;
    store::lock(&mut tx, reseller.id, period).await?;
    if store::issued(&mut tx, reseller.id, period).await?.is_some() {
        return Ok(None);
    }
    let invoice_id = Uuid::new_v4();
    let (totals, lines) = write_lines(db, &mut tx, reseller.id, month, invoice_id).await?;
    if lines == 0 {
        return Ok(None);
    }
    // No vendor states a tax yet: zero, shown as such.
    let totals = totals.with_tax(Decimal::ZERO);
    let invoice = NewInvoice {
        id: invoice_id,
        period,
        currency: reseller.currency.clone(),
        subtotal: totals.subtotal.cost,
        tax: totals.tax,
        total: totals.total,
        resale: totals.subtotal.price,
        lines,
    };
    let number = store::issue(&mut tx, reseller.id, &invoice, issue.at, issue.run).await?;
    store::insert_customers(&mut tx, reseller.id, invoice_id, &totals.customers).await?;
    let figures = store::sales::of_invoice(&mut tx, reseller.id, invoice_id).await?;
    store::sales::replace(&mut tx, reseller.id, period, false, &figures).await?;
    crate::billing::vendor_seats::queue(&mut tx, reseller.id, month).await?;
    if let Some(notify) = issue.notify {
        let issued = crate::billing::mail::Issued {
            id: invoice_id,
            number: &number,
            period,
            total: invoice.total,
            resale: invoice.resale,
            currency: &invoice.currency,
        };
        crate::billing::mail::invoice_issued(&mut tx, notify, reseller.id, &issued).await?;
    }
    tx.commit().await?;
    tracing::info!(reseller = %reseller.id, period = %month.code(), %number, lines, "invoice issued");
    Ok(Some(number))
}

/// Writes the month's lines of `invoice_id` (its subscriptions' periods and changes, then its
/// usage and credits) and adds them up. The subscriptions and their histories are read in one
/// pass on a connection of their own, while the lines read so far are written on `tx`.
async fn write_lines(
    db: &sqlx::PgPool,
    tx: &mut sqlx::PgConnection,
    reseller_id: Uuid,
    month: Month,
    invoice_id: Uuid,
) -> anyhow::Result<(Totals, i32)> {
    let period = month.first_day();
    let Walk {
        mut totals,
        mut lines,
        counted,
        differing,
        ..
    } = walk(db, tx, reseller_id, month, invoice_id).await?;
    if counted > 0 {
        store::seats::record_summary(tx, reseller_id, period, counted, differing).await?;
    }
    let usage = store::usage::bill(tx, reseller_id, invoice_id, period, month.end(), lines).await?;
    for u in &usage {
        totals.add(&Line {
            customer_id: u.customer_id,
            cost: u.cost,
            price: u.price,
        });
    }
    lines += usage.len() as i32;
    let credits = store::credits::bill(tx, reseller_id, invoice_id, month.end(), lines).await?;
    for c in &credits {
        totals.add(&Line {
            customer_id: c.customer_id,
            cost: c.cost,
            price: c.price,
        });
    }
    lines += credits.len() as i32;
    Ok((totals, lines))
}

/// Reads the reseller's subscriptions with their histories in one pass, on a connection of its
/// own, and writes each batch's lines and seat counts on `tx` while the next batch is read.
async fn walk(
    db: &sqlx::PgPool,
    tx: &mut sqlx::PgConnection,
    reseller_id: Uuid,
    month: Month,
    invoice_id: Uuid,
) -> anyhow::Result<Walk> {
    use futures_util::TryStreamExt;
    let period = month.first_day();
    let mut read = crate::db::tenant_tx(db, reseller_id).await?;
    store::reading_at_scale(&mut read).await?;
    let mut walk = Walk::new(month);
    {
        let mut entries = std::pin::pin!(store::entries(&mut read, reseller_id, month.end()));
        let mut pending = Batch::default();
        loop {
            let reading = async {
                let mut batch = Batch::default();
                while batch.subscriptions < BATCH {
                    let Some(entry) = entries.try_next().await? else {
                        walk.finish(&mut batch);
                        return Ok((batch, true));
                    };
                    walk.push(entry, &mut batch);
                }
                Ok::<_, sqlx::Error>((batch, false))
            };
            let writing = write(
                tx,
                reseller_id,
                period,
                invoice_id,
                std::mem::take(&mut pending),
            );
            let ((batch, done), ()) = tokio::try_join!(reading, writing)?;
            pending = batch;
            if done {
                break;
            }
        }
        write(tx, reseller_id, period, invoice_id, pending).await?;
    }
    read.rollback().await?;
    Ok(walk)
}

/// The lines and seat counts of some subscriptions, to write.
#[derive(Default)]
struct Batch {
    subscriptions: usize,
    lines: Vec<NewLine>,
    seats: Vec<store::seats::Billed>,
}

async fn write(
    tx: &mut sqlx::PgConnection,
    reseller_id: Uuid,
    period: Date,
    invoice_id: Uuid,
    batch: Batch,
) -> sqlx::Result<()> {
    store::insert_lines(tx, reseller_id, invoice_id, &batch.lines).await?;
    store::seats::insert(tx, reseller_id, period, invoice_id, &batch.seats).await
}

/// The run's walk through the subscriptions as they are read: each subscription's history
/// gathered, then charged for the month, its lines numbered from 1 and added up.
struct Walk {
    month: Month,
    last_day: Date,
    totals: Totals,
    lines: i32,
    /// Subscriptions whose seats were counted, and those of them that differ.
    counted: i64,
    differing: i64,
    current: Option<(Subscription, Vec<Event>)>,
}

impl Walk {
    fn new(month: Month) -> Self {
        let last_day = month.end().previous_day().unwrap_or(month.first_day());
        Walk {
            month,
            last_day,
            totals: Totals::default(),
            lines: 0,
            counted: 0,
            differing: 0,
            current: None,
        }
    }

    /// Takes the next row read (rows come by subscription, each one's changes in order).
    fn push(&mut self, entry: Entry, batch: &mut Batch) {
        match &mut self.current {
            Some((s, events)) if s.id == entry.subscription.id => events.extend(entry.event),
            _ => {
                self.finish(batch);
                self.current = Some((entry.subscription, entry.event.into_iter().collect()));
            }
        }
    }

    /// Charges the subscription gathered so far.
    fn finish(&mut self, batch: &mut Batch) {
        let Some((s, events)) = self.current.take() else {
            return;
        };
        batch.subscriptions += 1;
        if let Some(seats) = charges::seats_on(&events, self.last_day) {
            self.counted += 1;
            if !crate::billing::seats::flags(seats, s.assigned, None).is_empty() {
                self.differing += 1;
            }
            batch.seats.push(store::seats::Billed {
                subscription_id: s.id,
                billed: seats,
                assigned: s.assigned,
            });
        }
        for charge in charges::for_month(&events, self.month) {
            self.lines += 1;
            self.totals.add(&Line {
                customer_id: s.customer_id,
                cost: charge.cost,
                price: charge.price,
            });
            batch.lines.push(NewLine {
                line_no: self.lines,
                customer_id: s.customer_id,
                subscription_id: s.id,
                charge,
            });
        }
    }
}

/// What the run would bill the reseller for `month` if it ran now (the current month, so far):
/// the same computation, in a transaction rolled back. Recorded as the reseller's estimate, with
/// the month's sales figures (`store::sales`).
pub async fn estimate(db: &sqlx::PgPool, reseller_id: Uuid, month: Month) -> anyhow::Result<()> {
    let mut tx = crate::db::tenant_tx(db, reseller_id).await?;
    let invoice_id = Uuid::new_v4();
    let (totals, lines) = write_lines(db, &mut tx, reseller_id, month, invoice_id).await?;
    let figures = store::sales::of_invoice(&mut tx, reseller_id, invoice_id).await?;
    tx.rollback().await?;
    let mut tx = crate::db::tenant_tx(db, reseller_id).await?;
    store::estimates::record(&mut tx, reseller_id, month.first_day(), &totals, lines).await?;
    store::sales::replace(&mut tx, reseller_id, month.first_day(), true, &figures).await?;
    tx.commit().await?;
    Ok(())
}

/// The job that refreshes a reseller's estimate.
#[derive(Debug, Serialize, Deserialize)]
pub struct EstimateJob {
    pub reseller_id: Uuid,
    /// `2026-12`.
    pub period: String,
}

/// Queues a refresh of the reseller's estimate of `month`, once per `moment` (from
/// [`crate::kept::refresh_due`]).
pub async fn queue_estimate(
    db: &sqlx::PgPool,
    reseller_id: Uuid,
    month: Month,
    moment: OffsetDateTime,
) -> anyhow::Result<()> {
    let key = format!(
        "estimate:{reseller_id}:{}:{}",
        month.code(),
        moment.unix_timestamp_nanos() / 1_000
    );
    let job = EstimateJob {
        reseller_id,
        period: month.code(),
    };
    crate::jobs::enqueue_once(db, crate::jobs::JobKind::EstimateBilling.code(), &job, &key).await?;
    Ok(())
}

/// The key that makes a month's run one job.
pub fn job_key(month: Month) -> String {
    format!("billing:{}", month.code())
}

/// Queues the run of the month before `today`'s, unless queued already (the worker calls it
/// every day: on the 1st it queues the month just ended, and a worker that was down then queues
/// it when it is back).
pub async fn queue(db: &sqlx::PgPool, today: Date) -> anyhow::Result<()> {
    let month = Month::of(today).previous();
    crate::jobs::enqueue_once(
        db,
        crate::jobs::JobKind::BillingRun.code(),
        &Job {
            period: month.code(),
            run: None,
        },
        &job_key(month),
    )
    .await?;
    Ok(())
}
