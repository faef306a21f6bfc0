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

-- What an invoice's seat reconciliation found, kept with it (the invoice page counted its
-- million seat counts on every view: 0.6 s): written by the run with the counts, changed as the
-- vendor's answers are recorded.
CREATE TABLE seat_summaries (
    reseller_id    uuid NOT NULL,
    period         date NOT NULL CHECK (extract(day FROM period) = 1),
    subscriptions  bigint NOT NULL CHECK (subscriptions >= 0),
    differing      bigint NOT NULL CHECK (differing >= 0),
    pending        bigint NOT NULL CHECK (pending >= 0),
    PRIMARY KEY (reseller_id, period)
);
INSERT INTO seat_summaries (reseller_id, period, subscriptions, differing, pending)
SELECT reseller_id, period, count(*),
       count(*) FILTER (WHERE (vendor IS NOT NULL AND vendor <> billed) OR assigned <> billed),
       count(*) FILTER (WHERE vendor IS NULL)
FROM seat_counts GROUP BY reseller_id, period;

ALTER TABLE seat_summaries ENABLE ROW LEVEL SECURITY;
ALTER TABLE seat_summaries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON seat_summaries USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY cross_tenant ON seat_summaries TO portal_system USING (portal_current_reseller() IS NULL) WITH CHECK (portal_current_reseller() IS NULL);
GRANT SELECT, INSERT, UPDATE ON seat_summaries TO portal_app;
REVOKE DELETE ON seat_summaries FROM portal_app, portal_system;
