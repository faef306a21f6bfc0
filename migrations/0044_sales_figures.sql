-- The dashboard's and reports' figures (issue 19), kept rather than counted on every view: at a
-- million subscriptions, summing invoices or subscriptions per page view takes seconds.
--
-- Sales per month: what the month's invoice billed (licences: periods, changes and credits;
-- consumption: usage), or, for a month not yet invoiced, what its latest estimate would bill
-- (`estimate`). Written by the billing run in the transaction that issues the invoice, and by
-- the estimate job; a month's figures are replaced whole, so they always equal one invoice or
-- one estimate.
CREATE TABLE sales_months (
    reseller_id    uuid NOT NULL REFERENCES resellers (id),
    month          date NOT NULL CHECK (extract(day FROM month) = 1),
    estimate       boolean NOT NULL,
    currency       char(3) NOT NULL,
    licence_cost   numeric(16,2) NOT NULL,
    licence_price  numeric(16,2) NOT NULL,
    usage_cost     numeric(16,2) NOT NULL,
    usage_price    numeric(16,2) NOT NULL,
    customers      integer NOT NULL CHECK (customers >= 0),
    computed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, month)
);

-- The same, per end customer.
CREATE TABLE sales_by_customer (
    reseller_id    uuid NOT NULL,
    month          date NOT NULL,
    customer_id    uuid NOT NULL,
    licence_cost   numeric(16,2) NOT NULL,
    licence_price  numeric(16,2) NOT NULL,
    usage_cost     numeric(16,2) NOT NULL,
    usage_price    numeric(16,2) NOT NULL,
    PRIMARY KEY (reseller_id, month, customer_id),
    FOREIGN KEY (reseller_id, month) REFERENCES sales_months (reseller_id, month) ON DELETE CASCADE
);
-- The month's top customers, read from the top; one customer's months.
CREATE INDEX sales_by_customer_top
    ON sales_by_customer (reseller_id, month, (licence_price + usage_price) DESC, customer_id);
CREATE INDEX sales_by_customer_months ON sales_by_customer (reseller_id, customer_id, month);
-- A report's leading customers of a month, by what it measures (read from the top, not sorted).
CREATE INDEX sales_by_customer_licences
    ON sales_by_customer (reseller_id, month, licence_price DESC, customer_id);
CREATE INDEX sales_by_customer_usage
    ON sales_by_customer (reseller_id, month, usage_price DESC, customer_id);
CREATE INDEX sales_by_customer_margin
    ON sales_by_customer (reseller_id, month,
                          (licence_price + usage_price - licence_cost - usage_cost) DESC,
                          customer_id);

-- The same, per product (a staff credit has none).
CREATE TABLE sales_by_product (
    reseller_id    uuid NOT NULL,
    month          date NOT NULL,
    product_id     uuid REFERENCES products (id),
    licence_cost   numeric(16,2) NOT NULL,
    licence_price  numeric(16,2) NOT NULL,
    usage_cost     numeric(16,2) NOT NULL,
    usage_price    numeric(16,2) NOT NULL,
    quantity       numeric(20,6) NOT NULL,
    UNIQUE NULLS NOT DISTINCT (reseller_id, month, product_id),
    FOREIGN KEY (reseller_id, month) REFERENCES sales_months (reseller_id, month) ON DELETE CASCADE
);

-- What exists from invoices already issued.
INSERT INTO sales_months (reseller_id, month, estimate, currency, licence_cost, licence_price,
                          usage_cost, usage_price, customers, computed_at)
SELECT i.reseller_id, i.period, false, i.currency,
       coalesce(sum(l.cost) FILTER (WHERE l.kind <> 'usage'), 0),
       coalesce(sum(l.price) FILTER (WHERE l.kind <> 'usage'), 0),
       coalesce(sum(l.cost) FILTER (WHERE l.kind = 'usage'), 0),
       coalesce(sum(l.price) FILTER (WHERE l.kind = 'usage'), 0),
       count(DISTINCT l.customer_id), i.issued_at
FROM invoices i JOIN invoice_lines l ON l.reseller_id = i.reseller_id AND l.invoice_id = i.id
GROUP BY i.reseller_id, i.period, i.currency, i.issued_at;

INSERT INTO sales_by_customer (reseller_id, month, customer_id, licence_cost, licence_price,
                               usage_cost, usage_price)
SELECT i.reseller_id, i.period, l.customer_id,
       coalesce(sum(l.cost) FILTER (WHERE l.kind <> 'usage'), 0),
       coalesce(sum(l.price) FILTER (WHERE l.kind <> 'usage'), 0),
       coalesce(sum(l.cost) FILTER (WHERE l.kind = 'usage'), 0),
       coalesce(sum(l.price) FILTER (WHERE l.kind = 'usage'), 0)
FROM invoices i JOIN invoice_lines l ON l.reseller_id = i.reseller_id AND l.invoice_id = i.id
GROUP BY i.reseller_id, i.period, l.customer_id;

INSERT INTO sales_by_product (reseller_id, month, product_id, licence_cost, licence_price,
                              usage_cost, usage_price, quantity)
SELECT i.reseller_id, i.period, l.product_id,
       coalesce(sum(l.cost) FILTER (WHERE l.kind <> 'usage'), 0),
       coalesce(sum(l.price) FILTER (WHERE l.kind <> 'usage'), 0),
       coalesce(sum(l.cost) FILTER (WHERE l.kind = 'usage'), 0),
       coalesce(sum(l.price) FILTER (WHERE l.kind = 'usage'), 0),
       coalesce(sum(l.quantity) FILTER (WHERE l.kind = 'recurring'), 0)
FROM invoices i JOIN invoice_lines l ON l.reseller_id = i.reseller_id AND l.invoice_id = i.id
GROUP BY i.reseller_id, i.period, l.product_id;

-- The subscriptions' figures, in buckets by status, renewal and end date, kept by triggers in
-- the statement that changes a subscription (one update per statement, whatever its rows): the
-- active subscriptions and seats, the renewals of the next 30 days and their amount, the seats
-- not assigned, read from a few hundred buckets instead of a million subscriptions.
CREATE TABLE subscription_totals (
    reseller_id    uuid NOT NULL,
    status         text NOT NULL,
    auto_renew     boolean NOT NULL,
    end_date       date NOT NULL,
    subscriptions  bigint NOT NULL,
    seats          bigint NOT NULL,
    assigned       bigint NOT NULL,
    -- Seats × the price of one billing period.
    amount         numeric(20,2) NOT NULL,
    PRIMARY KEY (reseller_id, status, auto_renew, end_date)
);

INSERT INTO subscription_totals
SELECT reseller_id, status, auto_renew, end_date, count(*), sum(quantity), sum(assigned),
       sum(round(quantity * unit_price, 2))
FROM subscriptions GROUP BY reseller_id, status, auto_renew, end_date;

-- An update that changes none of a bucket's figures (most: a version, a pending change) writes
-- nothing: the rows before and after cancel out.
CREATE FUNCTION subscription_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO subscription_totals AS t
        SELECT reseller_id, status, auto_renew, end_date, count(*), sum(quantity),
               sum(assigned), sum(round(quantity * unit_price, 2))
        FROM new_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (reseller_id, status, auto_renew, end_date) DO UPDATE
        SET subscriptions = t.subscriptions + EXCLUDED.subscriptions,
            seats = t.seats + EXCLUDED.seats, assigned = t.assigned + EXCLUDED.assigned,
            amount = t.amount + EXCLUDED.amount;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO subscription_totals AS t
        SELECT reseller_id, status, auto_renew, end_date, -count(*), -sum(quantity),
               -sum(assigned), -sum(round(quantity * unit_price, 2))
        FROM old_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (reseller_id, status, auto_renew, end_date) DO UPDATE
        SET subscriptions = t.subscriptions + EXCLUDED.subscriptions,
            seats = t.seats + EXCLUDED.seats, assigned = t.assigned + EXCLUDED.assigned,
            amount = t.amount + EXCLUDED.amount;
    ELSE
        INSERT INTO subscription_totals AS t
        SELECT reseller_id, status, auto_renew, end_date, sum(n), sum(q), sum(a), sum(m)
        FROM (SELECT reseller_id, status, auto_renew, end_date, -1 AS n, -quantity AS q,
                     -assigned AS a, -round(quantity * unit_price, 2) AS m
              FROM old_rows
              UNION ALL
              SELECT reseller_id, status, auto_renew, end_date, 1, quantity, assigned,
                     round(quantity * unit_price, 2)
              FROM new_rows) d
        GROUP BY 1, 2, 3, 4
        HAVING sum(n) <> 0 OR sum(q) <> 0 OR sum(a) <> 0 OR sum(m) <> 0
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (reseller_id, status, auto_renew, end_date) DO UPDATE
        SET subscriptions = t.subscriptions + EXCLUDED.subscriptions,
            seats = t.seats + EXCLUDED.seats, assigned = t.assigned + EXCLUDED.assigned,
            amount = t.amount + EXCLUDED.amount;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER subscription_totals_insert AFTER INSERT ON subscriptions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION subscription_totals_add();
CREATE TRIGGER subscription_totals_update AFTER UPDATE ON subscriptions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION subscription_totals_add();
CREATE TRIGGER subscription_totals_delete AFTER DELETE ON subscriptions
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION subscription_totals_add();

-- Changes waiting for the vendor, oldest first (the dashboard's "pending for over an hour").
CREATE INDEX subscription_changes_pending ON subscription_changes (reseller_id, requested_at)
    WHERE status = 'pending';

-- The dashboard's active customers, counted from an index alone.
CREATE INDEX customers_active ON customers (reseller_id) WHERE status = 'active';

-- The staff console's figures across resellers: orders of the day, failed orders.
CREATE INDEX orders_created ON orders (created_at);
CREATE INDEX orders_failed ON orders (created_at) WHERE status = 'failed';

-- The latest change decided (an estimate made before it is out of date).
CREATE INDEX subscription_changes_decided ON subscription_changes (reseller_id, decided_at)
    WHERE status = 'applied';

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['sales_months', 'sales_by_customer', 'sales_by_product',
                             'subscription_totals'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller())', t);
        EXECUTE format('CREATE POLICY cross_tenant ON %I TO portal_system USING (portal_current_reseller() IS NULL) WITH CHECK (portal_current_reseller() IS NULL)', t);
    END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON sales_months, sales_by_customer, sales_by_product TO portal_app;
GRANT SELECT, INSERT, UPDATE ON subscription_totals TO portal_app;
