-- One-off credits (J7, staff): an amount the distributor credits a reseller for one of its
-- customers, with the reason, billed as a negative line on the reseller's next invoice.
CREATE TABLE billing_credits (
    reseller_id  uuid NOT NULL REFERENCES resellers (id),
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    customer_id  uuid NOT NULL,
    amount       numeric(14, 2) NOT NULL CHECK (amount > 0 AND amount <= 1000000),
    reason       text NOT NULL CHECK (char_length(reason) BETWEEN 3 AND 500),
    staff_id     uuid NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- The invoice that billed it; none until billed.
    invoice_id   uuid,
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, customer_id) REFERENCES customers (reseller_id, id)
);
CREATE INDEX billing_credits_unbilled ON billing_credits (reseller_id, created_at)
    WHERE invoice_id IS NULL;
CREATE INDEX billing_credits_newest ON billing_credits (created_at DESC);

-- Credit lines: no subscription or product, the credit they bill.
ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_kind_check,
    ADD CONSTRAINT invoice_lines_kind_check
        CHECK (kind IN ('recurring', 'change', 'usage', 'credit')),
    ALTER COLUMN subscription_id DROP NOT NULL,
    ALTER COLUMN product_id DROP NOT NULL,
    ADD COLUMN credit_id uuid,
    ADD COLUMN reason text,
    ADD CONSTRAINT invoice_lines_credit FOREIGN KEY (reseller_id, credit_id)
        REFERENCES billing_credits (reseller_id, id),
    ADD CONSTRAINT invoice_lines_credit_kind CHECK ((kind = 'credit') = (credit_id IS NOT NULL)),
    ADD CONSTRAINT invoice_lines_subscription_kind
        CHECK (kind = 'credit' OR (subscription_id IS NOT NULL AND product_id IS NOT NULL));
CREATE UNIQUE INDEX invoice_lines_credit_once ON invoice_lines (reseller_id, credit_id)
    WHERE credit_id IS NOT NULL;

ALTER TABLE billing_credits ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_credits FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_credits USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY cross_tenant ON billing_credits TO portal_system USING (portal_current_reseller() IS NULL) WITH CHECK (portal_current_reseller() IS NULL);
GRANT SELECT, UPDATE (invoice_id) ON billing_credits TO portal_app;
