//! SQL for staff's changes to the catalog: products with their offers and relations, their
//! status, vendors and programs. The catalog is not tenant data: these run on the pool (or its
//! transactions) as the owning role.

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::catalog::forms::{ProductInput, ProgramInput};
use crate::catalog::rules::ProductStatus;
use crate::db::{OnConstraint, SaveError};
use crate::fields::FieldErrors;

fn refused(field: &'static str, key: &'static str) -> SaveError {
    SaveError::Refused(FieldErrors::one(field, key))
}

/// Creates a product of the program `input.program_code`, with its offers and relations.
pub async fn create_product(
    tx: &mut PgConnection,
    input: &ProductInput,
) -> Result<Uuid, SaveError> {
    let id = sqlx::query_scalar!(
        "INSERT INTO products (program_id, sku, name_es, name_en, name_pt, description_es,
                               description_en, description_pt, category, kind, min_seats, max_seats)
         SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM programs WHERE code = $1
         RETURNING id",
        input.program_code,
        input.sku,
        input.names[0],
        input.names[1],
        input.names[2],
        input.descriptions[0],
        input.descriptions[1],
        input.descriptions[2],
        input.category.code(),
        input.kind.code(),
        input.min_seats,
        input.max_seats,
    )
    .fetch_optional(&mut *tx)
    .await
    .on_constraint("products_sku_key", "sku", "catalog.sku_taken")?
    .ok_or_else(|| refused("program", "catalog.invalid_choice"))?;
    save_relations(tx, id, input).await?;
    Ok(id)
}

/// Saves a product's data, offers and relations (its SKU never changes).
pub async fn update_product(
    tx: &mut PgConnection,
    id: Uuid,
    input: &ProductInput,
) -> Result<(), SaveError> {
    let updated = sqlx::query!(
        "UPDATE products SET program_id = (SELECT id FROM programs WHERE code = $2),
                name_es = $3, name_en = $4, name_pt = $5, description_es = $6, description_en = $7,
                description_pt = $8, category = $9, kind = $10, min_seats = $11, max_seats = $12,
                updated_at = now()
         WHERE id = $1 AND EXISTS (SELECT 1 FROM programs WHERE code = $2)",
        id,
        input.program_code,
        input.names[0],
        input.names[1],
        input.names[2],
        input.descriptions[0],
        input.descriptions[1],
        input.descriptions[2],
        input.category.code(),
        input.kind.code(),
        input.min_seats,
        input.max_seats,
    )
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(refused("program", "catalog.invalid_choice"));
    }
    save_relations(tx, id, input).await
}

/// Replaces the product's offers, upgrade paths and bases; an unknown SKU is refused beside its
/// field.
async fn save_relations(
    tx: &mut PgConnection,
    id: Uuid,
    input: &ProductInput,
) -> Result<(), SaveError> {
    sqlx::query!("DELETE FROM product_offers WHERE product_id = $1", id)
        .execute(&mut *tx)
        .await?;
    for (t, b) in &input.offers {
        sqlx::query!(
            "INSERT INTO product_offers (product_id, term, billing) VALUES ($1, $2, $3)",
            id,
            t.code(),
            b.code(),
        )
        .execute(&mut *tx)
        .await?;
    }
    let mut errors = FieldErrors::new();
    sqlx::query!("DELETE FROM product_upgrades WHERE from_id = $1", id)
        .execute(&mut *tx)
        .await?;
    for sku in &input.upgrades {
        let done = sqlx::query!(
            "INSERT INTO product_upgrades (from_id, to_id) SELECT $1, id FROM products WHERE sku = $2
             ON CONFLICT DO NOTHING",
            id,
            sku,
        )
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            errors.add("upgrades", "catalog.unknown_sku");
        }
    }
    sqlx::query!("DELETE FROM product_addons WHERE addon_id = $1", id)
        .execute(&mut *tx)
        .await?;
    for sku in &input.addon_of {
        let done = sqlx::query!(
            "INSERT INTO product_addons (addon_id, base_id) SELECT $1, id FROM products WHERE sku = $2
             ON CONFLICT DO NOTHING",
            id,
            sku,
        )
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            errors.add("addon_of", "catalog.unknown_sku");
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(SaveError::Refused(errors))
    }
}

/// Retires a product (it leaves new orders, stays on subscriptions and invoices) or offers it
/// again; false when there is no such product.
pub async fn set_status(
    tx: &mut PgConnection,
    id: Uuid,
    status: ProductStatus,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE products SET status = $2, retired_at = CASE WHEN $2 = 'retired' THEN now() END,
                updated_at = now()
         WHERE id = $1",
        id,
        status.code(),
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A program as the vendors page lists it.
#[derive(Debug)]
pub struct ProgramRow {
    pub code: String,
    pub name: String,
    pub vendor: String,
    pub countries: Vec<String>,
    pub products: i64,
    pub description_es: String,
    pub description_en: String,
    pub description_pt: String,
}

pub async fn programs(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<ProgramRow>> {
    sqlx::query_as!(
        ProgramRow,
        r#"SELECT pr.code, pr.name, v.name AS vendor, pr.countries::text[] AS "countries!",
                  (SELECT count(*) FROM products p WHERE p.program_id = pr.id) AS "products!",
                  pr.description_es, pr.description_en, pr.description_pt
           FROM programs pr JOIN vendors v ON v.id = pr.vendor_id ORDER BY v.name, pr.name"#
    )
    .fetch_all(db)
    .await
}

/// A new vendor; `None` when the code is taken.
pub async fn create_vendor(
    tx: &mut PgConnection,
    code: &str,
    name: &str,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "INSERT INTO vendors (code, name) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING RETURNING id",
        code,
        name,
    )
    .fetch_optional(tx)
    .await
}

/// A new program of vendor `vendor`; `None` when the code is taken (or the vendor unknown).
pub async fn create_program(
    tx: &mut PgConnection,
    vendor: &str,
    p: &ProgramInput,
) -> sqlx::Result<Option<Uuid>> {
    let [es, en, pt] = &p.descriptions;
    sqlx::query_scalar!(
        "INSERT INTO programs (vendor_id, code, name, countries, description_es, description_en,
                               description_pt)
         SELECT id, $2, $3, $4::text[]::char(2)[], $5, $6, $7 FROM vendors WHERE code = $1
         ON CONFLICT (code) DO NOTHING RETURNING id",
        vendor,
        p.code,
        p.name,
        &p.countries,
        es,
        en,
        pt,
    )
    .fetch_optional(tx)
    .await
}

/// Renames a vendor; `None` when there is none with this code.
pub async fn rename_vendor(
    tx: &mut PgConnection,
    code: &str,
    name: &str,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "UPDATE vendors SET name = $2 WHERE code = $1 RETURNING id",
        code,
        name,
    )
    .fetch_optional(tx)
    .await
}

/// Saves a program's name, countries and descriptions; `None` when there is none with this code.
pub async fn update_program(
    tx: &mut PgConnection,
    code: &str,
    p: &ProgramInput,
) -> sqlx::Result<Option<Uuid>> {
    let [es, en, pt] = &p.descriptions;
    sqlx::query_scalar!(
        "UPDATE programs SET name = $2, countries = $3::text[]::char(2)[], description_es = $4,
                description_en = $5, description_pt = $6
         WHERE code = $1 RETURNING id",
        code,
        p.name,
        &p.countries,
        es,
        en,
        pt,
    )
    .fetch_optional(tx)
    .await
}
