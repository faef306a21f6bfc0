-- Credit notes (J7): the only correction of an issued invoice. Staff credit whole lines of an
-- invoice (or every line not credited yet), with a reason; the note is numbered from its own
-- gapless counter (`CN-2026-000001`) and, like the invoice, never changed after. A line is
-- credited once at most (the unique index below), so that the credits of an invoice never
-- exceed what it billed. A partial amount is a one-off credit on the next invoice instead.
CREATE TABLE credit_notes (
    reseller_id  uuid NOT NULL REFERENCES resellers (id),
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    invoice_id   uuid NOT NULL,
    number       text NOT NULL UNIQUE,
    reason       text NOT NULL CHECK (char_length(reason) BETWEEN 3 AND 500),
    currency     char(3) NOT NULL,
    -- What is credited, as the invoice's amounts are: the reseller's cost (positive: owed back
    -- to the reseller), and the reseller's price for the same lines.
    subtotal     numeric(14, 2) NOT NULL CHECK (subtotal > 0),
    tax          numeric(14, 2) NOT NULL DEFAULT 0,
    total        numeric(14, 2) NOT NULL,
    resale       numeric(14, 2) NOT NULL,
    lines        integer NOT NULL CHECK (lines >= 1),
    staff_id     uuid NOT NULL REFERENCES users (id),
    issued_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, id),
    FOREIGN KEY (reseller_id, invoice_id) REFERENCES invoices (reseller_id, id),
    CHECK (total = subtotal + tax)
);
CREATE INDEX credit_notes_invoice ON credit_notes (reseller_id, invoice_id, issued_at);

CREATE TABLE credit_note_lines (
    reseller_id     uuid NOT NULL,
    credit_note_id  uuid NOT NULL,
    invoice_id      uuid NOT NULL,
    -- The invoice's line credited, in full.
    line_no         integer NOT NULL,
    cost            numeric(14, 2) NOT NULL,
    price           numeric(14, 2) NOT NULL,
    PRIMARY KEY (reseller_id, credit_note_id, line_no),
    -- Checked at commit: the lines are written, then the note with their sums.
    FOREIGN KEY (reseller_id, credit_note_id) REFERENCES credit_notes (reseller_id, id)
        DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (reseller_id, invoice_id, line_no)
        REFERENCES invoice_lines (reseller_id, invoice_id, line_no)
);
CREATE UNIQUE INDEX credit_note_lines_once ON credit_note_lines (reseller_id, invoice_id, line_no);

CREATE TABLE credit_note_numbers (
    year  integer PRIMARY KEY,
    last  bigint NOT NULL CHECK (last >= 0)
);

-- Invoices across resellers, the newest month first (the staff's list).
CREATE INDEX invoices_by_period ON invoices (period DESC, number);

ALTER TABLE credit_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE credit_notes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON credit_notes USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY cross_tenant ON credit_notes TO portal_system USING (portal_current_reseller() IS NULL) WITH CHECK (portal_current_reseller() IS NULL);
ALTER TABLE credit_note_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE credit_note_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON credit_note_lines USING (reseller_id = portal_current_reseller()) WITH CHECK (reseller_id = portal_current_reseller());
CREATE POLICY cross_tenant ON credit_note_lines TO portal_system USING (portal_current_reseller() IS NULL) WITH CHECK (portal_current_reseller() IS NULL);
-- Issued credit notes are never changed nor deleted by the portal's roles; resellers read them.
REVOKE UPDATE, DELETE ON credit_notes, credit_note_lines FROM portal_app, portal_system;
GRANT SELECT ON credit_notes, credit_note_lines TO portal_app;
