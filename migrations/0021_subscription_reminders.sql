-- Reminders by e-mail (J6): renewals 30, 7 and 1 days ahead, and cancellation windows closing
-- within 24 hours, to the users who change subscriptions, unless they turned them off.
ALTER TABLE users ADD COLUMN subscription_reminders boolean NOT NULL DEFAULT true;
