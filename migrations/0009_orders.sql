-- Carts, orders (placed once per cart), their status timeline, and the subscriptions that
-- completed order lines become.

CREATE TABLE carts (
    reseller_id  uuid NOT NULL REFERENCES resellers (id),
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL,
    customer_id  uuid NOT NULL,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'ordered')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, user_id) REFERENCES users (reseller_id, id),
    FOREIGN KEY (reseller_id, customer_id) REFERENCES customers (reseller_id, id)
);
-- One open cart per user and customer.
CREATE UNIQUE INDEX carts_open ON carts (reseller_id, user_id, customer_id) WHERE status = 'open';

CREATE TABLE cart_lines (
    reseller_id  uuid NOT NULL,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    cart_id      uuid NOT NULL,
    product_id   uuid NOT NULL REFERENCES products (id),
    term         text NOT NULL CHECK (term IN ('P1M', 'P1Y', 'P3Y')),
    billing      text NOT NULL CHECK (billing IN ('monthly', 'annual', 'triennial')),
    quantity     integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000000),
    tenant_id    uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, cart_id) REFERENCES carts (reseller_id, id) ON DELETE CASCADE,
    FOREIGN KEY (reseller_id, tenant_id) REFERENCES customer_tenants (reseller_id, id)
);

CREATE SEQUENCE order_numbers START 1001;

CREATE TABLE orders (
    reseller_id   uuid NOT NULL REFERENCES resellers (id),
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    number        bigint NOT NULL DEFAULT nextval('order_numbers') UNIQUE,
    -- The idempotency key: one order per cart, whatever the retries.
    cart_id       uuid NOT NULL,
    customer_id   uuid NOT NULL,
    placed_by     uuid NOT NULL,
    status        text NOT NULL DEFAULT 'submitted'
                  CHECK (status IN ('submitted', 'provisioning', 'completed', 'failed', 'rejected')),
    currency      char(3) NOT NULL,
    total_cost    numeric(14, 2) NOT NULL,
    total_price   numeric(14, 2) NOT NULL,
    reason        text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    CONSTRAINT orders_cart_key UNIQUE (reseller_id, cart_id),
    FOREIGN KEY (reseller_id, customer_id) REFERENCES customers (reseller_id, id),
    FOREIGN KEY (reseller_id, placed_by) REFERENCES users (reseller_id, id)
);
CREATE INDEX orders_by_created ON orders (reseller_id, created_at DESC, id DESC);
CREATE INDEX orders_customer ON orders (reseller_id, customer_id);

CREATE TABLE order_lines (
    reseller_id   uuid NOT NULL,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    order_id      uuid NOT NULL,
    product_id    uuid NOT NULL REFERENCES products (id),
    sku           text NOT NULL,
    product_name  text NOT NULL,
    vendor        text NOT NULL,
    term          text NOT NULL,
    billing       text NOT NULL,
    quantity      integer NOT NULL CHECK (quantity >= 1),
    unit_cost     numeric(14, 4) NOT NULL,
    unit_price    numeric(14, 4) NOT NULL,
    tenant_domain text NOT NULL,
    tenant_ref    text NOT NULL,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed', 'failed')),
    error         text,
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, order_id) REFERENCES orders (reseller_id, id)
);

CREATE TABLE order_events (
    reseller_id  uuid NOT NULL,
    id           bigint GENERATED ALWAYS AS IDENTITY,
    order_id     uuid NOT NULL,
    status       text NOT NULL,
    detail       text,
    actor_id     uuid,
    actor_label  text,
    at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, order_id) REFERENCES orders (reseller_id, id)
);
CREATE INDEX order_events_order ON order_events (reseller_id, order_id, at);

CREATE TABLE subscriptions (
    reseller_id    uuid NOT NULL,
    id             uuid NOT NULL DEFAULT gen_random_uuid(),
    customer_id    uuid NOT NULL,
    product_id     uuid NOT NULL REFERENCES products (id),
    order_line_id  uuid NOT NULL,
    quantity       integer NOT NULL CHECK (quantity >= 1),
    term           text NOT NULL,
    billing        text NOT NULL,
    start_date     date NOT NULL,
    end_date       date NOT NULL,
    auto_renew     boolean NOT NULL DEFAULT true,
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'cancelled')),
    vendor_ref     text NOT NULL,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    CONSTRAINT subscriptions_line_key UNIQUE (reseller_id, order_line_id),
    FOREIGN KEY (reseller_id, customer_id) REFERENCES customers (reseller_id, id),
    FOREIGN KEY (reseller_id, order_line_id) REFERENCES order_lines (reseller_id, id)
);
CREATE INDEX subscriptions_customer ON subscriptions (reseller_id, customer_id);

ALTER TABLE carts ENABLE ROW LEVEL SECURITY;
ALTER TABLE cart_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE order_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE order_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscriptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON carts USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY tenant_isolation ON cart_lines USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY tenant_isolation ON orders USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY tenant_isolation ON order_lines USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY tenant_isolation ON order_events USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY tenant_isolation ON subscriptions USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
GRANT USAGE ON SEQUENCE order_numbers TO portal_app;

-- The sandbox's subscriptions (the vendor's side).
CREATE TABLE sandbox_subscriptions (
    vendor_ref   text PRIMARY KEY,
    vendor       text NOT NULL,
    tenant_ref   text NOT NULL,
    sku          text NOT NULL,
    quantity     integer NOT NULL,
    -- The order line it was created for: asking twice answers the same subscription.
    request_key  text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- How often the sandbox was asked for a request (to fail the first attempt of a "flaky" one).
CREATE TABLE sandbox_attempts (
    request_key  text PRIMARY KEY,
    attempts     integer NOT NULL DEFAULT 0
);
