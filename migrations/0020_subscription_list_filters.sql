-- The subscriptions list's filters and sorts at a large reseller's scale: renewals soonest (and
-- "renews within N days") from an index on the term end; "open cancellation window" from the
-- batches whose window is still open.
CREATE INDEX subscriptions_renewing ON subscriptions (reseller_id, end_date, id);
CREATE INDEX seat_batches_open ON seat_batches (reseller_id, window_closes_at)
    WHERE quantity > 0 AND window_closes_at IS NOT NULL;
