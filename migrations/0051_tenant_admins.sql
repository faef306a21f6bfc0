-- The first administrator of a tenant an order brings into being (a reserved Microsoft tenant or
-- a new Google Workspace domain): the vendor makes it, by a job of its own, when the tenant's
-- first order is provisioned. Its user name stays; its temporary password is sealed with the
-- installation's key until the user who placed the order sees it once on the order's page, then
-- erased. A refusal keeps the vendor's reason (vendor_error.<code>).
CREATE TABLE tenant_admins (
    reseller_id   uuid NOT NULL,
    tenant_id     uuid NOT NULL,
    order_id      uuid NOT NULL,
    user_name     text NOT NULL CHECK (char_length(user_name) <= 320),
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'made', 'refused')),
    error         text,
    secret        bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    decided_at    timestamptz,
    PRIMARY KEY (reseller_id, tenant_id),
    FOREIGN KEY (reseller_id, tenant_id) REFERENCES customer_tenants (reseller_id, id),
    FOREIGN KEY (reseller_id, order_id) REFERENCES orders (reseller_id, id)
);
CREATE INDEX tenant_admins_order ON tenant_admins (reseller_id, order_id);

SELECT portal_tenant_table('tenant_admins');
GRANT SELECT, INSERT, UPDATE ON tenant_admins TO portal_app;
