-- The catalog: vendors → programs → products, their terms and billing frequencies, add-on and
-- upgrade relations, and prices per currency with validity dates. Catalog tables are shared by
-- every reseller (not tenant data). Each reseller's enrolment in programs and its markup are.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Word similarity is far more expensive per row than its default cost says; with its real
-- weight the planner prefers the trigram index to scanning every product.
DO $$
BEGIN
    ALTER FUNCTION word_similarity_op(text, text) COST 100;
    ALTER FUNCTION word_similarity_commutator_op(text, text) COST 100;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'pg_trgm belongs to another role; word similarity keeps its default cost';
END
$$;

-- unaccent() is STABLE (it reads a dictionary); this wrapper names the dictionary, which makes
-- it safe to declare IMMUTABLE and so usable in generated columns and indexes.
CREATE FUNCTION portal_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;

CREATE TABLE vendors (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{1,39}$'),
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE programs (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    vendor_id            uuid NOT NULL REFERENCES vendors (id),
    code                 text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{1,59}$'),
    name                 text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 120),
    description          text NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    -- The countries (ISO codes) the program is offered in.
    countries            char(2)[] NOT NULL DEFAULT '{}',
    requires_partner_id  boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX programs_vendor ON programs (vendor_id);

CREATE TABLE products (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    program_id      uuid NOT NULL REFERENCES programs (id),
    sku             text NOT NULL CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]{1,63}$'),
    name_es         text NOT NULL CHECK (char_length(name_es) BETWEEN 1 AND 200),
    name_en         text NOT NULL CHECK (char_length(name_en) BETWEEN 1 AND 200),
    name_pt         text NOT NULL CHECK (char_length(name_pt) BETWEEN 1 AND 200),
    description_es  text NOT NULL DEFAULT '' CHECK (char_length(description_es) <= 4000),
    description_en  text NOT NULL DEFAULT '' CHECK (char_length(description_en) <= 4000),
    description_pt  text NOT NULL DEFAULT '' CHECK (char_length(description_pt) <= 4000),
    category        text NOT NULL CHECK (category IN ('productivity', 'email', 'collaboration',
                        'security', 'analytics', 'ai', 'project', 'infrastructure', 'frontline')),
    kind            text NOT NULL CHECK (kind IN ('license', 'consumption')),
    min_seats       integer NOT NULL DEFAULT 1 CHECK (min_seats >= 1),
    max_seats       integer NOT NULL DEFAULT 300 CHECK (max_seats >= min_seats AND max_seats <= 1000000),
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
    retired_at      timestamptz,
    -- Everything a search looks at, folded (lower case, no accents), for trigram matching.
    search_text     text GENERATED ALWAYS AS (
        portal_fold(sku || ' ' || name_es || ' ' || name_en || ' ' || name_pt || ' '
                    || description_es || ' ' || description_en || ' ' || description_pt)) STORED,
    sort_name       text GENERATED ALWAYS AS (portal_fold(name_en)) STORED,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT products_sku_key UNIQUE (sku)
);
CREATE INDEX products_search ON products USING gin (search_text gin_trgm_ops);
CREATE INDEX products_program ON products (program_id, status);
CREATE INDEX products_sort_name ON products (sort_name, id);
CREATE INDEX products_category ON products (category, kind);

-- Which term / billing-frequency combinations a product is sold with.
CREATE TABLE product_offers (
    product_id  uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    term        text NOT NULL CHECK (term IN ('P1M', 'P1Y', 'P3Y')),
    billing     text NOT NULL CHECK (billing IN ('monthly', 'annual', 'triennial')),
    PRIMARY KEY (product_id, term, billing)
);
CREATE INDEX product_offers_term ON product_offers (term, billing, product_id);

-- An add-on needs one of its base products for the same customer.
CREATE TABLE product_addons (
    addon_id  uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    base_id   uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    PRIMARY KEY (addon_id, base_id),
    CHECK (addon_id <> base_id)
);
CREATE INDEX product_addons_base ON product_addons (base_id);

-- Which products a subscription may move to.
CREATE TABLE product_upgrades (
    from_id  uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    to_id    uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    PRIMARY KEY (from_id, to_id),
    CHECK (from_id <> to_id)
);

-- Prices per product × term × billing frequency × currency, valid from a date (inclusive) until
-- another (exclusive; open-ended when NULL). Periods of one combination never overlap.
CREATE TABLE prices (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    product_id  uuid NOT NULL REFERENCES products (id),
    term        text NOT NULL CHECK (term IN ('P1M', 'P1Y', 'P3Y')),
    billing     text NOT NULL CHECK (billing IN ('monthly', 'annual', 'triennial')),
    currency    char(3) NOT NULL CHECK (currency IN ('USD', 'BRL')),
    cost        numeric(14, 4) NOT NULL CHECK (cost >= 0),
    retail      numeric(14, 4) NOT NULL CHECK (retail >= 0),
    valid_from  date NOT NULL,
    valid_to    date CHECK (valid_to IS NULL OR valid_to > valid_from),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  uuid REFERENCES users (id),
    CONSTRAINT prices_no_overlap EXCLUDE USING gist (
        product_id WITH =, term WITH =, billing WITH =, currency WITH =,
        daterange(valid_from, valid_to) WITH &&)
);
CREATE INDEX prices_lookup ON prices (product_id, currency, valid_from);

-- A reseller's standing in each vendor program (requests and approvals build on it).
CREATE TABLE program_enrollments (
    reseller_id  uuid NOT NULL REFERENCES resellers (id),
    program_id   uuid NOT NULL REFERENCES programs (id),
    status       text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'suspended')),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, program_id)
);
ALTER TABLE program_enrollments ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON program_enrollments
    USING (reseller_id = portal_current_reseller())
    WITH CHECK (reseller_id = portal_current_reseller());

-- The reseller's own margin: "your price" = cost × (1 + markup / 100).
ALTER TABLE resellers ADD COLUMN markup_percent numeric(6, 2) NOT NULL DEFAULT 20
    CHECK (markup_percent >= 0 AND markup_percent <= 500);

-- Catalog tables are read inside tenant transactions too.
GRANT SELECT ON vendors, programs, products, product_offers, product_addons, product_upgrades, prices TO portal_app;
GRANT EXECUTE ON FUNCTION portal_fold(text) TO portal_app;
