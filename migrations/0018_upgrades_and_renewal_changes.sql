-- Upgrades now, and changes scheduled for renewal (J6): a subscription can move along the
-- catalog's upgrade paths at once (keeping its id and term end, at the new product's price), or
-- schedule a product (a downgrade included) and a quantity for its renewal.
ALTER TABLE subscriptions
    ADD COLUMN next_product_id uuid REFERENCES products (id),
    ADD COLUMN next_quantity   integer CHECK (next_quantity >= 1),
    ADD CONSTRAINT subscriptions_next_check CHECK ((next_product_id IS NULL) = (next_quantity IS NULL));

ALTER TABLE subscription_changes
    DROP CONSTRAINT subscription_changes_kind_check,
    ADD CONSTRAINT subscription_changes_kind_check
        CHECK (kind IN ('purchase', 'add_seats', 'remove_seats', 'auto_renew', 'suspend',
                        'reactivate', 'cancel', 'upgrade', 'schedule', 'unschedule', 'renewal')),
    -- An upgrade's product and its price; a schedule's product and quantity for renewal.
    ADD COLUMN product_after    uuid REFERENCES products (id),
    ADD COLUMN unit_price_after numeric(14, 4),
    ADD COLUMN unit_cost_after  numeric(14, 4),
    ADD COLUMN next_quantity    integer;

ALTER TABLE sandbox_subscriptions
    ADD COLUMN next_sku text,
    ADD COLUMN next_quantity integer;
