-- The seat rule of migrations 0029 and 0031, counted once per statement instead of once per row:
-- a file of thousands of licences (or a tenant read back from the vendor) updated the same
-- subscription row once per licence, each update slower than the last (measured: 5,000 licences
-- took 1.6 s; docs/performance/licences.md). Same rule: a licence asked for by the portal
-- ('assigning') needs a free seat, below the seats a pending reduction leaves, decided under the
-- subscription's row lock (two statements at once wait for each other, and the second sees the
-- first's count); a licence the vendor says is assigned ('assigned') is counted whatever the seats.
DROP TRIGGER licence_assignments_seat ON licence_assignments;
DROP FUNCTION portal_licence_seat();

CREATE FUNCTION portal_licence_seats_taken() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE subscriptions s SET assigned = s.assigned + n.taken
    FROM (SELECT reseller_id, subscription_id, count(*) AS taken FROM taken
          GROUP BY reseller_id, subscription_id) n
    WHERE s.reseller_id = n.reseller_id AND s.id = n.subscription_id;
    IF EXISTS (
        SELECT 1 FROM subscriptions s
        JOIN (SELECT DISTINCT reseller_id, subscription_id FROM taken WHERE status <> 'assigned') n
          ON s.reseller_id = n.reseller_id AND s.id = n.subscription_id
        WHERE s.assigned > least(s.quantity, coalesce(
            (SELECT c.seats_after FROM subscription_changes c
             WHERE c.reseller_id = s.reseller_id AND c.id = s.pending_change
               AND c.kind = 'remove_seats'),
            s.quantity))) THEN
        RAISE EXCEPTION 'no free seat for the licences asked'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'licence_assignments_within_seats';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER licence_assignments_taken
    AFTER INSERT ON licence_assignments REFERENCING NEW TABLE AS taken
    FOR EACH STATEMENT EXECUTE FUNCTION portal_licence_seats_taken();

CREATE FUNCTION portal_licence_seats_freed() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE subscriptions s SET assigned = greatest(s.assigned - n.freed, 0)
    FROM (SELECT reseller_id, subscription_id, count(*) AS freed FROM freed
          GROUP BY reseller_id, subscription_id) n
    WHERE s.reseller_id = n.reseller_id AND s.id = n.subscription_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER licence_assignments_freed
    AFTER DELETE ON licence_assignments REFERENCING OLD TABLE AS freed
    FOR EACH STATEMENT EXECUTE FUNCTION portal_licence_seats_freed();
