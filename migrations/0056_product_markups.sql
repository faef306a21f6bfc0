-- A reseller's own markup for one product over its default, from a day on (set on the pricing
-- page): the newest row whose day has come prices the product for every customer without a
-- markup of its own (a customer's markup comes first); a row without a markup goes back to the
-- default. Rows are kept as the product's pricing history; what was ordered keeps its price.
CREATE TABLE product_markups (
    reseller_id     uuid NOT NULL REFERENCES resellers (id),
    product_id      uuid NOT NULL REFERENCES products (id),
    valid_from      date NOT NULL,
    markup_percent  numeric(6, 2) CHECK (markup_percent BETWEEN 0 AND 500),
    created_by      uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, product_id, valid_from),
    FOREIGN KEY (reseller_id, created_by) REFERENCES users (reseller_id, id)
);

SELECT portal_tenant_table('product_markups');
GRANT SELECT, INSERT, UPDATE ON product_markups TO portal_app;
