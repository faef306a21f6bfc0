-- Users and licences in customers' tenants (J6, "Users and licenses"): the portal's copy of a
-- tenant's users as the vendor knows them, the licences assigned to them, and every change sent
-- to the vendor through the job queue (pending, then applied or failed).

-- Licences held (assigned, or being assigned) on the subscription: kept by the trigger below,
-- never written by hand.
ALTER TABLE subscriptions ADD COLUMN assigned integer NOT NULL DEFAULT 0 CHECK (assigned >= 0);

CREATE TABLE tenant_users (
    reseller_id     uuid NOT NULL,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    tenant_id       uuid NOT NULL,
    -- The sign-in name within one of the tenant's domains (ana@contoso.onmicrosoft.com).
    user_name       citext NOT NULL CHECK (char_length(user_name) BETWEEN 3 AND 254),
    display_name    text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 120),
    usage_location  char(2) NOT NULL CHECK (usage_location ~ '^[A-Z]{2}$'),
    -- 'creating' until the vendor made it; 'failed' when it refused (the change says why).
    status          text NOT NULL DEFAULT 'creating'
                    CHECK (status IN ('creating', 'active', 'blocked', 'failed')),
    vendor_ref      text CHECK (char_length(vendor_ref) <= 128),
    -- The change waiting for the vendor's answer: one at a time per user.
    pending_change  uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, tenant_id) REFERENCES customer_tenants (reseller_id, id),
    CONSTRAINT tenant_users_name_key UNIQUE (reseller_id, tenant_id, user_name)
);
CREATE INDEX tenant_users_by_name ON tenant_users (reseller_id, tenant_id, display_name, id);

-- A licence of a subscription assigned to a user. A row holds a seat from the moment it is asked
-- for ('assigning') until its removal is applied (the row is then deleted).
CREATE TABLE licence_assignments (
    reseller_id      uuid NOT NULL,
    subscription_id  uuid NOT NULL,
    tenant_user_id   uuid NOT NULL,
    status           text NOT NULL DEFAULT 'assigning'
                     CHECK (status IN ('assigning', 'assigned', 'removing')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, subscription_id, tenant_user_id),
    FOREIGN KEY (reseller_id, subscription_id) REFERENCES subscriptions (reseller_id, id),
    FOREIGN KEY (reseller_id, tenant_user_id) REFERENCES tenant_users (reseller_id, id)
);
CREATE INDEX licence_assignments_user ON licence_assignments (reseller_id, tenant_user_id);

-- Never more licences than seats, decided here: an assignment takes a seat by updating the
-- subscription's count only while one is free (the row lock makes two assignments at once wait
-- for each other, and the second sees the first's count). While a seat reduction waits for the
-- vendor, the seats after it are the limit.
CREATE FUNCTION portal_licence_seat() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE subscriptions s SET assigned = s.assigned + 1
        WHERE s.reseller_id = NEW.reseller_id AND s.id = NEW.subscription_id
          AND s.assigned < s.quantity
          AND s.assigned < coalesce(
              (SELECT c.seats_after FROM subscription_changes c
               WHERE c.reseller_id = s.reseller_id AND c.id = s.pending_change
                 AND c.kind = 'remove_seats'),
              s.quantity);
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no free seat on subscription %', NEW.subscription_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'licence_assignments_within_seats';
        END IF;
        RETURN NEW;
    END IF;
    UPDATE subscriptions s SET assigned = greatest(s.assigned - 1, 0)
    WHERE s.reseller_id = OLD.reseller_id AND s.id = OLD.subscription_id;
    RETURN OLD;
END
$$;
CREATE TRIGGER licence_assignments_seat
    BEFORE INSERT OR DELETE ON licence_assignments
    FOR EACH ROW EXECUTE FUNCTION portal_licence_seat();

-- Every change of a tenant's users and licences, one vendor call each.
CREATE TABLE licence_changes (
    reseller_id      uuid NOT NULL,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    tenant_id        uuid NOT NULL,
    tenant_user_id   uuid NOT NULL,
    subscription_id  uuid,
    kind             text NOT NULL CHECK (kind IN ('create_user', 'block', 'unblock', 'delete_user',
                                                   'assign', 'unassign')),
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'failed')),
    -- The vendor's reason for a refusal (vendor_error.<code>).
    error            text,
    -- A new user's temporary password, sealed with the installation's key until it is shown
    -- once, then erased.
    secret           bytea,
    actor_id         uuid,
    requested_at     timestamptz NOT NULL DEFAULT now(),
    decided_at       timestamptz,
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, tenant_id) REFERENCES customer_tenants (reseller_id, id),
    FOREIGN KEY (reseller_id, subscription_id) REFERENCES subscriptions (reseller_id, id)
);
CREATE INDEX licence_changes_user ON licence_changes (reseller_id, tenant_user_id, requested_at DESC);
CREATE INDEX licence_changes_subscription
    ON licence_changes (reseller_id, subscription_id, requested_at DESC)
    WHERE subscription_id IS NOT NULL;

ALTER TABLE tenant_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE licence_assignments ENABLE ROW LEVEL SECURITY;
ALTER TABLE licence_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_users FORCE ROW LEVEL SECURITY;
ALTER TABLE licence_assignments FORCE ROW LEVEL SECURITY;
ALTER TABLE licence_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_users USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY tenant_isolation ON licence_assignments USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY tenant_isolation ON licence_changes USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY cross_tenant ON tenant_users TO portal_system USING (portal_current_reseller() IS NULL) WITH CHECK (portal_current_reseller() IS NULL);
CREATE POLICY cross_tenant ON licence_assignments TO portal_system USING (portal_current_reseller() IS NULL) WITH CHECK (portal_current_reseller() IS NULL);
CREATE POLICY cross_tenant ON licence_changes TO portal_system USING (portal_current_reseller() IS NULL) WITH CHECK (portal_current_reseller() IS NULL);
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_users, licence_assignments, licence_changes TO portal_app;

-- The vendor sandbox's users and licences (it plays the vendor: outside tenant RLS, reached
-- only through the vendor interface). A user name is unique in its tenant; a licence needs a
-- free seat of the subscription.
CREATE TABLE sandbox_tenant_users (
    vendor          text NOT NULL,
    tenant_ref      text NOT NULL,
    user_name       citext NOT NULL,
    display_name    text NOT NULL,
    usage_location  char(2) NOT NULL,
    blocked         boolean NOT NULL DEFAULT false,
    -- The portal's request that created it: asking again answers the same user.
    request_key     text NOT NULL UNIQUE,
    vendor_ref      text NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (vendor, tenant_ref, user_name)
);
CREATE TABLE sandbox_licences (
    subscription_ref  text NOT NULL,
    user_ref          text NOT NULL REFERENCES sandbox_tenant_users (vendor_ref) ON DELETE CASCADE,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscription_ref, user_ref)
);
-- The user changes the sandbox applied (asking again with the same key applies once).
CREATE TABLE sandbox_user_changes (
    request_key  text PRIMARY KEY,
    user_ref     text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
