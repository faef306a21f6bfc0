-- Committed spend (the dashboard's and its page's): what each customer's subscriptions that
-- are not cancelled will cost until the end of their terms, and the part of it the seats whose
-- cancellation window is still open can take off today. Both depend on the day and on the
-- windows open at the moment, so they are not kept by triggers: a job computes them for one
-- reseller in one pass (prorated by the same rules as billing) and replaces them whole;
-- the dashboard queues it when they are over an hour old or older than the latest change.
CREATE TABLE commitments (
    reseller_id    uuid NOT NULL,
    customer_id    uuid NOT NULL,
    subscriptions  integer NOT NULL,
    committed      numeric(20,2) NOT NULL,
    reducible      numeric(20,2) NOT NULL,
    PRIMARY KEY (reseller_id, customer_id),
    FOREIGN KEY (reseller_id, customer_id) REFERENCES customers (reseller_id, id)
);
-- The page's orders: the largest commitments, the most that can be reduced.
CREATE INDEX commitments_committed ON commitments (reseller_id, committed DESC, customer_id);
CREATE INDEX commitments_reducible ON commitments (reseller_id, reducible DESC, customer_id)
    WHERE reducible > 0;

-- One row per reseller: the sums of its customers' rows and when they were computed.
CREATE TABLE commitment_totals (
    reseller_id    uuid PRIMARY KEY REFERENCES resellers (id),
    currency       char(3) NOT NULL,
    customers      integer NOT NULL,
    subscriptions  integer NOT NULL,
    committed      numeric(20,2) NOT NULL,
    reducible      numeric(20,2) NOT NULL,
    -- The moment the figures are of (windows open then, the day's remaining terms).
    computed_at    timestamptz NOT NULL
);

-- A tenant's table: its rows seen only by their reseller's transactions (and by cross-tenant
-- work with no reseller set), as every tenant table since migration 0001. Tables made from here
-- on call it instead of repeating the four statements.
CREATE FUNCTION portal_tenant_table(t text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller())', t);
    EXECUTE format('CREATE POLICY cross_tenant ON %I TO portal_system USING (portal_current_reseller() IS NULL) WITH CHECK (portal_current_reseller() IS NULL)', t);
END $$;

SELECT portal_tenant_table('commitments');
SELECT portal_tenant_table('commitment_totals');
GRANT SELECT, INSERT, UPDATE, DELETE ON commitments, commitment_totals TO portal_app;
