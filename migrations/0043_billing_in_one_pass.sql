-- Billing at a million lines, continued (issue 18, docs/performance/billing.md): the key of
-- each invoice line and seat count to its invoice was checked row by row at commit, a million
-- look-ups of the one invoice the same transaction had just written (an eighth of the run).
-- Lines and seat counts are written only by the billing run, in the transaction that writes
-- their invoice, and no invoice is ever deleted: the key guards nothing the run does not, and
-- goes, as migration 0042's did. The index of usage by invoice goes too: no query reads it, and
-- the run updated it for every record it billed.
ALTER TABLE invoice_lines DROP CONSTRAINT IF EXISTS invoice_lines_reseller_id_invoice_id_fkey;
ALTER TABLE seat_counts DROP CONSTRAINT IF EXISTS seat_counts_reseller_id_invoice_id_fkey;
DROP INDEX IF EXISTS usage_records_invoice;
