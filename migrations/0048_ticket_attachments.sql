-- A ticket message's files (screenshots, exports), kept in the database with the message: the
-- name shown is the one the browser gave, cleaned; what the file is was decided from its bytes.
CREATE TABLE ticket_attachments (
    reseller_id   uuid NOT NULL,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    ticket_id     uuid NOT NULL,
    message_id    uuid NOT NULL,
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 120),
    kind          text NOT NULL CHECK (kind IN ('pdf', 'png', 'jpeg', 'xlsx', 'csv', 'txt')),
    size          integer NOT NULL CHECK (size BETWEEN 1 AND 10485760),
    data          bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, ticket_id) REFERENCES tickets (reseller_id, id),
    FOREIGN KEY (reseller_id, message_id) REFERENCES ticket_messages (reseller_id, id)
);
CREATE INDEX ticket_attachments_message ON ticket_attachments (reseller_id, message_id);
-- Files are stored as they came (already compressed, most of them).
ALTER TABLE ticket_attachments ALTER COLUMN data SET STORAGE EXTERNAL;

SELECT portal_tenant_table('ticket_attachments');
GRANT SELECT, INSERT ON ticket_attachments TO portal_app;
