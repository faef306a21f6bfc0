-- Managing subscriptions (J6): what a subscription was bought at, its seat batches (each with
-- the cancellation window of the seats it added), and its history of changes, each sent to the
-- vendor through the job queue and applied only once the vendor accepted it.

ALTER TABLE subscriptions
    ADD COLUMN vendor         text,
    ADD COLUMN tenant_domain  text,
    ADD COLUMN unit_price     numeric(14, 4),
    ADD COLUMN unit_cost      numeric(14, 4),
    ADD COLUMN currency       char(3),
    -- The change waiting for the vendor's answer: one at a time.
    ADD COLUMN pending_change uuid;

UPDATE subscriptions s
SET vendor = l.vendor, tenant_domain = l.tenant_domain, unit_price = l.unit_price,
    unit_cost = l.unit_cost, currency = o.currency
FROM order_lines l JOIN orders o ON o.reseller_id = l.reseller_id AND o.id = l.order_id
WHERE l.reseller_id = s.reseller_id AND l.id = s.order_line_id;

ALTER TABLE subscriptions
    ALTER COLUMN vendor SET NOT NULL,
    ALTER COLUMN tenant_domain SET NOT NULL,
    ALTER COLUMN unit_price SET NOT NULL,
    ALTER COLUMN unit_cost SET NOT NULL,
    ALTER COLUMN currency SET NOT NULL,
    ADD CONSTRAINT subscriptions_vendor_check CHECK (vendor IN ('microsoft', 'google')),
    DROP CONSTRAINT subscriptions_status_check,
    ADD CONSTRAINT subscriptions_status_check
        CHECK (status IN ('active', 'suspended', 'cancelled', 'expired'));

-- Seats added together (the purchase, a mid-term addition, a renewal). `quantity` is what is
-- left of the `added` seats after reductions. Microsoft lets a batch be reduced until its
-- window closes, 168 hours after it was added; Google has no such window (NULL).
CREATE TABLE seat_batches (
    reseller_id       uuid NOT NULL,
    id                uuid NOT NULL DEFAULT gen_random_uuid(),
    subscription_id   uuid NOT NULL,
    added             integer NOT NULL CHECK (added >= 1),
    quantity          integer NOT NULL CHECK (quantity BETWEEN 0 AND added),
    added_at          timestamptz NOT NULL,
    window_closes_at  timestamptz,
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, subscription_id) REFERENCES subscriptions (reseller_id, id)
);
CREATE INDEX seat_batches_subscription ON seat_batches (reseller_id, subscription_id, added_at);

-- Every change of a subscription: who asked, when, what, its money effect (a charge when
-- positive, a refund when negative, in the subscription's currency), and the vendor's answer.
CREATE TABLE subscription_changes (
    reseller_id      uuid NOT NULL,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    subscription_id  uuid NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('purchase', 'add_seats', 'remove_seats', 'auto_renew')),
    seats_before     integer NOT NULL,
    seats_after      integer NOT NULL CHECK (seats_after >= 1),
    -- The batch a reduction takes seats from.
    batch_id         uuid,
    auto_renew       boolean,
    amount           numeric(14, 2) NOT NULL DEFAULT 0,
    currency         char(3) NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'failed')),
    -- The vendor's reason for a refusal (vendor_error.<code>).
    error            text,
    actor_id         uuid,
    actor_label      text,
    requested_at     timestamptz NOT NULL DEFAULT now(),
    decided_at       timestamptz,
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, subscription_id) REFERENCES subscriptions (reseller_id, id),
    FOREIGN KEY (reseller_id, batch_id) REFERENCES seat_batches (reseller_id, id)
);
CREATE INDEX subscription_changes_subscription
    ON subscription_changes (reseller_id, subscription_id, requested_at DESC);

-- What exists already: one batch per subscription (its purchase), and the purchase in its
-- history.
INSERT INTO seat_batches (reseller_id, subscription_id, added, quantity, added_at, window_closes_at)
SELECT reseller_id, id, quantity, quantity, created_at,
       CASE WHEN vendor = 'microsoft' THEN created_at + interval '168 hours' END
FROM subscriptions;
INSERT INTO subscription_changes (reseller_id, subscription_id, kind, seats_before, seats_after,
                                  amount, currency, status, actor_label, requested_at, decided_at)
SELECT reseller_id, id, 'purchase', 0, quantity, 0, currency, 'applied', 'system', created_at, created_at
FROM subscriptions;

ALTER TABLE seat_batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscription_changes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON seat_batches USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY tenant_isolation ON subscription_changes USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());

-- The vendor's side: the seats it knows were added when (to refuse a reduction after the
-- window, as the real API does), the renewal setting, and the changes asked (asking twice with
-- one key applies once).
ALTER TABLE sandbox_subscriptions
    ADD COLUMN auto_renew boolean NOT NULL DEFAULT true,
    ADD COLUMN term text NOT NULL DEFAULT 'P1Y';
CREATE TABLE sandbox_seat_batches (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vendor_ref  text NOT NULL REFERENCES sandbox_subscriptions (vendor_ref),
    quantity    integer NOT NULL CHECK (quantity >= 0),
    added_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sandbox_seat_batches_subscription ON sandbox_seat_batches (vendor_ref, added_at);
INSERT INTO sandbox_seat_batches (vendor_ref, quantity, added_at)
SELECT vendor_ref, quantity, created_at FROM sandbox_subscriptions;
CREATE TABLE sandbox_changes (
    request_key  text PRIMARY KEY,
    vendor_ref   text NOT NULL REFERENCES sandbox_subscriptions (vendor_ref),
    created_at   timestamptz NOT NULL DEFAULT now()
);
