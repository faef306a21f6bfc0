-- Bulk changes of a tenant's users and licences from a CSV file (J6): the file uploaded is kept
-- as a draft whose difference is previewed against the tenant as it is (re-planned each time it
-- is shown), then applied all or nothing: every change recorded in one transaction and sent to
-- the vendor by one job, in the file's order, its progress read from the changes.
CREATE TABLE licence_batches (
    reseller_id  uuid NOT NULL,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL,
    file_name    text NOT NULL CHECK (char_length(file_name) BETWEEN 1 AND 255),
    -- The file's text, decoded (at most 10 MB, checked before it is stored).
    content      text NOT NULL,
    -- 'draft' until applied; 'applying' while its changes go to the vendor; 'done' after.
    status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'applying', 'done')),
    changes      integer NOT NULL DEFAULT 0 CHECK (changes >= 0),
    actor_id     uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    applied_at   timestamptz,
    finished_at  timestamptz,
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, tenant_id) REFERENCES customer_tenants (reseller_id, id)
);
CREATE INDEX licence_batches_tenant ON licence_batches (reseller_id, tenant_id, created_at DESC);

-- A change made by a batch, and its place in the file's order (a new user is created before its
-- licences are assigned).
ALTER TABLE licence_changes ADD COLUMN batch_id uuid, ADD COLUMN batch_seq integer,
    ADD CONSTRAINT licence_changes_batch FOREIGN KEY (reseller_id, batch_id)
        REFERENCES licence_batches (reseller_id, id),
    ADD CONSTRAINT licence_changes_batch_seq CHECK ((batch_id IS NULL) = (batch_seq IS NULL));
CREATE UNIQUE INDEX licence_changes_in_batch ON licence_changes (reseller_id, batch_id, batch_seq)
    WHERE batch_id IS NOT NULL;

ALTER TABLE licence_batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE licence_batches FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON licence_batches USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY cross_tenant ON licence_batches TO portal_system USING (portal_current_reseller() IS NULL) WITH CHECK (portal_current_reseller() IS NULL);
GRANT SELECT, INSERT, UPDATE ON licence_batches TO portal_app;
