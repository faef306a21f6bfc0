//! `/customers/{id}/tenants/{tenant}/users/bulk`: a CSV of users and licences (its template,
//! the tenant's licences as they are), uploaded as a draft, its difference previewed against the
//! tenant as it is each time the draft is shown, then applied all or nothing and followed as the
//! vendor takes its changes. Owners, admins and sales change; billing users read.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use tower_sessions::Session;
use uuid::Uuid;

use super::{COLUMNS, MAX_BYTES, job, store, view};
use crate::app::AppState;
use crate::audit;
use crate::error::{AppError, AppResult};
use crate::identity::ResellerUser;
use crate::licences::rules::BatchStatus;
use crate::licences::store::{self as users, Tenant};
use crate::licences::view::{TenantFacts, tenant as tenant_facts, users_link};
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::page::{self, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/customers/{customer}/tenants/{tenant}/users/bulk",
            get(bulk_page)
                .post(upload)
                // A file may be as large as the planner reads (a plain form's limit is lower).
                .layer(DefaultBodyLimit::max(MAX_BYTES + 64 * 1024)),
        )
        .route(
            "/customers/{customer}/tenants/{tenant}/users/bulk/template.csv",
            get(template),
        )
        .route(
            "/customers/{customer}/tenants/{tenant}/users/bulk/{batch}",
            get(batch_page),
        )
        .route(
            "/customers/{customer}/tenants/{tenant}/users/bulk/{batch}/apply",
            post(apply),
        )
}

fn bulk_link(t: &Tenant) -> String {
    format!("{}/bulk", users_link(t))
}

async fn tenant_of(
    tx: &mut sqlx::PgConnection,
    me: &ResellerUser,
    (customer, tenant): (Uuid, Uuid),
) -> AppResult<Tenant> {
    users::tenant(tx, me.reseller_id, customer, tenant)
        .await?
        .ok_or(AppError::NotFound)
}

/// A licence a file may name, as the page lists them.
struct LicenceLine {
    sku: String,
    name: String,
    free: i32,
}

#[derive(Template)]
#[template(path = "licences/bulk.html")]
struct BulkPage {
    ctx: PageCtx,
    tenant: TenantFacts,
    bulk_link: String,
    ready: bool,
    can_change: bool,
    licences: Vec<LicenceLine>,
    batches: Vec<view::BatchLine>,
    error: Option<String>,
}

async fn render_bulk(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    ids: (Uuid, Uuid),
    error: Option<(StatusCode, &str)>,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let tenant = tenant_of(&mut tx, me, ids).await?;
    let (licences, _) = store::licences(&mut tx, me.reseller_id, &tenant).await?;
    let batches = store::batches(&mut tx, me.reseller_id, tenant.id).await?;
    tx.commit().await?;
    let link = bulk_link(&tenant);
    let (status, error) = error.map_or((StatusCode::OK, None), |(s, key)| (s, Some(ctx.t(key))));
    let page = BulkPage {
        licences: licences
            .into_iter()
            .map(|l| LicenceLine {
                name: ctx
                    .locale
                    .pick(&l.names[0], &l.names[1], &l.names[2])
                    .to_string(),
                sku: l.sku,
                free: l.free,
            })
            .collect(),
        batches: view::batches(&ctx, &link, batches),
        tenant: tenant_facts(&ctx, &tenant),
        ready: tenant.tenant_ref.is_some(),
        can_change: me.may_change(),
        bulk_link: link,
        error,
        ctx,
    };
    Ok(page::render(status, &page))
}

async fn bulk_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(ids): Path<(Uuid, Uuid)>,
) -> AppResult<Response> {
    render_bulk(&state, ctx, &me, ids, None).await
}

/// The template: the columns, and the tenant's licences as they are (uploaded unchanged, it
/// changes nothing).
async fn template(
    State(state): State<AppState>,
    me: ResellerUser,
    Path(ids): Path<(Uuid, Uuid)>,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let tenant = tenant_of(&mut tx, &me, ids).await?;
    let rows = store::current(&mut tx, me.reseller_id, tenant.id).await?;
    tx.commit().await?;
    let header: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    let rows = rows
        .into_iter()
        .map(|(user, name, sku)| vec![user, name, sku, "add".to_string()]);
    let file = format!("licences-{}.csv", tenant.domain);
    crate::web::download::csv(&file, &header, rows)
}

/// The uploaded file, checked whole and kept as a draft to preview.
async fn upload(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(ids): Path<(Uuid, Uuid)>,
    multipart: Multipart,
) -> AppResult<Response> {
    if !me.may_change() {
        return Err(AppError::Forbidden);
    }
    let refused = StatusCode::UNPROCESSABLE_ENTITY;
    let file = match crate::web::forms::uploaded_file(multipart).await {
        Ok(Some(file)) => file,
        Ok(None) => {
            return render_bulk(&state, ctx, &me, ids, Some((refused, "bulk.no_file"))).await;
        }
        Err(AppError::PayloadTooLarge) => {
            let too_big = (StatusCode::PAYLOAD_TOO_LARGE, "licences.csv_too_big");
            return render_bulk(&state, ctx, &me, ids, Some(too_big)).await;
        }
        Err(e) => return Err(e),
    };
    let (name, bytes) = file;
    let text = match super::decode(&bytes) {
        Ok(text) => text,
        Err(key) => return render_bulk(&state, ctx, &me, ids, Some((refused, key))).await,
    };
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let tenant = tenant_of(&mut tx, &me, ids).await?;
    if tenant.tenant_ref.is_none() {
        drop(tx);
        let not_ready = (StatusCode::CONFLICT, "licences.tenant_not_ready");
        return render_bulk(&state, ctx, &me, ids, Some(not_ready)).await;
    }
    let snapshot = store::snapshot(&mut tx, me.reseller_id, &tenant, false).await?;
    if let Err(key) = super::plan(&text, &snapshot.tenant(&tenant)) {
        drop(tx);
        return render_bulk(&state, ctx, &me, ids, Some((refused, key))).await;
    }
    let name = file_name(&name);
    let id = store::draft(&mut tx, me.reseller_id, tenant.id, &name, &text, me.user.id).await?;
    tx.commit().await?;
    Ok(page::see_other(&format!("{}/{id}", bulk_link(&tenant))))
}

/// The name the file is listed by: the browser's, without a path, at most 255 characters.
fn file_name(given: &str) -> String {
    let base = given.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    let name: String = base.chars().filter(|c| !c.is_control()).take(255).collect();
    if name.is_empty() {
        "licences.csv".into()
    } else {
        name
    }
}

#[derive(Template)]
#[template(path = "licences/batch.html")]
struct BatchPage {
    ctx: PageCtx,
    tenant: TenantFacts,
    bulk_link: String,
    file_name: String,
    by: String,
    at: String,
    can_change: bool,
    apply_link: String,
    preview: Option<view::Preview>,
    error: Option<String>,
    progress: Option<view::ProgressView>,
}

async fn render_batch(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    (customer, tenant, batch): (Uuid, Uuid, Uuid),
    status: StatusCode,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let tenant = tenant_of(&mut tx, me, (customer, tenant)).await?;
    let found = store::batch(&mut tx, me.reseller_id, tenant.id, batch, false).await?;
    let batch = found.ok_or(AppError::NotFound)?;
    let (mut preview, mut error, mut progress) = (None, None, None);
    if batch.status == BatchStatus::Draft {
        let snapshot = store::snapshot(&mut tx, me.reseller_id, &tenant, false).await?;
        match super::plan(&batch.content, &snapshot.tenant(&tenant)) {
            Ok(plan) => preview = Some(view::preview(&ctx, &plan, &snapshot)),
            Err(key) => error = Some(ctx.t(key)),
        }
    } else {
        let done = store::progress(&mut tx, me.reseller_id, batch.id).await?;
        let failed = store::failed(&mut tx, me.reseller_id, batch.id).await?;
        progress = Some(view::progress(&ctx, batch.status, done, failed));
    }
    tx.commit().await?;
    let link = bulk_link(&tenant);
    let page = BatchPage {
        apply_link: format!("{link}/{}/apply", batch.id),
        bulk_link: link,
        tenant: tenant_facts(&ctx, &tenant),
        file_name: batch.file_name,
        by: batch.actor.unwrap_or_default(),
        at: ctx.moment(batch.created_at),
        can_change: me.may_change(),
        preview,
        error,
        progress,
        ctx,
    };
    Ok(page::render(status, &page))
}

async fn batch_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
    Path(ids): Path<(Uuid, Uuid, Uuid)>,
) -> AppResult<Response> {
    render_batch(&state, ctx, &me, ids, StatusCode::OK).await
}

/// Applies the draft all or nothing: planned again on the tenant locked as it is now; every
/// change recorded and the vendor's job queued in one transaction, or, when a row cannot be
/// applied any more, nothing and the preview again.
async fn apply(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Path(ids): Path<(Uuid, Uuid, Uuid)>,
) -> AppResult<Response> {
    if !me.may_change() {
        return Err(AppError::Forbidden);
    }
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let tenant = tenant_of(&mut tx, &me, (ids.0, ids.1)).await?;
    let found = store::batch(&mut tx, me.reseller_id, tenant.id, ids.2, true).await?;
    let batch = found.ok_or(AppError::NotFound)?;
    let back = format!("{}/{}", bulk_link(&tenant), batch.id);
    if batch.status != BatchStatus::Draft {
        // Applied already (a second click): its progress.
        return Ok(page::see_other(&back));
    }
    let snapshot = store::snapshot(&mut tx, me.reseller_id, &tenant, true).await?;
    let plan = match super::plan(&batch.content, &snapshot.tenant(&tenant)) {
        Ok(plan) if plan.applicable() => plan,
        _ => {
            drop(tx);
            return render_batch(&state, ctx, &me, ids, StatusCode::CONFLICT).await;
        }
    };
    let user = me.user.id;
    let changes = store::record(
        &mut tx,
        me.reseller_id,
        &tenant,
        batch.id,
        &plan,
        &snapshot.users,
        user,
    )
    .await?;
    job::queue(&mut tx, me.reseller_id, batch.id).await?;
    let entry = audit::Entry {
        reseller_id: Some(me.reseller_id),
        actor: Some(me.user.id),
        subject_type: Some("licence_batch"),
        subject_id: Some(batch.id.to_string()),
        details: serde_json::json!({
            "tenant": tenant.id, "file": batch.file_name, "changes": changes,
        }),
        ip: Some(ip),
        ..audit::Entry::new(audit::Action::LicenceBatchApplied)
    };
    let count = changes.to_string();
    flash::done(
        tx,
        &session,
        entry,
        "bulk.applied",
        &[("count", &count)],
        &back,
    )
    .await
}
