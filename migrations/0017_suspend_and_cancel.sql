-- Suspending, reactivating and cancelling a subscription (J6). A suspension carries its reason:
-- the reseller's own can be lifted by the reseller; Google's (terms of service pending, a
-- renewal set to cancel, a trial that ended) only by resolving it with Google.
ALTER TABLE subscriptions
    ADD COLUMN suspension_reason text
        CHECK (suspension_reason IN ('reseller', 'terms_pending', 'renewal_cancel', 'trial_ended'));

ALTER TABLE subscription_changes
    DROP CONSTRAINT subscription_changes_kind_check,
    ADD CONSTRAINT subscription_changes_kind_check
        CHECK (kind IN ('purchase', 'add_seats', 'remove_seats', 'auto_renew', 'suspend',
                        'reactivate', 'cancel')),
    -- The status a suspension, reactivation or cancellation leaves.
    ADD COLUMN status_after text
        CHECK (status_after IN ('active', 'suspended', 'cancelled', 'expired'));

ALTER TABLE sandbox_subscriptions
    ADD COLUMN status text NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'suspended', 'cancelled', 'expired')),
    ADD COLUMN suspension_reason text;
