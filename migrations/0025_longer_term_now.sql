-- A longer term now (Microsoft monthly to yearly, Google flexible to annual): a change of its
-- own kind, recording the new term's last day; the term starts on the day it was asked for.
ALTER TABLE subscription_changes
    ADD COLUMN end_after date,
    DROP CONSTRAINT subscription_changes_kind_check,
    ADD CONSTRAINT subscription_changes_kind_check
        CHECK (kind IN ('purchase', 'add_seats', 'remove_seats', 'auto_renew', 'suspend',
                        'reactivate', 'cancel', 'upgrade', 'term', 'schedule', 'unschedule',
                        'renewal', 'expiry'));
