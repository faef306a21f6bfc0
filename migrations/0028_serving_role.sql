-- Database roles (decision 0017). Migrations run as the owner of the schema; requests and jobs
-- run as a login role that owns nothing and is not a superuser (created by the portal, or named
-- by PORTAL_SERVING_DATABASE_URL), a member of two group roles:
--   portal_system: cross-tenant work (staff pages, the worker, sign-in look-ups); sees every
--                  tenant's rows only while no tenant is set;
--   portal_app:    a tenant transaction (SET LOCAL ROLE), one reseller's rows, and only the
--                  tables a reseller's pages need.
-- Tenant tables force row-level security, so even their owner is held to the policies.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'portal_system') THEN
        CREATE ROLE portal_system NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

-- The owner keeps seeing every tenant while no tenant is set (data migrations, admin commands)
-- when it is not a superuser.
DO $$
BEGIN
    EXECUTE format('GRANT portal_system TO %I', current_user);
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO portal_system;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO portal_system;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO portal_system;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO portal_system;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO portal_system;
DO $$
BEGIN
    IF to_regclass('_sqlx_migrations') IS NOT NULL THEN
        REVOKE ALL ON _sqlx_migrations FROM portal_system, portal_app;
    END IF;
END
$$;

-- The tenant role: a new table is granted to it explicitly, beside its policy.
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM portal_app;
-- The catalog is read, never written, by a reseller's pages.
REVOKE INSERT, UPDATE, DELETE ON vendors, programs, program_terms, products, product_offers,
    product_addons, product_upgrades, prices FROM portal_app;
-- Secrets and cross-tenant state are not a reseller's: sign-in, links, sessions, the vendor's
-- sandbox, the distributor's queue of access requests.
REVOKE ALL ON auth_throttle, auth_tokens, recovery_codes, sessions, access_requests,
    sandbox_attempts, sandbox_changes, sandbox_domains, sandbox_payment_fixed,
    sandbox_seat_batches, sandbox_subscriptions, sandbox_transfer_tokens FROM portal_app;
-- Inviting a colleague makes their link (and ends an earlier one) inside the tenant
-- transaction: the tenant role writes links for its own users only, and reads no token hash.
ALTER TABLE auth_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_users ON auth_tokens TO portal_app
    USING (user_id IN (SELECT id FROM users))
    WITH CHECK (user_id IN (SELECT id FROM users));
GRANT INSERT ON auth_tokens TO portal_app;
GRANT SELECT (user_id, purpose, used_at), UPDATE (used_at) ON auth_tokens TO portal_app;
-- A reseller's action queues a job (provisioning, a change, mail); it reads no job.
REVOKE ALL ON jobs FROM portal_app;
GRANT INSERT ON jobs TO portal_app;
GRANT SELECT (id, dedupe_key) ON jobs TO portal_app;

-- Every table with row-level security forces it, and lets cross-tenant work through only while
-- no tenant is set: a tenant transaction that resets its role still sees its tenant only.
DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN
        SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relrowsecurity
    LOOP
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY cross_tenant ON %s TO portal_system
                 USING (portal_current_reseller() IS NULL)
                 WITH CHECK (portal_current_reseller() IS NULL)', t);
    END LOOP;
END
$$;
