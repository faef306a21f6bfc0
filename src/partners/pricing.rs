//! `/partner/pricing`: the reseller's default markup, which gives "your price" next to cost and
//! suggested retail everywhere prices are shown (owners and admins change it), and whether sales
//! users see costs and margins (the owner's choice).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use rust_decimal::Decimal;
use serde::Deserialize;
use tower_sessions::Session;

use crate::app::AppState;
use crate::audit::Action;
use crate::error::AppResult;
use crate::fields::FieldErrors;
use crate::i18n;
use crate::identity::{ResellerUser, Role};
use crate::partners::account::reseller_entry;
use crate::partners::store;
use crate::web::client_ip::ClientIp;
use crate::web::flash;
use crate::web::forms::Form;
use crate::web::page::{self, PageCtx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/partner/pricing", get(show).post(save))
        .route("/partner/pricing/costs", post(save_costs))
}

#[derive(Template)]
#[template(path = "partners/pricing.html")]
struct PricingPage {
    ctx: PageCtx,
    markup: String,
    currency: String,
    example: String,
    errors: FieldErrors,
    /// Whether sales users see costs and margins now.
    sales_see_costs: bool,
    /// Whether this user may change that (the owner).
    owner: bool,
}

async fn render(
    state: &AppState,
    ctx: PageCtx,
    me: &ResellerUser,
    typed: Option<String>,
    errors: FieldErrors,
) -> AppResult<Response> {
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let (currency, markup) =
        crate::catalog::store::reseller_pricing(&mut tx, me.reseller_id).await?;
    tx.commit().await?;
    let sales_see_costs = me.user.sales_see_costs;
    let hundred = Decimal::ONE_HUNDRED;
    let example = ctx.t_with(
        "pricing.example",
        &[
            ("cost", &i18n::format_money(ctx.locale, hundred, &currency)),
            (
                "price",
                &i18n::format_money(
                    ctx.locale,
                    crate::catalog::rules::your_price(hundred, markup),
                    &currency,
                ),
            ),
        ],
    );
    Ok(page::render(
        page::form_status(&errors),
        &PricingPage {
            markup: typed.unwrap_or_else(|| markup.normalize().to_string()),
            currency,
            example,
            errors,
            sales_see_costs,
            owner: me.user.role == Role::Owner,
            ctx,
        },
    ))
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    me: ResellerUser,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    render(&state, ctx, &me, None, FieldErrors::new()).await
}

#[derive(Deserialize)]
struct MarkupForm {
    #[serde(default)]
    markup: String,
}

/// A percentage from 0 to 500 with at most two decimals; the error is a translation key.
pub fn parse_markup(input: &str) -> Result<Decimal, &'static str> {
    let value =
        crate::catalog::rules::parse_amount(input.trim().trim_end_matches('%')).map_err(|k| {
            if k == "form.required" {
                k
            } else {
                "pricing.invalid"
            }
        })?;
    if value > Decimal::from(500) || value.scale() > 2 {
        return Err("pricing.invalid");
    }
    Ok(value)
}

async fn save(
    State(state): State<AppState>,
    ctx: PageCtx,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<MarkupForm>,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner, Role::Admin])?;
    let markup = match parse_markup(&form.markup) {
        Ok(m) => m,
        Err(key) => {
            let errors = FieldErrors::one("markup", key);
            return render(
                &state,
                ctx,
                &me,
                Some(form.markup.chars().take(20).collect()),
                errors,
            )
            .await;
        }
    };
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let old = store::lock_markup(&mut tx, me.reseller_id).await?;
    store::set_markup(&mut tx, me.reseller_id, markup).await?;
    let details = serde_json::json!({ "from": old, "to": markup });
    let entry = reseller_entry(&me, Action::MarkupChanged, ip, details);
    flash::done(
        tx,
        &session,
        entry,
        "pricing.saved",
        &[],
        "/partner/pricing",
    )
    .await
}

#[derive(Deserialize)]
struct CostsForm {
    /// A checkbox: present (any value) when ticked.
    #[serde(default)]
    sales_see_costs: Option<String>,
}

/// The owner lets sales users see costs and margins, or stops it (audited).
async fn save_costs(
    State(state): State<AppState>,
    session: Session,
    me: ResellerUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<CostsForm>,
) -> AppResult<Response> {
    me.user.require(&[Role::Owner])?;
    let on = form.sales_see_costs.is_some();
    let mut tx = crate::db::tenant_tx(&state.db, me.reseller_id).await?;
    let old = store::lock_sales_see_costs(&mut tx, me.reseller_id).await?;
    store::set_sales_see_costs(&mut tx, me.reseller_id, on).await?;
    let details = serde_json::json!({ "from": old, "to": on });
    let entry = reseller_entry(&me, Action::SalesCostsChanged, ip, details);
    let done = if on {
        "pricing.costs_shown"
    } else {
        "pricing.costs_hidden"
    };
    flash::done(tx, &session, entry, done, &[], "/partner/pricing").await
}

#[cfg(test)]
mod tests {
    use super::parse_markup;

    #[test]
    fn markups_are_bounded_percentages() {
        assert_eq!(parse_markup("15").unwrap().to_string(), "15");
        assert_eq!(parse_markup("12,5 %").unwrap().to_string(), "12.5");
        assert_eq!(parse_markup("501"), Err("pricing.invalid"));
        assert_eq!(parse_markup("-1"), Err("pricing.invalid"));
        assert_eq!(parse_markup("1.234"), Err("pricing.invalid"));
        assert_eq!(parse_markup(""), Err("form.required"));
    }
}
