-- Identity: MFA on users, one-time tokens (invitations, password resets), recovery codes,
-- sign-in throttling, and access requests from companies that want an account.

ALTER TABLE users
    ADD COLUMN totp_secret_enc  bytea,
    -- The last TOTP time step accepted: a code is accepted once, and never an older one.
    ADD COLUMN totp_last_step   bigint,
    ADD COLUMN mfa_enabled_at   timestamptz,
    ADD COLUMN last_sign_in_at  timestamptz,
    ADD COLUMN invited_by       uuid REFERENCES users (id);

-- Single-use links sent by e-mail. Only a SHA-256 of the token is stored.
CREATE TABLE auth_tokens (
    token_hash  bytea PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id, purpose);

-- One-time recovery codes, stored as SHA-256 (they are long random strings).
CREATE TABLE recovery_codes (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, code_hash)
);

-- Failed attempts per scope and key (an account at an address, an address, an e-mail...).
CREATE TABLE auth_throttle (
    scope         text NOT NULL,
    key           text NOT NULL,
    failures      integer NOT NULL DEFAULT 0,
    window_start  timestamptz NOT NULL DEFAULT now(),
    locked_until  timestamptz,
    PRIMARY KEY (scope, key)
);

-- Companies asking for an account (public form). Staff approve or reject them.
CREATE TABLE access_requests (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    legal_name        text NOT NULL CHECK (char_length(legal_name) BETWEEN 1 AND 200),
    tax_id            text NOT NULL CHECK (char_length(tax_id) BETWEEN 1 AND 40),
    country           char(2) NOT NULL,
    contact_name      text NOT NULL CHECK (char_length(contact_name) BETWEEN 1 AND 120),
    email             citext NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    phone             text NOT NULL CHECK (char_length(phone) BETWEEN 4 AND 30),
    partner_id        text CHECK (char_length(partner_id) <= 40),
    locale            text NOT NULL DEFAULT 'es' CHECK (locale IN ('es', 'en', 'pt-BR')),
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    rejection_reason  text CHECK (char_length(rejection_reason) <= 1000),
    decided_by        uuid REFERENCES users (id),
    decided_at        timestamptz,
    reseller_id       uuid REFERENCES resellers (id),
    ip                inet,
    created_at        timestamptz NOT NULL DEFAULT now()
);
-- A company waits in the queue once: the same e-mail or tax id is recognised, not stored twice.
CREATE UNIQUE INDEX access_requests_pending_email ON access_requests (email) WHERE status = 'pending';
CREATE UNIQUE INDEX access_requests_pending_tax_id ON access_requests (country, upper(tax_id)) WHERE status = 'pending';
CREATE INDEX access_requests_queue ON access_requests (status, created_at);
