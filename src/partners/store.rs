//! SQL for a reseller's own pages: its account and markup, its users, its program requests and
//! the terms it accepted, and the access requests companies send before they are resellers. The
//! reseller's functions take its id and run in its tenant transaction (row-level security shows
//! its rows only); the staff queues' SQL is in `staff_store`.

use std::net::IpAddr;

use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::{OnConstraint, SaveError};
use crate::domain::Email;
use crate::i18n::Locale;
use crate::identity::{ResellerStatus, Role, UserStatus};
use crate::partners::access::AccessRequest;

// ---------------------------------------------------------------- users

/// A user of a reseller, as the users page lists them.
#[derive(Debug)]
pub struct Member {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub status: UserStatus,
    pub last_sign_in_at: Option<time::OffsetDateTime>,
    pub mfa_enabled: bool,
}

/// The reseller's users; runs in a tenant transaction (RLS shows this reseller's rows only).
pub async fn members(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<Vec<Member>> {
    sqlx::query_as!(
        Member,
        r#"SELECT id, email::text AS "email!", name, role AS "role: Role", status AS "status: UserStatus",
                  last_sign_in_at, totp_secret_enc IS NOT NULL AS "mfa_enabled!"
           FROM users WHERE reseller_id = $1
           ORDER BY status = 'deactivated', role = 'owner' DESC, name"#,
        reseller_id
    )
    .fetch_all(tx)
    .await
}

/// One of the reseller's users, locked for a change.
pub async fn member(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<Option<Member>> {
    sqlx::query_as!(
        Member,
        r#"SELECT id, email::text AS "email!", name, role AS "role: Role", status AS "status: UserStatus",
                  last_sign_in_at, totp_secret_enc IS NOT NULL AS "mfa_enabled!"
           FROM users WHERE reseller_id = $1 AND id = $2
           FOR UPDATE"#,
        reseller_id,
        user_id
    )
    .fetch_optional(tx)
    .await
}

/// Locks the reseller's active owners and counts them (so two demotions cannot race past the
/// last-owner rule).
pub async fn lock_owners(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM users WHERE reseller_id = $1 AND role = 'owner' AND status <> 'deactivated'
         FOR UPDATE",
        reseller_id
    )
    .fetch_all(tx)
    .await
}

// ---------------------------------------------------------------- the reseller

/// The reseller's public id (`R-…`), which vendors know it by (transfer tokens name it).
pub async fn public_id(db: impl sqlx::PgExecutor<'_>, reseller_id: Uuid) -> sqlx::Result<String> {
    sqlx::query_scalar!("SELECT public_id FROM resellers WHERE id = $1", reseller_id)
        .fetch_one(db)
        .await
}

pub async fn reseller_name(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<String> {
    sqlx::query_scalar!(
        "SELECT legal_name FROM resellers WHERE id = $1",
        reseller_id
    )
    .fetch_one(tx)
    .await
}

/// Whether the reseller may order (staff can suspend it).
pub async fn reseller_status(
    tx: &mut PgConnection,
    reseller_id: Uuid,
) -> sqlx::Result<ResellerStatus> {
    sqlx::query_scalar!(
        r#"SELECT status AS "status: ResellerStatus" FROM resellers WHERE id = $1"#,
        reseller_id
    )
    .fetch_one(tx)
    .await
}

// ---------------------------------------------------------------- users (changes)

/// Creates an invited user; `None` when the address already has an account (on any reseller:
/// the database decides, not a check first).
pub async fn invite(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    email: &str,
    name: &str,
    role: Role,
    invited_by: Uuid,
    locale: Locale,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "INSERT INTO users (reseller_id, email, name, role, status, invited_by, locale)
         VALUES ($1, $2::text, $3, $4, 'invited', $5, $6)
         ON CONFLICT (email) DO NOTHING
         RETURNING id",
        reseller_id,
        email,
        name,
        role.code(),
        invited_by,
        locale.code(),
    )
    .fetch_optional(tx)
    .await
}

/// Changes a user's role; the epoch moves on, so their sessions end and they sign in again.
pub async fn set_role(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user_id: Uuid,
    role: Role,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET role = $3, session_epoch = session_epoch + 1, updated_at = now()
         WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        user_id,
        role.code(),
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Deactivates a user; the epoch moves on, so every session of theirs ends at once.
pub async fn deactivate(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET status = 'deactivated', session_epoch = session_epoch + 1, updated_at = now()
         WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        user_id,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Back to where they were: active if they had set a password, else invited.
pub async fn reactivate(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET status = CASE WHEN password_hash IS NULL THEN 'invited' ELSE 'active' END,
                session_epoch = session_epoch + 1, updated_at = now()
         WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        user_id,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// How many of the reseller's users can sign in (or will, once they accept the invitation).
pub async fn active_users(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM users WHERE reseller_id = $1 AND status <> 'deactivated'"#,
        reseller_id
    )
    .fetch_one(tx)
    .await
}

// ---------------------------------------------------------------- account

/// The reseller's account, as its account page and the staff's page of it show it.
#[derive(Debug)]
pub struct Account {
    pub id: Uuid,
    pub legal_name: String,
    pub tax_id: String,
    pub country: String,
    pub public_id: String,
    pub status: ResellerStatus,
    pub suspended_reason: Option<String>,
    pub billing_currency: String,
    pub time_zone: String,
    pub markup_percent: Decimal,
    pub phone: Option<String>,
    pub contact_email: Option<String>,
    pub partner_id: Option<String>,
}

pub async fn account(
    db: impl sqlx::PgExecutor<'_>,
    reseller_id: Uuid,
) -> sqlx::Result<Option<Account>> {
    sqlx::query_as!(
        Account,
        r#"SELECT id, legal_name, tax_id, country::text AS "country!", public_id,
                  status AS "status: ResellerStatus", suspended_reason,
                  billing_currency::text AS "billing_currency!", time_zone, markup_percent, phone,
                  contact_email::text AS contact_email, partner_id
           FROM resellers WHERE id = $1"#,
        reseller_id
    )
    .fetch_optional(db)
    .await
}

/// Locks the reseller's row for a change of its data and reads its country (which decides how
/// a tax id is checked, and never changes).
pub async fn lock_country(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<String> {
    sqlx::query_scalar!(
        r#"SELECT country::text AS "country!" FROM resellers WHERE id = $1 FOR UPDATE"#,
        reseller_id
    )
    .fetch_one(tx)
    .await
}

/// The company data owners and admins edit on the account page, checked.
#[derive(Debug)]
pub struct CompanyData {
    pub legal_name: String,
    pub tax_id: String,
    pub phone: String,
    pub contact_email: Option<Email>,
    pub partner_id: Option<String>,
    pub time_zone: String,
}

/// Saves the company data; a tax id another reseller of the country has is refused beside its
/// field.
pub async fn update_account(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    data: &CompanyData,
) -> Result<(), SaveError> {
    sqlx::query!(
        "UPDATE resellers SET legal_name = $2, tax_id = $3, phone = $4, contact_email = $5::text,
                partner_id = $6, time_zone = $7, updated_at = now()
         WHERE id = $1",
        reseller_id,
        data.legal_name,
        data.tax_id,
        data.phone,
        data.contact_email.as_ref().map(Email::as_str),
        data.partner_id,
        data.time_zone,
    )
    .execute(tx)
    .await
    .on_constraint(
        "resellers_country_tax_id_key",
        "tax_id",
        "account.tax_id_taken",
    )?;
    Ok(())
}

/// Locks the reseller's row and reads its markup, before a change of it.
pub async fn lock_markup(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<Decimal> {
    sqlx::query_scalar!(
        "SELECT markup_percent FROM resellers WHERE id = $1 FOR UPDATE",
        reseller_id
    )
    .fetch_one(tx)
    .await
}

pub async fn set_markup(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    markup: Decimal,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE resellers SET markup_percent = $2, updated_at = now() WHERE id = $1",
        reseller_id,
        markup
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Whether the reseller's sales users see costs and margins, read for update.
pub async fn lock_sales_see_costs(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        "SELECT sales_see_costs FROM resellers WHERE id = $1 FOR UPDATE",
        reseller_id
    )
    .fetch_one(tx)
    .await
}

pub async fn set_sales_see_costs(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    on: bool,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE resellers SET sales_see_costs = $2, updated_at = now() WHERE id = $1",
        reseller_id,
        on
    )
    .execute(tx)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- programs

/// The Microsoft partner id the reseller gave, if any (program requests start from it).
pub async fn partner_id(tx: &mut PgConnection, reseller_id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "SELECT partner_id FROM resellers WHERE id = $1",
        reseller_id
    )
    .fetch_one(tx)
    .await
}

/// Keeps the partner id of a program request as the reseller's, when it had none.
pub async fn keep_partner_id(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    partner_id: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE resellers SET partner_id = $2 WHERE id = $1 AND partner_id IS NULL",
        reseller_id,
        partner_id
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// A program request as the reseller sends it.
#[derive(Debug)]
pub struct NewProgramRequest<'a> {
    pub program_id: Uuid,
    pub domain: &'a str,
    pub partner_id: Option<&'a str>,
    pub requested_by: Uuid,
}

/// Stores a request: a new one, or again after a rejection; never twice while one is pending
/// or approved (the database decides, so two people sending it at once store one). `false`
/// when it was not stored.
pub async fn request_program(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    request: &NewProgramRequest<'_>,
) -> sqlx::Result<bool> {
    let stored = sqlx::query_scalar!(
        "INSERT INTO program_enrollments AS e (reseller_id, program_id, status, domain, partner_id,
                                               requested_by, requested_at, updated_at)
         VALUES ($1, $2, 'pending', $3, $4, $5, now(), now())
         ON CONFLICT (reseller_id, program_id) DO UPDATE
             SET status = 'pending', domain = excluded.domain, partner_id = excluded.partner_id,
                 requested_by = excluded.requested_by, requested_at = now(), updated_at = now(),
                 reason = NULL, decided_by = NULL, decided_at = NULL
             WHERE e.status = 'rejected'
         RETURNING status",
        reseller_id,
        request.program_id,
        request.domain,
        request.partner_id,
        request.requested_by,
    )
    .fetch_optional(tx)
    .await?;
    Ok(stored.is_some())
}

/// Records that `user_id` accepted `version` of the program's terms, with time and address.
pub async fn accept_terms(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    program_id: Uuid,
    version: i32,
    user_id: Uuid,
    ip: IpAddr,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO program_terms_acceptances (reseller_id, program_id, version, user_id, ip)
         VALUES ($1, $2, $3, $4, $5::text::inet) ON CONFLICT DO NOTHING",
        reseller_id,
        program_id,
        version,
        user_id,
        ip.to_string(),
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Someone told about a program request.
#[derive(Debug)]
pub struct Recipient {
    pub email: String,
    pub name: String,
    pub locale: Option<Locale>,
}

/// Who hears about the reseller's program requests: its active owners and admins, and the
/// active user who sent the request.
pub async fn program_recipients(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    requester: Option<Uuid>,
) -> sqlx::Result<Vec<Recipient>> {
    sqlx::query_as!(
        Recipient,
        r#"SELECT email::text AS "email!", name, locale AS "locale: Locale" FROM users
           WHERE reseller_id = $1 AND status = 'active'
             AND (role IN ('owner', 'admin') OR id = $2)
           ORDER BY email"#,
        reseller_id,
        requester,
    )
    .fetch_all(tx)
    .await
}

// ---------------------------------------------------------------- access requests

/// Whether the company is one of ours already: a user with this e-mail, or a reseller of the
/// country with this tax id.
pub async fn known_company(tx: &mut PgConnection, request: &AccessRequest) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT (EXISTS (SELECT 1 FROM users WHERE email = $1::text::citext)
                  OR EXISTS (SELECT 1 FROM resellers WHERE country = $2 AND upper(tax_id) = upper($3)))
                  AS "known!""#,
        request.email.as_str(),
        request.country.code,
        request.tax_id,
    )
    .fetch_one(tx)
    .await
}

/// Stores a company's request; `None` when a pending request has the same e-mail or tax id (the
/// unique indexes decide, so two simultaneous submissions store one).
pub async fn save_access_request(
    tx: &mut PgConnection,
    request: &AccessRequest,
    locale: Locale,
    ip: IpAddr,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "INSERT INTO access_requests
             (legal_name, tax_id, country, contact_name, email, phone, partner_id, locale, ip)
         VALUES ($1, $2, $3, $4, $5::text, $6, $7, $8, $9::text::inet)
         ON CONFLICT DO NOTHING
         RETURNING id",
        request.legal_name,
        request.tax_id,
        request.country.code,
        request.contact_name,
        request.email.as_str(),
        request.phone,
        request.partner_id,
        locale.code(),
        ip.to_string(),
    )
    .fetch_optional(tx)
    .await
}
