-- Consumption (J7): the daily rated usage of consumption subscriptions (Azure plan, Google
-- Cloud), imported from the vendor once a day, rated by the price list (its cost) and the
-- reseller's markup (its price), and billed on the invoice of the month it falls in (or, when
-- it arrives after that month was billed, on the next one as an adjustment).
CREATE TABLE usage_records (
    reseller_id      uuid NOT NULL,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    subscription_id  uuid NOT NULL,
    customer_id      uuid NOT NULL,
    usage_date       date NOT NULL,
    meter_id         text NOT NULL CHECK (char_length(meter_id) BETWEEN 1 AND 100),
    meter_name       text NOT NULL CHECK (char_length(meter_name) BETWEEN 1 AND 200),
    category         text NOT NULL CHECK (char_length(category) <= 100),
    region           text NOT NULL CHECK (char_length(region) <= 60),
    unit             text NOT NULL CHECK (char_length(unit) <= 40),
    quantity         numeric(20, 6) NOT NULL CHECK (quantity >= 0),
    -- Per unit: what the distributor bills the reseller, and the reseller's price (markup).
    unit_cost        numeric(20, 8) NOT NULL CHECK (unit_cost >= 0),
    unit_price       numeric(20, 8) NOT NULL CHECK (unit_price >= 0),
    -- The invoice that billed it; none until billed.
    invoice_id       uuid,
    imported_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    -- A day imported twice counts once.
    UNIQUE (reseller_id, subscription_id, usage_date, meter_id),
    FOREIGN KEY (reseller_id, subscription_id) REFERENCES subscriptions (reseller_id, id),
    FOREIGN KEY (reseller_id, customer_id) REFERENCES customers (reseller_id, id)
);
CREATE INDEX usage_records_unbilled ON usage_records (reseller_id, usage_date)
    WHERE invoice_id IS NULL;
CREATE INDEX usage_records_invoice ON usage_records (reseller_id, invoice_id, subscription_id, meter_id);
CREATE INDEX usage_records_subscription ON usage_records (reseller_id, subscription_id, usage_date);

-- Matched to subscriptions by the vendor's reference.
CREATE INDEX subscriptions_vendor_ref ON subscriptions (vendor_ref);

-- Usage the import could not bill: a subscription the portal does not know, or a quantity that
-- is no quantity. Kept aside for staff, never billed silently.
CREATE TABLE usage_unmatched (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vendor            text NOT NULL,
    subscription_ref  text NOT NULL,
    usage_date        date NOT NULL,
    meter_id          text NOT NULL,
    meter_name        text NOT NULL,
    unit              text NOT NULL,
    quantity          numeric NOT NULL,
    unit_cost         numeric NOT NULL,
    reason            text NOT NULL CHECK (reason IN ('no_subscription', 'quantity')),
    imported_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (vendor, subscription_ref, usage_date, meter_id)
);

-- Each vendor's import of each day: done once, with what it found.
CREATE TABLE usage_imports (
    vendor       text NOT NULL,
    usage_date   date NOT NULL,
    records      integer NOT NULL CHECK (records >= 0),
    unmatched    integer NOT NULL CHECK (unmatched >= 0),
    finished_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (vendor, usage_date)
);

-- Invoice lines for usage: one per subscription, meter and rate (and adjustment) on an invoice,
-- its quantity the sum of the month's records (a decimal), rounded once from their exact sum. A
-- record is billed once: the run marks it with its invoice.
ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_kind_check,
    ADD CONSTRAINT invoice_lines_kind_check CHECK (kind IN ('recurring', 'change', 'usage')),
    ALTER COLUMN quantity TYPE numeric(20, 6),
    ADD COLUMN meter_id text,
    ADD COLUMN meter_name text,
    ADD COLUMN unit text,
    ADD CONSTRAINT invoice_lines_meter CHECK ((kind = 'usage') = (meter_id IS NOT NULL));

ALTER TABLE usage_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_records FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_records USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY cross_tenant ON usage_records TO portal_system USING (portal_current_reseller() IS NULL) WITH CHECK (portal_current_reseller() IS NULL);
-- Staff only: the serving roles' tenants never read them.
REVOKE ALL ON usage_unmatched, usage_imports FROM portal_app;
GRANT SELECT, UPDATE (invoice_id) ON usage_records TO portal_app;
