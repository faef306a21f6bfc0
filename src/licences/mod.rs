//! Users and licences in customers' tenants (J6, "Users and licenses"): the tenant's users as
//! the vendor knows them, new users with a temporary password shown once, block, unblock and
//! delete, and licences of the tenant's subscriptions assigned and removed, never more than the
//! seats (the database decides). Every change goes to the vendor through the job queue.

pub mod bulk;
pub mod changes;
pub mod read;
pub mod routes;
pub mod rules;
pub mod store;
pub mod view;

/// How many licence changes a subscription's page shows (the latest).
const SUBSCRIPTION_HISTORY: i64 = 100;

/// The licences section of subscription `id`'s page (none when its tenant is not known).
pub async fn on_subscription(
    tx: &mut sqlx::PgConnection,
    ctx: &crate::web::PageCtx,
    reseller_id: uuid::Uuid,
    id: uuid::Uuid,
    full: bool,
) -> sqlx::Result<Option<view::SubscriptionLicences>> {
    let Some(tenant) = store::tenant_of_subscription(tx, reseller_id, id).await? else {
        return Ok(None);
    };
    let holders = store::holders(tx, reseller_id, id).await?;
    let candidates = store::candidates(tx, reseller_id, tenant.id, id).await?;
    let history = store::subscription_history(tx, reseller_id, id, SUBSCRIPTION_HISTORY).await?;
    Ok(Some(view::subscription_licences(
        ctx, &tenant, holders, candidates, history, full,
    )))
}
