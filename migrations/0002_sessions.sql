-- The session store of tower-sessions-sqlx-store (same shape as its own `migrate()`), created
-- here so that every schema change lives in one ordered list.
CREATE SCHEMA IF NOT EXISTS tower_sessions;

CREATE TABLE IF NOT EXISTS tower_sessions.session (
    id          text PRIMARY KEY NOT NULL,
    data        bytea NOT NULL,
    expiry_date timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS session_expiry_date ON tower_sessions.session (expiry_date);
