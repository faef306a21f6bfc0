//! Seat reconciliation, without I/O: per subscription and invoiced month, the seats billed, the
//! licences assigned and the seats the vendor holds, side by side, and what differs. None of
//! the portals resellers use shows it: seats paid for and not assigned are money spent for
//! nothing, and a vendor count that differs from the bill is a question for the distributor.

crate::text_enum! {
    /// What a reconciled subscription's counts say.
    pub enum Flag {
        /// The vendor holds another number of seats than the month billed.
        VendorDiffers = "vendor_differs" => "billing.seat_flag_vendor",
        /// Fewer licences are assigned than seats billed.
        Unassigned = "unassigned" => "billing.seat_flag_unassigned",
        /// More licences are assigned than seats billed.
        OverAssigned = "over_assigned" => "billing.seat_flag_over",
    }
}

/// What differs between the seats `billed`, the licences `assigned` and the seats the `vendor`
/// holds (none until it answered). `store::seats` lists a row as differing by the same rule.
pub fn flags(billed: i32, assigned: i32, vendor: Option<i32>) -> Vec<Flag> {
    let mut flags = Vec::new();
    if vendor.is_some_and(|v| v != billed) {
        flags.push(Flag::VendorDiffers);
    }
    if assigned < billed {
        flags.push(Flag::Unassigned);
    }
    if assigned > billed {
        flags.push(Flag::OverAssigned);
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_that_agree_raise_nothing_and_each_difference_its_flag() {
        assert!(flags(10, 10, Some(10)).is_empty());
        assert!(flags(10, 10, None).is_empty(), "the vendor not asked yet");
        assert_eq!(flags(10, 10, Some(12)), vec![Flag::VendorDiffers]);
        assert_eq!(flags(15, 3, Some(15)), vec![Flag::Unassigned]);
        assert_eq!(
            flags(5, 7, Some(7)),
            vec![Flag::VendorDiffers, Flag::OverAssigned]
        );
    }
}
