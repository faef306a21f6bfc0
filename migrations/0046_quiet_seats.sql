-- Seats unassigned for 30 days (the dashboard's "needs attention", the subscriptions list's
-- filter, the subscription page's advice). A subscription is quiet since its seats or licences
-- last changed: when it was created, when seats were last added, when a licence was last asked
-- for or removed. The lists computed that moment from the batches and licence changes of each
-- row shown; it is now kept on the subscription by triggers on those two tables, and the free
-- seats of the active subscriptions are kept in buckets by the day they have been quiet since,
-- as subscription_totals keeps its figures, so the dashboard sums a few hundred rows.
ALTER TABLE subscriptions ADD COLUMN quiet_since timestamptz;
UPDATE subscriptions s
SET quiet_since = greatest(s.created_at,
        (SELECT max(b.added_at) FROM seat_batches b
         WHERE b.reseller_id = s.reseller_id AND b.subscription_id = s.id),
        (SELECT max(x.requested_at) FROM licence_changes x
         WHERE x.reseller_id = s.reseller_id AND x.subscription_id = s.id));
ALTER TABLE subscriptions
    ALTER COLUMN quiet_since SET DEFAULT now(),
    ALTER COLUMN quiet_since SET NOT NULL;

CREATE FUNCTION portal_quiet_after_seats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE subscriptions s SET quiet_since = n.at
    FROM (SELECT reseller_id, subscription_id, max(added_at) AS at FROM new_rows
          GROUP BY 1, 2 ORDER BY 1, 2) n
    WHERE s.reseller_id = n.reseller_id AND s.id = n.subscription_id AND s.quiet_since < n.at;
    RETURN NULL;
END $$;
CREATE TRIGGER seat_batches_quiet AFTER INSERT ON seat_batches
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION portal_quiet_after_seats();

CREATE FUNCTION portal_quiet_after_licences() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE subscriptions s SET quiet_since = n.at
    FROM (SELECT reseller_id, subscription_id, max(requested_at) AS at FROM new_rows
          WHERE subscription_id IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2) n
    WHERE s.reseller_id = n.reseller_id AND s.id = n.subscription_id AND s.quiet_since < n.at;
    RETURN NULL;
END $$;
CREATE TRIGGER licence_changes_quiet AFTER INSERT ON licence_changes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION portal_quiet_after_licences();

-- The list's filter: the quiet subscriptions with free seats, oldest first.
CREATE INDEX subscriptions_quiet ON subscriptions (reseller_id, quiet_since)
    WHERE quantity > assigned;

-- Free seats (seats less licences) of subscriptions with some, by status and by the UTC day
-- they have been quiet since.
CREATE TABLE free_seat_totals (
    reseller_id    uuid NOT NULL,
    status         text NOT NULL,
    quiet_day      date NOT NULL,
    subscriptions  bigint NOT NULL,
    seats          bigint NOT NULL,
    PRIMARY KEY (reseller_id, status, quiet_day)
);
INSERT INTO free_seat_totals
SELECT reseller_id, status, (quiet_since AT TIME ZONE 'UTC')::date, count(*),
       sum(quantity - assigned)
FROM subscriptions WHERE quantity > assigned GROUP BY 1, 2, 3;

-- As subscription_totals_add: rows leaving a bucket count against it, rows entering for it, and
-- an update that moves nothing writes nothing.
CREATE FUNCTION free_seat_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO free_seat_totals AS t
        SELECT reseller_id, status, (quiet_since AT TIME ZONE 'UTC')::date, count(*),
               sum(quantity - assigned)
        FROM new_rows WHERE quantity > assigned GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (reseller_id, status, quiet_day) DO UPDATE
        SET subscriptions = t.subscriptions + EXCLUDED.subscriptions,
            seats = t.seats + EXCLUDED.seats;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO free_seat_totals AS t
        SELECT reseller_id, status, (quiet_since AT TIME ZONE 'UTC')::date, -count(*),
               -sum(quantity - assigned)
        FROM old_rows WHERE quantity > assigned GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (reseller_id, status, quiet_day) DO UPDATE
        SET subscriptions = t.subscriptions + EXCLUDED.subscriptions,
            seats = t.seats + EXCLUDED.seats;
    ELSE
        INSERT INTO free_seat_totals AS t
        SELECT reseller_id, status, day, sum(n), sum(f)
        FROM (SELECT reseller_id, status, (quiet_since AT TIME ZONE 'UTC')::date AS day,
                     -1 AS n, -(quantity - assigned) AS f
              FROM old_rows WHERE quantity > assigned
              UNION ALL
              SELECT reseller_id, status, (quiet_since AT TIME ZONE 'UTC')::date, 1,
                     quantity - assigned
              FROM new_rows WHERE quantity > assigned) d
        GROUP BY 1, 2, 3
        HAVING sum(n) <> 0 OR sum(f) <> 0
        ORDER BY 1, 2, 3
        ON CONFLICT (reseller_id, status, quiet_day) DO UPDATE
        SET subscriptions = t.subscriptions + EXCLUDED.subscriptions,
            seats = t.seats + EXCLUDED.seats;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER free_seat_totals_insert AFTER INSERT ON subscriptions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION free_seat_totals_add();
CREATE TRIGGER free_seat_totals_update AFTER UPDATE ON subscriptions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION free_seat_totals_add();
CREATE TRIGGER free_seat_totals_delete AFTER DELETE ON subscriptions
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION free_seat_totals_add();

SELECT portal_tenant_table('free_seat_totals');
GRANT SELECT, INSERT, UPDATE ON free_seat_totals TO portal_app;
