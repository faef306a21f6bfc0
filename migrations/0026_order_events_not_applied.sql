-- A provisioning run that lost a race (the order was rejected or closed while the run read it)
-- is recorded on the order's timeline as not applied, beside the status it would have set.
ALTER TABLE order_events
    ADD COLUMN kind text NOT NULL DEFAULT 'status' CHECK (kind IN ('status', 'not_applied'));
