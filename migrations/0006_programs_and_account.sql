-- Vendor programs: versioned, localized terms and conditions; each reseller's request with its
-- domain, partner id and the terms it accepted; the reseller's account data and public id.

CREATE TABLE program_terms (
    program_id    uuid NOT NULL REFERENCES programs (id),
    version       integer NOT NULL CHECK (version >= 1),
    title_es      text NOT NULL,
    title_en      text NOT NULL,
    title_pt      text NOT NULL,
    body_es       text NOT NULL CHECK (char_length(body_es) <= 20000),
    body_en       text NOT NULL CHECK (char_length(body_en) <= 20000),
    body_pt       text NOT NULL CHECK (char_length(body_pt) <= 20000),
    published_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (program_id, version)
);

ALTER TABLE program_enrollments
    ADD COLUMN domain            text CHECK (char_length(domain) <= 253),
    ADD COLUMN partner_id        text CHECK (char_length(partner_id) <= 20),
    ADD COLUMN requested_by      uuid REFERENCES users (id),
    ADD COLUMN requested_at      timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN decided_by        uuid REFERENCES users (id),
    ADD COLUMN decided_at        timestamptz,
    ADD COLUMN reason            text CHECK (char_length(reason) <= 1000);
CREATE INDEX program_enrollments_queue ON program_enrollments (status, requested_at);

-- Who accepted which version of a program's terms, when and from where.
CREATE TABLE program_terms_acceptances (
    reseller_id  uuid NOT NULL REFERENCES resellers (id),
    program_id   uuid NOT NULL,
    version      integer NOT NULL,
    user_id      uuid NOT NULL,
    accepted_at  timestamptz NOT NULL DEFAULT now(),
    ip           inet,
    PRIMARY KEY (reseller_id, program_id, version),
    FOREIGN KEY (program_id, version) REFERENCES program_terms (program_id, version),
    FOREIGN KEY (reseller_id, user_id) REFERENCES users (reseller_id, id)
);
ALTER TABLE program_terms_acceptances ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON program_terms_acceptances
    USING (reseller_id = portal_current_reseller())
    WITH CHECK (reseller_id = portal_current_reseller());

-- The reseller's public id (customers quote it for Google transfers): generated once.
CREATE FUNCTION portal_new_public_id() RETURNS text
    LANGUAGE sql VOLATILE
    AS $$ SELECT 'R' || upper(substr(md5(gen_random_uuid()::text), 1, 9)) $$;

ALTER TABLE resellers
    ADD COLUMN public_id        text UNIQUE DEFAULT portal_new_public_id(),
    ADD COLUMN phone            text CHECK (char_length(phone) <= 30),
    ADD COLUMN contact_email    citext CHECK (char_length(contact_email) <= 254),
    ADD COLUMN partner_id       text CHECK (char_length(partner_id) <= 20),
    ADD COLUMN suspended_reason text CHECK (char_length(suspended_reason) <= 1000);
UPDATE resellers SET public_id = portal_new_public_id() WHERE public_id IS NULL;
ALTER TABLE resellers ALTER COLUMN public_id SET NOT NULL;

GRANT SELECT ON program_terms TO portal_app;
