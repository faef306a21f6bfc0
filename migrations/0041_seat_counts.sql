-- Seat reconciliation (J7): per licence subscription and invoiced month, the seats billed (what
-- the subscription's history charged on the month's last day), the licences assigned when the
-- month was billed, and the seats the vendor holds (asked by a job after the invoice is issued;
-- none until it answers). Written by the billing run in the issuing transaction.
CREATE TABLE seat_counts (
    reseller_id      uuid NOT NULL,
    period           date NOT NULL CHECK (extract(day FROM period) = 1),
    subscription_id  uuid NOT NULL,
    invoice_id       uuid NOT NULL,
    billed           integer NOT NULL CHECK (billed >= 0),
    assigned         integer NOT NULL CHECK (assigned >= 0),
    vendor           integer CHECK (vendor >= 0),
    vendor_at        timestamptz,
    PRIMARY KEY (reseller_id, period, subscription_id),
    FOREIGN KEY (reseller_id, invoice_id) REFERENCES invoices (reseller_id, id)
        DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (reseller_id, subscription_id) REFERENCES subscriptions (reseller_id, id)
);
CREATE INDEX seat_counts_invoice ON seat_counts (reseller_id, invoice_id, subscription_id);

ALTER TABLE seat_counts ENABLE ROW LEVEL SECURITY;
ALTER TABLE seat_counts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON seat_counts USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY cross_tenant ON seat_counts TO portal_system USING (portal_current_reseller() IS NULL) WITH CHECK (portal_current_reseller() IS NULL);
REVOKE DELETE ON seat_counts FROM portal_app, portal_system;
GRANT SELECT, INSERT, UPDATE (vendor, vendor_at) ON seat_counts TO portal_app;
