-- Billing runs (J7, staff): each run of a month, started by staff or by the schedule, with its
-- progress (resellers billed so far of those to bill) and how it ended. One run of a month at a
-- time: a second start while one is queued or running is refused.
CREATE TABLE billing_runs (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    period       date NOT NULL CHECK (extract(day FROM period) = 1),
    status       text NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'running', 'done', 'failed')),
    -- The staff member who started it; none for the schedule.
    started_by   uuid REFERENCES users (id),
    queued_at    timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    finished_at  timestamptz,
    to_bill      integer CHECK (to_bill >= 0),
    issued       integer NOT NULL DEFAULT 0 CHECK (issued >= 0),
    empty        integer NOT NULL DEFAULT 0 CHECK (empty >= 0),
    error        text
);
CREATE UNIQUE INDEX billing_runs_one_at_a_time ON billing_runs (period)
    WHERE status IN ('queued', 'running');
CREATE INDEX billing_runs_newest ON billing_runs (queued_at DESC);

-- The run that issued an invoice.
ALTER TABLE invoices ADD COLUMN run_id uuid REFERENCES billing_runs (id);
CREATE INDEX invoices_run ON invoices (run_id) WHERE run_id IS NOT NULL;
CREATE INDEX invoices_period ON invoices (period, reseller_id);

-- Staff only.
REVOKE ALL ON billing_runs FROM portal_app;
