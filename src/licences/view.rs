//! What the users and licences pages show, in the reader's language.

use uuid::Uuid;

use crate::licences::rules::{AssignmentStatus, UserStatus};
use crate::licences::store::{HistoryRow, Licensable, Tenant, User, UserRow};
use crate::web::PageCtx;

/// A user on the tenant's list.
pub struct UserLine {
    pub id: Uuid,
    pub user_name: String,
    pub display_name: String,
    pub status: &'static str,
    pub status_label: String,
    pub licences: String,
}

pub fn lines(ctx: &PageCtx, rows: Vec<UserRow>) -> Vec<UserLine> {
    rows.into_iter()
        .map(|r| UserLine {
            id: r.id,
            status: r.status.code(),
            status_label: status_label(ctx, r.status, r.pending),
            licences: if r.licences.is_empty() {
                "—".into()
            } else {
                r.licences.join(", ")
            },
            user_name: r.user_name,
            display_name: r.display_name,
        })
        .collect()
}

fn status_label(ctx: &PageCtx, status: UserStatus, pending: bool) -> String {
    let label = ctx.t(status.key());
    if pending && status != UserStatus::Creating {
        format!("{label} · {}", ctx.t("licences.change_pending"))
    } else {
        label
    }
}

/// The heading facts of a tenant ("contoso.onmicrosoft.com · Microsoft · Contoso S.A.").
pub struct TenantFacts {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer: String,
    pub domain: String,
    pub vendor: String,
    /// The users' list (and form) address.
    pub users_link: String,
}

pub fn tenant(ctx: &PageCtx, t: &Tenant) -> TenantFacts {
    TenantFacts {
        id: t.id,
        customer_id: t.customer_id,
        customer: t.customer.clone(),
        domain: t.domain.clone(),
        vendor: ctx.t(t.vendor.key()),
        users_link: users_link(t),
    }
}

pub fn users_link(t: &Tenant) -> String {
    format!("/customers/{}/tenants/{}/users", t.customer_id, t.id)
}

/// One user, on its page.
pub struct UserFacts {
    pub id: Uuid,
    pub user_name: String,
    pub display_name: String,
    pub usage_location: String,
    pub status: &'static str,
    pub status_label: String,
    pub pending: bool,
    pub blockable: bool,
    pub unblockable: bool,
    pub deletable: bool,
    pub confirm_delete: String,
    pub link: String,
}

pub fn user(ctx: &PageCtx, t: &Tenant, u: &User) -> UserFacts {
    let pending = u.pending_change.is_some();
    let exists = matches!(u.status, UserStatus::Active | UserStatus::Blocked);
    UserFacts {
        id: u.id,
        user_name: u.user_name.clone(),
        display_name: u.display_name.clone(),
        usage_location: crate::countries::by_code(&u.usage_location)
            .map(|c| c.name(ctx.locale).to_string())
            .unwrap_or_else(|| u.usage_location.clone()),
        status: u.status.code(),
        status_label: status_label(ctx, u.status, pending),
        pending,
        blockable: !pending && u.status == UserStatus::Active,
        unblockable: !pending && u.status == UserStatus::Blocked,
        deletable: !pending && exists,
        confirm_delete: ctx.t_with("licences.confirm_delete", &[("name", &u.user_name)]),
        link: format!("{}/{}", users_link(t), u.id),
    }
}

/// A subscription of the tenant on a user's page: its seats, and the user's licence of it.
pub struct LicenceLine {
    pub subscription_id: Uuid,
    pub name: String,
    pub seats: String,
    pub held: Option<String>,
    /// Offered to assign: not held, a seat free, the user free for a change.
    pub assignable: bool,
    /// Offered to remove: held and assigned.
    pub removable: bool,
    pub full: bool,
}

pub fn licences(ctx: &PageCtx, list: &[Licensable], user_free: bool) -> Vec<LicenceLine> {
    let n = |v: i32| crate::i18n::format_integer(ctx.locale, v as i64);
    list.iter()
        .map(|l| {
            let full = l.assigned >= l.quantity;
            LicenceLine {
                subscription_id: l.subscription_id,
                name: l.name(ctx.locale).to_string(),
                seats: ctx.t_with(
                    "subscriptions.assigned_of",
                    &[("assigned", &n(l.assigned)), ("seats", &n(l.quantity))],
                ),
                held: l.held.map(|h| ctx.t(h.key())),
                assignable: user_free && l.held.is_none() && !full,
                removable: user_free && l.held == Some(AssignmentStatus::Assigned),
                full,
            }
        })
        .collect()
}

/// A line of a user's history.
pub struct HistoryLine {
    pub at: String,
    pub what: String,
    pub status: &'static str,
    pub status_label: String,
    pub reason: Option<String>,
    pub actor: String,
}

pub fn history(ctx: &PageCtx, rows: Vec<HistoryRow>) -> Vec<HistoryLine> {
    rows.into_iter()
        .map(|h| {
            let product = match (&h.product_es, &h.product_en, &h.product_pt) {
                (Some(es), Some(en), Some(pt)) => Some(ctx.locale.pick(es, en, pt).to_string()),
                _ => None,
            };
            let what = match product {
                Some(p) => format!("{} · {p}", ctx.t(h.kind.key())),
                None => ctx.t(h.kind.key()),
            };
            HistoryLine {
                at: ctx.moment(h.requested_at),
                what,
                status: h.status.code(),
                status_label: ctx.t(h.status.key()),
                reason: h.error.map(|e| ctx.t(e.key())),
                actor: h.actor.unwrap_or_else(|| "—".into()),
            }
        })
        .collect()
}

/// The licences section of a subscription's page: who holds them, and who could.
pub struct SubscriptionLicences {
    pub users_link: String,
    pub holders: Vec<HolderLine>,
    pub candidates: Vec<CandidateLine>,
    /// Every seat has its licence.
    pub full: bool,
    /// The latest licences given and taken back, with when they were asked (the subscription's
    /// history shows them among its own changes).
    pub history: Vec<(time::OffsetDateTime, HistoryLine)>,
}

pub struct HolderLine {
    pub id: Uuid,
    pub link: String,
    pub display_name: String,
    pub user_name: String,
    pub status_label: String,
    pub removable: bool,
}

pub struct CandidateLine {
    pub id: Uuid,
    pub label: String,
}

pub fn subscription_licences(
    ctx: &PageCtx,
    tenant: &Tenant,
    holders: Vec<crate::licences::store::Holder>,
    candidates: Vec<crate::licences::store::Candidate>,
    history: Vec<crate::licences::store::SubscriptionHistoryRow>,
    full: bool,
) -> SubscriptionLicences {
    let users_link = users_link(tenant);
    SubscriptionLicences {
        history: history
            .into_iter()
            .map(|h| {
                let who = h.user.unwrap_or_else(|| ctx.t("licences.deleted_user"));
                let line = HistoryLine {
                    at: ctx.moment(h.requested_at),
                    what: format!("{} · {who}", ctx.t(h.kind.key())),
                    status: h.status.code(),
                    status_label: ctx.t(h.status.key()),
                    reason: h.error.map(|e| ctx.t(e.key())),
                    actor: h.actor.unwrap_or_else(|| "—".into()),
                };
                (h.requested_at, line)
            })
            .collect(),
        holders: holders
            .into_iter()
            .map(|h| HolderLine {
                link: format!("{users_link}/{}", h.id),
                id: h.id,
                status_label: ctx.t(h.status.key()),
                removable: h.status == AssignmentStatus::Assigned,
                display_name: h.display_name,
                user_name: h.user_name,
            })
            .collect(),
        candidates: candidates
            .into_iter()
            .map(|c| CandidateLine {
                id: c.id,
                label: format!("{} ({})", c.display_name, c.user_name),
            })
            .collect(),
        full,
        users_link,
    }
}
