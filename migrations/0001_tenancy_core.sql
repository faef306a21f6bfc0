-- The tenancy core: resellers (tenants), users with roles, the audit log, and the application
-- role that serves tenant requests under row-level security.

CREATE EXTENSION IF NOT EXISTS citext;

-- The role tenant transactions switch to (SET LOCAL ROLE): it is neither a superuser nor the
-- owner of the tables, so row-level security always applies to it. Roles are cluster-wide, so
-- several databases (tests) share it; creating it twice at once is harmless.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'portal_app') THEN
        CREATE ROLE portal_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

DO $$
BEGIN
    EXECUTE format('GRANT portal_app TO %I', current_user);
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO portal_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO portal_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO portal_app;

-- The reseller of the current tenant transaction, or NULL outside one.
CREATE FUNCTION portal_current_reseller() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('portal.reseller_id', true), '')::uuid $$;

CREATE TABLE resellers (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    legal_name       text NOT NULL CHECK (char_length(legal_name) BETWEEN 1 AND 200),
    tax_id           text NOT NULL CHECK (char_length(tax_id) BETWEEN 1 AND 40),
    country          char(2) NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    billing_currency char(3) NOT NULL CHECK (billing_currency ~ '^[A-Z]{3}$'),
    time_zone        text NOT NULL DEFAULT 'America/Mexico_City',
    default_locale   text NOT NULL DEFAULT 'es' CHECK (default_locale IN ('es', 'en', 'pt-BR')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (country, tax_id)
);

-- Every account: reseller users (with a reseller) and distributor staff (without one).
-- A login e-mail is unique across the platform.
CREATE TABLE users (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reseller_id    uuid REFERENCES resellers (id),
    email          citext NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    name           text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 120),
    role           text NOT NULL CHECK (role IN ('staff', 'owner', 'admin', 'sales', 'billing')),
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('invited', 'active', 'deactivated')),
    password_hash  text,
    locale         text CHECK (locale IN ('es', 'en', 'pt-BR')),
    -- Bumped whenever every existing session of the user must end (password reset, deactivation).
    session_epoch  integer NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_staff_have_no_reseller CHECK ((role = 'staff') = (reseller_id IS NULL)),
    -- Tenant tables reference a user together with its reseller.
    UNIQUE (reseller_id, id)
);

CREATE TABLE audit_log (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reseller_id    uuid REFERENCES resellers (id),
    actor_user_id  uuid REFERENCES users (id),
    -- Who acted when no user did: 'cli', 'system', 'worker'.
    actor_label    text,
    action         text NOT NULL,
    subject_type   text,
    subject_id     text,
    details        jsonb NOT NULL DEFAULT '{}'::jsonb,
    ip             inet,
    request_id     text,
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_reseller_at ON audit_log (reseller_id, at DESC);
CREATE INDEX audit_log_actor_at ON audit_log (actor_user_id, at DESC);

-- Row-level security: under portal_app, a tenant transaction sees its reseller only.
ALTER TABLE resellers ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON resellers
    USING (id = portal_current_reseller())
    WITH CHECK (id = portal_current_reseller());

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
    USING (reseller_id = portal_current_reseller())
    WITH CHECK (reseller_id = portal_current_reseller());

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
    USING (reseller_id = portal_current_reseller())
    WITH CHECK (reseller_id = portal_current_reseller());

GRANT SELECT, INSERT, UPDATE, DELETE ON resellers, users, audit_log TO portal_app;
GRANT USAGE, SELECT ON SEQUENCE audit_log_id_seq TO portal_app;
