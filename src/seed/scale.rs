//! `portal generate`: a large reseller's data, to measure the portal at scale. The demo
//! reseller (whose accounts sign in with the demo passwords) becomes the big one, and smaller
//! resellers share the tables, as in production: customers with a tenant each, orders with
//! their lines (placed over the last two years), a subscription per completed line (renewed to
//! the term holding last month when it renews), an Azure plan for one customer in 25 with last
//! month's daily usage, and the tenants' users with their licences.
//!
//! Set-based SQL (one `INSERT … SELECT` per table and reseller), deterministic from a seed: ids
//! are derived from the seed and the row's number, and every choice from a hash of them, so the
//! same arguments give the same rows.

use sqlx::PgConnection;
use uuid::Uuid;

/// How much to generate.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub seed: i64,
    /// The big reseller (the demo one).
    pub customers: i64,
    pub orders: i64,
    pub lines_per_order: i64,
    /// The other resellers, each with a share of the same.
    pub other_resellers: i64,
    pub other_customers: i64,
    pub other_orders: i64,
}

impl Default for Scale {
    fn default() -> Self {
        Self {
            seed: 1,
            customers: 50_000,
            orders: 250_000,
            lines_per_order: 4,
            other_resellers: 9,
            other_customers: 2_000,
            other_orders: 10_000,
        }
    }
}

/// What was generated.
#[derive(Debug, Default)]
pub struct Generated {
    pub resellers: i64,
    pub customers: i64,
    pub orders: i64,
    pub lines: i64,
    pub subscriptions: i64,
    pub tenant_users: i64,
    pub licences: i64,
    pub usage: i64,
    /// Months of sales figures (the dashboard's and the reports').
    pub sales_months: i64,
}

/// Generates `scale` on top of the demo data (which must be loaded: the catalog, the demo
/// reseller and its owner).
pub async fn generate(tx: &mut PgConnection, scale: Scale) -> anyhow::Result<Generated> {
    let big = sqlx::query_scalar!("SELECT id FROM resellers WHERE tax_id = 'NAS180512AB6'")
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo data is not loaded"))?;
    let mut done = Generated::default();
    add(
        tx,
        &mut done,
        big,
        scale.seed,
        scale.customers,
        scale.orders,
        scale.lines_per_order,
    )
    .await?;
    for n in 1..=scale.other_resellers {
        let reseller = other_reseller(tx, scale.seed, n).await?;
        let (customers, orders) = (scale.other_customers, scale.other_orders);
        add(
            tx,
            &mut done,
            reseller,
            scale.seed,
            customers,
            orders,
            scale.lines_per_order,
        )
        .await?;
        done.resellers += 1;
    }
    Ok(done)
}

/// Refreshes the planner's statistics of `tables`, just filled in this transaction (ANALYZE
/// counts the transaction's own rows). Without it the planner still takes them for empty and a
/// foreign key's check on the next insert may scan a whole reseller's rows for each row
/// (minutes become hours at a million subscriptions).
async fn analyze(tx: &mut PgConnection, tables: &str) -> anyhow::Result<()> {
    // Unchecked: ANALYZE cannot be prepared; `tables` is a constant of this module.
    sqlx::raw_sql(&format!("ANALYZE {tables}"))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A generated reseller with an owner (who places its orders), approved in every program.
async fn other_reseller(tx: &mut PgConnection, seed: i64, n: i64) -> anyhow::Result<Uuid> {
    let id = sqlx::query_scalar!(
        "INSERT INTO resellers (id, legal_name, tax_id, country, billing_currency, time_zone)
         VALUES (md5('reseller-' || $1::bigint || '-' || $2::bigint)::uuid,
                 'Revenda Gerada ' || $2::bigint || ' Ltda.',
                 'GEN' || lpad(($1::bigint * 1000 + $2::bigint)::text, 9, '0'), 'MX', 'USD',
                 'America/Mexico_City')
         ON CONFLICT (id) DO UPDATE SET updated_at = resellers.updated_at
         RETURNING id",
        seed,
        n,
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO users (id, reseller_id, email, name, role, status)
         VALUES (md5('owner-' || $1::uuid)::uuid, $1::uuid,
                 'owner-' || $1::uuid || '@generated.example', 'Owner', 'owner', 'active')
         ON CONFLICT DO NOTHING",
        id,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO program_enrollments (reseller_id, program_id, status, domain, decided_at)
         SELECT $1, id, 'approved', 'generated.example', now() FROM programs
         ON CONFLICT DO NOTHING",
        id,
    )
    .execute(&mut *tx)
    .await?;
    Ok(id)
}

/// Adds `customers` customers and `orders` orders of `lines` lines each to `reseller`.
async fn add(
    tx: &mut PgConnection,
    done: &mut Generated,
    reseller: Uuid,
    seed: i64,
    customers: i64,
    orders: i64,
    lines: i64,
) -> anyhow::Result<()> {
    // A key per reseller and seed, so that ids never collide across either.
    let key = format!("{seed}-{reseller}");
    let owner = sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM users WHERE reseller_id = $1 AND role = 'owner'
           ORDER BY created_at LIMIT 1"#,
        reseller
    )
    .fetch_one(&mut *tx)
    .await?;
    // Names from word lists, with accents, so that searches behave as with real data.
    let added = sqlx::query!(
        "INSERT INTO customers (reseller_id, id, legal_name, tax_id, country, contact_name,
                                contact_email, contact_phone, billing_email, address_line1, city,
                                region_code, region_name, postal_code, creation_key, status,
                                created_at)
         SELECT $1, md5($2 || '-c-' || g)::uuid,
                (ARRAY['Comercializadora','Grupo','Servicios','Distribuidora','Consultoría','Tecnología','Logística','Farmacia','Constructora','Panadería'])[1 + g % 10]
                || ' ' || (ARRAY['Álamo','Núñez','Río Bravo','Pacífico','Andina','Azteca','Maya','Cóndor','Ébano','Sol'])[1 + (g / 10) % 10]
                || ' ' || (ARRAY['del Norte','del Sur','Central','Integral','Global','Express','Digital','Plus','Industrial','Médica'])[1 + (g / 100) % 10]
                || ' ' || g || ' S.A. de C.V.',
                'G' || lpad(g::text, 11, '0'), 'MX', 'Contacto ' || g,
                'contacto' || g || '@cliente' || g || '.example',
                '+52 55 ' || lpad((g % 100000000)::text, 8, '0'),
                'facturas' || g || '@cliente' || g || '.example',
                'Calle ' || (g % 500) || ' #' || (g % 90 + 1), 'Ciudad de México', 'CMX',
                'Ciudad de México', lpad((g % 99999)::text, 5, '0'), md5($2 || '-k-' || g)::uuid,
                CASE WHEN g % 17 = 0 THEN 'inactive' ELSE 'active' END,
                now() - make_interval(days => (g % 900)::int)
         FROM generate_series(1, $3::bigint) AS g
         ON CONFLICT DO NOTHING",
        reseller,
        key,
        customers,
    )
    .execute(&mut *tx)
    .await?;
    done.customers += added.rows_affected() as i64;
    sqlx::query!(
        "INSERT INTO customer_tenants (reseller_id, customer_id, vendor, origin, domain, tenant_ref)
         SELECT $1, md5($2 || '-c-' || g)::uuid, 'microsoft', 'linked',
                'cliente' || g || '-' || left(md5($2), 6) || '.onmicrosoft.com', 'ms-' || md5($2 || '-t-' || g)
         FROM generate_series(1, $3::bigint) AS g
         ON CONFLICT DO NOTHING",
        reseller,
        key,
        customers,
    )
    .execute(&mut *tx)
    .await?;
    analyze(tx, "customers, customer_tenants").await?;
    add_orders(tx, done, reseller, owner, &key, customers, orders, lines).await?;
    add_tenant_users(tx, done, reseller, &key).await
}

/// How many users a generated tenant has: the first customer's is a large company's.
const LARGE_TENANT_USERS: i32 = 20_000;

/// The tenants' users (two to five each; the first customer's tenant twenty thousand), one in
/// twenty-three blocked, each holding a licence of its customer's latest active subscription
/// while there are seats.
async fn add_tenant_users(
    tx: &mut PgConnection,
    done: &mut Generated,
    reseller: Uuid,
    key: &str,
) -> anyhow::Result<()> {
    let added = sqlx::query!(
        "INSERT INTO tenant_users (reseller_id, id, tenant_id, user_name, display_name,
                                   usage_location, status, vendor_ref, created_at, updated_at)
         SELECT t.reseller_id, md5($2 || '-u-' || t.id || '-' || n)::uuid, t.id,
                'usuario' || n || '@' || t.domain,
                (ARRAY['Ana','Luis','María','José','Lucía','Jorge','Sofía','Andrés','Valeria','Óscar'])[1 + n % 10]
                || ' ' || (ARRAY['García','Pérez','López','Núñez','Martínez','Sánchez','Ramírez','Torres','Flores','Díaz'])[1 + (n / 10) % 10]
                || ' ' || n,
                'MX', CASE WHEN n % 23 = 0 THEN 'blocked' ELSE 'active' END,
                'user-' || md5($2 || '-u-' || t.id || '-' || n), c.created_at, c.created_at
         FROM customer_tenants t
         JOIN customers c ON c.reseller_id = t.reseller_id AND c.id = t.customer_id
         CROSS JOIN LATERAL generate_series(1, CASE WHEN t.customer_id = md5($2 || '-c-1')::uuid
                                                    THEN $3 ELSE 2 + abs(hashtext(t.id::text)) % 4 END) AS n
         WHERE t.reseller_id = $1
         ON CONFLICT DO NOTHING",
        reseller,
        key,
        LARGE_TENANT_USERS,
    )
    .execute(&mut *tx)
    .await?;
    done.tenant_users += added.rows_affected() as i64;
    analyze(tx, "tenant_users").await?;
    // 'assigned' (as read from the vendor): counted on the subscription by the seat trigger.
    let added = sqlx::query!(
        "INSERT INTO licence_assignments (reseller_id, subscription_id, tenant_user_id, status)
         SELECT t.reseller_id, s.id, md5($2 || '-u-' || t.id || '-' || n)::uuid, 'assigned'
         FROM customer_tenants t
         JOIN LATERAL (SELECT s.id, s.quantity FROM subscriptions s
                       WHERE s.reseller_id = t.reseller_id AND s.customer_id = t.customer_id
                         AND s.tenant_domain = t.domain AND s.status = 'active'
                       ORDER BY s.created_at DESC LIMIT 1) s ON true
         CROSS JOIN LATERAL generate_series(1, least(s.quantity,
             CASE WHEN t.customer_id = md5($2 || '-c-1')::uuid
                  THEN $3 ELSE 2 + abs(hashtext(t.id::text)) % 4 END)) AS n
         WHERE t.reseller_id = $1
         ON CONFLICT DO NOTHING",
        reseller,
        key,
        LARGE_TENANT_USERS,
    )
    .execute(&mut *tx)
    .await?;
    done.licences += added.rows_affected() as i64;
    // As read from the vendor: the users' page does not queue its first reading.
    sqlx::query!(
        "UPDATE customer_tenants SET users_read_at = now() WHERE reseller_id = $1",
        reseller
    )
    .execute(&mut *tx)
    .await?;
    analyze(tx, "licence_assignments, subscriptions, customer_tenants").await
}

/// Orders (one cart each) spread over two years, 96 % completed, with `lines` lines of active
/// products each, and the subscriptions of the completed ones.
#[allow(clippy::too_many_arguments)]
async fn add_orders(
    tx: &mut PgConnection,
    done: &mut Generated,
    reseller: Uuid,
    owner: Uuid,
    key: &str,
    customers: i64,
    orders: i64,
    lines: i64,
) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO carts (reseller_id, id, user_id, customer_id, status)
         SELECT $1, md5($2 || '-cart-' || o)::uuid, $3, md5($2 || '-c-' || (1 + o % $4))::uuid, 'ordered'
         FROM generate_series(1, $5::bigint) AS o
         ON CONFLICT DO NOTHING",
        reseller,
        key,
        owner,
        customers,
        orders,
    )
    .execute(&mut *tx)
    .await?;
    let added = sqlx::query!(
        "INSERT INTO orders (reseller_id, id, cart_id, customer_id, placed_by, status, currency,
                             total_cost, total_price, vendors, created_at, reason)
         SELECT $1, md5($2 || '-o-' || o)::uuid, md5($2 || '-cart-' || o)::uuid,
                md5($2 || '-c-' || (1 + o % $4))::uuid, $3,
                CASE abs(hashtext($2 || o)) % 100 WHEN 0 THEN 'failed' WHEN 1 THEN 'failed'
                     WHEN 2 THEN 'provisioning' WHEN 3 THEN 'rejected' ELSE 'completed' END,
                'USD', round((abs(hashtext($2 || 'cost' || o)) % 200000) / 100.0, 2),
                round((abs(hashtext($2 || 'cost' || o)) % 200000) / 100.0 * 1.2, 2),
                ARRAY['microsoft'],
                now() - make_interval(secs => (abs(hashtext($2 || 'at' || o)) % (730 * 86400))::double precision),
                NULL
         FROM generate_series(1, $5::bigint) AS o
         ON CONFLICT DO NOTHING",
        reseller,
        key,
        owner,
        customers,
        orders,
    )
    .execute(&mut *tx)
    .await?;
    done.orders += added.rows_affected() as i64;
    analyze(tx, "carts, orders").await?;
    // The lines: active products of the order's vendors, with their first offer.
    let added = sqlx::query!(
        "WITH catalog AS (
             SELECT array_agg(p.id ORDER BY p.sku) AS ids, count(*) AS n
             FROM products p JOIN programs pr ON pr.id = p.program_id JOIN vendors v ON v.id = pr.vendor_id
             WHERE p.status = 'active' AND v.code = 'microsoft' AND p.kind = 'license')
         INSERT INTO order_lines (reseller_id, id, order_id, product_id, sku, product_name, vendor,
                                  term, billing, quantity, unit_cost, unit_price, tenant_domain,
                                  tenant_ref, status)
         SELECT $1, md5($2 || '-l-' || o || '-' || l)::uuid, md5($2 || '-o-' || o)::uuid, p.id,
                p.sku, p.name_en, 'microsoft', f.term, f.billing, 1 + abs(hashtext($2 || 'q' || o || l)) % 50,
                10, 12, 'cliente' || (1 + o % $3) || '-' || left(md5($2), 6) || '.onmicrosoft.com',
                'ms-' || md5($2 || '-t-' || (1 + o % $3)),
                CASE x.status WHEN 'completed' THEN 'completed' WHEN 'failed' THEN 'failed' ELSE 'pending' END
         FROM generate_series(1, $4::bigint) AS o
         CROSS JOIN generate_series(1, $5::bigint) AS l
         CROSS JOIN catalog
         JOIN products p ON p.id = catalog.ids[1 + abs(hashtext($2 || 'p' || o || '-' || l)) % catalog.n]
         JOIN orders x ON x.reseller_id = $1 AND x.id = md5($2 || '-o-' || o)::uuid
         CROSS JOIN LATERAL (SELECT term, billing FROM product_offers WHERE product_id = p.id
                             ORDER BY term, billing LIMIT 1) f
         ON CONFLICT DO NOTHING",
        reseller,
        key,
        customers,
        orders,
        lines,
    )
    .execute(&mut *tx)
    .await?;
    done.lines += added.rows_affected() as i64;
    add_azure_plans(tx, done, reseller, owner, key, customers).await?;
    analyze(tx, "order_lines").await?;
    let added = sqlx::query!(
        "INSERT INTO subscriptions (reseller_id, id, customer_id, product_id, order_line_id,
                                    quantity, term, billing, start_date, end_date, vendor_ref,
                                    created_at, vendor, tenant_domain, unit_price, unit_cost,
                                    currency, auto_renew, quiet_since)
         SELECT l.reseller_id, md5($2 || '-s-' || l.id)::uuid, o.customer_id, l.product_id, l.id,
                l.quantity, l.term, l.billing,
                o.created_at::date,
                (o.created_at + CASE l.term WHEN 'P1M' THEN interval '1 month'
                                            WHEN 'P1Y' THEN interval '1 year'
                                            ELSE interval '3 years' END)::date,
                'sub-' || l.id, o.created_at, l.vendor, l.tenant_domain, l.unit_price, l.unit_cost,
                o.currency, abs(hashtext($2 || 'r' || l.id)) % 7 <> 0, o.created_at
         FROM order_lines l
         JOIN orders o ON o.reseller_id = l.reseller_id AND o.id = l.order_id
         WHERE l.reseller_id = $1 AND l.status = 'completed'
         ON CONFLICT DO NOTHING",
        reseller,
        key,
    )
    .execute(&mut *tx)
    .await?;
    analyze(tx, "subscriptions").await?;
    // Each subscription's purchase batch and history; one in seven later turned auto-renew off.
    sqlx::query!(
        "INSERT INTO seat_batches (reseller_id, id, subscription_id, added, quantity, added_at,
                                   window_closes_at)
         SELECT reseller_id, md5($2 || '-b-' || id)::uuid, id, quantity, quantity, created_at,
                created_at + interval '168 hours'
         FROM subscriptions WHERE reseller_id = $1
         ON CONFLICT DO NOTHING",
        reseller,
        key,
    )
    .execute(&mut *tx)
    .await?;
    analyze(tx, "seat_batches").await?;
    sqlx::query!(
        "INSERT INTO subscription_changes (reseller_id, id, subscription_id, kind, seats_before,
                                           seats_after, auto_renew, amount, currency, status,
                                           actor_label, actor_id, requested_at, decided_at,
                                           start_after, end_after, term_after, billing_after,
                                           product_after, unit_price_after, unit_cost_after)
         SELECT s.reseller_id, md5($2 || '-h-' || s.id || '-' || k.kind)::uuid, s.id, k.kind,
                CASE k.kind WHEN 'purchase' THEN 0 ELSE s.quantity END, s.quantity,
                CASE k.kind WHEN 'auto_renew' THEN false END, 0, s.currency, 'applied',
                CASE k.kind WHEN 'purchase' THEN 'system' END,
                CASE k.kind WHEN 'auto_renew' THEN $3::uuid END,
                s.created_at + k.after, s.created_at + k.after,
                CASE k.kind WHEN 'purchase' THEN s.start_date END,
                CASE k.kind WHEN 'purchase' THEN s.end_date END,
                CASE k.kind WHEN 'purchase' THEN s.term END,
                CASE k.kind WHEN 'purchase' THEN s.billing END,
                CASE k.kind WHEN 'purchase' THEN s.product_id END,
                CASE k.kind WHEN 'purchase' THEN s.unit_price END,
                CASE k.kind WHEN 'purchase' THEN s.unit_cost END
         FROM subscriptions s
         CROSS JOIN (VALUES ('purchase', interval '0'), ('auto_renew', interval '20 days')) AS k(kind, after)
         WHERE s.reseller_id = $1 AND (k.kind = 'purchase' OR NOT s.auto_renew)
           -- The generated ones: the demo's own have their history already.
           AND NOT EXISTS (SELECT 1 FROM subscription_changes h
                           WHERE h.reseller_id = s.reseller_id AND h.subscription_id = s.id
                             AND h.kind = 'purchase' AND h.id <> md5($2 || '-h-' || s.id || '-purchase')::uuid)
         ON CONFLICT DO NOTHING",
        reseller,
        key,
        owner,
    )
    .execute(&mut *tx)
    .await?;
    done.subscriptions += added.rows_affected() as i64;
    analyze(tx, "subscription_changes").await?;
    renew(tx, reseller, key).await?;
    done.usage += add_usage(tx, reseller, key).await?;
    done.sales_months += add_sales_history(tx, reseller, key).await?;
    Ok(())
}

/// One customer in [`AZURE_EVERY`]: an Azure plan (consumption, billed by its usage), ordered
/// with an order of its own.
const AZURE_EVERY: i64 = 25;

async fn add_azure_plans(
    tx: &mut PgConnection,
    done: &mut Generated,
    reseller: Uuid,
    owner: Uuid,
    key: &str,
    customers: i64,
) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO carts (reseller_id, id, user_id, customer_id, status)
         SELECT $1, md5($2 || '-acart-' || c)::uuid, $3, md5($2 || '-c-' || c)::uuid, 'ordered'
         FROM generate_series(1, $4::bigint, $5::bigint) AS c
         ON CONFLICT DO NOTHING",
        reseller,
        key,
        owner,
        customers,
        AZURE_EVERY,
    )
    .execute(&mut *tx)
    .await?;
    let added = sqlx::query!(
        "INSERT INTO orders (reseller_id, id, cart_id, customer_id, placed_by, status, currency,
                             total_cost, total_price, vendors, created_at)
         SELECT $1, md5($2 || '-ao-' || c)::uuid, md5($2 || '-acart-' || c)::uuid,
                md5($2 || '-c-' || c)::uuid, $3, 'completed', 'USD', 0, 0, ARRAY['microsoft'],
                now() - make_interval(secs => (abs(hashtext($2 || 'aat' || c)) % (700 * 86400))::double precision)
         FROM generate_series(1, $4::bigint, $5::bigint) AS c
         ON CONFLICT DO NOTHING",
        reseller,
        key,
        owner,
        customers,
        AZURE_EVERY,
    )
    .execute(&mut *tx)
    .await?;
    done.orders += added.rows_affected() as i64;
    let added = sqlx::query!(
        "INSERT INTO order_lines (reseller_id, id, order_id, product_id, sku, product_name, vendor,
                                  term, billing, quantity, unit_cost, unit_price, tenant_domain,
                                  tenant_ref, status)
         SELECT $1, md5($2 || '-al-' || c)::uuid, md5($2 || '-ao-' || c)::uuid, p.id, p.sku,
                p.name_en, 'microsoft', 'P1M', 'monthly', 1, 0, 0,
                'cliente' || c || '-' || left(md5($2), 6) || '.onmicrosoft.com',
                'ms-' || md5($2 || '-t-' || c), 'completed'
         FROM generate_series(1, $3::bigint, $4::bigint) AS c
         JOIN products p ON p.sku = 'DZH318Z0BPS6'
         ON CONFLICT DO NOTHING",
        reseller,
        key,
        customers,
        AZURE_EVERY,
    )
    .execute(&mut *tx)
    .await?;
    done.lines += added.rows_affected() as i64;
    Ok(())
}

/// Each generated subscription that renews and whose first term ended before the last day of
/// last month: renewed (one renewal recorded, to the term holding that day), so that last
/// month bills it as a real reseller's month would.
async fn renew(tx: &mut PgConnection, reseller: Uuid, key: &str) -> anyhow::Result<()> {
    let today = time::OffsetDateTime::now_utc().date();
    let day = crate::billing::charges::Month::of(today)
        .first_day()
        .previous_day()
        .unwrap_or(today);
    sqlx::query!(
        "WITH due AS (
             SELECT s.reseller_id, s.id, s.quantity, s.currency, s.term, s.billing, s.product_id,
                    s.unit_price, s.unit_cost, m.n,
                    (s.start_date + make_interval(months => k.terms * m.n))::date AS start
             FROM subscriptions s
             CROSS JOIN LATERAL (SELECT CASE s.term WHEN 'P1M' THEN 1 WHEN 'P3Y' THEN 36
                                                    ELSE 12 END AS n) m
             -- Whole terms from the first day to $3: by calendar months, one less when the
             -- last of them would start after $3.
             CROSS JOIN LATERAL (
                 SELECT ((date_part('year', $3::date) - date_part('year', s.start_date)) * 12
                         + date_part('month', $3::date) - date_part('month', s.start_date))::int
                        / m.n AS whole) w
             CROSS JOIN LATERAL (
                 SELECT CASE WHEN s.start_date + make_interval(months => w.whole * m.n) > $3::date
                             THEN w.whole - 1 ELSE w.whole END AS terms) k
             WHERE s.reseller_id = $1 AND s.auto_renew AND s.end_date <= $3::date
               AND k.terms >= 1
               AND EXISTS (SELECT 1 FROM subscription_changes h
                           WHERE h.reseller_id = s.reseller_id AND h.subscription_id = s.id
                             AND h.id = md5($2 || '-h-' || s.id || '-purchase')::uuid)),
         renewed AS (
             INSERT INTO subscription_changes (reseller_id, id, subscription_id, kind,
                                               seats_before, seats_after, amount, currency,
                                               status, actor_label, requested_at, decided_at,
                                               start_after, end_after, term_after,
                                               billing_after, product_after, unit_price_after,
                                               unit_cost_after)
             SELECT reseller_id, md5($2 || '-renew-' || id)::uuid, id, 'renewal', quantity,
                    quantity, 0, currency, 'applied', 'system', start, start, start,
                    (start + make_interval(months => n))::date, term, billing, product_id,
                    unit_price, unit_cost
             FROM due
             ON CONFLICT DO NOTHING
             RETURNING subscription_id, start_after, end_after)
         UPDATE subscriptions s SET start_date = r.start_after, end_date = r.end_after
         FROM renewed r WHERE s.reseller_id = $1 AND s.id = r.subscription_id",
        reseller,
        key,
        day,
    )
    .execute(&mut *tx)
    .await?;
    analyze(tx, "subscriptions, subscription_changes").await?;
    Ok(())
}

/// Last month's daily usage of each generated Azure plan: four meters a day, rated with the
/// reseller's 20 % markup; how many rows.
async fn add_usage(tx: &mut PgConnection, reseller: Uuid, key: &str) -> anyhow::Result<i64> {
    let today = time::OffsetDateTime::now_utc().date();
    let month = crate::billing::charges::Month::of(today).previous();
    let added = sqlx::query!(
        "INSERT INTO usage_records (reseller_id, subscription_id, customer_id, usage_date,
                                    meter_id, meter_name, category, region, unit, quantity,
                                    unit_cost, unit_price)
         SELECT s.reseller_id, s.id, s.customer_id, d::date, m.id, m.name, m.category,
                'brazilsouth', m.unit,
                round(((abs(hashtext($2 || s.id || d || m.id)) % 10000) / 100.0)::numeric, 6),
                m.cost, m.cost * 1.2
         FROM subscriptions s
         JOIN products p ON p.id = s.product_id AND p.sku = 'DZH318Z0BPS6'
         CROSS JOIN generate_series($3::date, $4::date - 1, interval '1 day') AS d
         CROSS JOIN (VALUES ('vm-d2s-v5', 'Virtual Machines D2s v5', 'Compute', '1 Hour', 0.096),
                            ('storage-lrs', 'Standard LRS Data Stored', 'Storage', '1 GB/Month', 0.0208),
                            ('bandwidth-out', 'Data Transfer Out', 'Bandwidth', '1 GB', 0.087),
                            ('sql-s0', 'SQL Database S0', 'Databases', '1 Day', 0.4839))
                    AS m (id, name, category, unit, cost)
         WHERE s.reseller_id = $1 AND s.created_at < $3::date
           -- The generated ones: the demo's has its usage already.
           AND EXISTS (SELECT 1 FROM subscription_changes h
                       WHERE h.reseller_id = s.reseller_id AND h.subscription_id = s.id
                         AND h.id = md5($2 || '-h-' || s.id || '-purchase')::uuid)
         ON CONFLICT DO NOTHING",
        reseller,
        key,
        month.first_day(),
        month.end(),
    )
    .execute(&mut *tx)
    .await?;
    analyze(tx, "usage_records").await?;
    Ok(added.rows_affected() as i64)
}

/// How many months of sales figures a generated reseller has before last month.
const HISTORY_MONTHS: i32 = 24;

/// The sales figures of the [`HISTORY_MONTHS`] months before last month, as their invoices
/// would have kept them (`billing::store::sales`): each month, every subscription bought by
/// then charged its seats at its price, and each Azure plan a usage of its own; per customer
/// and per product from the same amounts, so that both add up to the month. (Last month is
/// billed by the real run; its figures come from that invoice.)
async fn add_sales_history(
    tx: &mut PgConnection,
    reseller: Uuid,
    key: &str,
) -> anyhow::Result<i64> {
    let today = time::OffsetDateTime::now_utc().date();
    let last = crate::billing::charges::Month::of(today)
        .previous()
        .previous();
    let mut first = last;
    for _ in 1..HISTORY_MONTHS {
        first = first.previous();
    }
    // Months that have figures already (the demo's invoices) keep them.
    let kept = sqlx::query_scalar!(
        "SELECT month FROM sales_months WHERE reseller_id = $1",
        reseller
    )
    .fetch_all(&mut *tx)
    .await?;
    // Each subscription's charge in each month (in a CTE of each statement: the months first,
    // which the customers' and products' figures refer to).
    let months = sqlx::query!(
        "WITH g AS (SELECT m::date AS month, s.customer_id, s.product_id,
                           CASE WHEN p.kind = 'license'
                                THEN round(s.quantity * s.unit_cost, 2) ELSE 0 END AS licence_cost,
                           CASE WHEN p.kind = 'license'
                                THEN round(s.quantity * s.unit_price, 2) ELSE 0 END AS licence_price,
                           CASE WHEN p.kind = 'consumption'
                                THEN round((abs(hashtext($2 || s.id || m)) % 40000) / 100.0, 2)
                                ELSE 0 END AS usage_cost
                    FROM subscriptions s
                    JOIN products p ON p.id = s.product_id
                    CROSS JOIN generate_series($3::date, $4::date, interval '1 month') AS m
                    WHERE s.reseller_id = $1 AND s.created_at < m + interval '1 month'
                      AND m::date <> ALL($5))
         INSERT INTO sales_months (reseller_id, month, estimate, currency, licence_cost,
                                   licence_price, usage_cost, usage_price, customers, computed_at)
         SELECT $1, g.month, false, r.billing_currency, sum(g.licence_cost), sum(g.licence_price),
                sum(g.usage_cost), sum(round(g.usage_cost * 1.2, 2)),
                count(DISTINCT g.customer_id), g.month + interval '1 month 6 hours'
         FROM g CROSS JOIN resellers r WHERE r.id = $1
         GROUP BY g.month, r.billing_currency
         ON CONFLICT DO NOTHING",
        reseller,
        key,
        first.first_day(),
        last.first_day(),
        &kept,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "WITH g AS (SELECT m::date AS month, s.customer_id, s.product_id,
                           CASE WHEN p.kind = 'license'
                                THEN round(s.quantity * s.unit_cost, 2) ELSE 0 END AS licence_cost,
                           CASE WHEN p.kind = 'license'
                                THEN round(s.quantity * s.unit_price, 2) ELSE 0 END AS licence_price,
                           CASE WHEN p.kind = 'consumption'
                                THEN round((abs(hashtext($2 || s.id || m)) % 40000) / 100.0, 2)
                                ELSE 0 END AS usage_cost,
                           CASE WHEN p.kind = 'license' THEN s.quantity ELSE 0 END AS quantity
                    FROM subscriptions s
                    JOIN products p ON p.id = s.product_id
                    CROSS JOIN generate_series($3::date, $4::date, interval '1 month') AS m
                    WHERE s.reseller_id = $1 AND s.created_at < m + interval '1 month'
                      AND m::date <> ALL($5)),
              customers AS (
                INSERT INTO sales_by_customer (reseller_id, month, customer_id, licence_cost,
                                               licence_price, usage_cost, usage_price)
                SELECT $1, month, customer_id, sum(licence_cost), sum(licence_price),
                       sum(usage_cost), sum(round(usage_cost * 1.2, 2))
                FROM g GROUP BY month, customer_id
                ON CONFLICT DO NOTHING RETURNING 1)
         INSERT INTO sales_by_product (reseller_id, month, product_id, licence_cost,
                                       licence_price, usage_cost, usage_price, quantity)
         SELECT $1, month, product_id, sum(licence_cost), sum(licence_price), sum(usage_cost),
                sum(round(usage_cost * 1.2, 2)), sum(quantity)
         FROM g GROUP BY month, product_id
         ON CONFLICT DO NOTHING",
        reseller,
        key,
        first.first_day(),
        last.first_day(),
        &kept,
    )
    .execute(&mut *tx)
    .await?;
    analyze(tx, "sales_months, sales_by_customer, sales_by_product").await?;
    Ok(months.rows_affected() as i64)
}
