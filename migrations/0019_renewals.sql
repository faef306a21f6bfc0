-- Renewals (J6): at term end an auto-renewing active subscription renews (a new term, a new
-- seat batch with its window, today's price, its scheduled changes applied); otherwise it
-- expires. Both are in the history; the daily job finds what is due by its end date.
ALTER TABLE subscription_changes
    DROP CONSTRAINT subscription_changes_kind_check,
    ADD CONSTRAINT subscription_changes_kind_check
        CHECK (kind IN ('purchase', 'add_seats', 'remove_seats', 'auto_renew', 'suspend',
                        'reactivate', 'cancel', 'upgrade', 'schedule', 'unschedule', 'renewal',
                        'expiry'));
CREATE INDEX subscriptions_due ON subscriptions (end_date)
    WHERE status IN ('active', 'suspended');
