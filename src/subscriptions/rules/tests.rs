//! The rules of `plan` and of term ends, one case at a time.

use super::*;
use time::macros::{date, datetime};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn batch(quantity: i32, added_at: OffsetDateTime) -> Batch {
    Batch {
        id: Uuid::from_u128(quantity as u128 + 1),
        added: quantity,
        quantity,
        added_at,
        window_closes_at: Some(added_at + vendor_rules::CANCELLATION_WINDOW),
    }
}

fn business_standard(batches: &[Batch]) -> Current<'_> {
    Current {
        vendor: VendorCode::Microsoft,
        term: Term::Yearly,
        billing: Billing::Monthly,
        status: SubscriptionStatus::Active,
        quantity: batches.iter().map(|b| b.quantity).sum(),
        assigned: 0,
        min_seats: 1,
        max_seats: 300,
        unit_price: d("12.50"),
        unit_cost: d("10.00"),
        start_date: date!(2026 - 06 - 01),
        end_date: date!(2027 - 06 - 01),
        auto_renew: true,
        suspension: None,
        pending: false,
        batches,
        product_id: Uuid::from_u128(900),
        candidates: CANDIDATES.as_slice(),
        scheduled: false,
        offers: OFFERS.as_slice(),
    }
}

fn offer(product: u128, term: Term, billing: Billing, price: &str) -> Offer {
    Offer {
        product_id: Uuid::from_u128(product),
        term,
        billing,
        unit_price: d(price),
        unit_cost: d(price) * d("0.8"),
    }
}

/// Business Standard yearly (paid monthly or yearly) and monthly; Business Basic yearly, paid
/// monthly; Business Premium not sold by the month.
static OFFERS: std::sync::LazyLock<[Offer; 6]> = std::sync::LazyLock::new(|| {
    [
        offer(900, Term::Yearly, Billing::Monthly, "12.50"),
        offer(900, Term::ThreeYears, Billing::Annual, "142.50"),
        offer(900, Term::Yearly, Billing::Annual, "150.00"),
        offer(900, Term::Monthly, Billing::Monthly, "15.00"),
        offer(902, Term::Yearly, Billing::Monthly, "6.00"),
        offer(901, Term::Yearly, Billing::Monthly, "22.00"),
    ]
});

/// Business Premium (an upgrade at 22.00) and Business Basic (a downgrade at 6.00).
static CANDIDATES: std::sync::LazyLock<[Candidate; 2]> = std::sync::LazyLock::new(|| {
    [
        Candidate {
            product_id: Uuid::from_u128(901),
            upgrade: true,
            unit_price: Some(d("22.00")),
            unit_cost: Some(d("18.00")),
            min_seats: 1,
            max_seats: 300,
        },
        Candidate {
            product_id: Uuid::from_u128(902),
            upgrade: false,
            unit_price: Some(d("6.00")),
            unit_cost: Some(d("5.00")),
            min_seats: 1,
            max_seats: 300,
        },
    ]
});

#[test]
fn an_upgrade_charges_the_price_difference_for_the_rest_of_the_period() {
    let batches = [batch(10, datetime!(2026-06-01 10:00 UTC))];
    let current = business_standard(&batches);
    let now = datetime!(2026-11-16 09:30 UTC);
    let up = plan(&current, Asked::Upgrade(Uuid::from_u128(901)), now).unwrap();
    // (22.00 − 12.50) × 10 seats, half the month left.
    assert_eq!(up.amount, d("47.50"));
    assert_eq!(up.per_period_after, d("220.00"));
    assert_eq!(
        (up.product_after, up.unit_price_after),
        (Some(Uuid::from_u128(901)), Some(d("22.00")))
    );
    // A downgrade is not taken now, and a product off the paths never.
    assert_eq!(
        plan(&current, Asked::Upgrade(Uuid::from_u128(902)), now),
        Err(Refusal::NotOnPath)
    );
    assert_eq!(
        plan(&current, Asked::Upgrade(Uuid::nil()), now),
        Err(Refusal::NotOnPath)
    );
}

#[test]
fn a_downgrade_and_fewer_seats_are_scheduled_for_renewal_at_no_cost_now() {
    let batches = [batch(10, datetime!(2026-06-01 10:00 UTC))];
    let current = business_standard(&batches);
    let now = datetime!(2026-11-16 09:30 UTC);
    let down = Asked::Schedule {
        product: Uuid::from_u128(902),
        seats: 8,
        offer: None,
    };
    let plan_down = plan(&current, down, now).unwrap();
    assert_eq!(
        (plan_down.kind, plan_down.amount),
        (ChangeKind::Schedule, Decimal::ZERO)
    );
    assert_eq!(plan_down.next_quantity, Some(8));
    assert_eq!(plan_down.per_period_after, d("48.00"));
    // The same product and seats is no change; nothing scheduled cannot be dropped.
    let same = Asked::Schedule {
        product: current.product_id,
        seats: 10,
        offer: Some((Term::Yearly, Billing::Monthly)),
    };
    assert_eq!(plan(&current, same, now), Err(Refusal::Unchanged));
    assert_eq!(
        plan(&current, Asked::Unschedule, now),
        Err(Refusal::NothingScheduled)
    );
    let scheduled = Current {
        scheduled: true,
        ..business_standard(&batches)
    };
    assert_eq!(
        plan(&scheduled, Asked::Unschedule, now).unwrap().kind,
        ChangeKind::Unschedule
    );
}

#[test]
fn term_and_billing_change_at_renewal_to_any_way_the_product_is_sold() {
    let batches = [batch(10, datetime!(2026-06-01 10:00 UTC))];
    let current = business_standard(&batches);
    let now = datetime!(2026-11-16 09:30 UTC);
    let asked = |product: u128, term, billing| Asked::Schedule {
        product: Uuid::from_u128(product),
        seats: 10,
        offer: Some((term, billing)),
    };
    // Shorter at renewal (yearly to monthly): allowed, priced by the monthly offer.
    let monthly = plan(&current, asked(900, Term::Monthly, Billing::Monthly), now).unwrap();
    assert_eq!(
        (monthly.term_after, monthly.billing_after),
        (Some(Term::Monthly), Some(Billing::Monthly))
    );
    assert_eq!(monthly.per_period_after, d("150.00"));
    assert_eq!(monthly.amount, Decimal::ZERO);
    // Paid yearly instead of monthly: the same seats and product are a change.
    let yearly = plan(&current, asked(900, Term::Yearly, Billing::Annual), now).unwrap();
    assert_eq!(yearly.per_period_after, d("1500.00"));
    // A term or billing the product is not sold for, a product off the paths.
    assert_eq!(
        plan(&current, asked(901, Term::Monthly, Billing::Monthly), now),
        Err(Refusal::NoPrice)
    );
    assert_eq!(
        plan(
            &current,
            asked(900, Term::ThreeYears, Billing::Monthly),
            now
        ),
        Err(Refusal::NoPrice)
    );
    assert_eq!(
        plan(&current, asked(777, Term::Yearly, Billing::Monthly), now),
        Err(Refusal::NotOnPath)
    );
}

#[test]
fn a_longer_term_starts_today_refunding_the_rest_of_the_period_and_charging_the_first_of_the_new() {
    let batches = [batch(10, datetime!(2026-06-01 10:00 UTC))];
    let current = business_standard(&batches);
    let now = datetime!(2026-11-16 09:30 UTC);
    let longer = Asked::Term {
        term: Term::ThreeYears,
        billing: Billing::Annual,
    };
    let plan = plan(&current, longer, now).unwrap();
    // 15 of November's 30 days back at 12.50 × 10 (62.50); a year at 142.50 × 10 charged.
    assert_eq!(plan.amount, d("1362.50"));
    assert_eq!(plan.per_period_after, d("1425.00"));
    assert_eq!(plan.end_after, Some(date!(2029 - 11 - 16)));
    assert_eq!(
        (plan.term_after, plan.billing_after, plan.unit_price_after),
        (
            Some(Term::ThreeYears),
            Some(Billing::Annual),
            Some(d("142.50"))
        )
    );
    // Shorter or as long: only at renewal. Not sold so: no price.
    let asked = |term, billing| Asked::Term { term, billing };
    for shorter in [
        asked(Term::Monthly, Billing::Monthly),
        asked(Term::Yearly, Billing::Annual),
    ] {
        assert_eq!(
            super::plan(&current, shorter, now),
            Err(Refusal::Vendor(VendorErrorCode::TermNotLonger))
        );
    }
    assert_eq!(
        super::plan(&current, asked(Term::ThreeYears, Billing::Monthly), now),
        Err(Refusal::NoPrice)
    );
}

#[test]
fn adding_seats_charges_the_days_left_of_the_period_and_opens_a_window() {
    let batches = [batch(10, datetime!(2026-06-01 10:00 UTC))];
    let now = datetime!(2026-11-16 09:30 UTC);
    let plan = plan(&business_standard(&batches), Asked::AddSeats(5), now).unwrap();
    assert_eq!((plan.seats_before, plan.seats_after), (10, 15));
    // 1 Nov – 1 Dec: 15 of 30 days left, for 5 × 12.50.
    assert_eq!(plan.amount, d("31.25"));
    // The reseller's cost by the same rule: 15 of 30 days for 5 × 10.00.
    assert_eq!(plan.cost, d("25.00"));
    assert_eq!(plan.per_period_before, d("125.00"));
    assert_eq!(plan.per_period_after, d("187.50"));
    assert_eq!(plan.window_closes, Some(datetime!(2026-11-23 09:30 UTC)));
}

#[test]
fn seats_within_their_window_come_back_with_the_unused_days_refunded() {
    let added = datetime!(2026-11-16 09:30 UTC);
    let batches = [batch(10, datetime!(2026-06-01 10:00 UTC)), batch(5, added)];
    let current = business_standard(&batches);
    let asked = Asked::RemoveSeats {
        batch: batches[1].id,
        seats: 2,
    };
    let same_day = plan(&current, asked, datetime!(2026-11-16 17:00 UTC)).unwrap();
    assert_eq!(same_day.kind, ChangeKind::RemoveSeats);
    assert_eq!(same_day.seats_after, 13);
    assert_eq!(same_day.amount, d("-12.50"));
    let later = plan(&current, asked, datetime!(2026-11-19 09:00 UTC)).unwrap();
    // 12 of 30 days left for 2 × 12.50.
    assert_eq!(later.amount, d("-10.00"));
    // More than the batch has.
    let too_many = Asked::RemoveSeats {
        batch: batches[1].id,
        seats: 6,
    };
    assert_eq!(
        plan(&current, too_many, added),
        Err(Refusal::MoreThanTheBatch { left: 5 })
    );
}

#[test]
fn seats_older_than_their_window_are_refused_with_the_moment_it_closed() {
    let bought = datetime!(2026-06-01 10:00 UTC);
    let batches = [batch(10, bought)];
    let asked = Asked::RemoveSeats {
        batch: batches[0].id,
        seats: 1,
    };
    assert_eq!(
        plan(
            &business_standard(&batches),
            asked,
            datetime!(2026-11-16 09:30 UTC)
        ),
        Err(Refusal::WindowClosed {
            closed_at: datetime!(2026-06-08 10:00 UTC)
        })
    );
}

#[test]
fn bad_quantities_other_batches_and_limits_are_refused() {
    let batches = [batch(10, datetime!(2026-11-15 10:00 UTC))];
    let current = business_standard(&batches);
    let now = datetime!(2026-11-16 09:30 UTC);
    assert_eq!(
        plan(&current, Asked::AddSeats(0), now),
        Err(Refusal::Quantity)
    );
    assert_eq!(
        plan(&current, Asked::AddSeats(-3), now),
        Err(Refusal::Quantity)
    );
    assert_eq!(
        plan(&current, Asked::AddSeats(291), now),
        Err(Refusal::Vendor(VendorErrorCode::SeatLimit))
    );
    let other = Asked::RemoveSeats {
        batch: Uuid::nil(),
        seats: 1,
    };
    assert_eq!(plan(&current, other, now), Err(Refusal::NoSuchBatch));
    // Not below one seat.
    let all = Asked::RemoveSeats {
        batch: batches[0].id,
        seats: 10,
    };
    assert_eq!(
        plan(&current, all, now),
        Err(Refusal::Vendor(VendorErrorCode::BelowMinimum))
    );
}

#[test]
fn nothing_changes_while_a_change_waits_or_the_subscription_is_not_active() {
    let batches = [batch(10, datetime!(2026-11-15 10:00 UTC))];
    let now = datetime!(2026-11-16 09:30 UTC);
    let waiting = Current {
        pending: true,
        ..business_standard(&batches)
    };
    assert_eq!(
        plan(&waiting, Asked::AddSeats(1), now),
        Err(Refusal::Pending)
    );
    let suspended = Current {
        status: SubscriptionStatus::Suspended,
        ..business_standard(&batches)
    };
    assert_eq!(
        plan(&suspended, Asked::AutoRenew(false), now),
        Err(Refusal::Vendor(VendorErrorCode::NotActive))
    );
}

#[test]
fn renewal_is_turned_off_and_on_at_no_cost() {
    let batches = [batch(10, datetime!(2026-06-01 10:00 UTC))];
    let current = business_standard(&batches);
    let now = datetime!(2026-11-16 09:30 UTC);
    let off = plan(&current, Asked::AutoRenew(false), now).unwrap();
    assert_eq!(
        (off.kind, off.auto_renew, off.amount),
        (ChangeKind::AutoRenew, Some(false), Decimal::ZERO)
    );
    assert_eq!(
        plan(&current, Asked::AutoRenew(true), now),
        Err(Refusal::Unchanged)
    );
}

#[test]
fn a_suspension_is_lifted_only_when_it_is_the_resellers_own() {
    let batches = [batch(10, datetime!(2026-06-01 10:00 UTC))];
    let now = datetime!(2026-11-16 09:30 UTC);
    let active = business_standard(&batches);
    let suspend = plan(&active, Asked::Suspend, now).unwrap();
    assert_eq!(suspend.status_after, Some(SubscriptionStatus::Suspended));
    assert_eq!(suspend.amount, Decimal::ZERO, "still billed");
    assert_eq!(
        plan(&active, Asked::Reactivate, now),
        Err(Refusal::NotSuspended)
    );
    let by_reseller = Current {
        status: SubscriptionStatus::Suspended,
        suspension: Some(SuspensionReason::Reseller),
        ..business_standard(&batches)
    };
    let back = plan(&by_reseller, Asked::Reactivate, now).unwrap();
    assert_eq!(back.status_after, Some(SubscriptionStatus::Active));
    assert_eq!(
        plan(&by_reseller, Asked::AddSeats(1), now),
        Err(Refusal::Vendor(VendorErrorCode::NotActive))
    );
    let by_google = Current {
        suspension: Some(SuspensionReason::TermsPending),
        ..by_reseller
    };
    assert_eq!(
        plan(&by_google, Asked::Reactivate, now),
        Err(Refusal::Vendor(VendorErrorCode::SuspendedByVendor))
    );
}

#[test]
fn cancelling_refunds_every_seat_only_while_every_window_is_open() {
    let bought = datetime!(2026-11-14 10:00 UTC);
    let batches = [batch(10, bought), batch(5, datetime!(2026-11-15 10:00 UTC))];
    let current = business_standard(&batches);
    let cancel = plan(&current, Asked::Cancel, datetime!(2026-11-16 09:30 UTC)).unwrap();
    assert_eq!(cancel.status_after, Some(SubscriptionStatus::Cancelled));
    // 15 seats × 12.50, 15 of 30 days left.
    assert_eq!(cancel.amount, d("-93.75"));
    assert_eq!(cancel.cost, d("-75.00"));
    assert_eq!(cancel.per_period_after, Decimal::ZERO);
    // A week after the purchase its window closed: no cancellation until renewal.
    assert_eq!(
        plan(&current, Asked::Cancel, datetime!(2026-11-21 11:00 UTC)),
        Err(Refusal::WindowClosed {
            closed_at: datetime!(2026-11-21 10:00 UTC)
        })
    );
}

#[test]
fn at_term_end_only_an_active_auto_renewing_subscription_renews() {
    use SubscriptionStatus::*;
    assert_eq!(at_term_end(Active, true), TermEnd::Renew);
    assert_eq!(at_term_end(Active, false), TermEnd::Expire);
    assert_eq!(at_term_end(Suspended, true), TermEnd::Expire);
    assert_eq!(
        next_term(date!(2027 - 01 - 31), Term::Monthly),
        (date!(2027 - 01 - 31), date!(2027 - 02 - 28))
    );
    assert_eq!(
        next_term(date!(2026 - 12 - 01), Term::ThreeYears).1,
        date!(2029 - 12 - 01)
    );
}

#[test]
fn google_annual_seats_go_up_never_down() {
    let batches = [batch(10, datetime!(2026-11-15 10:00 UTC))];
    let google = Current {
        vendor: VendorCode::Google,
        ..business_standard(&batches)
    };
    let now = datetime!(2026-11-16 09:30 UTC);
    let add = plan(&google, Asked::AddSeats(2), now).unwrap();
    assert_eq!(add.window_closes, None);
    let remove = Asked::RemoveSeats {
        batch: batches[0].id,
        seats: 1,
    };
    assert_eq!(
        plan(&google, remove, now),
        Err(Refusal::Vendor(VendorErrorCode::CommitmentLocked))
    );
}

#[test]
fn seats_never_go_below_the_licences_assigned_now_or_at_renewal() {
    let now = datetime!(2026-06-03 12:00 UTC);
    let batches = [batch(10, datetime!(2026-06-01 12:00 UTC))];
    let current = Current {
        assigned: 7,
        ..business_standard(&batches)
    };
    let remove = |seats| Asked::RemoveSeats {
        batch: batches[0].id,
        seats,
    };
    // Down to the seven assigned is fine; one more says how many to unassign first.
    assert_eq!(plan(&current, remove(3), now).unwrap().seats_after, 7);
    assert_eq!(
        plan(&current, remove(5), now).unwrap_err(),
        Refusal::BelowAssigned {
            assigned: 7,
            unassign: 2
        }
    );
    let schedule = |seats| Asked::Schedule {
        product: current.product_id,
        seats,
        offer: None,
    };
    assert!(plan(&current, schedule(7), now).is_ok());
    assert_eq!(
        plan(&current, schedule(6), now).unwrap_err(),
        Refusal::BelowAssigned {
            assigned: 7,
            unassign: 1
        }
    );
}
