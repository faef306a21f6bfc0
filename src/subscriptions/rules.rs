//! Subscription rules without I/O.

crate::text_enum! {
    /// Where a subscription stands at the vendor.
    pub enum SubscriptionStatus {
        Active = "active" => "subscriptions.status_active",
        Suspended = "suspended" => "subscriptions.status_suspended",
        Cancelled = "cancelled" => "subscriptions.status_cancelled",
    }
}
