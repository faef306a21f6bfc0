-- Lists at a large reseller's scale (docs/performance/README.md): subscriptions are listed
-- newest first from an index, so a page reads its 25 rows instead of sorting a million.
CREATE INDEX subscriptions_newest ON subscriptions (reseller_id, created_at DESC, id DESC);
