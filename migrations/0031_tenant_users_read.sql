-- A tenant's users as the vendor knows them (J6): users and licences made or removed outside the
-- portal (in the vendor's admin centre) are read back by a job, and the portal's copy follows.

-- When the tenant's users were last read from the vendor (none: never).
ALTER TABLE customer_tenants ADD COLUMN users_read_at timestamptz;

-- The seat rule of migration 0029, with one difference: a licence the vendor says is assigned
-- ('assigned' when inserted, read back from the vendor) is counted whatever the seats, since it
-- is so at the vendor; the pages then say there are more licences than seats. The portal's own
-- assignments are inserted 'assigning' and still need a free seat.
CREATE OR REPLACE FUNCTION portal_licence_seat() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.status = 'assigned' THEN
        UPDATE subscriptions s SET assigned = s.assigned + 1
        WHERE s.reseller_id = NEW.reseller_id AND s.id = NEW.subscription_id;
        RETURN NEW;
    END IF;
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
