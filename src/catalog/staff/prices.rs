//! Adding a price to a product from its staff page: checked as a price list row is, and
//! applied the same way (a later open-ended price closes the current one; overlaps refused).

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use tower_sessions::Session;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::Action;
use crate::catalog::forms::PriceForm;
use crate::catalog::import;
use crate::catalog::staff::products::product_view;
use crate::catalog::staff::{entry, product_link};
use crate::catalog::store;
use crate::error::{AppError, AppResult};
use crate::fields::FieldErrors;
use crate::identity::StaffUser;
use crate::web::PageCtx;
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::Form;
use crate::web::path::Path;

pub fn router() -> Router<AppState> {
    Router::new().route("/staff/catalog/products/{id}/prices", post(add_price))
}

async fn add_price(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    StaffUser(staff): StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
    Form(form): Form<PriceForm>,
) -> AppResult<Response> {
    let product = store::product_by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let line = match form.parse(&product.sku) {
        Ok(l) => l,
        Err(errors) => return product_view(&state, ctx, id, Some(form), errors).await,
    };
    let mut tx = state.db.begin().await?;
    let mut rejected = import::apply(&mut tx, std::slice::from_ref(&line), staff.id).await?;
    if let Some(r) = rejected.pop() {
        drop(tx);
        let field = if r.key == "import.not_offered" {
            "billing"
        } else {
            "valid_from"
        };
        let errors = FieldErrors::one(field, r.key);
        return product_view(&state, ctx, id, Some(form), errors).await;
    }
    let details = serde_json::json!({
        "term": line.term, "billing": line.billing, "currency": line.currency,
        "cost": line.cost, "retail": line.retail, "valid_from": line.valid_from.to_string(),
    });
    let entry = entry(Action::PriceAdded, staff.id, "product", id, ip, details);
    flash::done(
        tx,
        &session,
        entry,
        "catalog.price_saved",
        &[],
        &product_link(id),
    )
    .await
}
