//! Generated customers at scale (`portal generate-customers`), for measuring the list: one
//! reseller with many customers and others sharing the table, as in production.

use sqlx::PgConnection;
use uuid::Uuid;

/// Adds `per_reseller` customers to each of `resellers` new resellers; the first reseller gets
/// `first` customers instead (the big one). Returns the big reseller's id.
pub async fn generate(
    tx: &mut PgConnection,
    resellers: usize,
    per_reseller: usize,
    first: usize,
) -> sqlx::Result<Uuid> {
    let mut big = None;
    for n in 0..resellers.max(1) {
        let id: Uuid = sqlx::query_scalar!(
            "INSERT INTO resellers (legal_name, tax_id, country, billing_currency)
             VALUES ($1, $2, 'MX', 'USD') RETURNING id",
            format!("Generated Reseller {n:04} S.A."),
            format!("GEN{:09}", rand::random::<u32>()),
        )
        .fetch_one(&mut *tx)
        .await?;
        let count = if n == 0 { first } else { per_reseller };
        // Names from word lists, with accents, so that searches behave as with real data.
        sqlx::query!(
            "INSERT INTO customers (reseller_id, legal_name, tax_id, country, contact_name, contact_email,
                                    contact_phone, billing_email, address_line1, city, region_code,
                                    region_name, postal_code, creation_key, status)
             SELECT $1,
                    (ARRAY['Comercializadora','Grupo','Servicios','Distribuidora','Consultoría','Tecnología','Logística','Farmacia','Constructora','Panadería'])[1 + g % 10]
                    || ' ' || (ARRAY['Álamo','Núñez','Río Bravo','Pacífico','Andina','Azteca','Maya','Condor','Ébano','Sol'])[1 + (g / 10) % 10]
                    || ' ' || (ARRAY['del Norte','del Sur','Central','Integral','Global','Express','Digital','Plus','Industrial','Médica'])[1 + (g / 100) % 10]
                    || ' ' || g || ' S.A. de C.V.',
                    'GEN' || lpad(g::text, 9, '0'),
                    'MX',
                    'Contacto ' || g,
                    'contacto' || g || '@cliente' || g || '.example',
                    '+52 55 ' || lpad((g % 100000000)::text, 8, '0'),
                    'facturas' || g || '@cliente' || g || '.example',
                    'Calle ' || (g % 500) || ' #' || (g % 90 + 1),
                    'Ciudad de México', 'CMX', 'Ciudad de México', lpad((g % 99999)::text, 5, '0'),
                    gen_random_uuid(),
                    CASE WHEN g % 17 = 0 THEN 'inactive' ELSE 'active' END
             FROM generate_series(1, $2) AS g",
            id,
            count as i64,
        )
        .execute(&mut *tx)
        .await?;
        big.get_or_insert(id);
    }
    Ok(big.unwrap_or_default())
}
