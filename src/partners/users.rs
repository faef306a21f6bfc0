//! `/partner/users`: owners and admins invite colleagues, change roles and deactivate users.
//! Every query runs in a tenant transaction; ids from the URL that belong to another reseller
//! answer 404 like ids that do not exist.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use sqlx::PgConnection;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::auth::emails::AccountChange;
use crate::auth::{self, emails, store::TokenPurpose};
use crate::domain::Email;
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::i18n::Locale;
use crate::identity::{ResellerUser, Role, UserStatus};
use crate::partners::rules::required;
use crate::partners::store::{self, Member};
use crate::partners::view;
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::{Choice, Form};
use crate::web::page::{self, PageCtx};
use crate::web::path::Path;

pub const INVITATION_VALID_DAYS: i64 = 7;

/// The users page, where every change leads back.
const USERS: &str = "/partner/users";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(USERS, get(list))
        .route("/partner/users/invite", post(invite))
        .route("/partner/users/{id}/role", post(change_role))
        .route("/partner/users/{id}/deactivate", post(deactivate))
        .route("/partner/users/{id}/reactivate", post(reactivate))
        .route("/partner/users/{id}/resend", post(resend))
}

/// A row of the table, ready to show.
pub struct MemberRow {
    pub member: Member,
    pub role_label: String,
    pub status_label: String,
    pub last_sign_in: String,
    /// What the viewer may do to this user.
    pub can_edit: bool,
    pub is_self: bool,
    pub deactivated: bool,
    pub invited: bool,
    /// Signed in with a password but no second factor yet.
    pub mfa_pending: bool,
    pub confirm_deactivate: String,
    /// The roles the viewer may give this user, theirs selected.
    pub roles: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "partners/users.html")]
struct UsersPage {
    ctx: PageCtx,
    rows: Vec<MemberRow>,
    /// The roles of the invitation form, the one chosen selected.
    roles: Vec<Choice>,
    /// What each reseller role may do: its label and the sentence.
    role_guide: Vec<(String, String)>,
    form_email: String,
    form_name: String,
    errors: FieldErrors,
}

/// The roles `actor` may give: owners give any, admins all but owner.
fn assignable(actor: Role) -> Vec<Role> {
    match actor {
        Role::Owner => vec![Role::Owner, Role::Admin, Role::Sales, Role::Billing],
        Role::Admin => vec![Role::Admin, Role::Sales, Role::Billing],
        _ => vec![],
    }
}

/// Whether `actor` may change or deactivate `target` (never themselves; admins not owners).
fn may_edit(actor: &ResellerUser, target: &Member) -> bool {
    target.id != actor.user.id && (actor.user.role == Role::Owner || target.role != Role::Owner)
}

async fn render(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    form: Option<&InviteForm>,
    errors: FieldErrors,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let members = store::members(&mut tx, me.reseller_id).await?;
    tx.commit().await?;
    let assignable = assignable(me.user.role);
    let roles =
        |chosen: Option<Role>| Choice::list(&assignable, chosen, Role::code, |r| ctx.t(r.key()));
    let rows = members
        .into_iter()
        .map(|m| MemberRow {
            role_label: ctx.t(m.role.key()),
            status_label: ctx.t(m.status.key()),
            deactivated: m.status == UserStatus::Deactivated,
            invited: m.status == UserStatus::Invited,
            mfa_pending: m.status == UserStatus::Active && !m.mfa_enabled,
            last_sign_in: m
                .last_sign_in_at
                .map(|at| ctx.day(at))
                .unwrap_or_else(|| "—".into()),
            can_edit: may_edit(me, &m),
            confirm_deactivate: ctx.t_with("users.confirm_deactivate", &[("name", &m.name)]),
            is_self: m.id == me.user.id,
            roles: roles(Some(m.role)),
            member: m,
        })
        .collect();
    let chosen = form.map_or(Some(Role::Sales), |f| Role::from_code(&f.role));
    let page = UsersPage {
        roles: roles(chosen),
        role_guide: [Role::Owner, Role::Admin, Role::Sales, Role::Billing]
            .into_iter()
            .map(|r| (ctx.t(r.key()), ctx.t(r.may_do_key())))
            .collect(),
        rows,
        form_email: form
            .map(|f| f.email.chars().take(254).collect())
            .unwrap_or_default(),
        form_name: form
            .map(|f| f.name.chars().take(120).collect())
            .unwrap_or_default(),
        errors,
        ctx,
    };
    Ok(page::render(page::form_status(&page.errors), &page))
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    render(&state, ctx, &me, None, FieldErrors::new()).await
}

#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

impl InviteForm {
    /// The address, name and role of the person `actor` invites, or the messages beside the
    /// fields.
    fn parse(&self, actor: Role) -> Result<(Email, String, Role), FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = Email::parse(&self.email)
            .map_err(|k| errors.add("email", k))
            .ok();
        let name = required(&mut errors, "name", &self.name, 120);
        let role = Role::from_code(&self.role).filter(|r| assignable(actor).contains(r));
        if role.is_none() {
            errors.add("role", "users.invalid_role");
        }
        match (email, role) {
            (Some(email), Some(role)) if errors.is_empty() => Ok((email, name, role)),
            _ => Err(errors),
        }
    }
}

async fn invite(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<InviteForm>,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    let (email, name, role) = match form.parse(me.user.role) {
        Ok(invitee) => invitee,
        Err(errors) => return render(&state, ctx, &me, Some(&form), errors).await,
    };
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let company = store::reseller_name(&mut tx, me.reseller_id).await?;
    // The e-mail is unique across the platform: the database decides, not a check first.
    let (reseller_id, address) = (me.reseller_id, email.as_str());
    let created = store::invite(
        &mut tx,
        reseller_id,
        address,
        &name,
        role,
        me.user.id,
        ctx.locale,
    );
    let entry = match created.await? {
        Some(user_id) => {
            let invitation = Invitation {
                user_id,
                locale: ctx.locale,
                email: address,
                name: &name,
                company: &company,
                inviter: Some(&me.user.name),
            };
            invitation.send(&mut tx, &state).await?;
            Some(audit::Entry {
                details: serde_json::json!({ "email": address, "role": role.code() }),
                ..audit::Entry::on_user(
                    Action::UserInvited,
                    me.user.id,
                    user_id,
                    Some(reseller_id),
                    ip,
                )
            })
        }
        None => {
            // Same answer on the page; the address itself learns it cannot join.
            let refusal = emails::invitation_refused(&state.config, ctx.locale, address, &company)?;
            state.mailer.queue(&mut *tx, &refusal).await?;
            None
        }
    };
    let shown = [("email", address)];
    flash::done(tx, &session, entry, "users.invited", &shown, USERS).await
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
}

/// Locks the target, checks the actor may edit it; 404 when it is not this reseller's.
async fn target(tx: &mut sqlx::PgConnection, me: &ResellerUser, id: Uuid) -> AppResult<Member> {
    let member = store::member(tx, me.reseller_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !may_edit(me, &member) {
        return Err(AppError::Forbidden);
    }
    Ok(member)
}

async fn change_role(
    State(state): State<AppState>,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
    Form(form): Form<RoleForm>,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    let new_role = Role::from_code(&form.role)
        .filter(|r| assignable(me.user.role).contains(r))
        .ok_or(AppError::BadRequest)?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let owners = store::lock_owners(&mut tx, me.reseller_id).await?;
    let member = target(&mut tx, &me, id).await?;
    if member.role == new_role {
        return Ok(page::see_other(USERS));
    }
    if member.role == Role::Owner && owners.len() <= 1 {
        return view::refused(&session, "users.last_owner", USERS).await;
    }
    // Their sessions end (they sign in again with the new role), and they are told.
    store::set_role(&mut tx, me.reseller_id, member.id, new_role).await?;
    let change = AccountChange::Role(new_role);
    emails::queue_account_changed(&mut tx, &state, member.id, change).await?;
    let entry = audit::Entry {
        details: serde_json::json!({ "from": member.role, "to": new_role }),
        ..audit::Entry::on_user(
            Action::UserRoleChanged,
            me.user.id,
            member.id,
            Some(me.reseller_id),
            ip,
        )
    };
    let name = [("name", member.name.as_str())];
    flash::done(tx, &session, entry, "users.role_changed", &name, USERS).await
}

async fn set_active(
    state: &AppState,
    session: &Session,
    me: &ResellerUser,
    ip: std::net::IpAddr,
    id: Uuid,
    active: bool,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let owners = store::lock_owners(&mut tx, me.reseller_id).await?;
    let member = target(&mut tx, me, id).await?;
    if !active && member.role == Role::Owner && owners.len() <= 1 {
        return view::refused(session, "users.last_owner", USERS).await;
    }
    let (action, key) = if active {
        if member.status != UserStatus::Deactivated {
            return Ok(page::see_other(USERS));
        }
        store::reactivate(&mut tx, me.reseller_id, member.id).await?;
        (Action::UserReactivated, "users.reactivated")
    } else {
        store::deactivate(&mut tx, me.reseller_id, member.id).await?;
        (Action::UserDeactivated, "users.deactivated")
    };
    let entry = audit::Entry::on_user(action, me.user.id, member.id, Some(me.reseller_id), ip);
    let name = [("name", member.name.as_str())];
    flash::done(tx, session, entry, key, &name, USERS).await
}

async fn deactivate(
    State(state): State<AppState>,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    set_active(&state, &session, &me, ip, id, false).await
}

async fn reactivate(
    State(state): State<AppState>,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    set_active(&state, &session, &me, ip, id, true).await
}

async fn resend(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    Path(id): Path<Uuid>,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let member = target(&mut tx, &me, id).await?;
    if member.status != UserStatus::Invited {
        return Ok(page::see_other(USERS));
    }
    let company = store::reseller_name(&mut tx, me.reseller_id).await?;
    // Earlier links stop working: only the newest one counts.
    auth::store::end_tokens(&mut *tx, member.id, TokenPurpose::Invitation).await?;
    let invitation = Invitation {
        user_id: member.id,
        locale: ctx.locale,
        email: &member.email,
        name: &member.name,
        company: &company,
        inviter: Some(&me.user.name),
    };
    invitation.send(&mut tx, &state).await?;
    let shown = [("email", member.email.as_str())];
    flash::done(tx, &session, None, "users.invited", &shown, USERS).await
}

/// An invitation to join `company`, by e-mail in `locale`, with a link valid for
/// [`INVITATION_VALID_DAYS`] to choose a password.
pub struct Invitation<'a> {
    pub user_id: Uuid,
    pub locale: Locale,
    pub email: &'a str,
    pub name: &'a str,
    pub company: &'a str,
    /// Who invites (none when staff approved the company's access request).
    pub inviter: Option<&'a str>,
}

impl Invitation<'_> {
    /// Creates the link and queues the e-mail, in the caller's transaction.
    pub async fn send(&self, tx: &mut PgConnection, state: &AppState) -> AppResult<()> {
        let valid = time::Duration::days(INVITATION_VALID_DAYS);
        let token =
            auth::store::create_token(&mut *tx, self.user_id, TokenPurpose::Invitation, valid)
                .await?;
        let link = state.config.link(&format!("/invitation/{token}"));
        let message = emails::invitation(
            self.locale,
            self.email,
            self.name,
            self.company,
            self.inviter,
            &link,
        )?;
        state.mailer.queue(&mut *tx, &message).await?;
        Ok(())
    }
}
