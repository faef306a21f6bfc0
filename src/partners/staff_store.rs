//! SQL for the staff's queues over every reseller: access requests (and the reseller an approval
//! creates), program requests with their history, and the resellers with their standing. Staff
//! see every tenant: these run on the pool (or its transactions) as the owning role.

use sqlx::{PgConnection, PgExecutor, PgPool, Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::Action;
use crate::countries::Country;
use crate::i18n::Locale;
use crate::identity::{ResellerStatus, Role, UserStatus};
use crate::partners::programs::EnrollmentStatus;
use crate::partners::rules::AccessRequestStatus;
use crate::text::like_escape;
use crate::web::paging::Page;

/// `%text%` for a search that takes `text` literally.
fn contains(text: &str) -> String {
    format!("%{}%", like_escape(text))
}

// ---------------------------------------------------------------- access requests

/// A company's request for an account.
#[derive(Debug, sqlx::FromRow)]
pub struct AccessRequest {
    pub id: Uuid,
    pub legal_name: String,
    pub tax_id: String,
    pub country: String,
    pub contact_name: String,
    pub email: String,
    pub phone: String,
    pub partner_id: Option<String>,
    pub locale: Locale,
    pub status: AccessRequestStatus,
    pub rejection_reason: Option<String>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<OffsetDateTime>,
    pub reseller_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
}

/// The columns of [`AccessRequest`] for the built queue query (the one-row query is checked at
/// compile time and spells them out).
const ACCESS_COLUMNS: &str = "SELECT r.id, r.legal_name, r.tax_id, r.country::text AS country,
        r.contact_name, r.email::text AS email, r.phone, r.partner_id, r.locale, r.status,
        r.rejection_reason, u.name AS decided_by_name, r.decided_at, r.reseller_id, r.created_at
    FROM access_requests r LEFT JOIN users u ON u.id = r.decided_by";

/// The access queue's filters; empty texts filter nothing.
#[derive(Debug, Default)]
pub struct AccessFilter {
    /// `None`: every status.
    pub status: Option<AccessRequestStatus>,
    pub country: String,
    /// Part of the company's name, e-mail, tax id or contact.
    pub q: String,
}

fn push_access_filter(b: &mut QueryBuilder<'_, Postgres>, f: &AccessFilter) {
    b.push(" WHERE true");
    if let Some(status) = f.status {
        b.push(" AND r.status = ").push_bind(status.code());
    }
    if !f.country.is_empty() {
        b.push(" AND r.country = ").push_bind(f.country.clone());
    }
    if !f.q.is_empty() {
        let pattern = contains(&f.q);
        b.push(" AND (r.legal_name ILIKE ")
            .push_bind(pattern.clone())
            .push(" OR r.email::text ILIKE ")
            .push_bind(pattern.clone())
            .push(" OR r.tax_id ILIKE ")
            .push_bind(pattern.clone())
            .push(" OR r.contact_name ILIKE ")
            .push_bind(pattern)
            .push(")");
    }
}

/// A page of the requests the filters find, and how many they find in all. The oldest pending
/// request comes first; decided ones newest first.
pub async fn access_requests(
    db: &PgPool,
    f: &AccessFilter,
    page: Page,
) -> sqlx::Result<(Vec<AccessRequest>, i64)> {
    let mut count = QueryBuilder::new("SELECT count(*) FROM access_requests r");
    push_access_filter(&mut count, f);
    let total: i64 = count.build_query_scalar().fetch_one(db).await?;
    let mut b = QueryBuilder::new(ACCESS_COLUMNS);
    push_access_filter(&mut b, f);
    b.push(if f.status == Some(AccessRequestStatus::Pending) {
        " ORDER BY r.created_at ASC, r.id"
    } else {
        " ORDER BY r.created_at DESC, r.id"
    });
    b.push(" LIMIT ")
        .push_bind(page.size)
        .push(" OFFSET ")
        .push_bind(page.offset());
    let rows = b.build_query_as().fetch_all(db).await?;
    Ok((rows, total))
}

pub async fn access_request(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> sqlx::Result<Option<AccessRequest>> {
    sqlx::query_as!(
        AccessRequest,
        r#"SELECT r.id, r.legal_name, r.tax_id, r.country::text AS "country!", r.contact_name,
                  r.email::text AS "email!", r.phone, r.partner_id, r.locale AS "locale: Locale",
                  r.status AS "status: AccessRequestStatus", r.rejection_reason,
                  u.name AS "decided_by_name?", r.decided_at, r.reseller_id, r.created_at
           FROM access_requests r LEFT JOIN users u ON u.id = r.decided_by
           WHERE r.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// Locks a request for a decision and reads where it stands (`None`: there is no such request).
pub async fn lock_access_request(
    tx: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<AccessRequestStatus>> {
    sqlx::query_scalar!(
        r#"SELECT status AS "status: AccessRequestStatus" FROM access_requests WHERE id = $1
           FOR UPDATE"#,
        id
    )
    .fetch_optional(tx)
    .await
}

/// Creates the reseller of an approved request; `None` when the country has a reseller with its
/// tax id already.
pub async fn create_reseller(
    tx: &mut PgConnection,
    request: &AccessRequest,
    country: &Country,
    locale: Locale,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "INSERT INTO resellers (legal_name, tax_id, country, billing_currency, time_zone, default_locale)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (country, tax_id) DO NOTHING
         RETURNING id",
        request.legal_name,
        request.tax_id,
        country.code,
        country.billing_currency,
        country.time_zone,
        locale.code(),
    )
    .fetch_optional(tx)
    .await
}

/// Records the decision on a request: approved, with the reseller it created, or rejected,
/// with the reason the applicant was given.
pub async fn record_decision(
    tx: &mut PgConnection,
    id: Uuid,
    status: AccessRequestStatus,
    by: Uuid,
    reseller_id: Option<Uuid>,
    reason: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE access_requests SET status = $2, decided_by = $3, decided_at = now(),
                reseller_id = $4, rejection_reason = $5
         WHERE id = $1",
        id,
        status.code(),
        by,
        reseller_id,
        reason,
    )
    .execute(tx)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- program requests

/// A reseller's request for a program, with the reseller's data.
#[derive(Debug, sqlx::FromRow)]
pub struct ProgramRequest {
    pub reseller_id: Uuid,
    pub program_id: Uuid,
    pub legal_name: String,
    pub tax_id: String,
    pub country: String,
    pub public_id: String,
    pub reseller_status: ResellerStatus,
    pub program_code: String,
    pub program: String,
    pub status: EnrollmentStatus,
    pub domain: Option<String>,
    pub partner_id: Option<String>,
    pub reason: Option<String>,
    pub requested_at: OffsetDateTime,
    pub requested_by: Option<String>,
    pub accepted_version: Option<i32>,
}

const PROGRAM_COLUMNS: &str = "SELECT e.reseller_id, e.program_id, r.legal_name, r.tax_id,
        r.country::text AS country, r.public_id, r.status AS reseller_status,
        pr.code AS program_code, pr.name AS program, e.status, e.domain, e.partner_id, e.reason,
        e.requested_at, u.name AS requested_by,
        (SELECT max(a.version) FROM program_terms_acceptances a
         WHERE a.reseller_id = e.reseller_id AND a.program_id = e.program_id) AS accepted_version
    FROM program_enrollments e
    JOIN resellers r ON r.id = e.reseller_id
    JOIN programs pr ON pr.id = e.program_id
    LEFT JOIN users u ON u.id = e.requested_by";

/// The program queue's filters; empty texts filter nothing.
#[derive(Debug, Default)]
pub struct ProgramFilter {
    /// `None`: every status.
    pub status: Option<EnrollmentStatus>,
    pub program: String,
    pub country: String,
}

/// The first 200 requests the filters find, oldest first.
pub async fn program_requests(db: &PgPool, f: &ProgramFilter) -> sqlx::Result<Vec<ProgramRequest>> {
    let mut b = QueryBuilder::new(PROGRAM_COLUMNS);
    b.push(" WHERE true");
    if let Some(status) = f.status {
        b.push(" AND e.status = ").push_bind(status.code());
    }
    if !f.program.is_empty() {
        b.push(" AND pr.code = ").push_bind(f.program.clone());
    }
    if !f.country.is_empty() {
        b.push(" AND r.country = ").push_bind(f.country.clone());
    }
    b.push(" ORDER BY e.requested_at, r.legal_name LIMIT 200");
    b.build_query_as().fetch_all(db).await
}

pub async fn program_request(
    db: impl PgExecutor<'_>,
    reseller_id: Uuid,
    program: &str,
) -> sqlx::Result<Option<ProgramRequest>> {
    sqlx::query_as!(
        ProgramRequest,
        r#"SELECT e.reseller_id, e.program_id, r.legal_name, r.tax_id,
                  r.country::text AS "country!", r.public_id,
                  r.status AS "reseller_status: ResellerStatus", pr.code AS program_code,
                  pr.name AS program, e.status AS "status: EnrollmentStatus", e.domain,
                  e.partner_id, e.reason, e.requested_at, u.name AS "requested_by?",
                  (SELECT max(a.version) FROM program_terms_acceptances a
                   WHERE a.reseller_id = e.reseller_id AND a.program_id = e.program_id)
                   AS accepted_version
           FROM program_enrollments e
           JOIN resellers r ON r.id = e.reseller_id
           JOIN programs pr ON pr.id = e.program_id
           LEFT JOIN users u ON u.id = e.requested_by
           WHERE e.reseller_id = $1 AND pr.code = $2"#,
        reseller_id,
        program
    )
    .fetch_optional(db)
    .await
}

/// Locks a request for a decision and reads where it stands now (two staff deciding at once
/// take turns).
pub async fn lock_enrollment(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    program_id: Uuid,
) -> sqlx::Result<Option<EnrollmentStatus>> {
    sqlx::query_scalar!(
        r#"SELECT status AS "status: EnrollmentStatus" FROM program_enrollments
           WHERE reseller_id = $1 AND program_id = $2 FOR UPDATE"#,
        reseller_id,
        program_id
    )
    .fetch_optional(tx)
    .await
}

/// Records a decision on a request; answers who sent it (they are told).
pub async fn decide_enrollment(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    program_id: Uuid,
    status: EnrollmentStatus,
    reason: Option<&str>,
    by: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "UPDATE program_enrollments
         SET status = $3, reason = $4, decided_by = $5, decided_at = now(), updated_at = now()
         WHERE reseller_id = $1 AND program_id = $2
         RETURNING requested_by",
        reseller_id,
        program_id,
        status.code(),
        reason,
        by,
    )
    .fetch_one(tx)
    .await
}

/// An entry of the audit log as the staff pages list it.
#[derive(Debug)]
pub struct AuditLine {
    pub at: OffsetDateTime,
    pub action: Action,
    pub actor: Option<String>,
    /// The reason given with a decision.
    pub reason: Option<String>,
}

/// The last 50 changes to the program request `subject` (`reseller:program`), newest first.
pub async fn enrollment_history(
    db: impl PgExecutor<'_>,
    subject: &str,
) -> sqlx::Result<Vec<AuditLine>> {
    sqlx::query_as!(
        AuditLine,
        r#"SELECT a.at, a.action AS "action: Action", u.name AS "actor?",
                  a.details->>'reason' AS reason
           FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id
           WHERE a.subject_type = 'program_enrollment' AND a.subject_id = $1
           ORDER BY a.at DESC LIMIT 50"#,
        subject
    )
    .fetch_all(db)
    .await
}

// ---------------------------------------------------------------- resellers

/// A reseller of the list, with its users and approved programs counted.
#[derive(Debug, sqlx::FromRow)]
pub struct ResellerRow {
    pub id: Uuid,
    pub legal_name: String,
    pub tax_id: String,
    pub country: String,
    pub public_id: String,
    pub status: ResellerStatus,
    pub users: i64,
    pub programs: i64,
}

/// The reseller list's filters; empty texts filter nothing.
#[derive(Debug, Default)]
pub struct ResellerFilter {
    /// Part of the name, tax id or public id.
    pub q: String,
    pub country: String,
    pub status: Option<ResellerStatus>,
    /// Approved in this program.
    pub program: String,
}

fn push_reseller_filter(b: &mut QueryBuilder<'_, Postgres>, f: &ResellerFilter) {
    b.push(" FROM resellers r WHERE true");
    if !f.q.is_empty() {
        let pattern = contains(&f.q);
        b.push(" AND (r.legal_name ILIKE ")
            .push_bind(pattern.clone())
            .push(" OR r.tax_id ILIKE ")
            .push_bind(pattern.clone())
            .push(" OR r.public_id ILIKE ")
            .push_bind(pattern)
            .push(")");
    }
    if !f.country.is_empty() {
        b.push(" AND r.country = ").push_bind(f.country.clone());
    }
    if let Some(status) = f.status {
        b.push(" AND r.status = ").push_bind(status.code());
    }
    if !f.program.is_empty() {
        b.push(
            " AND EXISTS (SELECT 1 FROM program_enrollments e JOIN programs pr ON pr.id = e.program_id
                          WHERE e.reseller_id = r.id AND e.status = 'approved' AND pr.code = ",
        )
        .push_bind(f.program.clone())
        .push(")");
    }
}

/// A page of the resellers the filters find, by name, and how many they find in all.
pub async fn resellers(
    db: &PgPool,
    f: &ResellerFilter,
    page: Page,
) -> sqlx::Result<(Vec<ResellerRow>, i64)> {
    let mut count = QueryBuilder::new("SELECT count(*)");
    push_reseller_filter(&mut count, f);
    let total: i64 = count.build_query_scalar().fetch_one(db).await?;
    let mut b = QueryBuilder::new(
        "SELECT r.id, r.legal_name, r.tax_id, r.country::text AS country, r.public_id, r.status,
            (SELECT count(*) FROM users u
             WHERE u.reseller_id = r.id AND u.status <> 'deactivated') AS users,
            (SELECT count(*) FROM program_enrollments e
             WHERE e.reseller_id = r.id AND e.status = 'approved') AS programs",
    );
    push_reseller_filter(&mut b, f);
    b.push(" ORDER BY r.legal_name, r.id LIMIT ")
        .push_bind(page.size)
        .push(" OFFSET ")
        .push_bind(page.offset());
    let rows = b.build_query_as().fetch_all(db).await?;
    Ok((rows, total))
}

/// A program the reseller asked for, and where the request stands.
#[derive(Debug)]
pub struct Enrollment {
    pub name: String,
    pub status: EnrollmentStatus,
    pub code: String,
}

pub async fn enrollments(
    db: impl PgExecutor<'_>,
    reseller_id: Uuid,
) -> sqlx::Result<Vec<Enrollment>> {
    sqlx::query_as!(
        Enrollment,
        r#"SELECT pr.name, e.status AS "status: EnrollmentStatus", pr.code
           FROM program_enrollments e JOIN programs pr ON pr.id = e.program_id
           WHERE e.reseller_id = $1 ORDER BY pr.name"#,
        reseller_id
    )
    .fetch_all(db)
    .await
}

/// A user of the reseller, as staff see them.
#[derive(Debug)]
pub struct User {
    pub name: String,
    pub email: String,
    pub role: Role,
    pub status: UserStatus,
}

pub async fn users(db: impl PgExecutor<'_>, reseller_id: Uuid) -> sqlx::Result<Vec<User>> {
    sqlx::query_as!(
        User,
        r#"SELECT name, email::text AS "email!", role AS "role: Role", status AS "status: UserStatus"
           FROM users WHERE reseller_id = $1 ORDER BY role = 'owner' DESC, name"#,
        reseller_id
    )
    .fetch_all(db)
    .await
}

/// The last 20 entries of the reseller's audit log, newest first.
pub async fn activity(db: impl PgExecutor<'_>, reseller_id: Uuid) -> sqlx::Result<Vec<AuditLine>> {
    sqlx::query_as!(
        AuditLine,
        r#"SELECT a.at, a.action AS "action: Action", u.name AS "actor?",
                  a.details->>'reason' AS reason
           FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id
           WHERE a.reseller_id = $1 ORDER BY a.at DESC LIMIT 20"#,
        reseller_id
    )
    .fetch_all(db)
    .await
}

/// Suspends a reseller (with the reason its users see) or reactivates it; `false` when there
/// is no such reseller.
pub async fn set_standing(
    tx: &mut PgConnection,
    id: Uuid,
    status: ResellerStatus,
    suspended_reason: Option<&str>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE resellers SET status = $2, suspended_reason = $3, updated_at = now() WHERE id = $1",
        id,
        status.code(),
        suspended_reason,
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected() > 0)
}
