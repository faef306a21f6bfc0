-- Billing at a million lines (issue 18, docs/performance/billing.md): each foreign key of an
-- invoice line was checked row by row, locking the subscription, customer, product and change
-- it names (FOR KEY SHARE), a third of the run's time. Invoice lines and seat counts are written
-- only by the billing run, from the rows it has just read in the same transaction under the
-- reseller's lock, and never changed after; subscriptions, customers, products and changes are
-- never deleted. So those keys guard nothing the run does not, and go; the line's key to its
-- invoice stays (checked once, at commit). An index no query uses goes too, and the seat counts
-- are read by their month (their primary key) instead of an index of their own.
ALTER TABLE invoice_lines
    DROP CONSTRAINT IF EXISTS invoice_lines_reseller_id_change_id_fkey,
    DROP CONSTRAINT IF EXISTS invoice_lines_product_id_fkey,
    DROP CONSTRAINT IF EXISTS invoice_lines_reseller_id_customer_id_fkey,
    DROP CONSTRAINT IF EXISTS invoice_lines_reseller_id_subscription_id_fkey;
DROP INDEX IF EXISTS invoice_lines_subscription;
ALTER TABLE seat_counts DROP CONSTRAINT IF EXISTS seat_counts_reseller_id_subscription_id_fkey;
DROP INDEX IF EXISTS seat_counts_invoice;
