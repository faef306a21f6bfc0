-- Measurement data for docs/performance/orders.md: run after `portal seed-demo` on a scratch
-- database (psql -d DB -f scripts/generate-orders.sql). Not for production databases.
-- 200 000 orders (2 lines each) for the demo reseller over two years, spread over its customers.
\set ON_ERROR_STOP on
INSERT INTO customers (reseller_id, legal_name, tax_id, country, contact_name, contact_email, contact_phone,
                       billing_email, address_line1, city, region_name, creation_key)
SELECT r.id, 'Cliente ' || g, 'GEN' || lpad(g::text, 9, '0'), 'MX', 'x', 'x@x.example', '+52 55 5555 5555',
       'x@x.example', 'x', 'x', 'x', gen_random_uuid()
FROM resellers r, generate_series(1, 2000) g WHERE r.tax_id = 'NAS180512AB6';
INSERT INTO carts (reseller_id, id, user_id, customer_id, status)
SELECT c.reseller_id, gen_random_uuid(), u.id, c.id, 'ordered'
FROM (SELECT reseller_id, id, row_number() OVER () AS n FROM customers) c
JOIN users u ON u.reseller_id = c.reseller_id AND u.role = 'owner',
     generate_series(1, 100) g;
INSERT INTO orders (reseller_id, cart_id, customer_id, placed_by, status, currency, total_cost, total_price, created_at)
SELECT k.reseller_id, k.id, k.customer_id, k.user_id,
       (ARRAY['completed','completed','completed','failed','provisioning','rejected'])[1 + (random() * 5)::int],
       'USD', round((random() * 2000)::numeric, 2), round((random() * 2400)::numeric, 2),
       now() - (random() * interval '730 days')
FROM carts k;
INSERT INTO order_lines (reseller_id, order_id, product_id, sku, product_name, vendor, term, billing, quantity,
                         unit_cost, unit_price, tenant_domain, tenant_ref, status)
SELECT o.reseller_id, o.id, p.id, p.sku, p.name_en, CASE WHEN p.sku LIKE 'GWS%' THEN 'google' ELSE 'microsoft' END,
       'P1Y', 'monthly', 10, 11, 13.2, 'x.onmicrosoft.com', 'ref', 'completed'
FROM orders o
CROSS JOIN LATERAL (SELECT id, sku, name_en FROM products WHERE status = 'active'
                    ORDER BY md5(o.id::text || id::text) LIMIT 2) p;
UPDATE orders o SET vendors = ARRAY(SELECT DISTINCT l.vendor FROM order_lines l WHERE l.reseller_id = o.reseller_id AND l.order_id = o.id ORDER BY 1);
ANALYZE;
