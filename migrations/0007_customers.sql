-- End customers of each reseller, with a validated address, and their vendor tenants
-- (Microsoft tenants, Google Workspace domains). Tenant tables, keyed by reseller.

CREATE TABLE customers (
    reseller_id    uuid NOT NULL REFERENCES resellers (id),
    id             uuid NOT NULL DEFAULT gen_random_uuid(),
    legal_name     text NOT NULL CHECK (char_length(legal_name) BETWEEN 1 AND 200),
    tax_id         text NOT NULL CHECK (char_length(tax_id) BETWEEN 1 AND 40),
    country        char(2) NOT NULL,
    industry       text CHECK (char_length(industry) <= 80),
    contact_name   text NOT NULL CHECK (char_length(contact_name) BETWEEN 1 AND 120),
    contact_email  citext NOT NULL CHECK (char_length(contact_email) <= 254),
    contact_phone  text NOT NULL CHECK (char_length(contact_phone) <= 30),
    billing_email  citext NOT NULL CHECK (char_length(billing_email) <= 254),
    address_line1  text NOT NULL CHECK (char_length(address_line1) BETWEEN 1 AND 200),
    address_line2  text CHECK (char_length(address_line2) <= 200),
    city           text NOT NULL CHECK (char_length(city) BETWEEN 1 AND 100),
    region_code    text CHECK (char_length(region_code) <= 10),
    region_name    text NOT NULL CHECK (char_length(region_name) <= 100),
    postal_code    text NOT NULL DEFAULT '' CHECK (char_length(postal_code) <= 12),
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    -- One customer per submitted form, whatever the retries.
    creation_key   uuid NOT NULL,
    created_by     uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    search_text    text GENERATED ALWAYS AS (
        portal_fold(legal_name || ' ' || tax_id || ' ' || contact_email::text || ' '
                    || billing_email::text || ' ' || contact_name)) STORED,
    sort_name      text GENERATED ALWAYS AS (portal_fold(legal_name)) STORED,
    PRIMARY KEY (reseller_id, id),
    CONSTRAINT customers_tax_id_key UNIQUE (reseller_id, country, tax_id),
    CONSTRAINT customers_creation_key UNIQUE (reseller_id, creation_key),
    FOREIGN KEY (reseller_id, created_by) REFERENCES users (reseller_id, id)
);
CREATE INDEX customers_search ON customers USING gin (search_text gin_trgm_ops);
CREATE INDEX customers_by_name ON customers (reseller_id, sort_name, id);
CREATE INDEX customers_by_created ON customers (reseller_id, created_at DESC, id DESC);
ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customers
    USING (reseller_id = portal_current_reseller())
    WITH CHECK (reseller_id = portal_current_reseller());

CREATE TABLE customer_tenants (
    reseller_id   uuid NOT NULL,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    customer_id   uuid NOT NULL,
    vendor        text NOT NULL CHECK (vendor IN ('microsoft', 'google')),
    -- 'linked': an existing tenant the customer already has; 'reserved': a new one to create.
    origin        text NOT NULL CHECK (origin IN ('linked', 'reserved')),
    domain        text NOT NULL CHECK (char_length(domain) <= 253),
    tenant_ref    text CHECK (char_length(tenant_ref) <= 64),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, customer_id) REFERENCES customers (reseller_id, id),
    UNIQUE (reseller_id, vendor, domain)
);
CREATE INDEX customer_tenants_customer ON customer_tenants (reseller_id, customer_id);
CREATE INDEX customer_tenants_domain ON customer_tenants USING gin (domain gin_trgm_ops);
ALTER TABLE customer_tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customer_tenants
    USING (reseller_id = portal_current_reseller())
    WITH CHECK (reseller_id = portal_current_reseller());

-- The vendor sandbox's own state (it plays the vendor, who knows every domain in use across
-- all resellers): outside tenant RLS, reached only through the vendor interface.
CREATE TABLE sandbox_domains (
    vendor       text NOT NULL,
    domain       text NOT NULL,
    reseller_id  uuid NOT NULL,
    customer_id  uuid NOT NULL,
    tenant_ref   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (vendor, domain)
);

