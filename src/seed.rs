//! `portal seed-demo`: realistic demo data, safe to run again (it only adds what is missing).
//! It grows as features land. The accounts and passwords here are for demonstrations only.

use sqlx::PgPool;

use crate::auth::password::PasswordHasher;

pub const DEMO_STAFF_EMAIL: &str = "staff@distribuidor.example";
pub const DEMO_OWNER_EMAIL: &str = "owner@nubeandina.example";
pub const DEMO_PASSWORD: &str = "demo-portal-2026";

/// Loads the demo data; returns what to tell the person who ran it.
pub async fn seed_demo(pool: &PgPool, hasher: &PasswordHasher) -> anyhow::Result<String> {
    let hash = hasher.hash(DEMO_PASSWORD).await?;
    let mut tx = pool.begin().await?;

    sqlx::query!(
        "INSERT INTO users (email, name, role, status, password_hash, locale)
         VALUES ($1::text, 'Sofía Distribuidora', 'staff', 'active', $2, 'es')
         ON CONFLICT (email) DO NOTHING",
        DEMO_STAFF_EMAIL,
        hash
    )
    .execute(&mut *tx)
    .await?;

    let reseller_id = sqlx::query_scalar!(
        r#"INSERT INTO resellers (legal_name, tax_id, country, billing_currency, time_zone, default_locale)
           VALUES ('Nube Andina Soluciones S.A. de C.V.', 'NAS180512AB1', 'MX', 'USD', 'America/Mexico_City', 'es')
           ON CONFLICT (country, tax_id) DO UPDATE SET updated_at = resellers.updated_at
           RETURNING id"#
    )
    .fetch_one(&mut *tx)
    .await?;

    for (email, name, role) in [
        (DEMO_OWNER_EMAIL, "Mariana López", "owner"),
        ("sales@nubeandina.example", "Carlos Ramírez", "sales"),
        ("billing@nubeandina.example", "Lucía Fernández", "billing"),
    ] {
        sqlx::query!(
            "INSERT INTO users (reseller_id, email, name, role, status, password_hash, locale)
             VALUES ($1, $2::text, $3, $4, 'active', $5, 'es')
             ON CONFLICT (email) DO NOTHING",
            reseller_id,
            email,
            name,
            role,
            hash
        )
        .execute(&mut *tx)
        .await?;
    }

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
    format!(
        "Demo accounts (password for all: {DEMO_PASSWORD}):\n  \
         distributor staff: {DEMO_STAFF_EMAIL}\n  \
         reseller owner:    {DEMO_OWNER_EMAIL}\n  \
         reseller sales:    sales@nubeandina.example\n  \
         reseller billing:  billing@nubeandina.example"
    )
}
