//! `/partner/users`: owners and admins invite colleagues, change roles and deactivate users.
//! Every query runs in a tenant transaction; ids from the URL that belong to another reseller
//! answer 404 like ids that do not exist.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::{self, Action};
use crate::auth::emails;
use crate::domain::Email;
use crate::error::{AppError, AppResult};
use crate::fields::{FieldErrors, trimmed};
use crate::i18n::Locale;
use crate::identity::{ResellerUser, Role, UserStatus};
use crate::partners::store::{self, Member};
use crate::web::client_ip::ClientIp;
use crate::web::flash::{self, Level};
use crate::web::forms::Form;
use crate::web::page::{self, PageCtx};
use crate::web::path::Path;

pub const INVITATION_VALID_DAYS: i64 = 7;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/partner/users", get(list))
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
}

#[derive(Template)]
#[template(path = "partners/users.html")]
struct UsersPage {
    ctx: PageCtx,
    rows: Vec<MemberRow>,
    assignable: Vec<(&'static str, String)>,
    form_email: String,
    form_name: String,
    form_role: String,
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
            member: m,
        })
        .collect();
    let assignable = assignable(me.user.role)
        .into_iter()
        .map(|r| (r.code(), ctx.t(r.key())))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page::render(
        status,
        &UsersPage {
            ctx,
            rows,
            assignable,
            form_email: form
                .map(|f| f.email.chars().take(254).collect())
                .unwrap_or_default(),
            form_name: form
                .map(|f| f.name.chars().take(120).collect())
                .unwrap_or_default(),
            form_role: form
                .map(|f| f.role.clone())
                .unwrap_or_else(|| "sales".into()),
            errors,
        },
    ))
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

async fn invite(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<InviteForm>,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    let mut errors = FieldErrors::new();
    let email = Email::parse(&form.email)
        .map_err(|k| errors.add("email", k))
        .ok();
    let name = match trimmed(&form.name, 120) {
        Ok(n) if n.is_empty() => {
            errors.add("name", "form.required");
            n
        }
        Ok(n) => n,
        Err(k) => {
            errors.add("name", k);
            String::new()
        }
    };
    let role = Role::from_code(&form.role).filter(|r| assignable(me.user.role).contains(r));
    if role.is_none() {
        errors.add("role", "users.invalid_role");
    }
    let (Some(email), Some(role)) = (email, role) else {
        return render(&state, ctx, &me, Some(&form), errors).await;
    };
    if !errors.is_empty() {
        return render(&state, ctx, &me, Some(&form), errors).await;
    }

    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let company = store::reseller_name(&mut tx, me.reseller_id).await?;
    // The e-mail is unique across the platform: the database decides, not a check first.
    let created = store::invite(
        &mut tx,
        me.reseller_id,
        &email,
        &name,
        role,
        me.user.id,
        ctx.locale,
    )
    .await?;
    match created {
        Some(user_id) => {
            let token = crate::auth::store::create_token(
                &mut *tx,
                user_id,
                crate::auth::store::TokenPurpose::Invitation,
                time::Duration::days(INVITATION_VALID_DAYS),
            )
            .await?;
            let link = state.config.link(&format!("/invitation/{token}"));
            crate::mail::queue(
                &mut *tx,
                &emails::invitation(
                    ctx.locale,
                    email.as_str(),
                    &name,
                    &company,
                    Some(&me.user.name),
                    &link,
                )?,
            )
            .await?;
            audit::record(
                &mut *tx,
                audit::Entry {
                    reseller_id: Some(me.reseller_id),
                    actor: Some(me.user.id),
                    subject_type: Some("user"),
                    subject_id: Some(user_id.to_string()),
                    details: serde_json::json!({ "email": email.as_str(), "role": role.code() }),
                    ip: Some(ip),
                    ..audit::Entry::new(Action::UserInvited)
                },
            )
            .await?;
        }
        None => {
            // Same answer on the page; the address itself learns it cannot join.
            crate::mail::queue(
                &mut *tx,
                &emails::invitation_refused(&state.config, ctx.locale, email.as_str(), &company)?,
            )
            .await?;
        }
    }
    tx.commit().await?;
    flash::push(
        &session,
        Level::Success,
        "users.invited",
        &[("email", email.as_str())],
    )
    .await;
    Ok(page::see_other("/partner/users"))
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
        return Ok(page::see_other("/partner/users"));
    }
    if member.role == Role::Owner && owners.len() <= 1 {
        flash::push(&session, Level::Error, "users.last_owner", &[]).await;
        return Ok(page::see_other("/partner/users"));
    }
    store::set_role(&mut tx, me.reseller_id, member.id, new_role).await?;
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
    flash::done(
        tx,
        &session,
        entry,
        "users.role_changed",
        &name,
        "/partner/users",
    )
    .await
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
        flash::push(session, Level::Error, "users.last_owner", &[]).await;
        return Ok(page::see_other("/partner/users"));
    }
    let (action, key) = if active {
        if member.status != UserStatus::Deactivated {
            return Ok(page::see_other("/partner/users"));
        }
        store::reactivate(&mut tx, me.reseller_id, member.id).await?;
        (Action::UserReactivated, "users.reactivated")
    } else {
        store::deactivate(&mut tx, me.reseller_id, member.id).await?;
        (Action::UserDeactivated, "users.deactivated")
    };
    let entry = audit::Entry::on_user(action, me.user.id, member.id, Some(me.reseller_id), ip);
    let name = [("name", member.name.as_str())];
    flash::done(tx, session, entry, key, &name, "/partner/users").await
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
        return Ok(page::see_other("/partner/users"));
    }
    let company = store::reseller_name(&mut tx, me.reseller_id).await?;
    // Earlier links stop working: only the newest one counts.
    crate::auth::store::end_tokens(
        &mut *tx,
        member.id,
        crate::auth::store::TokenPurpose::Invitation,
    )
    .await?;
    let token = crate::auth::store::create_token(
        &mut *tx,
        member.id,
        crate::auth::store::TokenPurpose::Invitation,
        time::Duration::days(INVITATION_VALID_DAYS),
    )
    .await?;
    let link = state.config.link(&format!("/invitation/{token}"));
    let locale: Locale = ctx.locale;
    crate::mail::queue(
        &mut *tx,
        &emails::invitation(
            locale,
            &member.email,
            &member.name,
            &company,
            Some(&me.user.name),
            &link,
        )?,
    )
    .await?;
    tx.commit().await?;
    flash::push(
        &session,
        Level::Success,
        "users.invited",
        &[("email", &member.email)],
    )
    .await;
    Ok(page::see_other("/partner/users"))
}
