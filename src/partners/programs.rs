//! A reseller's standing in vendor programs. The rule "only approved programs can be ordered
//! from" lives here, in one place, for the catalog to show and for orders to enforce. (Program
//! requests, terms and conditions and staff approvals build on this table.)

use sqlx::PgConnection;
use uuid::Uuid;

/// Why a reseller may not order from a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotOrderable {
    NotRequested,
    Pending,
    Rejected,
    Suspended,
}

impl NotOrderable {
    /// The translation key of the explanation.
    pub fn key(self) -> &'static str {
        match self {
            NotOrderable::NotRequested => "programs.not_requested",
            NotOrderable::Pending => "programs.pending",
            NotOrderable::Rejected => "programs.rejected",
            NotOrderable::Suspended => "programs.suspended",
        }
    }
}

/// The rule on a stored status.
pub fn orderable(status: Option<&str>) -> Result<(), NotOrderable> {
    match status {
        Some("approved") => Ok(()),
        Some("pending") => Err(NotOrderable::Pending),
        Some("rejected") => Err(NotOrderable::Rejected),
        Some("suspended") => Err(NotOrderable::Suspended),
        _ => Err(NotOrderable::NotRequested),
    }
}

/// Whether `reseller_id` may order products of `program_id` now.
pub async fn may_order(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    program_id: Uuid,
) -> sqlx::Result<Result<(), NotOrderable>> {
    let status: Option<String> = sqlx::query_scalar(
        "SELECT status FROM program_enrollments WHERE reseller_id = $1 AND program_id = $2",
    )
    .bind(reseller_id)
    .bind(program_id)
    .fetch_optional(tx)
    .await?;
    Ok(orderable(status.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_approved_programs_are_orderable() {
        assert_eq!(orderable(Some("approved")), Ok(()));
        assert_eq!(orderable(Some("pending")), Err(NotOrderable::Pending));
        assert_eq!(orderable(Some("suspended")), Err(NotOrderable::Suspended));
        assert_eq!(orderable(None), Err(NotOrderable::NotRequested));
    }
}
