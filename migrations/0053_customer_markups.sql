-- A customer's own markup over the reseller's default, from a day on: the newest row whose day
-- has come applies to what is priced for the customer (the cart, its order), a row for a later
-- day waits its turn, and a row without a markup goes back to the reseller's default. Rows are
-- kept: they are the customer's pricing history. Prices already ordered keep the markup they
-- were ordered at (subscriptions carry their own price).
CREATE TABLE customer_markups (
    reseller_id     uuid NOT NULL,
    customer_id     uuid NOT NULL,
    valid_from      date NOT NULL,
    markup_percent  numeric(6, 2) CHECK (markup_percent BETWEEN 0 AND 500),
    created_by      uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, customer_id, valid_from),
    FOREIGN KEY (reseller_id, customer_id) REFERENCES customers (reseller_id, id),
    FOREIGN KEY (reseller_id, created_by) REFERENCES users (reseller_id, id)
);

SELECT portal_tenant_table('customer_markups');
GRANT SELECT, INSERT, UPDATE ON customer_markups TO portal_app;
