-- The subscriptions list at a large reseller's size (a million subscriptions), paged by keyset:
-- each sort walks an index from the cursor (most seats first now has one, as newest and renews
-- soonest have), a search's few products are found through an index, and the statuses other
-- than active (suspended, cancelled, expired: a small share) without walking the active ones.
CREATE INDEX subscriptions_seats ON subscriptions (reseller_id, quantity DESC, id DESC);
CREATE INDEX subscriptions_product ON subscriptions (reseller_id, product_id);
CREATE INDEX subscriptions_not_active ON subscriptions (reseller_id, status, created_at DESC, id DESC)
    WHERE status <> 'active';
