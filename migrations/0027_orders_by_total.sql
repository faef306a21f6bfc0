-- The orders list paged by keyset in each sort: totals, highest or lowest first, walk an index
-- from the cursor as the newest and oldest do (`orders_by_created`).
CREATE INDEX orders_by_total ON orders (reseller_id, total_price DESC, id DESC);
