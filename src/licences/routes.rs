//! `/customers/{id}/tenants/{tenant}/users`: the tenant's users (searched, a page at a time), a
//! new user, and a user's page with its licences, its block, unblock and delete, and its
//! history. Owners, admins and sales change; billing users read.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit;
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::ResellerUser;
use crate::licences::rules::{self, LicenceChangeKind};
use crate::licences::store::{self, Refused, Tenant};
use crate::licences::{changes, read, view};
use crate::partners::rules::required;
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::{Choice, Form};
use crate::web::page::{self, PageCtx};
use crate::web::paging::{Keyset, Pager};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/customers/{customer}/tenants/{tenant}/users",
            get(list).post(create),
        )
        .route(
            "/customers/{customer}/tenants/{tenant}/users/read",
            post(read_again),
        )
        .route(
            "/customers/{customer}/tenants/{tenant}/users/{user}",
            get(show),
        )
        .route(
            "/customers/{customer}/tenants/{tenant}/users/{user}/changes",
            post(change),
        )
        .route("/subscriptions/{id}/licences", post(change_holder))
}

#[derive(Deserialize, Default)]
struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: String,
    #[serde(default)]
    before: String,
}

#[derive(Deserialize, Default)]
struct NewUserForm {
    #[serde(default)]
    user_name: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    usage_location: String,
}

#[derive(Template)]
#[template(path = "licences/users.html")]
struct UsersPage {
    ctx: PageCtx,
    tenant: view::TenantFacts,
    /// The vendor has made the tenant (users can be managed).
    ready: bool,
    rows: Vec<view::UserLine>,
    q: String,
    summary: String,
    pager: Pager,
    can_change: bool,
    form: NewUserForm,
    errors: FieldErrors,
    locations: Vec<Choice>,
    /// When the users were last read from the vendor ("being read" until the first time).
    read_at: String,
}

async fn tenant_of(
    tx: &mut sqlx::PgConnection,
    me: &ResellerUser,
    customer: Uuid,
    tenant: Uuid,
) -> AppResult<Tenant> {
    store::tenant(tx, me.reseller_id, customer, tenant)
        .await?
        .ok_or(AppError::NotFound)
}

async fn render_list(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    (customer, tenant): (Uuid, Uuid),
    p: &ListParams,
    form: NewUserForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let q: String = p.q.trim().chars().take(60).collect();
    let at = Keyset::parse(&p.after, &p.before);
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let tenant = tenant_of(&mut tx, me, customer, tenant).await?;
    let found = store::users(&mut tx, me.reseller_id, tenant.id, &q, &at, ctx.locale).await?;
    if tenant.users_read_at.is_none() && tenant.tenant_ref.is_some() {
        // Users made outside the portal are read the first time the page is shown.
        read::queue(&mut tx, me.reseller_id, &tenant, "first").await?;
    }
    tx.commit().await?;
    let base = view::users_link(&tenant);
    let link = |key: &str, row: &store::UserRow| {
        let mut qs = url::form_urlencoded::Serializer::new(String::new());
        qs.append_pair("q", &q)
            .append_pair(key, &store::cursor(row).encode());
        format!("{base}?{}", qs.finish())
    };
    let chosen = Some(form.usage_location.as_str()).filter(|c| !c.is_empty());
    let page = UsersPage {
        summary: ctx.t_total(
            "licences.count",
            "licences.count_one",
            "licences.count_about",
            found.total,
        ),
        pager: at.pager(&found.rows, found.more, link),
        rows: view::lines(&ctx, found.rows),
        ready: tenant.tenant_ref.is_some(),
        tenant: view::tenant(&ctx, &tenant),
        can_change: me.may_change(),
        locations: locations(&ctx, chosen.or(Some(tenant.country.as_str()))),
        read_at: match tenant.users_read_at {
            Some(at) => ctx.t_with("licences.read_at", &[("at", &ctx.moment(at))]),
            None => ctx.t("licences.being_read"),
        },
        q,
        form,
        errors,
        ctx,
    };
    Ok(page::render(page::form_status(&page.errors), &page))
}

/// The countries a user's licences may be used in, `chosen` selected.
fn locations(ctx: &PageCtx, chosen: Option<&str>) -> Vec<Choice> {
    crate::countries::sorted(ctx.locale)
        .into_iter()
        .map(|c| Choice {
            code: c.code,
            label: c.name(ctx.locale).to_string(),
            selected: chosen == Some(c.code),
        })
        .collect()
}

async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(ids): Path<(Uuid, Uuid)>,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    render_list(
        &state,
        ctx,
        &me,
        ids,
        &p,
        NewUserForm::default(),
        FieldErrors::new(),
    )
    .await
}

impl NewUserForm {
    /// The user to create in `tenant`, or the messages beside the fields.
    fn parse(&self, tenant: &Tenant) -> Result<(String, String, &'static str), FieldErrors> {
        let mut errors = FieldErrors::new();
        let user_name = rules::user_name(&self.user_name, &tenant.domain)
            .map_err(|k| errors.add("user_name", k))
            .ok();
        let display_name = required(&mut errors, "display_name", &self.display_name, 120);
        let location = crate::countries::by_code(self.usage_location.trim()).map(|c| c.code);
        if location.is_none() {
            errors.add("usage_location", "licences.usage_location_required");
        }
        match (user_name, location) {
            (Some(u), Some(l)) if errors.is_empty() => Ok((u, display_name, l)),
            _ => Err(errors),
        }
    }
}

async fn create(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path((customer, tenant_id)): Path<(Uuid, Uuid)>,
    Form(form): Form<NewUserForm>,
) -> AppResult<Response> {
    if !me.may_change() {
        return Err(AppError::Forbidden);
    }
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let tenant = tenant_of(&mut tx, &me, customer, tenant_id).await?;
    let ids = (customer, tenant_id);
    let none = ListParams::default();
    let (user_name, display_name, location) = match form.parse(&tenant) {
        Ok(parsed) if tenant.tenant_ref.is_some() => parsed,
        Ok(_) => {
            let errors = FieldErrors::one("_form", "licences.tenant_not_ready");
            return render_list(&state, ctx, &me, ids, &none, form, errors).await;
        }
        Err(errors) => return render_list(&state, ctx, &me, ids, &none, form, errors).await,
    };
    let new = store::NewUser {
        user_name: &user_name,
        display_name: &display_name,
        usage_location: location,
    };
    let (user_id, change_id) =
        match store::create_user(&mut tx, me.reseller_id, tenant.id, &new, me.user.id).await {
            Ok(ids) => ids,
            Err(crate::db::SaveError::Refused(errors)) => {
                drop(tx);
                return render_list(&state, ctx, &me, ids, &none, form, errors).await;
            }
            Err(e) => return Err(e.into()),
        };
    changes::queue(&mut tx, me.reseller_id, change_id).await?;
    let entry = entry(
        &me,
        ip,
        user_id,
        change_id,
        LicenceChangeKind::CreateUser,
        None,
    );
    let to = format!("{}/{user_id}", view::users_link(&tenant));
    flash::done(
        tx,
        &session,
        entry,
        "licences.user_requested",
        &[("name", &user_name)],
        &to,
    )
    .await
}

/// Reads the tenant's users from the vendor again (what was made or changed outside the
/// portal); twice within a minute reads once.
async fn read_again(
    State(state): State<AppState>,
    session: Session,
    me: ResellerUser,
    Path(ids): Path<(Uuid, Uuid)>,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let tenant = tenant_of(&mut tx, &me, ids.0, ids.1).await?;
    if tenant.tenant_ref.is_none() {
        return Err(AppError::NotFound);
    }
    let minute = time::OffsetDateTime::now_utc().unix_timestamp() / 60;
    read::queue(&mut tx, me.reseller_id, &tenant, &minute.to_string()).await?;
    flash::done(
        tx,
        &session,
        None,
        "licences.reading",
        &[],
        &view::users_link(&tenant),
    )
    .await
}

fn entry(
    me: &ResellerUser,
    ip: std::net::IpAddr,
    user: Uuid,
    change: Uuid,
    kind: LicenceChangeKind,
    subscription: Option<Uuid>,
) -> audit::Entry<'static> {
    audit::Entry {
        reseller_id: Some(me.reseller_id),
        actor: Some(me.user.id),
        subject_type: Some("tenant_user"),
        subject_id: Some(user.to_string()),
        details: serde_json::json!({
            "change": change, "kind": kind.code(), "subscription": subscription,
        }),
        ip: Some(ip),
        ..audit::Entry::new(audit::Action::TenantUserChangeRequested)
    }
}

#[derive(Template)]
#[template(path = "licences/user.html")]
struct UserPage {
    ctx: PageCtx,
    tenant: view::TenantFacts,
    user: view::UserFacts,
    licences: Vec<view::LicenceLine>,
    history: Vec<view::HistoryLine>,
    /// The new user's temporary password, shown this once.
    password: Option<String>,
    can_change: bool,
    problem: Option<String>,
}

async fn render_user(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    (customer, tenant, user): (Uuid, Uuid, Uuid),
    problem: Option<(StatusCode, String)>,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let tenant = tenant_of(&mut tx, me, customer, tenant).await?;
    let found = store::user(&mut tx, me.reseller_id, tenant.id, user, false).await?;
    let user = found.ok_or(AppError::NotFound)?;
    let licensable = store::licensable(&mut tx, me.reseller_id, &tenant, user.id).await?;
    let history = store::history(&mut tx, me.reseller_id, user.id).await?;
    // Taken only once the user read here is made (its password was sealed in the same
    // transaction): a page that still says "being created" reloads and would lose it.
    let sealed = if user.status == rules::UserStatus::Creating {
        None
    } else {
        store::take_password(&mut tx, me.reseller_id, user.id, me.user.id).await?
    };
    tx.commit().await?;
    let password = match sealed {
        Some(s) => Some(String::from_utf8_lossy(&state.secrets.open(&s)?).into_owned()),
        None => None,
    };
    let can_change = me.may_change();
    let (status, problem) = problem.map_or((StatusCode::OK, None), |(s, p)| (s, Some(p)));
    let page = UserPage {
        licences: view::licences(
            &ctx,
            &licensable,
            can_change && user.pending_change.is_none(),
        ),
        history: view::history(&ctx, history),
        user: view::user(&ctx, &tenant, &user),
        tenant: view::tenant(&ctx, &tenant),
        password,
        can_change,
        problem,
        ctx,
    };
    Ok(page::render(status, &page))
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(ids): Path<(Uuid, Uuid, Uuid)>,
) -> AppResult<Response> {
    render_user(&state, ctx, &me, ids, None).await
}

#[derive(Deserialize)]
struct ChangeForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    subscription: String,
}

async fn change(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(ids): Path<(Uuid, Uuid, Uuid)>,
    Form(form): Form<ChangeForm>,
) -> AppResult<Response> {
    if !me.may_change() {
        return Err(AppError::Forbidden);
    }
    let kind = LicenceChangeKind::from_code(&form.kind)
        .filter(|k| *k != LicenceChangeKind::CreateUser)
        .ok_or(AppError::BadRequest)?;
    let subscription = Uuid::parse_str(&form.subscription).ok();
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let tenant = tenant_of(&mut tx, &me, ids.0, ids.1).await?;
    let found = store::user(&mut tx, me.reseller_id, tenant.id, ids.2, true).await?;
    let user = found.ok_or(AppError::NotFound)?;
    let recorded = store::record(
        &mut tx,
        me.reseller_id,
        &tenant,
        &user,
        kind,
        subscription,
        me.user.id,
    )
    .await?;
    let change_id = match recorded {
        Ok(id) => id,
        Err(Refused::NotLicensable) => return Err(AppError::NotFound),
        Err(refused) => {
            drop(tx);
            let problem = (StatusCode::CONFLICT, ctx.t(refusal_key(refused)));
            return render_user(&state, ctx, &me, ids, Some(problem)).await;
        }
    };
    changes::queue(&mut tx, me.reseller_id, change_id).await?;
    let entry = entry(&me, ip, user.id, change_id, kind, subscription);
    let to = format!("{}/{}", view::users_link(&tenant), user.id);
    flash::done(tx, &session, entry, "licences.sent", &[], &to).await
}

fn refusal_key(refused: Refused) -> &'static str {
    match refused {
        Refused::Pending => "licences.refused_pending",
        Refused::State => "licences.refused_state",
        Refused::Unchanged => "licences.refused_unchanged",
        Refused::NoFreeSeat => "vendor_error.no_free_seat",
        Refused::NotLicensable => "licences.refused_not_licensable",
    }
}

#[derive(Deserialize)]
struct HolderForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    user: String,
}

/// A licence given or taken back from the subscription's page.
async fn change_holder(
    State(state): State<AppState>,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
    Form(form): Form<HolderForm>,
) -> AppResult<Response> {
    if !me.may_change() {
        return Err(AppError::Forbidden);
    }
    let kind = LicenceChangeKind::from_code(&form.kind)
        .filter(|k| matches!(k, LicenceChangeKind::Assign | LicenceChangeKind::Unassign))
        .ok_or(AppError::BadRequest)?;
    let user_id = Uuid::parse_str(&form.user).map_err(|_| AppError::BadRequest)?;
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let tenant = store::tenant_of_subscription(&mut tx, me.reseller_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let found = store::user(&mut tx, me.reseller_id, tenant.id, user_id, true).await?;
    let user = found.ok_or(AppError::NotFound)?;
    let back = format!("/subscriptions/{id}");
    let recorded = store::record(
        &mut tx,
        me.reseller_id,
        &tenant,
        &user,
        kind,
        Some(id),
        me.user.id,
    )
    .await?;
    let change_id = match recorded {
        Ok(change_id) => change_id,
        Err(Refused::NotLicensable) => return Err(AppError::NotFound),
        Err(refused) => {
            drop(tx);
            flash::push(&session, flash::Level::Error, refusal_key(refused), &[]).await;
            return Ok(page::see_other(&back));
        }
    };
    changes::queue(&mut tx, me.reseller_id, change_id).await?;
    let entry = entry(&me, ip, user.id, change_id, kind, Some(id));
    flash::done(tx, &session, entry, "licences.sent", &[], &back).await
}
