-- Sessions in a table of the portal's own (auth::session_store): found by the SHA-256 of the
-- cookie's id (the table holds no usable session), with the session's user, so that a request
-- loads the session and its signed-in user in one query. Sessions of the previous store end
-- (everyone signs in again once).
CREATE TABLE sessions (
    id_hash    bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    user_id    uuid,
    data       jsonb NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX sessions_user ON sessions (user_id) WHERE user_id IS NOT NULL;

DROP SCHEMA IF EXISTS tower_sessions CASCADE;
