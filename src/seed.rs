//! `portal seed-demo`: realistic demo data, safe to run again (it only adds what is missing).
//! It grows as features land. The accounts and passwords here are for demonstrations only.

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

    crate::catalog::demo::seed(
        &mut tx,
        Some(reseller_id),
        time::OffsetDateTime::now_utc().date(),
    )
    .await?;

    sqlx::query!(
        "INSERT INTO audit_log (reseller_id, actor_label, action, subject_type, subject_id)
         VALUES ($1, 'cli', 'seed_demo', 'reseller', $1::uuid::text)",
        reseller_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(format!("Demo data loaded.\n{}", how_to_log_in()))
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
