-- Billing (J7): invoices from what really happened.
--
-- A subscription's history now tells every term it had, so that a month's charges can be told
-- from it alone: a purchase, a renewal and a change of term record the term they start (its
-- first and last day, billing frequency, product, seats, price and cost); and each change
-- records its cost (what the distributor bills the reseller for it) beside its amount (the
-- reseller's price), both prorated by the same rule when the change was previewed.
ALTER TABLE subscription_changes
    ADD COLUMN cost numeric(14, 2) NOT NULL DEFAULT 0,
    ADD COLUMN start_after date;

-- What was recorded before: the cost in proportion to the amount, and a purchase's term from its
-- subscription (exact while it never renewed; from its first day on otherwise).
UPDATE subscription_changes c
   SET cost = round(c.amount * s.unit_cost / s.unit_price, 2)
  FROM subscriptions s
 WHERE s.reseller_id = c.reseller_id AND s.id = c.subscription_id
   AND c.amount <> 0 AND s.unit_price > 0;
UPDATE subscription_changes c
   SET start_after = CASE WHEN moved THEN s.created_at::date ELSE s.start_date END,
       end_after = CASE WHEN moved
                        THEN s.created_at::date + CASE s.term WHEN 'P1M' THEN interval '1 month'
                                                              WHEN 'P3Y' THEN interval '36 months'
                                                              ELSE interval '12 months' END
                        ELSE s.end_date END,
       term_after = s.term, billing_after = s.billing, product_after = s.product_id,
       unit_price_after = s.unit_price, unit_cost_after = s.unit_cost
  FROM (SELECT s.*, EXISTS (SELECT 1 FROM subscription_changes m
                             WHERE m.reseller_id = s.reseller_id AND m.subscription_id = s.id
                               AND m.kind IN ('renewal', 'term') AND m.status = 'applied') AS moved
          FROM subscriptions s) s
 WHERE s.reseller_id = c.reseller_id AND s.id = c.subscription_id AND c.kind = 'purchase';
UPDATE subscription_changes c
   SET start_after = coalesce(c.start_after, c.decided_at::date)
 WHERE c.kind = 'term';

-- An invoice: what the distributor bills one reseller for one calendar month (UTC), in the
-- reseller's billing currency, issued once by the billing run and never changed after
-- (corrected only by a credit note). Its amounts are the reseller's cost; `resale` is what the
-- reseller charges its customers for the same lines (its price, with its markup).
CREATE TABLE invoices (
    reseller_id  uuid NOT NULL REFERENCES resellers (id),
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    -- The first day of the month billed.
    period       date NOT NULL CHECK (extract(day FROM period) = 1),
    number       text NOT NULL UNIQUE,
    status       text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued')),
    currency     char(3) NOT NULL,
    subtotal     numeric(14, 2) NOT NULL,
    tax          numeric(14, 2) NOT NULL DEFAULT 0,
    total        numeric(14, 2) NOT NULL,
    resale       numeric(14, 2) NOT NULL,
    lines        integer NOT NULL CHECK (lines >= 0),
    issued_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    -- One invoice per reseller and month: running a month twice bills once.
    UNIQUE (reseller_id, period),
    CHECK (total = subtotal + tax)
);
CREATE INDEX invoices_newest ON invoices (reseller_id, period DESC);

-- A line, and what caused it: a billing period of a subscription (`recurring`) or a change of
-- it (`change`: seats added or reduced, an upgrade, a cancellation, a new term; prorated by
-- day when it was made). A line is billed once whatever the runs: a subscription's period and a
-- change each have one line at most (the unique indexes below).
CREATE TABLE invoice_lines (
    reseller_id      uuid NOT NULL,
    invoice_id       uuid NOT NULL,
    line_no          integer NOT NULL CHECK (line_no >= 1),
    kind             text NOT NULL CHECK (kind IN ('recurring', 'change')),
    customer_id      uuid NOT NULL,
    subscription_id  uuid NOT NULL,
    change_id        uuid,
    product_id       uuid NOT NULL REFERENCES products (id),
    -- The charge's period: its first day and the day after its last.
    charge_start     date NOT NULL,
    charge_end       date NOT NULL CHECK (charge_end >= charge_start),
    quantity         integer NOT NULL,
    unit_cost        numeric(20, 8) NOT NULL,
    unit_price       numeric(20, 8) NOT NULL,
    -- Rounded once to the cent (decision 0019).
    cost             numeric(14, 2) NOT NULL,
    price            numeric(14, 2) NOT NULL,
    -- Caused in a month already invoiced (a late change): billed here as an adjustment.
    adjustment       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (reseller_id, invoice_id, line_no),
    -- Checked at commit: a run writes the lines, then the invoice with their totals.
    FOREIGN KEY (reseller_id, invoice_id) REFERENCES invoices (reseller_id, id)
        DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (reseller_id, customer_id) REFERENCES customers (reseller_id, id),
    FOREIGN KEY (reseller_id, subscription_id) REFERENCES subscriptions (reseller_id, id),
    FOREIGN KEY (reseller_id, change_id) REFERENCES subscription_changes (reseller_id, id),
    CHECK ((kind = 'change') = (change_id IS NOT NULL))
);
CREATE UNIQUE INDEX invoice_lines_period ON invoice_lines (reseller_id, subscription_id, charge_start)
    WHERE kind = 'recurring';
CREATE UNIQUE INDEX invoice_lines_change ON invoice_lines (reseller_id, change_id)
    WHERE change_id IS NOT NULL;
CREATE INDEX invoice_lines_customer ON invoice_lines (reseller_id, invoice_id, customer_id, line_no);
CREATE INDEX invoice_lines_subscription ON invoice_lines (reseller_id, subscription_id);

-- Invoice numbers: one gapless counter per year (a row updated in the issuing transaction, so a
-- run rolled back leaves no hole, unlike a sequence).
CREATE TABLE invoice_numbers (
    year  integer PRIMARY KEY,
    last  bigint NOT NULL CHECK (last >= 0)
);

ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invoices USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY cross_tenant ON invoices TO portal_system USING (portal_current_reseller() IS NULL) WITH CHECK (portal_current_reseller() IS NULL);
ALTER TABLE invoice_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoice_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invoice_lines USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY cross_tenant ON invoice_lines TO portal_system USING (portal_current_reseller() IS NULL) WITH CHECK (portal_current_reseller() IS NULL);
-- Issued invoices are never changed nor deleted by the portal's roles.
REVOKE UPDATE, DELETE ON invoices, invoice_lines FROM portal_app, portal_system;
GRANT SELECT, INSERT ON invoices, invoice_lines TO portal_app;
GRANT SELECT, INSERT, UPDATE ON invoice_numbers TO portal_app;
