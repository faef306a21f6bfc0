//! Reads a report's table from the kept figures (`store`), in the reader's language.

use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::billing::charges::Month;
use crate::i18n::Locale;
use crate::reports::report::{self, Breakdown, Point, Report, Series, Table};
use crate::reports::store::{self, Figure};

/// The names of the series that are no vendor, product or customer.
pub struct Names {
    pub total: String,
    pub others: String,
    pub credits: String,
}

/// The table of `report` for `resellers`: the reader's own (one), or those staff chose. A
/// breakdown per customer is one reseller's (its customers); per reseller, staff's.
pub async fn table(
    tx: &mut PgConnection,
    resellers: &[Uuid],
    r: &Report,
    locale: Locale,
    names: &Names,
) -> sqlx::Result<Table> {
    let months = r.months();
    let (first, last) = (r.first.first_day(), r.last.first_day());
    let points = |figures: Vec<Figure>, fixed: Option<&str>| -> Vec<Point> {
        figures
            .into_iter()
            .map(|f| Point {
                month: Month::of(f.month),
                name: match fixed {
                    Some(name) => name.to_string(),
                    None if f.key.is_empty() => names.credits.clone(),
                    None => locale.pick(&f.name_es, &f.name_en, &f.name_pt).to_string(),
                },
                value: r.measure.of(&f.sales(), f.quantity),
                key: f.key,
            })
            .collect()
    };
    let figures = match r.by {
        Breakdown::Total => {
            let all = store::totals(tx, resellers, first, last, r.customer).await?;
            return Ok(report::table(
                &months,
                &points(all, Some(&names.total)),
                &names.others,
            ));
        }
        Breakdown::Vendor => store::by_vendor(tx, resellers, first, last).await?,
        Breakdown::Product => store::by_product(tx, resellers, first, last).await?,
        Breakdown::Reseller => store::by_reseller(tx, resellers, first, last).await?,
        Breakdown::Customer => {
            let [reseller_id] = resellers else {
                return Ok(report::table(&months, &[], &names.others));
            };
            let reseller_id = *reseller_id;
            let limit = report::SERIES as i64;
            let top = match store::latest_month(tx, reseller_id, first, last).await? {
                Some(ranked) => {
                    store::top_customers_over(
                        tx,
                        reseller_id,
                        ranked,
                        (first, last),
                        r.measure,
                        limit,
                    )
                    .await?
                }
                None => Vec::new(),
            };
            let mut table = report::table(&months, &points(top, None), &names.others);
            let all = store::totals(tx, resellers, first, last, None).await?;
            let all = report::table(&months, &points(all, Some(&names.total)), &names.others);
            let rest: Vec<Decimal> = all
                .totals()
                .iter()
                .zip(table.totals())
                .map(|(a, t)| a - t)
                .collect();
            if rest.iter().any(|v| !v.is_zero()) {
                table.series.push(Series {
                    name: names.others.clone(),
                    values: rest,
                });
            }
            return Ok(table);
        }
    };
    Ok(report::table(
        &months,
        &points(figures, None),
        &names.others,
    ))
}
