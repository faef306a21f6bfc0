//! Demo subscriptions of different ages, so that every rule of J6 can be seen on a fresh start:
//! Business Standard bought six days ago (its window open, closing tomorrow: the dashboard's
//! "windows closing"), Business Basic bought months ago
//! (its window closed, upgrades available), Business Premium renewing in ten days, and two
//! Google Workspace subscriptions (one active, one suspended by the reseller), and an Azure plan
//! whose usage the demo imports (issue 18). Seats were added to two of them later, so that
//! invoices show prorated lines. Each comes with
//! the completed order it was bought in, its seat batch, its history, and the vendor's side in
//! the sandbox, so that every change works on it.

use sqlx::PgConnection;
use uuid::Uuid;

/// One demo purchase.
struct Bought {
    key: &'static str,
    sku: &'static str,
    seats: i32,
    /// How many days ago it was bought.
    days_ago: i32,
    vendor: &'static str,
    domain: &'static str,
    suspended: bool,
    /// Seats added later: how many, and how many days ago (none: on the 12th of last month, so
    /// that last month's invoice shows a prorated line).
    added: Option<(i32, Option<i32>)>,
    /// P1Y, or P1M (a consumption plan).
    term: &'static str,
}

const BOUGHT: &[Bought] = &[
    Bought {
        // (Its key from when it was bought three days before: kept, so that seeding a database
        // seeded then adds nothing.)
        key: "standard-3-days",
        sku: "CFQ7TTC0LDPB",
        seats: 10,
        days_ago: 6,
        vendor: "microsoft",
        domain: "papeleriaesperanza.onmicrosoft.com",
        suspended: false,
        added: None,
        term: "P1Y",
    },
    Bought {
        key: "basic-4-months",
        sku: "CFQ7TTC0LH18",
        seats: 25,
        days_ago: 120,
        vendor: "microsoft",
        domain: "papeleriaesperanza.onmicrosoft.com",
        suspended: false,
        added: Some((5, None)),
        term: "P1Y",
    },
    Bought {
        key: "premium-renews-10-days",
        sku: "CFQ7TTC0LCHC",
        seats: 5,
        days_ago: 355,
        vendor: "microsoft",
        domain: "papeleriaesperanza.onmicrosoft.com",
        suspended: false,
        added: None,
        term: "P1Y",
    },
    Bought {
        key: "workspace-standard",
        sku: "GWS-BUSINESS-STANDARD",
        seats: 20,
        days_ago: 60,
        vendor: "google",
        domain: "contoso-mx.example",
        suspended: false,
        added: Some((4, Some(33))),
        term: "P1Y",
    },
    Bought {
        key: "workspace-starter-suspended",
        sku: "GWS-BUSINESS-STARTER",
        seats: 8,
        days_ago: 200,
        vendor: "google",
        domain: "contoso-mx.example",
        suspended: true,
        added: None,
        term: "P1Y",
    },
    Bought {
        key: "azure-plan",
        sku: "DZH318Z0BPS6",
        seats: 1,
        days_ago: 100,
        vendor: "microsoft",
        domain: "papeleriaesperanza.onmicrosoft.com",
        suspended: false,
        added: None,
        term: "P1M",
    },
];

/// The demo subscriptions of `customer_ms` (its Microsoft tenant) and `customer_google` (a
/// Google Workspace tenant it gets here), bought by `owner`; adds only what is missing.
pub async fn seed(
    tx: &mut PgConnection,
    reseller: Uuid,
    owner: Uuid,
    customer_ms: Uuid,
    customer_google: Uuid,
) -> sqlx::Result<()> {
    let google_ref = format!("google-linked-{}", &reseller.simple().to_string()[..12]);
    sqlx::query!(
        "INSERT INTO sandbox_domains (vendor, domain, reseller_id, customer_id, tenant_ref)
         VALUES ('google', 'contoso-mx.example', $1, $2, $3) ON CONFLICT DO NOTHING",
        reseller,
        customer_google,
        google_ref,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO customer_tenants (reseller_id, customer_id, vendor, origin, domain, tenant_ref)
         SELECT $1, $2, 'google', 'linked', 'contoso-mx.example', tenant_ref FROM sandbox_domains
         WHERE vendor = 'google' AND domain = 'contoso-mx.example' AND reseller_id = $1
         ON CONFLICT DO NOTHING",
        reseller,
        customer_google,
    )
    .execute(&mut *tx)
    .await?;
    // The Azure plan's program, approved and its terms accepted.
    sqlx::query!(
        "WITH azure AS (SELECT id FROM programs WHERE code = 'microsoft-azure'),
              enrolled AS (
                  INSERT INTO program_enrollments (reseller_id, program_id, status, domain,
                                                   decided_at)
                  SELECT $1, id, 'approved', 'nubeandina.onmicrosoft.com', now() FROM azure
                  ON CONFLICT DO NOTHING)
         INSERT INTO program_terms_acceptances (reseller_id, program_id, version, user_id)
         SELECT $1, id, 1, $2 FROM azure
         ON CONFLICT DO NOTHING",
        reseller,
        owner,
    )
    .execute(&mut *tx)
    .await?;
    for b in BOUGHT {
        let customer = if b.vendor == "google" {
            customer_google
        } else {
            customer_ms
        };
        buy(tx, reseller, owner, customer, b).await?;
    }
    // The Microsoft customer accepted the Microsoft Customer Agreement with its first order,
    // by its contact, as the cart asks before a first Microsoft purchase.
    sqlx::query!(
        "INSERT INTO customer_agreements (reseller_id, customer_id, agreement, signer_name,
                                          signer_email, accepted_on, recorded_by, order_id,
                                          recorded_at)
         SELECT o.reseller_id, o.customer_id, 'microsoft_customer_agreement', c.contact_name,
                c.contact_email, o.created_at::date, o.placed_by, o.id, o.created_at
         FROM orders o JOIN customers c ON c.reseller_id = o.reseller_id AND c.id = o.customer_id
         WHERE o.reseller_id = $1 AND o.customer_id = $2 AND 'microsoft' = ANY (o.vendors)
         ORDER BY o.created_at LIMIT 1
         ON CONFLICT DO NOTHING",
        reseller,
        customer_ms,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The order, line, subscription, batch and history of one purchase, and the vendor's side.
async fn buy(
    tx: &mut PgConnection,
    reseller: Uuid,
    owner: Uuid,
    customer: Uuid,
    b: &Bought,
) -> sqlx::Result<()> {
    let key = format!("{reseller}-demo-{}", b.key);
    let vendor_ref = format!(
        "{}-sub-demo-{}",
        b.vendor,
        &reseller.simple().to_string()[..8]
    );
    let vendor_ref = format!("{vendor_ref}-{}", b.key);
    // Microsoft's seats can be reduced for 168 hours; Google's follow the plan.
    let windowed = b.vendor == "microsoft";
    // Yearly, billed monthly, at today's price and the reseller's markup; placed `days_ago`.
    let created = sqlx::query!(
        r#"WITH product AS (
               SELECT p.id, p.sku, p.name_en,
                      x.cost, round(x.cost * (1 + r.markup_percent / 100), 4) AS price
               FROM products p JOIN prices x ON x.product_id = p.id
               CROSS JOIN resellers r
               WHERE p.sku = $5 AND r.id = $1 AND x.term = $12 AND x.billing = 'monthly'
                 AND x.currency = 'USD' AND x.valid_from <= current_date
                 AND (x.valid_to IS NULL OR x.valid_to > current_date)),
           at AS (SELECT now() - make_interval(days => $7) AS t),
           cart AS (
               INSERT INTO carts (reseller_id, id, user_id, customer_id, status, created_at)
               SELECT $1, md5($4 || '-cart')::uuid, $2, $3, 'ordered', at.t FROM at
               ON CONFLICT DO NOTHING RETURNING id),
           placed AS (
               INSERT INTO orders (reseller_id, id, cart_id, customer_id, placed_by, status,
                                   currency, total_cost, total_price, vendors, created_at,
                                   updated_at)
               SELECT $1, md5($4 || '-order')::uuid, cart.id, $3, $2, 'completed', 'USD',
                      round(product.cost * $6::integer, 2), round(product.price * $6::integer, 2), ARRAY[$8],
                      at.t, at.t
               FROM cart, product, at RETURNING id, created_at),
           events AS (
               INSERT INTO order_events (reseller_id, order_id, status, actor_id, actor_label, at)
               SELECT $1, placed.id, s.status, CASE s.status WHEN 'submitted' THEN $2::uuid END,
                      CASE s.status WHEN 'completed' THEN 'worker' END,
                      placed.created_at + s.after
               FROM placed, (VALUES ('submitted', interval '0'), ('provisioning', interval '2 seconds'),
                                    ('completed', interval '9 seconds')) AS s(status, after)),
           line AS (
               INSERT INTO order_lines (reseller_id, id, order_id, product_id, sku, product_name,
                                        vendor, term, billing, quantity, unit_cost, unit_price,
                                        tenant_domain, tenant_ref, status)
               SELECT $1, md5($4 || '-line')::uuid, placed.id, product.id, product.sku,
                      product.name_en, $8, $12, 'monthly', $6::integer, product.cost, product.price,
                      $9, t.tenant_ref, 'completed'
               FROM placed, product, customer_tenants t
               WHERE t.reseller_id = $1 AND t.customer_id = $3 AND t.vendor = $8 AND t.domain = $9
               RETURNING id, product_id, unit_cost, unit_price)
           INSERT INTO subscriptions (reseller_id, id, customer_id, product_id, order_line_id,
                                      quantity, term, billing, start_date, end_date, vendor_ref,
                                      created_at, vendor, tenant_domain, unit_price, unit_cost,
                                      currency, status, suspension_reason, quiet_since)
           SELECT $1, md5($4 || '-subscription')::uuid, $3, line.product_id, line.id, $6::integer, $12,
                  'monthly', term.start, (term.start + term.length)::date, $10, at.t, $8, $9,
                  line.unit_price, line.unit_cost, 'USD',
                  CASE WHEN $11 THEN 'suspended' ELSE 'active' END,
                  CASE WHEN $11 THEN 'reseller' END, at.t
           FROM line, at,
                -- A monthly term renews every month: the current one began on the last
                -- monthly anniversary of the purchase.
                LATERAL (SELECT CASE $12 WHEN 'P1M' THEN current_date - ($7::integer % 30)
                                         ELSE at.t::date END AS start,
                                CASE $12 WHEN 'P1M' THEN interval '1 month'
                                         ELSE interval '1 year' END AS length) AS term
           RETURNING id, created_at, start_date, end_date, term, product_id, unit_price, unit_cost"#,
        reseller,
        owner,
        customer,
        key,
        b.sku,
        b.seats,
        b.days_ago,
        b.vendor,
        b.domain,
        vendor_ref,
        b.suspended,
        b.term,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(created) = created else {
        // Already there (or the product is not sold): nothing to add.
        return Ok(());
    };
    sqlx::query!(
        "WITH batch AS (
             INSERT INTO seat_batches (reseller_id, subscription_id, added, quantity, added_at,
                                       window_closes_at)
             VALUES ($1, $2, $3, $3, $4::timestamptz,
                     CASE WHEN $5 THEN $4::timestamptz + interval '168 hours' END))
         INSERT INTO subscription_changes (reseller_id, subscription_id, kind, seats_before,
                                           seats_after, amount, currency, status, actor_label,
                                           requested_at, decided_at, start_after, end_after,
                                           term_after, billing_after, product_after,
                                           unit_price_after, unit_cost_after)
         VALUES ($1, $2, 'purchase', 0, $3, 0, 'USD', 'applied', 'system', $4::timestamptz,
                 $4::timestamptz, $6, $7, $11, 'monthly', $8, $9, $10)",
        reseller,
        created.id,
        b.seats,
        created.created_at,
        windowed,
        created.start_date,
        created.end_date,
        created.product_id,
        created.unit_price,
        created.unit_cost,
        created.term,
    )
    .execute(&mut *tx)
    .await?;
    if b.suspended {
        sqlx::query!(
            "INSERT INTO subscription_changes (reseller_id, subscription_id, kind, seats_before,
                                               seats_after, amount, currency, status, status_after,
                                               actor_id, requested_at, decided_at)
             VALUES ($1, $2, 'suspend', $3, $3, 0, 'USD', 'applied', 'suspended', $4,
                     now() - interval '5 days', now() - interval '5 days')",
            reseller,
            created.id,
            b.seats,
            owner,
        )
        .execute(&mut *tx)
        .await?;
    }
    // The vendor's side: the same subscription, seats and status.
    sqlx::query!(
        "WITH sub AS (
             INSERT INTO sandbox_subscriptions (vendor_ref, vendor, tenant_ref, sku, quantity,
                                                request_key, created_at, term, status,
                                                suspension_reason)
             SELECT $1, $2, l.tenant_ref, l.sku, l.quantity, l.id::text, $3, l.term,
                    CASE WHEN $4 THEN 'suspended' ELSE 'active' END,
                    CASE WHEN $4 THEN 'reseller' END
             FROM order_lines l WHERE l.reseller_id = $5 AND l.id = md5($6 || '-line')::uuid
             ON CONFLICT DO NOTHING RETURNING vendor_ref, quantity, created_at)
         INSERT INTO sandbox_seat_batches (vendor_ref, quantity, added_at)
         SELECT vendor_ref, quantity, created_at FROM sub",
        vendor_ref,
        b.vendor,
        created.created_at,
        b.suspended,
        reseller,
        key,
    )
    .execute(&mut *tx)
    .await?;
    if let Some((seats, days_ago)) = b.added {
        let days_ago = days_ago.unwrap_or_else(|| {
            let today = time::OffsetDateTime::now_utc().date();
            let twelfth = crate::billing::charges::Month::of(today)
                .previous()
                .first_day()
                + time::Duration::days(11);
            (today - twelfth).whole_days() as i32
        });
        add_seats(
            tx,
            reseller,
            owner,
            created.id,
            &vendor_ref,
            seats,
            days_ago,
            windowed,
        )
        .await?;
    }
    Ok(())
}

/// Seats added `days_ago`, charged as the subscription's page would have previewed them, with
/// their batch, the change in the history, and the vendor's side.
#[allow(clippy::too_many_arguments)]
async fn add_seats(
    tx: &mut PgConnection,
    reseller: Uuid,
    owner: Uuid,
    subscription: Uuid,
    vendor_ref: &str,
    seats: i32,
    days_ago: i32,
    windowed: bool,
) -> sqlx::Result<()> {
    use crate::subscriptions::proration;
    let s = sqlx::query!(
        "SELECT start_date, end_date, quantity, unit_price, unit_cost, now() - make_interval(days => $3) AS \"at!\"
         FROM subscriptions WHERE reseller_id = $1 AND id = $2",
        reseller,
        subscription,
        days_ago,
    )
    .fetch_one(&mut *tx)
    .await?;
    let day = s.at.date();
    let period = proration::period_containing(
        s.start_date,
        crate::catalog::rules::Billing::Monthly,
        s.end_date,
        day,
    );
    let amount = proration::seat_change(s.unit_price, seats, period, day);
    let cost = proration::seat_change(s.unit_cost, seats, period, day);
    sqlx::query!(
        "WITH batch AS (
             INSERT INTO seat_batches (reseller_id, subscription_id, added, quantity, added_at,
                                       window_closes_at)
             VALUES ($1, $2, $3, $3, $4::timestamptz,
                     CASE WHEN $5 THEN $4::timestamptz + interval '168 hours' END)
             RETURNING id),
         grown AS (
             UPDATE subscriptions SET quantity = quantity + $3, version = version + 1
             WHERE reseller_id = $1 AND id = $2)
         INSERT INTO subscription_changes (reseller_id, subscription_id, kind, seats_before,
                                           seats_after, batch_id, amount, cost, currency, status,
                                           actor_id, requested_at, decided_at)
         SELECT $1, $2, 'add_seats', $6, $6 + $3, batch.id, $7, $8, 'USD', 'applied', $9,
                $4::timestamptz, $4::timestamptz
         FROM batch",
        reseller,
        subscription,
        seats,
        s.at,
        windowed,
        s.quantity,
        amount,
        cost,
        owner,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "WITH grown AS (
             UPDATE sandbox_subscriptions SET quantity = quantity + $2 WHERE vendor_ref = $1)
         INSERT INTO sandbox_seat_batches (vendor_ref, quantity, added_at) VALUES ($1, $2, $3)",
        vendor_ref,
        seats,
        s.at,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}
