-- Unbilled so far this month (J7): for each reseller, what the billing run would bill for the
-- current month if it ran now (the same computation, rolled back), refreshed by a job at most
-- once an hour when its page is seen, and shown as an estimate with the time it was made.
CREATE TABLE billing_estimates (
    reseller_id  uuid PRIMARY KEY REFERENCES resellers (id),
    period       date NOT NULL CHECK (extract(day FROM period) = 1),
    cost         numeric(14, 2) NOT NULL,
    price        numeric(14, 2) NOT NULL,
    currency     char(3) NOT NULL,
    lines        integer NOT NULL CHECK (lines >= 0),
    computed_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE billing_estimates ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_estimates FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_estimates USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY cross_tenant ON billing_estimates TO portal_system USING (portal_current_reseller() IS NULL) WITH CHECK (portal_current_reseller() IS NULL);
GRANT SELECT, INSERT, UPDATE ON billing_estimates TO portal_app;
