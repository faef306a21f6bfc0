-- What an order records beyond its lines: the reseller's own purchase-order reference (optional,
-- as typed), and, before the first Microsoft purchase for a customer, the customer's acceptance of
-- the Microsoft Customer Agreement as Partner Center requires the partner to attest it: who
-- accepted it (name and e-mail) and on which day. It is recorded once per customer, with the
-- user who attested it and the order it was given for.
ALTER TABLE orders ADD COLUMN po_reference text
    CHECK (char_length(po_reference) BETWEEN 1 AND 40);

CREATE TABLE customer_agreements (
    reseller_id   uuid NOT NULL,
    customer_id   uuid NOT NULL,
    agreement     text NOT NULL CHECK (agreement IN ('microsoft_customer_agreement')),
    signer_name   text NOT NULL CHECK (char_length(signer_name) BETWEEN 1 AND 120),
    signer_email  text NOT NULL CHECK (char_length(signer_email) BETWEEN 3 AND 254),
    accepted_on   date NOT NULL,
    recorded_by   uuid NOT NULL,
    order_id      uuid NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reseller_id, customer_id, agreement),
    FOREIGN KEY (reseller_id, customer_id) REFERENCES customers (reseller_id, id),
    FOREIGN KEY (reseller_id, recorded_by) REFERENCES users (reseller_id, id),
    FOREIGN KEY (reseller_id, order_id) REFERENCES orders (reseller_id, id)
);

SELECT portal_tenant_table('customer_agreements');
GRANT SELECT, INSERT ON customer_agreements TO portal_app;
