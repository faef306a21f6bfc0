//! SQL for customers and their vendor tenants. Every function runs in a tenant transaction and
//! takes the reseller explicitly as well.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::customers::rules::CustomerInput;

pub const PAGE_SIZE: i64 = 25;

#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub q: String,
    pub country: String,
    pub status: String,
    /// `name` (default) or `newest`.
    pub sort: String,
    /// Keyset cursors: the page after or before this row.
    pub after: Option<Cursor>,
    pub before: Option<Cursor>,
}

/// A position in the list: the sort key and the id of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub key: String,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}\u{0}{}", self.key, self.id))
    }

    pub fn decode(s: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(s.as_bytes()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (key, id) = text.split_once('\u{0}')?;
        Some(Self {
            key: key.to_string(),
            id: Uuid::parse_str(id).ok()?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct Listed {
    pub id: Uuid,
    pub legal_name: String,
    pub tax_id: String,
    pub country: String,
    pub city: String,
    pub contact_email: String,
    pub status: String,
    pub created_at: OffsetDateTime,
    pub sort_name: String,
}

fn push_filters<'a>(b: &mut QueryBuilder<'a, Postgres>, reseller_id: Uuid, q: &'a ListQuery) {
    b.push(" FROM customers c WHERE c.reseller_id = ")
        .push_bind(reseller_id);
    let text = q.q.trim();
    if !text.is_empty() {
        // Name, tax id, e-mails and tenant domains, through the indexed search function
        // (migrations/0008_customer_search.sql explains why it is a function).
        b.push(" AND c.id IN (SELECT id FROM portal_customer_matches(")
            .push_bind(text)
            .push("))");
    }
    if !q.country.is_empty() {
        b.push(" AND c.country = ").push_bind(q.country.as_str());
    }
    if !q.status.is_empty() {
        b.push(" AND c.status = ").push_bind(q.status.as_str());
    }
}

pub async fn count(tx: &mut PgConnection, reseller_id: Uuid, q: &ListQuery) -> sqlx::Result<i64> {
    let mut b = QueryBuilder::new("SELECT count(*)");
    push_filters(&mut b, reseller_id, q);
    let (n,): (i64,) = b.build_query_as().fetch_one(tx).await?;
    Ok(n)
}

/// One page, by keyset (late pages cost what early ones do). Returns the rows in display order
/// and whether there are more rows beyond them in the direction of travel.
pub async fn page(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    q: &ListQuery,
) -> sqlx::Result<(Vec<Listed>, bool)> {
    let newest = q.sort == "newest";
    let backwards = q.before.is_some() && q.after.is_none();
    let mut b = QueryBuilder::new(
        "SELECT c.id, c.legal_name, c.tax_id, c.country::text AS country, c.city,
                c.contact_email::text AS contact_email, c.status, c.created_at, c.sort_name",
    );
    push_filters(&mut b, reseller_id, q);
    if let Some(cursor) = q.after.as_ref().or(q.before.as_ref()) {
        // Rows after (or before) the cursor in the chosen order.
        let forward = !backwards;
        let op = match (newest, forward) {
            (false, true) | (true, false) => ">",
            (false, false) | (true, true) => "<",
        };
        if newest {
            let at =
                OffsetDateTime::parse(&cursor.key, &time::format_description::well_known::Rfc3339)
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH);
            b.push(format!(" AND (c.created_at, c.id) {op} ("))
                .push_bind(at)
                .push(", ")
                .push_bind(cursor.id)
                .push(")");
        } else {
            b.push(format!(" AND (c.sort_name, c.id) {op} ("))
                .push_bind(cursor.key.clone())
                .push(", ")
                .push_bind(cursor.id)
                .push(")");
        }
    }
    let order = match (newest, backwards) {
        (false, false) => "c.sort_name ASC, c.id ASC",
        (false, true) => "c.sort_name DESC, c.id DESC",
        (true, false) => "c.created_at DESC, c.id DESC",
        (true, true) => "c.created_at ASC, c.id ASC",
    };
    b.push(format!(" ORDER BY {order} LIMIT {}", PAGE_SIZE + 1));
    let mut rows: Vec<Listed> = b.build_query_as().fetch_all(tx).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    if backwards {
        rows.reverse();
    }
    Ok((rows, more))
}

/// Every row of the filtered list, in name order, handed to `each` one at a time as the
/// database returns them (the CSV export); stops early when `each` answers false.
pub async fn all<F, Fut>(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    q: &ListQuery,
    mut each: F,
) -> sqlx::Result<()>
where
    F: FnMut(Customer) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    use futures_util::TryStreamExt;
    let mut b = QueryBuilder::new(format!("SELECT {COLUMNS}"));
    push_filters(&mut b, reseller_id, q);
    b.push(" ORDER BY c.sort_name, c.id");
    let mut rows = b.build_query_as().fetch(tx);
    while let Some(row) = rows.try_next().await? {
        if !each(row).await {
            break;
        }
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Customer {
    pub id: Uuid,
    pub legal_name: String,
    pub tax_id: String,
    pub country: String,
    pub industry: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub billing_email: String,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub city: String,
    pub region_code: Option<String>,
    pub region_name: String,
    pub postal_code: String,
    pub status: String,
    pub created_at: OffsetDateTime,
}

const COLUMNS: &str =
    "c.id, c.legal_name, c.tax_id, c.country::text AS country, c.industry, c.contact_name,
    c.contact_email::text AS contact_email, c.contact_phone, c.billing_email::text AS billing_email,
    c.address_line1, c.address_line2, c.city, c.region_code, c.region_name, c.postal_code,
    c.status, c.created_at";

pub async fn get(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Customer>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM customers c WHERE c.reseller_id = $1 AND c.id = $2"
    ))
    .bind(reseller_id)
    .bind(id)
    .fetch_optional(tx)
    .await
}

/// Why a customer could not be saved.
#[derive(Debug, PartialEq, Eq)]
pub enum SaveError {
    /// This reseller already has a customer with this tax id.
    TaxIdTaken,
}

/// Creates the customer; the same `creation_key` again answers the customer created the first
/// time (a double submission creates one customer).
pub async fn create(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    creation_key: Uuid,
    c: &CustomerInput,
    created_by: Uuid,
) -> sqlx::Result<Result<(Uuid, bool), SaveError>> {
    sqlx::query("SAVEPOINT create_customer")
        .execute(&mut *tx)
        .await?;
    let inserted = sqlx::query_scalar::<_, Uuid>(
        "INSERT INTO customers (reseller_id, legal_name, tax_id, country, industry, contact_name,
                                contact_email, contact_phone, billing_email, address_line1,
                                address_line2, city, region_code, region_name, postal_code,
                                creation_key, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7::text, $8, $9::text, $10, $11, $12, $13, $14, $15, $16, $17)
         ON CONFLICT (reseller_id, creation_key) DO NOTHING
         RETURNING id",
    )
    .bind(reseller_id)
    .bind(&c.legal_name)
    .bind(&c.tax_id)
    .bind(c.country)
    .bind(&c.industry)
    .bind(&c.contact_name)
    .bind(&c.contact_email)
    .bind(&c.contact_phone)
    .bind(&c.billing_email)
    .bind(&c.address_line1)
    .bind(&c.address_line2)
    .bind(&c.city)
    .bind(&c.region_code)
    .bind(&c.region_name)
    .bind(&c.postal_code)
    .bind(creation_key)
    .bind(created_by)
    .fetch_optional(&mut *tx)
    .await;
    match inserted {
        Ok(Some(id)) => {
            sqlx::query("RELEASE SAVEPOINT create_customer")
                .execute(&mut *tx)
                .await?;
            Ok(Ok((id, true)))
        }
        Ok(None) => {
            sqlx::query("RELEASE SAVEPOINT create_customer")
                .execute(&mut *tx)
                .await?;
            let id: Uuid = sqlx::query_scalar(
                "SELECT id FROM customers WHERE reseller_id = $1 AND creation_key = $2",
            )
            .bind(reseller_id)
            .bind(creation_key)
            .fetch_one(&mut *tx)
            .await?;
            Ok(Ok((id, false)))
        }
        Err(e) if crate::db::violated_constraint(&e) == Some("customers_tax_id_key") => {
            sqlx::query("ROLLBACK TO SAVEPOINT create_customer")
                .execute(&mut *tx)
                .await?;
            Ok(Err(SaveError::TaxIdTaken))
        }
        Err(e) => Err(e),
    }
}

pub async fn update(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
    c: &CustomerInput,
) -> sqlx::Result<Result<bool, SaveError>> {
    sqlx::query("SAVEPOINT update_customer")
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query(
        "UPDATE customers SET legal_name = $3, tax_id = $4, country = $5, industry = $6,
                contact_name = $7, contact_email = $8::text, contact_phone = $9, billing_email = $10::text,
                address_line1 = $11, address_line2 = $12, city = $13, region_code = $14,
                region_name = $15, postal_code = $16, updated_at = now()
         WHERE reseller_id = $1 AND id = $2",
    )
    .bind(reseller_id)
    .bind(id)
    .bind(&c.legal_name)
    .bind(&c.tax_id)
    .bind(c.country)
    .bind(&c.industry)
    .bind(&c.contact_name)
    .bind(&c.contact_email)
    .bind(&c.contact_phone)
    .bind(&c.billing_email)
    .bind(&c.address_line1)
    .bind(&c.address_line2)
    .bind(&c.city)
    .bind(&c.region_code)
    .bind(&c.region_name)
    .bind(&c.postal_code)
    .execute(&mut *tx)
    .await;
    match done {
        Ok(r) => {
            sqlx::query("RELEASE SAVEPOINT update_customer")
                .execute(&mut *tx)
                .await?;
            Ok(Ok(r.rows_affected() == 1))
        }
        Err(e) if crate::db::violated_constraint(&e) == Some("customers_tax_id_key") => {
            sqlx::query("ROLLBACK TO SAVEPOINT update_customer")
                .execute(&mut *tx)
                .await?;
            Ok(Err(SaveError::TaxIdTaken))
        }
        Err(e) => Err(e),
    }
}

pub async fn set_status(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    id: Uuid,
    status: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE customers SET status = $3, updated_at = now() WHERE reseller_id = $1 AND id = $2",
    )
    .bind(reseller_id)
    .bind(id)
    .bind(status)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, sqlx::FromRow)]
pub struct Tenant {
    pub id: Uuid,
    pub vendor: String,
    pub origin: String,
    pub domain: String,
    pub tenant_ref: Option<String>,
    pub created_at: OffsetDateTime,
}

pub async fn tenants(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    customer_id: Uuid,
) -> sqlx::Result<Vec<Tenant>> {
    sqlx::query_as(
        "SELECT id, vendor, origin, domain, tenant_ref, created_at FROM customer_tenants
         WHERE reseller_id = $1 AND customer_id = $2 ORDER BY vendor, created_at",
    )
    .bind(reseller_id)
    .bind(customer_id)
    .fetch_all(tx)
    .await
}

pub async fn add_tenant(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    customer_id: Uuid,
    vendor: &str,
    origin: &str,
    domain: &str,
    tenant_ref: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO customer_tenants (reseller_id, customer_id, vendor, origin, domain, tenant_ref)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (reseller_id, vendor, domain) DO NOTHING",
    )
    .bind(reseller_id)
    .bind(customer_id)
    .bind(vendor)
    .bind(origin)
    .bind(domain)
    .bind(tenant_ref)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = Cursor {
            key: "padaria são joão".into(),
            id: uuid::Uuid::new_v4(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("!!!"), None);
        assert_eq!(Cursor::decode("YWJj"), None);
    }
}
