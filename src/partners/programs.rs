//! A reseller's standing in vendor programs, and the rules on it. The rule "only approved
//! programs, with their current terms accepted, can be ordered from" lives here, in one place,
//! for the catalog to show and for orders to enforce.

use std::collections::HashMap;

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::Domain;
use crate::i18n::Locale;
use crate::identity::ResellerStatus;
use crate::vendors::VendorCode;

/// Why a reseller may not order from a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotOrderable {
    NotRequested,
    Pending,
    Rejected,
    Suspended,
    /// Approved under terms that have since changed: the new version must be accepted.
    TermsOutdated,
    /// The whole reseller is suspended by the distributor.
    ResellerSuspended,
}

impl NotOrderable {
    /// The translation key of the explanation.
    pub fn key(self) -> &'static str {
        match self {
            NotOrderable::NotRequested => "programs.not_requested",
            NotOrderable::Pending => "programs.pending",
            NotOrderable::Rejected => "programs.rejected",
            NotOrderable::Suspended => "programs.suspended",
            NotOrderable::TermsOutdated => "programs.terms_outdated",
            NotOrderable::ResellerSuspended => "programs.reseller_suspended",
        }
    }
}

crate::text_enum! {
    /// A reseller's request to sell a program, as staff decided it.
    pub enum EnrollmentStatus {
        Pending = "pending" => "programs.status_pending",
        Approved = "approved" => "programs.status_approved",
        Rejected = "rejected" => "programs.status_rejected",
        Suspended = "suspended" => "programs.status_suspended",
    }
}

/// The rule, on the stored facts.
pub fn orderable(
    reseller: ResellerStatus,
    status: Option<EnrollmentStatus>,
    accepted_version: Option<i32>,
    current_version: Option<i32>,
) -> Result<(), NotOrderable> {
    if reseller == ResellerStatus::Suspended {
        return Err(NotOrderable::ResellerSuspended);
    }
    match status {
        Some(EnrollmentStatus::Approved) => match (accepted_version, current_version) {
            (_, None) => Ok(()),
            (Some(a), Some(c)) if a >= c => Ok(()),
            _ => Err(NotOrderable::TermsOutdated),
        },
        Some(EnrollmentStatus::Pending) => Err(NotOrderable::Pending),
        Some(EnrollmentStatus::Rejected) => Err(NotOrderable::Rejected),
        Some(EnrollmentStatus::Suspended) => Err(NotOrderable::Suspended),
        None => Err(NotOrderable::NotRequested),
    }
}

/// Whether `reseller_id` may order products of `program_id` now.
pub async fn may_order(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    program_id: Uuid,
) -> sqlx::Result<Result<(), NotOrderable>> {
    let verdicts = may_order_all(tx, reseller_id, &[program_id]).await?;
    Ok(verdicts
        .get(&program_id)
        .copied()
        .unwrap_or(Err(NotOrderable::NotRequested)))
}

/// Whether `reseller_id` may order from each of `programs` now, in one query (a cart asks for
/// all its lines at once).
pub async fn may_order_all(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    programs: &[Uuid],
) -> sqlx::Result<HashMap<Uuid, Result<(), NotOrderable>>> {
    let rows = sqlx::query!(
        r#"SELECT p.id AS "program_id!", r.status AS "reseller_status: ResellerStatus",
                  e.status AS "status?: EnrollmentStatus",
                  (SELECT max(a.version) FROM program_terms_acceptances a
                   WHERE a.reseller_id = r.id AND a.program_id = p.id) AS accepted,
                  (SELECT max(t.version) FROM program_terms t
                   WHERE t.program_id = p.id AND t.published_at <= now()) AS current
           FROM resellers r
           CROSS JOIN unnest($2::uuid[]) AS p(id)
           LEFT JOIN program_enrollments e ON e.reseller_id = r.id AND e.program_id = p.id
           WHERE r.id = $1"#,
        reseller_id,
        programs,
    )
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let verdict = orderable(r.reseller_status, r.status, r.accepted, r.current);
            (r.program_id, verdict)
        })
        .collect())
}

/// A program as a reseller sees it.
#[derive(Debug)]
pub struct ProgramStatus {
    pub program_id: Uuid,
    pub code: String,
    pub name: String,
    pub vendor: String,
    /// The vendor's code in the catalog (staff may add vendors).
    pub vendor_code: String,
    pub description_es: String,
    pub description_en: String,
    pub description_pt: String,
    pub requires_partner_id: bool,
    pub status: Option<EnrollmentStatus>,
    pub reason: Option<String>,
    pub domain: Option<String>,
    pub accepted_version: Option<i32>,
    pub current_version: Option<i32>,
    pub offered_here: bool,
}

impl ProgramStatus {
    /// The vendor, when the portal is connected to it.
    pub fn vendor(&self) -> Option<VendorCode> {
        VendorCode::from_code(&self.vendor_code)
    }

    /// The description in `locale` (the Spanish one where it has none).
    pub fn description(&self, locale: &crate::i18n::Locale) -> &str {
        locale.pick(
            &self.description_es,
            &self.description_en,
            &self.description_pt,
        )
    }

    pub fn is_microsoft(&self) -> bool {
        self.vendor() == Some(VendorCode::Microsoft)
    }

    pub fn orderable(&self, reseller: ResellerStatus) -> Result<(), NotOrderable> {
        orderable(
            reseller,
            self.status,
            self.accepted_version,
            self.current_version,
        )
    }

    /// A new request is possible when there is none, or the last was rejected.
    pub fn may_request(&self) -> bool {
        self.offered_here && matches!(self.status, None | Some(EnrollmentStatus::Rejected))
    }
}

/// Every program with this reseller's standing in it (`code`: only that program).
async fn programs_of(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    code: Option<&str>,
) -> sqlx::Result<Vec<ProgramStatus>> {
    sqlx::query_as!(
        ProgramStatus,
        r#"SELECT pr.id AS program_id, pr.code, pr.name, v.name AS vendor,
                  v.code AS vendor_code, pr.description_es, pr.description_en,
                  pr.description_pt, pr.requires_partner_id,
                  e.status AS "status?: EnrollmentStatus", e.reason AS "reason?", e.domain AS "domain?",
                  (SELECT max(a.version) FROM program_terms_acceptances a
                   WHERE a.reseller_id = $1 AND a.program_id = pr.id) AS accepted_version,
                  (SELECT max(t.version) FROM program_terms t
                   WHERE t.program_id = pr.id AND t.published_at <= now()) AS current_version,
                  (cardinality(pr.countries) = 0 OR r.country = ANY (pr.countries)) AS "offered_here!"
           FROM programs pr
           JOIN vendors v ON v.id = pr.vendor_id
           CROSS JOIN resellers r
           LEFT JOIN program_enrollments e ON e.program_id = pr.id AND e.reseller_id = r.id
           WHERE r.id = $1 AND ($2::text IS NULL OR pr.code = $2)
           ORDER BY v.name, pr.name"#,
        reseller_id,
        code,
    )
    .fetch_all(tx)
    .await
}

/// Every program with this reseller's standing in it.
pub async fn for_reseller(
    tx: &mut PgConnection,
    reseller_id: Uuid,
) -> sqlx::Result<Vec<ProgramStatus>> {
    programs_of(tx, reseller_id, None).await
}

pub async fn one_for_reseller(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    code: &str,
) -> sqlx::Result<Option<ProgramStatus>> {
    Ok(programs_of(tx, reseller_id, Some(code)).await?.pop())
}

/// A version of a program's terms and conditions.
#[derive(Debug)]
pub struct Terms {
    pub version: i32,
    pub title_es: String,
    pub title_en: String,
    pub title_pt: String,
    pub body_es: String,
    pub body_en: String,
    pub body_pt: String,
}

impl Terms {
    pub fn title(&self, locale: Locale) -> &str {
        locale.pick(&self.title_es, &self.title_en, &self.title_pt)
    }

    pub fn body(&self, locale: Locale) -> &str {
        locale.pick(&self.body_es, &self.body_en, &self.body_pt)
    }
}

/// The terms in force for a program (the latest published version).
pub async fn current_terms(
    db: impl PgExecutor<'_>,
    program_id: Uuid,
) -> sqlx::Result<Option<Terms>> {
    sqlx::query_as!(
        Terms,
        "SELECT version, title_es, title_en, title_pt, body_es, body_en, body_pt FROM program_terms
         WHERE program_id = $1 AND published_at <= now() ORDER BY version DESC LIMIT 1",
        program_id
    )
    .fetch_optional(db)
    .await
}

/// The domain a program accepts: any real domain, and for Microsoft programs also the tenant's
/// `name.onmicrosoft.com`; Google programs need the customer-facing domain itself.
pub fn parse_program_domain(
    vendor: Option<VendorCode>,
    input: &str,
) -> Result<Domain, &'static str> {
    let domain = Domain::parse(input)?;
    if domain.as_str().ends_with(".onmicrosoft.com") {
        if vendor != Some(VendorCode::Microsoft) {
            return Err("programs.onmicrosoft_not_here");
        }
        if !domain.is_onmicrosoft() {
            return Err("domain.invalid");
        }
    }
    Ok(domain)
}

/// A Microsoft partner id (formerly MPN id): 6 to 10 digits.
pub fn parse_partner_id(input: &str) -> Result<String, &'static str> {
    let v = input.trim();
    if v.is_empty() {
        return Err("form.required");
    }
    if (6..=10).contains(&v.len()) && v.chars().all(|c| c.is_ascii_digit()) {
        Ok(v.to_string())
    } else {
        Err("programs.invalid_partner_id")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_approved_programs_with_current_terms_are_orderable() {
        use EnrollmentStatus::*;
        use ResellerStatus::Active;
        assert_eq!(orderable(Active, Some(Approved), Some(1), Some(1)), Ok(()));
        assert_eq!(orderable(Active, Some(Approved), None, None), Ok(()));
        assert_eq!(
            orderable(Active, Some(Approved), Some(1), Some(2)),
            Err(NotOrderable::TermsOutdated)
        );
        assert_eq!(
            orderable(Active, Some(Approved), None, Some(1)),
            Err(NotOrderable::TermsOutdated)
        );
        assert_eq!(
            orderable(Active, Some(Pending), Some(1), Some(1)),
            Err(NotOrderable::Pending)
        );
        assert_eq!(
            orderable(Active, Some(Suspended), Some(1), Some(1)),
            Err(NotOrderable::Suspended)
        );
        assert_eq!(
            orderable(Active, None, None, Some(1)),
            Err(NotOrderable::NotRequested)
        );
        assert_eq!(
            orderable(ResellerStatus::Suspended, Some(Approved), Some(1), Some(1)),
            Err(NotOrderable::ResellerSuspended)
        );
    }

    #[test]
    fn program_domains_and_partner_ids() {
        assert!(
            parse_program_domain(Some(VendorCode::Microsoft), "contoso.onmicrosoft.com").is_ok()
        );
        assert_eq!(
            parse_program_domain(Some(VendorCode::Google), "contoso.onmicrosoft.com"),
            Err("programs.onmicrosoft_not_here")
        );
        assert_eq!(
            parse_program_domain(Some(VendorCode::Microsoft), "a.b.onmicrosoft.com"),
            Err("domain.invalid")
        );
        assert!(parse_program_domain(None, "contoso.com.br").is_ok());
        assert_eq!(parse_partner_id("1234567"), Ok("1234567".into()));
        assert_eq!(
            parse_partner_id("12a4567"),
            Err("programs.invalid_partner_id")
        );
        assert_eq!(parse_partner_id("123"), Err("programs.invalid_partner_id"));
        assert_eq!(parse_partner_id(" "), Err("form.required"));
    }
}
