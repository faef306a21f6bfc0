//! Staff's reports (`/staff/reports`): the same reports across the resellers billing in one
//! currency (amounts in different currencies are never added up), or of one of them, read with
//! no tenant set. Per customer is one reseller's; across them, per reseller.

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use uuid::Uuid;

use crate::app::AppState;
use crate::error::AppResult;
use crate::fields::FieldErrors;
use crate::identity::StaffUser;
use crate::reports::reading;
use crate::reports::report::{Breakdown, Params, Report};
use crate::reports::routes::{self, Frame, Read, StaffFilters};
use crate::web::PageCtx;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/reports", get(show))
        .route("/staff/reports/chart.svg", get(svg))
        .route("/staff/reports/data.csv", get(csv))
}

/// A staff report's query: the report's, the currency and the reseller.
#[derive(Debug, Clone, Default, Deserialize)]
struct StaffParams {
    #[serde(default)]
    currency: String,
    #[serde(default)]
    reseller: String,
    #[serde(flatten)]
    report: Params,
}

/// Whose figures a staff report reads, from what was asked and the resellers with figures
/// (currency, id, name, by currency): the currency asked for if any reseller bills in it (else
/// the first), and the reseller asked for if it bills in that currency. A reseller that is not
/// one of them is an error on its field, and all of them are read.
pub fn scope(
    currency: &str,
    reseller: &str,
    all: &[(String, Uuid, String)],
    errors: &mut FieldErrors,
) -> (String, Option<Uuid>) {
    let currency = all
        .iter()
        .find(|(c, _, _)| c.eq_ignore_ascii_case(currency.trim()))
        .or_else(|| all.first())
        .map(|(c, _, _)| c.clone())
        .unwrap_or_default();
    let reseller = match reseller.trim() {
        "" => None,
        given => {
            let found = Uuid::parse_str(given)
                .ok()
                .filter(|id| all.iter().any(|(c, r, _)| *c == currency && r == id));
            if found.is_none() {
                errors.add("reseller", "reports.invalid_reseller");
            }
            found
        }
    };
    (currency, reseller)
}

async fn read(state: &AppState, ctx: &PageCtx, p: &StaffParams) -> AppResult<Read> {
    let now = time::OffsetDateTime::now_utc();
    let (this, _) = crate::reports::figures::months(now, None);
    let (report, mut errors) = Report::parse(&p.report, this);
    let mut tx = state.db.begin().await?;
    let all = crate::reports::store::resellers_by_currency(&mut tx).await?;
    let (currency, reseller) = scope(&p.currency, &p.reseller, &all, &mut errors);
    let (report, ids, breakdowns): (Report, Vec<Uuid>, _) = match reseller {
        Some(id) => (
            Report {
                customer: None,
                ..report.of_one_reseller()
            },
            vec![id],
            Breakdown::OF_A_RESELLER,
        ),
        None => (
            report.across_resellers(),
            all.iter()
                .filter(|(c, _, _)| *c == currency)
                .map(|(_, id, _)| *id)
                .collect(),
            Breakdown::ACROSS_RESELLERS,
        ),
    };
    let names = routes::names(ctx, &report);
    let table = reading::table(&mut tx, &ids, &report, ctx.locale, &names).await?;
    tx.commit().await?;
    let mut currencies: Vec<(String, String, bool)> = Vec::new();
    for (c, _, _) in &all {
        if currencies.last().is_none_or(|(last, _, _)| last != c) {
            currencies.push((c.clone(), c.clone(), *c == currency));
        }
    }
    let resellers = all
        .iter()
        .filter(|(c, _, _)| *c == currency)
        .map(|(_, id, name)| (id.to_string(), name.clone(), Some(*id) == reseller))
        .collect();
    let mut extra = vec![("currency", currency.clone())];
    if let Some(id) = reseller {
        extra.push(("reseller", id.to_string()));
    }
    Ok(Read {
        report,
        errors,
        table,
        customer_name: None,
        currency,
        frame: Frame {
            base: "/staff/reports",
            extra,
            staff: Some(StaffFilters {
                currencies,
                resellers,
            }),
            breakdowns,
        },
    })
}

async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Query(p): Query<StaffParams>,
) -> AppResult<Response> {
    let read = read(&state, &ctx, &p).await?;
    Ok(routes::render(ctx, p.report, read))
}

async fn svg(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Query(p): Query<StaffParams>,
) -> AppResult<Response> {
    let read = read(&state, &ctx, &p).await?;
    routes::render_svg(&ctx, read)
}

async fn csv(
    State(state): State<AppState>,
    ctx: PageCtx,
    _staff: StaffUser,
    Query(p): Query<StaffParams>,
) -> AppResult<Response> {
    let read = read(&state, &ctx, &p).await?;
    routes::render_csv(&ctx, read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staff_report_reads_one_currency_and_a_reseller_billing_in_it() {
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let all = vec![
            ("BRL".to_string(), c, "Cumulus".to_string()),
            ("USD".to_string(), a, "Alfa".to_string()),
            ("USD".to_string(), b, "Beta".to_string()),
        ];
        let mut errors = FieldErrors::new();
        // Nothing asked: the first currency, all its resellers.
        assert_eq!(scope("", "", &all, &mut errors), ("BRL".to_string(), None));
        assert_eq!(
            scope("usd", &b.to_string(), &all, &mut errors),
            ("USD".to_string(), Some(b))
        );
        assert!(errors.is_empty());
        // A currency nobody bills in is the first; a reseller of another currency, or no id, is
        // an error on its field.
        assert_eq!(scope("EUR", "", &all, &mut errors).0, "BRL");
        assert_eq!(scope("USD", &c.to_string(), &all, &mut errors).1, None);
        assert!(errors.get("reseller").is_some());
        let mut errors = FieldErrors::new();
        assert_eq!(scope("USD", "x", &all, &mut errors).1, None);
        assert!(errors.get("reseller").is_some());
        // No figures at all: no currency.
        assert_eq!(
            scope("USD", "", &[], &mut FieldErrors::new()),
            (String::new(), None)
        );
    }
}
