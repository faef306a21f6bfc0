-- Configuring an order: vendor tenants created from the order with the customer data given to
-- the vendor, Google Workspace transfers with the customer's token, and the price (and its
-- currency) each cart line was quoted at, to show changes before the order is placed.

ALTER TABLE customer_tenants DROP CONSTRAINT customer_tenants_origin_check;
ALTER TABLE customer_tenants ADD CONSTRAINT customer_tenants_origin_check
    CHECK (origin IN ('linked', 'reserved', 'transfer'));
-- The company, contact and address the vendor was given when the tenant was created.
ALTER TABLE customer_tenants ADD COLUMN vendor_profile jsonb;

ALTER TABLE cart_lines ADD COLUMN transfer_token text CHECK (char_length(transfer_token) <= 100);
ALTER TABLE cart_lines ADD COLUMN quoted_cost numeric(14, 4);
ALTER TABLE cart_lines ADD COLUMN quoted_currency char(3);

ALTER TABLE order_lines ADD COLUMN transfer_token text;

CREATE INDEX orders_by_status ON orders (reseller_id, status, created_at DESC);
CREATE INDEX order_lines_order ON order_lines (reseller_id, order_id);

-- The orders list at scale: the vendors of an order on the order itself, and order lines
-- searchable by product name and SKU through a trigram index.
ALTER TABLE orders ADD COLUMN vendors text[] NOT NULL DEFAULT '{}';
UPDATE orders o SET vendors = ARRAY(
    SELECT DISTINCT l.vendor FROM order_lines l
    WHERE l.reseller_id = o.reseller_id AND l.order_id = o.id ORDER BY 1);
ALTER TABLE order_lines ADD COLUMN search_text text
    GENERATED ALWAYS AS (portal_fold(product_name || ' ' || sku)) STORED;
CREATE INDEX order_lines_search ON order_lines USING gin (reseller_id, search_text gin_trgm_ops);

-- The sandbox's side of Google Workspace transfers: the tokens customers generate in their
-- admin console, naming the reseller they move to.
CREATE TABLE sandbox_transfer_tokens (
    token               text PRIMARY KEY,
    domain              text NOT NULL,
    reseller_public_id  text NOT NULL,
    expires_at          timestamptz NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE sandbox_domains ADD COLUMN profile jsonb;

-- Tenants whose payment problem was solved at the vendor (the sandbox's "payment-declined"
-- injection stops for them), so a failed order can be retried to completion in demos.
CREATE TABLE sandbox_payment_fixed (
    domain      text PRIMARY KEY,
    fixed_at    timestamptz NOT NULL DEFAULT now()
);
