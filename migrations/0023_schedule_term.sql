-- A change scheduled for renewal can also change the term and the billing frequency (a
-- Google Workspace annual plan becomes flexible only so; a Microsoft one goes monthly so).
-- NULL: the same as now.
ALTER TABLE subscriptions
    ADD COLUMN next_term text CHECK (next_term IN ('P1M', 'P1Y', 'P3Y')),
    ADD COLUMN next_billing text CHECK (next_billing IN ('monthly', 'annual', 'triennial')),
    ADD CONSTRAINT subscriptions_next_offer CHECK ((next_term IS NULL) = (next_billing IS NULL));
ALTER TABLE subscription_changes
    ADD COLUMN term_after text CHECK (term_after IN ('P1M', 'P1Y', 'P3Y')),
    ADD COLUMN billing_after text CHECK (billing_after IN ('monthly', 'annual', 'triennial'));
ALTER TABLE sandbox_subscriptions
    ADD COLUMN billing text NOT NULL DEFAULT 'monthly',
    ADD COLUMN next_term text,
    ADD COLUMN next_billing text;
