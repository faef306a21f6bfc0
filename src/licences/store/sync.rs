//! The portal's copy of a tenant's users made to follow the vendor's: users and licences made,
//! changed or removed outside the portal (in the vendor's admin centre) read back. A user with a
//! change waiting for the vendor is left to that change's answer. Set-based: a tenant may have
//! thousands of users.

use std::collections::{HashMap, HashSet};

use sqlx::PgConnection;
use uuid::Uuid;

use super::Tenant;
use crate::licences::rules::UserStatus;
use crate::vendors::directory::VendorUser;

/// What reading the vendor's users changed in the copy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Synced {
    pub added: usize,
    pub removed: usize,
    pub updated: usize,
    pub licences_added: usize,
    pub licences_removed: usize,
}

/// A user of the copy, as the reading compares it.
struct Copied {
    id: Uuid,
    user_name: String,
    display_name: String,
    status: UserStatus,
    vendor_ref: Option<String>,
    waiting: bool,
    licences: HashSet<Uuid>,
}

/// Makes the copy of `tenant`'s users what the vendor says (`users`), and notes when it was
/// read. The tenant's users are locked first, as a change takes them.
pub async fn follow_vendor(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant: &Tenant,
    users: &[VendorUser],
) -> sqlx::Result<Synced> {
    let copied = copied(tx, reseller_id, tenant.id).await?;
    let subscriptions: HashMap<String, Uuid> = sqlx::query!(
        "SELECT id, vendor_ref FROM subscriptions
         WHERE reseller_id = $1 AND customer_id = $2 AND vendor = $3 AND tenant_domain = $4
           AND status IN ('active', 'suspended')",
        reseller_id,
        tenant.customer_id,
        tenant.vendor.code(),
        tenant.domain,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|s| (s.vendor_ref, s.id))
    .collect();
    let plan = compare(&copied, users, &subscriptions);
    apply(tx, reseller_id, tenant, &plan).await?;
    sqlx::query!(
        "UPDATE customer_tenants SET users_read_at = now() WHERE reseller_id = $1 AND id = $2",
        reseller_id,
        tenant.id,
    )
    .execute(&mut *tx)
    .await?;
    Ok(plan.synced())
}

async fn copied(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant_id: Uuid,
) -> sqlx::Result<Vec<Copied>> {
    let rows = sqlx::query!(
        r#"SELECT u.id, u.user_name::text AS "user_name!", u.display_name,
                  u.status AS "status: UserStatus", u.vendor_ref,
                  u.pending_change IS NOT NULL AS "waiting!",
                  coalesce((SELECT array_agg(a.subscription_id) FROM licence_assignments a
                            WHERE a.reseller_id = u.reseller_id AND a.tenant_user_id = u.id),
                           '{}') AS "licences!: Vec<Uuid>"
           FROM tenant_users u
           WHERE u.reseller_id = $1 AND u.tenant_id = $2
           ORDER BY u.id FOR UPDATE"#,
        reseller_id,
        tenant_id,
    )
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Copied {
            id: r.id,
            user_name: r.user_name.to_lowercase(),
            display_name: r.display_name,
            status: r.status,
            vendor_ref: r.vendor_ref,
            waiting: r.waiting,
            licences: r.licences.into_iter().collect(),
        })
        .collect())
}

/// What the copy needs, to be what the vendor says.
#[derive(Default)]
struct Plan {
    /// New users: id, user name, name, usage location, status, reference.
    new: Vec<(Uuid, String, String, String, UserStatus, String)>,
    /// Users the vendor no longer has.
    gone: Vec<Uuid>,
    /// Users whose name, status or reference changed: id, name, status, reference.
    changed: Vec<(Uuid, String, UserStatus, String)>,
    /// Licences to add (assigned at the vendor) and to remove: user, subscription.
    add: Vec<(Uuid, Uuid)>,
    remove: Vec<(Uuid, Uuid)>,
}

impl Plan {
    fn synced(&self) -> Synced {
        Synced {
            added: self.new.len(),
            removed: self.gone.len(),
            updated: self.changed.len(),
            licences_added: self.add.len(),
            licences_removed: self.remove.len(),
        }
    }
}

fn compare(copied: &[Copied], users: &[VendorUser], subscriptions: &HashMap<String, Uuid>) -> Plan {
    let mut plan = Plan::default();
    let by_ref: HashMap<&str, &Copied> = copied
        .iter()
        .filter_map(|c| c.vendor_ref.as_deref().map(|r| (r, c)))
        .collect();
    let by_name: HashMap<&str, &Copied> =
        copied.iter().map(|c| (c.user_name.as_str(), c)).collect();
    let mut seen: HashSet<Uuid> = HashSet::new();
    for v in users {
        let status = if v.blocked {
            UserStatus::Blocked
        } else {
            UserStatus::Active
        };
        let licences: HashSet<Uuid> = v
            .licences
            .iter()
            .filter_map(|r| subscriptions.get(r).copied())
            .collect();
        let name = v.user_name.to_lowercase();
        // By reference; or by name, a user whose creation the portal saw fail.
        let found = by_ref.get(v.vendor_ref.as_str()).copied().or_else(|| {
            by_name
                .get(name.as_str())
                .copied()
                .filter(|c| c.vendor_ref.is_none() && c.status == UserStatus::Failed)
        });
        let Some(c) = found else {
            let id = Uuid::new_v4();
            plan.new.push((
                id,
                name,
                v.display_name.clone(),
                v.usage_location.clone(),
                status,
                v.vendor_ref.clone(),
            ));
            plan.add.extend(licences.into_iter().map(|s| (id, s)));
            continue;
        };
        seen.insert(c.id);
        if c.waiting {
            continue;
        }
        if c.display_name != v.display_name
            || c.status != status
            || c.vendor_ref.as_deref() != Some(v.vendor_ref.as_str())
        {
            plan.changed
                .push((c.id, v.display_name.clone(), status, v.vendor_ref.clone()));
        }
        plan.add
            .extend(licences.difference(&c.licences).map(|s| (c.id, *s)));
        plan.remove
            .extend(c.licences.difference(&licences).map(|s| (c.id, *s)));
    }
    for c in copied {
        // Gone at the vendor: a user it had made, with no change of it waiting.
        if !seen.contains(&c.id) && !c.waiting && c.vendor_ref.is_some() {
            plan.gone.push(c.id);
        }
    }
    plan
}

async fn apply(
    tx: &mut PgConnection,
    reseller_id: Uuid,
    tenant: &Tenant,
    plan: &Plan,
) -> sqlx::Result<()> {
    let (users, subs): (Vec<Uuid>, Vec<Uuid>) = plan.remove.iter().copied().unzip();
    sqlx::query!(
        "DELETE FROM licence_assignments a
         USING UNNEST($2::uuid[], $3::uuid[]) AS r(user_id, subscription_id)
         WHERE a.reseller_id = $1 AND a.tenant_user_id = r.user_id
           AND a.subscription_id = r.subscription_id",
        reseller_id,
        &users,
        &subs,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "DELETE FROM licence_assignments WHERE reseller_id = $1 AND tenant_user_id = ANY($2)",
        reseller_id,
        &plan.gone,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "DELETE FROM tenant_users WHERE reseller_id = $1 AND id = ANY($2)",
        reseller_id,
        &plan.gone,
    )
    .execute(&mut *tx)
    .await?;
    let ids: Vec<Uuid> = plan.changed.iter().map(|c| c.0).collect();
    let names: Vec<String> = plan.changed.iter().map(|c| c.1.clone()).collect();
    let statuses: Vec<String> = plan.changed.iter().map(|c| c.2.code().into()).collect();
    let refs: Vec<String> = plan.changed.iter().map(|c| c.3.clone()).collect();
    sqlx::query!(
        "UPDATE tenant_users u
         SET display_name = c.name, status = c.status, vendor_ref = c.vendor_ref,
             updated_at = now()
         FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::text[])
              AS c(id, name, status, vendor_ref)
         WHERE u.reseller_id = $1 AND u.id = c.id",
        reseller_id,
        &ids,
        &names,
        &statuses,
        &refs,
    )
    .execute(&mut *tx)
    .await?;
    let ids: Vec<Uuid> = plan.new.iter().map(|n| n.0).collect();
    let user_names: Vec<String> = plan.new.iter().map(|n| n.1.clone()).collect();
    let names: Vec<String> = plan.new.iter().map(|n| n.2.clone()).collect();
    let locations: Vec<String> = plan.new.iter().map(|n| n.3.clone()).collect();
    let statuses: Vec<String> = plan.new.iter().map(|n| n.4.code().into()).collect();
    let refs: Vec<String> = plan.new.iter().map(|n| n.5.clone()).collect();
    sqlx::query!(
        "INSERT INTO tenant_users
             (reseller_id, id, tenant_id, user_name, display_name, usage_location, status,
              vendor_ref)
         SELECT $1, n.id, $2, n.user_name::citext, n.name, n.location, n.status, n.vendor_ref
         FROM UNNEST($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
              AS n(id, user_name, name, location, status, vendor_ref)",
        reseller_id,
        tenant.id,
        &ids,
        &user_names,
        &names,
        &locations,
        &statuses,
        &refs,
    )
    .execute(&mut *tx)
    .await?;
    // Assigned at the vendor: counted whatever the seats (migration 0031).
    let (users, subs): (Vec<Uuid>, Vec<Uuid>) = plan.add.iter().copied().unzip();
    sqlx::query!(
        "INSERT INTO licence_assignments (reseller_id, subscription_id, tenant_user_id, status)
         SELECT $1, a.subscription_id, a.user_id, 'assigned'
         FROM UNNEST($2::uuid[], $3::uuid[]) AS a(user_id, subscription_id)",
        reseller_id,
        &users,
        &subs,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vendor_user(vendor_ref: &str, name: &str, licences: &[&str]) -> VendorUser {
        VendorUser {
            vendor_ref: vendor_ref.into(),
            user_name: format!("{name}@contoso.onmicrosoft.com"),
            display_name: name.into(),
            usage_location: "MX".into(),
            blocked: false,
            licences: licences.iter().map(|l| l.to_string()).collect(),
        }
    }

    fn copied(id: u128, name: &str, vendor_ref: Option<&str>, licences: &[Uuid]) -> Copied {
        Copied {
            id: Uuid::from_u128(id),
            user_name: format!("{name}@contoso.onmicrosoft.com"),
            display_name: name.into(),
            status: if vendor_ref.is_some() {
                UserStatus::Active
            } else {
                UserStatus::Failed
            },
            vendor_ref: vendor_ref.map(str::to_string),
            waiting: false,
            licences: licences.iter().copied().collect(),
        }
    }

    #[test]
    fn the_copy_follows_the_vendor_but_leaves_users_with_a_change_waiting_alone() {
        let (standard, basic) = (Uuid::from_u128(100), Uuid::from_u128(101));
        let subscriptions = HashMap::from([
            ("sub-standard".to_string(), standard),
            ("sub-basic".to_string(), basic),
        ]);
        let mut busy = copied(4, "pedro", Some("ref-pedro"), &[standard]);
        busy.waiting = true;
        let copy = [
            copied(1, "ana", Some("ref-ana"), &[standard]),
            copied(2, "luis", Some("ref-luis"), &[]),
            copied(3, "marta", None, &[]),
            busy,
            copied(5, "sara", None, &[]),
        ];
        let mut blocked = vendor_user("ref-luis", "luis", &["sub-basic", "sub-unknown"]);
        blocked.blocked = true;
        let vendor = [
            // Ana lost her licence and got another one outside the portal.
            vendor_user("ref-ana", "ana", &["sub-basic"]),
            blocked,
            // Made outside the portal, with a licence.
            vendor_user("ref-nuevo", "nuevo", &["sub-standard"]),
            // Marta's creation failed here but she exists there.
            vendor_user("ref-marta", "marta", &[]),
        ];
        let plan = compare(&copy, &vendor, &subscriptions);
        assert_eq!(plan.new.len(), 1);
        assert_eq!(plan.new[0].1, "nuevo@contoso.onmicrosoft.com");
        assert_eq!(
            plan.gone,
            Vec::<Uuid>::new(),
            "Pedro waits for his change; Sara was never made"
        );
        let changed: Vec<_> = plan.changed.iter().map(|c| (c.0, c.2)).collect();
        assert_eq!(
            changed,
            [
                (Uuid::from_u128(2), UserStatus::Blocked),
                (Uuid::from_u128(3), UserStatus::Active)
            ]
        );
        let mut added = plan.add.clone();
        added.sort();
        assert_eq!(
            added,
            [
                (Uuid::from_u128(1), basic),
                (Uuid::from_u128(2), basic),
                (plan.new[0].0, standard)
            ]
        );
        assert_eq!(plan.remove, [(Uuid::from_u128(1), standard)]);

        // Ana deleted at the vendor: gone from the copy.
        let plan = compare(&copy, &vendor[1..], &subscriptions);
        assert_eq!(plan.gone, [Uuid::from_u128(1)]);
    }
}
