-- Support tickets (J11): numbered CSCS-000001… from a sequence, a category from the handbook, an
-- optional link to one of the reseller's orders, subscriptions, invoices or customers, a due
-- date two business days after opening (in the reseller's time zone, skipping weekends and its
-- country's holidays), and a conversation of messages from both sides; staff's internal notes
-- are messages the reseller never reads.
CREATE SEQUENCE ticket_numbers;

CREATE TABLE tickets (
    reseller_id      uuid NOT NULL REFERENCES resellers (id),
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    number           bigint NOT NULL DEFAULT nextval('ticket_numbers'),
    category         text NOT NULL CHECK (category IN ('quote_prices', 'order_failed',
                         'platform_use', 'billing', 'public_id', 'training', 'other')),
    subject          text NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 200),
    status           text NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'waiting', 'solved', 'closed')),
    opened_by        uuid NOT NULL REFERENCES users (id),
    assignee_id      uuid REFERENCES users (id),
    order_id         uuid,
    subscription_id  uuid,
    invoice_id       uuid,
    customer_id      uuid,
    -- The business day it is due, and the moment that day ends in the reseller's time zone.
    due_on           date NOT NULL,
    due_at           timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    closed_at        timestamptz,
    PRIMARY KEY (reseller_id, id),
    CONSTRAINT tickets_number_key UNIQUE (number),
    -- At most one link.
    CHECK (num_nonnulls(order_id, subscription_id, invoice_id, customer_id) <= 1),
    FOREIGN KEY (reseller_id, order_id) REFERENCES orders (reseller_id, id),
    FOREIGN KEY (reseller_id, subscription_id) REFERENCES subscriptions (reseller_id, id),
    FOREIGN KEY (reseller_id, invoice_id) REFERENCES invoices (reseller_id, id),
    FOREIGN KEY (reseller_id, customer_id) REFERENCES customers (reseller_id, id)
);
-- The reseller's list (newest first) and staff's queue (by due moment, open ones).
CREATE INDEX tickets_reseller ON tickets (reseller_id, created_at DESC);
CREATE INDEX tickets_due ON tickets (due_at) WHERE status IN ('open', 'waiting');

CREATE TABLE ticket_messages (
    reseller_id  uuid NOT NULL,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    ticket_id    uuid NOT NULL,
    author_id    uuid NOT NULL REFERENCES users (id),
    from_staff   boolean NOT NULL,
    -- A staff note the reseller never reads.
    internal     boolean NOT NULL DEFAULT false,
    body         text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    CHECK (from_staff OR NOT internal),
    FOREIGN KEY (reseller_id, ticket_id) REFERENCES tickets (reseller_id, id)
);
CREATE INDEX ticket_messages_ticket ON ticket_messages (reseller_id, ticket_id, created_at);

SELECT portal_tenant_table('tickets');
SELECT portal_tenant_table('ticket_messages');
GRANT SELECT, INSERT, UPDATE ON tickets, ticket_messages TO portal_app;
GRANT USAGE ON SEQUENCE ticket_numbers TO portal_app;
