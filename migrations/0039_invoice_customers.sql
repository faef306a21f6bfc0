-- Each customer's part of an invoice (its lines, cost and price), written when the invoice is
-- issued from the same sums as its totals: the invoice page reads them instead of adding up a
-- large invoice's lines on every view.
CREATE TABLE invoice_customers (
    reseller_id  uuid NOT NULL,
    invoice_id   uuid NOT NULL,
    customer_id  uuid NOT NULL,
    lines        integer NOT NULL CHECK (lines >= 1),
    cost         numeric(14, 2) NOT NULL,
    price        numeric(14, 2) NOT NULL,
    PRIMARY KEY (reseller_id, invoice_id, customer_id),
    FOREIGN KEY (reseller_id, invoice_id) REFERENCES invoices (reseller_id, id)
        DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (reseller_id, customer_id) REFERENCES customers (reseller_id, id)
);
-- The invoices issued before: from their lines.
INSERT INTO invoice_customers (reseller_id, invoice_id, customer_id, lines, cost, price)
SELECT reseller_id, invoice_id, customer_id, count(*), sum(cost), sum(price)
FROM invoice_lines GROUP BY reseller_id, invoice_id, customer_id;

ALTER TABLE invoice_customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoice_customers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invoice_customers USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY cross_tenant ON invoice_customers TO portal_system USING (portal_current_reseller() IS NULL) WITH CHECK (portal_current_reseller() IS NULL);
REVOKE UPDATE, DELETE ON invoice_customers FROM portal_app, portal_system;
GRANT SELECT, INSERT ON invoice_customers TO portal_app;
