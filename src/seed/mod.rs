//! `portal seed-demo`: realistic demo data, safe to run again (it only adds what is missing).
//! It grows as features land. The accounts and passwords here are for demonstrations only.

pub mod catalog;
pub mod customers;
pub mod scale;
pub mod subscriptions;
pub mod tickets;

use sqlx::PgPool;

use crate::auth::password::PasswordHasher;
use crate::auth::totp;
use crate::crypto::SecretBox;

pub const DEMO_STAFF_EMAIL: &str = "staff@distribuidor.example";
pub const DEMO_OWNER_EMAIL: &str = "owner@nubeandina.example";
pub const DEMO_PASSWORD: &str = "demo-portal-2026";

/// The demo accounts: e-mail, name, role, and their authenticator seed (demo only: printed so
/// that anyone trying the portal can add it to an app, or compute codes).
pub const DEMO_USERS: &[(&str, &str, &str, &[u8; 20])] = &[
    (
        DEMO_STAFF_EMAIL,
        "Sofía Distribuidora",
        "staff",
        b"demo-staff-totp-seed",
    ),
    (
        DEMO_OWNER_EMAIL,
        "Mariana López",
        "owner",
        b"demo-owner-totp-seed",
    ),
    (
        "sales@nubeandina.example",
        "Carlos Ramírez",
        "sales",
        b"demo-sales-totp-seed",
    ),
    (
        "billing@nubeandina.example",
        "Lucía Fernández",
        "billing",
        b"demo-bills-totp-seed",
    ),
];

/// Loads the demo data; returns what to tell the person who ran it.
pub async fn seed_demo(
    pool: &PgPool,
    hasher: &PasswordHasher,
    secrets: &SecretBox,
) -> anyhow::Result<String> {
    let hash = hasher.hash(DEMO_PASSWORD).await?;
    let mut tx = pool.begin().await?;

    let reseller_id = sqlx::query_scalar!(
        r#"INSERT INTO resellers (legal_name, tax_id, country, billing_currency, time_zone, default_locale)
           VALUES ('Nube Andina Soluciones S.A. de C.V.', 'NAS180512AB6', 'MX', 'USD', 'America/Mexico_City', 'es')
           ON CONFLICT (country, tax_id) DO UPDATE SET updated_at = resellers.updated_at
           RETURNING id"#
    )
    .fetch_one(&mut *tx)
    .await?;

    for (email, name, role, seed) in DEMO_USERS {
        let reseller = (*role != "staff").then_some(reseller_id);
        sqlx::query!(
            "INSERT INTO users (reseller_id, email, name, role, status, password_hash, locale,
                                totp_secret_enc, mfa_enabled_at)
             VALUES ($1, $2::text, $3, $4, 'active', $5, 'es', $6, now())
             ON CONFLICT (email) DO NOTHING",
            reseller,
            email,
            name,
            role,
            hash,
            secrets.seal(&seed[..])
        )
        .execute(&mut *tx)
        .await?;
    }

    catalog::seed(
        &mut tx,
        Some(reseller_id),
        time::OffsetDateTime::now_utc().date(),
    )
    .await?;

    let customers = demo_customers(&mut tx, reseller_id).await?;
    let owner = sqlx::query_scalar!("SELECT id FROM users WHERE email = $1", DEMO_OWNER_EMAIL)
        .fetch_one(&mut *tx)
        .await?;
    // Papelería La Esperanza holds the Microsoft ones, Contoso the Google Workspace ones.
    subscriptions::seed(&mut tx, reseller_id, owner, customers[2], customers[0]).await?;

    sqlx::query!(
        "INSERT INTO audit_log (reseller_id, actor_label, action, subject_type, subject_id)
         VALUES ($1, 'cli', 'seed_demo', 'reseller', $1::uuid::text)",
        reseller_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;

    // The Azure plan's usage until yesterday, as the daily import would have read it.
    let now = time::OffsetDateTime::now_utc();
    let vendor = crate::vendors::Sandbox::new(pool.clone());
    for days_ago in (1..=100).rev() {
        let day = now.date() - time::Duration::days(days_ago);
        crate::billing::usage::import(pool, &vendor, day)
            .await
            .map_err(|e| anyhow::anyhow!("usage of {day}: {e:?}"))?;
    }
    // Three months of invoices, each issued early on the 1st of the next month.
    let mut month = crate::billing::charges::Month::of(now.date());
    for _ in 0..3 {
        month = month.previous();
    }
    for _ in 0..3 {
        let at = month.end().midnight().assume_utc() + time::Duration::hours(6);
        crate::billing::run::run(pool, month, at.min(now)).await?;
        month = month.next();
    }
    // This month so far, as the dashboard and the invoices list show it.
    crate::billing::run::estimate(pool, reseller_id, month).await?;
    // And what its subscriptions commit until their terms end.
    crate::reports::commitments::refresh(pool, reseller_id, now).await?;
    // A question asked yesterday and answered by the desk.
    let staff = sqlx::query_scalar!("SELECT id FROM users WHERE email = $1", DEMO_STAFF_EMAIL)
        .fetch_one(pool)
        .await?;
    tickets::seed(pool, reseller_id, owner, staff).await?;

    // Fabrikam moves its Google Workspace to the demo reseller: its admin generated a token.
    let public_id = crate::partners::store::public_id(pool, reseller_id).await?;
    let token = crate::vendors::Sandbox::new(pool.clone())
        .issue_transfer_token(TRANSFER_DOMAIN, &public_id, time::Duration::days(14))
        .await?;
    Ok(format!(
        "Demo data loaded.\n{}\nTo try a Google Workspace transfer, order for Fabrikam Latinoamérica with \
         domain {TRANSFER_DOMAIN} and transfer token {token} (valid 14 days; \
         `portal sandbox-transfer-token` makes more).\n",
        how_to_log_in()
    ))
}

/// The Google Workspace domain of the demo customer that transfers to the demo reseller.
pub const TRANSFER_DOMAIN: &str = "fabrikam-latam.example";

/// A Mexican RFC from its first eleven characters, with its check digit.
fn rfc(base: &str) -> String {
    "0123456789A"
        .chars()
        .map(|d| format!("{base}{d}"))
        .find(|c| crate::countries::tax_id::parse("MX", c).is_ok())
        .unwrap_or_else(|| format!("{base}0"))
}

/// Three customers of the demo reseller: one without tenants (order a new Microsoft tenant),
/// one moving its Google Workspace to the reseller, one with its existing Microsoft tenant.
async fn demo_customers(
    tx: &mut sqlx::PgConnection,
    reseller_id: uuid::Uuid,
) -> anyhow::Result<Vec<uuid::Uuid>> {
    let mut ids = Vec::new();
    let customers = [
        (
            "Contoso México S.A. de C.V.",
            "CME150301AB",
            "Ana Torres",
            "ana.torres@contoso-mx.example",
            "+52 55 5555 0101",
            "Paseo de la Reforma 222",
            "Ciudad de México",
            "CMX",
            "Ciudad de México",
            "06600",
            None,
        ),
        (
            "Fabrikam Latinoamérica S.A. de C.V.",
            "FLA170815CD",
            "Luis Pérez",
            "luis.perez@fabrikam-latam.example",
            "+52 33 3333 0202",
            "Av. Vallarta 1500",
            "Guadalajara",
            "JAL",
            "Jalisco",
            "44100",
            None,
        ),
        (
            "Papelería La Esperanza",
            "PES120210EF",
            "María López",
            "maria@papeleria-esperanza.example",
            "+52 81 8181 0303",
            "Calle Morelos 45",
            "Monterrey",
            "NLE",
            "Nuevo León",
            "64000",
            Some("papeleriaesperanza.onmicrosoft.com"),
        ),
    ];
    for (name, base, contact, email, phone, street, city, region_code, region, postal, tenant) in
        customers
    {
        let id: uuid::Uuid = sqlx::query_scalar!(
            "INSERT INTO customers (reseller_id, legal_name, tax_id, country, contact_name, contact_email,
                                    contact_phone, billing_email, address_line1, city, region_code, region_name,
                                    postal_code, creation_key)
             VALUES ($1, $2, $3, 'MX', $4, $5, $6, $5, $7, $8, $9, $10, $11, gen_random_uuid())
             ON CONFLICT (reseller_id, country, tax_id) DO UPDATE SET updated_at = customers.updated_at
             RETURNING id",
            reseller_id,
            name,
            rfc(base),
            contact,
            email,
            phone,
            street,
            city,
            region_code,
            region,
            postal,
        )
        .fetch_one(&mut *tx)
        .await?;
        if let Some(domain) = tenant {
            let tenant_ref = format!("microsoft-linked-{}", uuid::Uuid::new_v4().simple());
            sqlx::query!(
                "INSERT INTO sandbox_domains (vendor, domain, reseller_id, customer_id, tenant_ref)
                 VALUES ('microsoft', $1, $2, $3, $4) ON CONFLICT (vendor, domain) DO NOTHING",
                domain,
                reseller_id,
                id,
                tenant_ref,
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "INSERT INTO customer_tenants (reseller_id, customer_id, vendor, origin, domain, tenant_ref)
                 SELECT $1, $2, 'microsoft', 'linked', $3, tenant_ref FROM sandbox_domains
                 WHERE vendor = 'microsoft' AND domain = $3
                 ON CONFLICT (reseller_id, vendor, domain) DO NOTHING",
                reseller_id,
                id,
                domain,
            )
            .execute(&mut *tx)
            .await?;
        }
        ids.push(id);
    }
    Ok(ids)
}

/// The demo accounts, printed at start on the embedded default.
pub fn how_to_log_in() -> String {
    let mut text = format!(
        "Demo accounts (password for all: {DEMO_PASSWORD}); add each authenticator key to an \
         app such as Google Authenticator (demo only):\n"
    );
    for (email, _, role, seed) in DEMO_USERS {
        text.push_str(&format!(
            "  {role:<8} {email:<28} key {}\n",
            totp::secret_text(&seed[..])
        ));
    }
    text
}
