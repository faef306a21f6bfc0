//! Subscription rules without I/O: what a change asked for becomes (the seats after it, its
//! money effect, the deadline it leaves), or why it is refused. The preview shows the plan and
//! the confirmation records the same plan, so what the user read is what is applied.

use rust_decimal::Decimal;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::catalog::rules::{Billing, Term};
use crate::subscriptions::proration::{self, Period};
use crate::vendors::{SuspensionReason, VendorCode, VendorErrorCode, rules as vendor_rules};

crate::text_enum! {
    /// Where a subscription stands at the vendor.
    pub enum SubscriptionStatus {
        Active = "active" => "subscriptions.status_active",
        Suspended = "suspended" => "subscriptions.status_suspended",
        Cancelled = "cancelled" => "subscriptions.status_cancelled",
        Expired = "expired" => "subscriptions.status_expired",
    }
}

crate::text_enum! {
    /// How the subscriptions list is sorted.
    #[derive(Default)]
    pub enum SubscriptionSort {
        #[default]
        Newest = "newest" => "subscriptions.sort_newest",
        RenewsSoonest = "renews" => "subscriptions.sort_renews",
        SeatsDesc = "seats" => "subscriptions.sort_seats",
    }
}

impl SubscriptionSort {
    /// From a query string; anything unknown sorts newest first.
    pub fn parse(raw: &str) -> Self {
        Self::from_code(raw).unwrap_or_default()
    }
}

/// "Renews within" choices of the list, in days.
pub const RENEWS_WITHIN: [i32; 3] = [30, 60, 90];

crate::text_enum! {
    /// What a change in a subscription's history did.
    pub enum ChangeKind {
        Purchase = "purchase" => "subscriptions.change_purchase",
        AddSeats = "add_seats" => "subscriptions.change_add_seats",
        RemoveSeats = "remove_seats" => "subscriptions.change_remove_seats",
        AutoRenew = "auto_renew" => "subscriptions.change_auto_renew",
        Suspend = "suspend" => "subscriptions.change_suspend",
        Reactivate = "reactivate" => "subscriptions.change_reactivate",
        Cancel = "cancel" => "subscriptions.change_cancel",
        Upgrade = "upgrade" => "subscriptions.change_upgrade",
        Term = "term" => "subscriptions.change_term",
        Schedule = "schedule" => "subscriptions.change_schedule",
        Unschedule = "unschedule" => "subscriptions.change_unschedule",
        Renewal = "renewal" => "subscriptions.change_renewal",
        Expiry = "expiry" => "subscriptions.change_expiry",
    }
}

crate::text_enum! {
    /// A change waits for the vendor, then is applied or failed (with the vendor's reason).
    pub enum ChangeStatus {
        Pending = "pending" => "subscriptions.change_pending",
        Applied = "applied" => "subscriptions.change_applied",
        Failed = "failed" => "subscriptions.change_failed",
    }
}

/// Seats added together, and what is left of them.
#[derive(Clone, Debug)]
pub struct Batch {
    pub id: Uuid,
    pub added: i32,
    pub quantity: i32,
    pub added_at: OffsetDateTime,
    pub window_closes_at: Option<OffsetDateTime>,
}

/// A product the subscription can move to (along the catalog's upgrade paths), with its price
/// for the subscription's term and billing in its currency today (none: not sold so).
#[derive(Clone, Debug)]
pub struct Candidate {
    pub product_id: Uuid,
    /// An upgrade (now or at renewal); otherwise a downgrade (at renewal only).
    pub upgrade: bool,
    pub unit_price: Option<Decimal>,
    pub unit_cost: Option<Decimal>,
    pub min_seats: i32,
    pub max_seats: i32,
}

/// A way a product is sold (term and billing frequency) with this reseller's price and cost
/// today, in the subscription's currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offer {
    pub product_id: Uuid,
    pub term: Term,
    pub billing: Billing,
    pub unit_price: Decimal,
    pub unit_cost: Decimal,
}

/// What a change starts from.
#[derive(Clone, Debug)]
pub struct Current<'a> {
    pub vendor: VendorCode,
    pub term: Term,
    pub billing: Billing,
    pub status: SubscriptionStatus,
    pub quantity: i32,
    /// Licences assigned to the tenant's users: seats never go below them.
    pub assigned: i32,
    pub min_seats: i32,
    pub max_seats: i32,
    pub unit_price: Decimal,
    /// What the distributor bills the reseller for a seat.
    pub unit_cost: Decimal,
    pub start_date: time::Date,
    pub end_date: time::Date,
    pub auto_renew: bool,
    pub suspension: Option<SuspensionReason>,
    /// A change is waiting for the vendor.
    pub pending: bool,
    pub batches: &'a [Batch],
    pub product_id: Uuid,
    /// The products it can move to.
    pub candidates: &'a [Candidate],
    /// A change is scheduled for renewal.
    pub scheduled: bool,
    /// How its own product and the products it can move to are sold today.
    pub offers: &'a [Offer],
}

/// A change as asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asked {
    AddSeats(i32),
    /// Seats taken back from one batch.
    RemoveSeats {
        batch: Uuid,
        seats: i32,
    },
    AutoRenew(bool),
    Suspend,
    Reactivate,
    /// Every seat back, within their windows.
    Cancel,
    /// To a product along the upgrade paths, now, for the whole subscription.
    Upgrade(Uuid),
    /// A longer term now, starting today, with this billing frequency.
    Term {
        term: Term,
        billing: Billing,
    },
    /// At renewal: this product (the same, an upgrade or a downgrade) with this many seats,
    /// for this term and billing frequency (`None`: the current ones).
    Schedule {
        product: Uuid,
        seats: i32,
        offer: Option<(Term, Billing)>,
    },
    /// The scheduled change dropped.
    Unschedule,
}

/// The most seats one change adds or removes (the largest product limit).
pub const MAX_CHANGE: i32 = 1_000_000;

/// What a change does, before it is confirmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub kind: ChangeKind,
    pub seats_before: i32,
    pub seats_after: i32,
    /// The charge now (positive) or the refund (negative), prorated by day to the end of the
    /// billing period.
    pub amount: Decimal,
    /// The same for the reseller's cost (what the distributor bills it), by the same rule.
    pub cost: Decimal,
    pub period: Period,
    /// The price per billing period before and after.
    pub per_period_before: Decimal,
    pub per_period_after: Decimal,
    /// Until when the seats this change adds can be reduced (Microsoft).
    pub window_closes: Option<OffsetDateTime>,
    pub batch: Option<Uuid>,
    pub auto_renew: Option<bool>,
    /// The status the change leaves (suspend, reactivate, cancel).
    pub status_after: Option<SubscriptionStatus>,
    /// The product it moves to (an upgrade now, or a schedule's at renewal), and an upgrade's
    /// new price and cost.
    pub product_after: Option<Uuid>,
    pub unit_price_after: Option<Decimal>,
    pub unit_cost_after: Option<Decimal>,
    /// The seats, term and billing frequency scheduled for renewal.
    pub next_quantity: Option<i32>,
    pub term_after: Option<Term>,
    pub billing_after: Option<Billing>,
    /// A new term's first and last day (a longer term now starts today).
    pub start_after: Option<time::Date>,
    pub end_after: Option<time::Date>,
}

/// What happens to a subscription at the end of its term.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TermEnd {
    /// A new term, with its scheduled changes applied.
    Renew,
    /// It ends: renewal turned off, or suspended at term end.
    Expire,
}

/// An active auto-renewing subscription renews; any other expires.
pub fn at_term_end(status: SubscriptionStatus, auto_renew: bool) -> TermEnd {
    if status == SubscriptionStatus::Active && auto_renew {
        TermEnd::Renew
    } else {
        TermEnd::Expire
    }
}

/// The next term of a subscription whose term ends on `end`: from `end`, as long as `term`.
pub fn next_term(end: time::Date, term: Term) -> (time::Date, time::Date) {
    (end, proration::add_months(end, term.months() as i32))
}

/// Why a change cannot be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A change is already waiting for the vendor.
    Pending,
    /// Not a whole number of seats between 1 and the most a change takes.
    Quantity,
    /// More seats than the batch has left.
    MoreThanTheBatch { left: i32 },
    /// The batch is not this subscription's (or has no seats left).
    NoSuchBatch,
    /// The batch's window closed at this moment (Microsoft).
    WindowClosed { closed_at: OffsetDateTime },
    /// The renewal setting is already so.
    Unchanged,
    /// Only a suspended subscription is reactivated.
    NotSuspended,
    /// Not a product this subscription can move to (now: only an upgrade).
    NotOnPath,
    /// The product is not sold for this term and billing in this currency.
    NoPrice,
    /// Nothing is scheduled for renewal.
    NothingScheduled,
    /// Fewer seats than licences assigned: this many must be unassigned first.
    BelowAssigned { assigned: i32, unassign: i32 },
    /// The vendor's rules refuse it.
    Vendor(VendorErrorCode),
}

impl Refusal {
    /// The message key of the refusal (its arguments come from [`Refusal`]'s fields).
    pub fn key(self) -> &'static str {
        match self {
            Refusal::Pending => "subscriptions.refused_pending",
            Refusal::Quantity => "subscriptions.refused_quantity",
            Refusal::MoreThanTheBatch { .. } => "subscriptions.refused_more_than_batch",
            Refusal::NoSuchBatch => "subscriptions.refused_no_batch",
            Refusal::WindowClosed { .. } => "subscriptions.refused_window_closed",
            Refusal::Unchanged => "subscriptions.refused_unchanged",
            Refusal::NotSuspended => "subscriptions.refused_not_suspended",
            Refusal::NotOnPath => "subscriptions.refused_not_on_path",
            Refusal::NoPrice => "subscriptions.refused_no_price",
            Refusal::NothingScheduled => "subscriptions.refused_nothing_scheduled",
            Refusal::BelowAssigned { .. } => "subscriptions.refused_below_assigned",
            Refusal::Vendor(code) => code.key(),
        }
    }
}

/// Seats are never fewer than the licences assigned: the user unassigns first.
fn seats_cover_licences(current: &Current<'_>, seats: i32) -> Result<(), Refusal> {
    if seats < current.assigned {
        return Err(Refusal::BelowAssigned {
            assigned: current.assigned,
            unassign: current.assigned - seats,
        });
    }
    Ok(())
}

/// The plan of `asked` on `current` at `now`, or why it is refused. Money is prorated from
/// `now`'s UTC date (billing periods are UTC calendar dates).
pub fn plan(current: &Current<'_>, asked: Asked, now: OffsetDateTime) -> Result<Plan, Refusal> {
    if current.pending {
        return Err(Refusal::Pending);
    }
    if asked == Asked::Reactivate {
        if current.status != SubscriptionStatus::Suspended {
            return Err(Refusal::NotSuspended);
        }
        vendor_rules::may_reactivate(current.suspension).map_err(Refusal::Vendor)?;
    } else if current.status != SubscriptionStatus::Active {
        return Err(Refusal::Vendor(VendorErrorCode::NotActive));
    }
    let today = now.date();
    let period =
        proration::period_containing(current.start_date, current.billing, current.end_date, today);
    let unit = current.unit_price;
    let unit_cost = current.unit_cost;
    let before = current.quantity;
    let base = Plan {
        kind: ChangeKind::AddSeats,
        seats_before: before,
        seats_after: before,
        amount: Decimal::ZERO,
        cost: Decimal::ZERO,
        period,
        per_period_before: proration::per_period(unit, before),
        per_period_after: proration::per_period(unit, before),
        window_closes: None,
        batch: None,
        auto_renew: None,
        status_after: None,
        product_after: None,
        unit_price_after: None,
        unit_cost_after: None,
        next_quantity: None,
        term_after: None,
        billing_after: None,
        start_after: None,
        end_after: None,
    };
    match asked {
        Asked::AddSeats(seats) => {
            if !(1..=MAX_CHANGE).contains(&seats) {
                return Err(Refusal::Quantity);
            }
            let after = before + seats;
            vendor_rules::seats_allowed(after, current.min_seats, current.max_seats)
                .map_err(Refusal::Vendor)?;
            Ok(Plan {
                seats_after: after,
                amount: proration::seat_change(unit, seats, period, today),
                cost: proration::seat_change(unit_cost, seats, period, today),
                per_period_after: proration::per_period(unit, after),
                window_closes: vendor_rules::window_closes(current.vendor, now),
                ..base
            })
        }
        Asked::RemoveSeats { batch, seats } => {
            if !(1..=MAX_CHANGE).contains(&seats) {
                return Err(Refusal::Quantity);
            }
            let found = current
                .batches
                .iter()
                .find(|b| b.id == batch && b.quantity > 0)
                .ok_or(Refusal::NoSuchBatch)?;
            reducible(current, found, now)?;
            if seats > found.quantity {
                return Err(Refusal::MoreThanTheBatch {
                    left: found.quantity,
                });
            }
            let after = before - seats;
            vendor_rules::seats_allowed(after, current.min_seats, current.max_seats)
                .map_err(Refusal::Vendor)?;
            seats_cover_licences(current, after)?;
            Ok(Plan {
                kind: ChangeKind::RemoveSeats,
                seats_after: after,
                amount: proration::seat_change(unit, -seats, period, today),
                cost: proration::seat_change(unit_cost, -seats, period, today),
                per_period_after: proration::per_period(unit, after),
                batch: Some(batch),
                ..base
            })
        }
        Asked::AutoRenew(on) => {
            if on == current.auto_renew {
                return Err(Refusal::Unchanged);
            }
            Ok(Plan {
                kind: ChangeKind::AutoRenew,
                auto_renew: Some(on),
                ..base
            })
        }
        // Still billed while suspended: no money effect either way.
        Asked::Suspend => Ok(Plan {
            kind: ChangeKind::Suspend,
            status_after: Some(SubscriptionStatus::Suspended),
            ..base
        }),
        Asked::Reactivate => Ok(Plan {
            kind: ChangeKind::Reactivate,
            status_after: Some(SubscriptionStatus::Active),
            ..base
        }),
        Asked::Cancel => {
            for batch in current.batches.iter().filter(|b| b.quantity > 0) {
                reducible(current, batch, now)?;
            }
            Ok(Plan {
                kind: ChangeKind::Cancel,
                amount: proration::seat_change(unit, -before, period, today),
                cost: proration::seat_change(unit_cost, -before, period, today),
                per_period_after: Decimal::ZERO,
                status_after: Some(SubscriptionStatus::Cancelled),
                ..base
            })
        }
        Asked::Upgrade(product) => {
            let target = current
                .candidates
                .iter()
                .find(|c| c.product_id == product && c.upgrade)
                .ok_or(Refusal::NotOnPath)?;
            let (Some(price), Some(cost)) = (target.unit_price, target.unit_cost) else {
                return Err(Refusal::NoPrice);
            };
            vendor_rules::seats_allowed(before, target.min_seats, target.max_seats)
                .map_err(Refusal::Vendor)?;
            // The difference, for the rest of the billing period; the new price from then on.
            Ok(Plan {
                kind: ChangeKind::Upgrade,
                amount: proration::seat_change(price - unit, before, period, today),
                cost: proration::seat_change(cost - unit_cost, before, period, today),
                per_period_after: proration::per_period(price, before),
                product_after: Some(product),
                unit_price_after: Some(price),
                unit_cost_after: Some(cost),
                ..base
            })
        }
        Asked::Term { term, billing } => {
            vendor_rules::may_change_term_now(current.term, term).map_err(Refusal::Vendor)?;
            let offer = current
                .offers
                .iter()
                .find(|o| {
                    o.product_id == current.product_id && o.term == term && o.billing == billing
                })
                .ok_or(Refusal::NoPrice)?;
            // The new term starts today: what is left of the current billing period is refunded
            // and the new term's first billing period charged, at the new term's price.
            let end = proration::add_months(today, term.months() as i32);
            let first = proration::period_containing(today, billing, end, today);
            let refund = proration::seat_change(unit, -before, period, today);
            let charge = proration::seat_change(offer.unit_price, before, first, today);
            let cost = proration::seat_change(unit_cost, -before, period, today)
                + proration::seat_change(offer.unit_cost, before, first, today);
            Ok(Plan {
                kind: ChangeKind::Term,
                amount: refund + charge,
                cost,
                per_period_after: proration::per_period(offer.unit_price, before),
                unit_price_after: Some(offer.unit_price),
                unit_cost_after: Some(offer.unit_cost),
                term_after: Some(term),
                billing_after: Some(billing),
                start_after: Some(today),
                end_after: Some(end),
                ..base
            })
        }
        Asked::Schedule {
            product,
            seats,
            offer,
        } => {
            let (term, billing) = offer.unwrap_or((current.term, current.billing));
            if !(1..=MAX_CHANGE).contains(&seats) {
                return Err(Refusal::Quantity);
            }
            let (min, max) = if product == current.product_id {
                (current.min_seats, current.max_seats)
            } else {
                let target = current
                    .candidates
                    .iter()
                    .find(|c| c.product_id == product)
                    .ok_or(Refusal::NotOnPath)?;
                (target.min_seats, target.max_seats)
            };
            // Any term and billing the product is sold for: at renewal a term may get shorter
            // (annual to flexible, annual to monthly), which mid-term it never does.
            let offer = current
                .offers
                .iter()
                .find(|o| o.product_id == product && o.term == term && o.billing == billing)
                .ok_or(Refusal::NoPrice)?;
            vendor_rules::seats_allowed(seats, min, max).map_err(Refusal::Vendor)?;
            seats_cover_licences(current, seats)?;
            let same_offer = term == current.term && billing == current.billing;
            if product == current.product_id && seats == before && same_offer {
                return Err(Refusal::Unchanged);
            }
            // Nothing is charged now; the renewal is priced by the list of that day (today's
            // shown).
            Ok(Plan {
                kind: ChangeKind::Schedule,
                per_period_after: proration::per_period(offer.unit_price, seats),
                product_after: Some(product),
                next_quantity: Some(seats),
                term_after: Some(term),
                billing_after: Some(billing),
                ..base
            })
        }
        Asked::Unschedule => {
            if !current.scheduled {
                return Err(Refusal::NothingScheduled);
            }
            Ok(Plan {
                kind: ChangeKind::Unschedule,
                ..base
            })
        }
    }
}

/// Whether the vendor still lets `batch` be reduced at `now`: a closed window is refused with
/// the moment it closed.
fn reducible(current: &Current<'_>, batch: &Batch, now: OffsetDateTime) -> Result<(), Refusal> {
    match vendor_rules::may_reduce(current.vendor, current.term, batch.added_at, now) {
        Ok(()) => Ok(()),
        Err(VendorErrorCode::WindowClosed) => Err(Refusal::WindowClosed {
            closed_at: batch
                .window_closes_at
                .unwrap_or(batch.added_at + vendor_rules::CANCELLATION_WINDOW),
        }),
        Err(code) => Err(Refusal::Vendor(code)),
    }
}

#[cfg(test)]
mod tests;
