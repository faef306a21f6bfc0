//! Who is signed in: the roles, the session's login state and the signed-in user of a request.
//! Below both the web layer (whose extractors hand a `CurrentUser` to handlers) and the features
//! (whose rules decide by role), so neither imports the other for it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;
use crate::i18n::Locale;

crate::text_enum! {
    /// A reseller user's role, or distributor staff.
    pub enum Role {
        Staff = "staff" => "role.staff",
        Owner = "owner" => "role.owner",
        Admin = "admin" => "role.admin",
        Sales = "sales" => "role.sales",
        Billing = "billing" => "role.billing",
    }
}

impl Role {
    /// Owners and admins manage the reseller's users and account.
    pub fn manages_users(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    /// Owners, admins and sales users place orders.
    pub fn orders(self) -> bool {
        matches!(self, Role::Owner | Role::Admin | Role::Sales)
    }

    /// Owners, admins and billing users see invoices, costs and margins.
    pub fn sees_billing(self) -> bool {
        matches!(self, Role::Owner | Role::Admin | Role::Billing)
    }

    /// The key of the sentence that says what the role may do (beside the role pickers).
    pub fn may_do_key(self) -> &'static str {
        match self {
            Role::Staff => "role.may_staff",
            Role::Owner => "role.may_owner",
            Role::Admin => "role.may_admin",
            Role::Sales => "role.may_sales",
            Role::Billing => "role.may_billing",
        }
    }
}

crate::text_enum! {
    /// Whether a user account can sign in.
    pub enum UserStatus {
        Invited = "invited" => "users.status_invited",
        Active = "active" => "users.status_active",
        Deactivated = "deactivated" => "users.status_deactivated",
    }
}

crate::text_enum! {
    /// Whether a reseller may order (a suspended one signs in and sees why).
    pub enum ResellerStatus {
        Active = "active" => "resellers.status_active",
        Suspended = "suspended" => "resellers.status_suspended",
    }
}

/// Where a session stands (stored in the session under `web::keys::AUTH`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum LoginState {
    /// The password was right; the second factor comes next (`enrol`: set it up first).
    Pending {
        user_id: Uuid,
        epoch: i32,
        enrol: bool,
        next: Option<String>,
    },
    SignedIn {
        user_id: Uuid,
        epoch: i32,
    },
}

/// The signed-in user, loaded for this request.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: Uuid,
    pub reseller_id: Option<Uuid>,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub locale: Option<Locale>,
    /// Why the user's reseller is suspended, when it is (they may sign in, not order).
    pub reseller_suspended: Option<String>,
    /// The reseller's time zone (IANA name), which its users' pages show times in.
    pub time_zone: Option<String>,
    /// Whether the reseller lets its sales users see costs and margins (the owner's choice).
    pub sales_see_costs: bool,
}

impl CurrentUser {
    pub fn is_staff(&self) -> bool {
        self.role == Role::Staff
    }

    /// Whether the user sees costs and margins: staff, owners, admins and billing users always;
    /// sales users when their owner allows it.
    pub fn sees_costs(&self) -> bool {
        self.role.sees_billing()
            || self.role == Role::Staff
            || (self.role == Role::Sales && self.sales_see_costs)
    }

    /// Refuses (403) unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// A signed-in user of a reseller (not staff), with the reseller's id.
#[derive(Clone, Debug)]
pub struct ResellerUser {
    pub user: CurrentUser,
    pub reseller_id: Uuid,
}

/// Who may change subscriptions and their licences (billing users read them).
pub const CHANGERS: [Role; 3] = [Role::Owner, Role::Admin, Role::Sales];

impl ResellerUser {
    /// Whether this user may change subscriptions and licences now (a suspended reseller's
    /// users read only).
    pub fn may_change(&self) -> bool {
        CHANGERS.contains(&self.user.role) && self.user.reseller_suspended.is_none()
    }

    /// Whose a download is (its fair share of the instance's streamed exports).
    pub fn download_owner(&self) -> crate::web::download::Owner {
        crate::web::download::Owner {
            reseller_id: self.reseller_id,
            user_id: self.user.id,
        }
    }
}

/// A signed-in member of the distributor's staff.
#[derive(Clone, Debug)]
pub struct StaffUser(pub CurrentUser);
