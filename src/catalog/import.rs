//! Price lists as CSV: import (validated row by row, applied in one transaction or not at all,
//! with a report of every rejected row) and export in the same format.
//!
//! Columns: `sku,term,billing,currency,cost,retail,valid_from,valid_to` (`valid_to` may be
//! empty: open-ended). A new open-ended price closes the open-ended price it follows, so a
//! scheduled change is one row.

use std::collections::HashMap;

use sqlx::{Connection, PgConnection};
use time::Date;
use uuid::Uuid;

pub use crate::catalog::forms::PriceLine;
use crate::catalog::rules::{self, Billing, PricePeriod, Term};

pub const COLUMNS: [&str; 8] = [
    "sku",
    "term",
    "billing",
    "currency",
    "cost",
    "retail",
    "valid_from",
    "valid_to",
];
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// A rejected row: its line number in the file, and why (a translation key and a detail).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub line: usize,
    pub key: &'static str,
    pub detail: String,
}

/// Reads the file; the error is a translation key for the whole file.
pub fn parse(bytes: &[u8]) -> Result<(Vec<PriceLine>, Vec<Rejection>), &'static str> {
    if bytes.len() > MAX_BYTES {
        return Err("import.too_big");
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "import.not_utf8")?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err("import.empty");
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|_| "import.bad_header")?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    if headers != COLUMNS {
        return Err("import.bad_header");
    }
    let mut lines = Vec::new();
    let mut rejected = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                rejected.push(Rejection {
                    line,
                    key: "import.unreadable",
                    detail: e.to_string(),
                });
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != COLUMNS.len() {
            rejected.push(Rejection {
                line,
                key: "import.wrong_columns",
                detail: format!("{} / {}", record.len(), COLUMNS.len()),
            });
            continue;
        }
        match parse_row(line, &record) {
            Ok(l) => lines.push(l),
            Err(r) => rejected.push(r),
        }
    }
    // Two rows of the file for the same combination must not overlap either.
    type Combination = (String, Term, Billing, String);
    let mut seen: HashMap<Combination, Vec<(usize, PricePeriod)>> = HashMap::new();
    for l in &lines {
        let period = PricePeriod {
            cost: l.cost,
            retail: l.retail,
            valid_from: l.valid_from,
            valid_to: l.valid_to,
        };
        let key = (l.sku.to_uppercase(), l.term, l.billing, l.currency.clone());
        let entry = seen.entry(key).or_default();
        if let Some((other, _)) = entry.iter().find(|(_, p)| {
            p.overlaps(&period)
                && (p.valid_to.is_some()
                    || period.valid_to.is_some()
                    || p.valid_from == period.valid_from)
        }) {
            rejected.push(Rejection {
                line: l.line,
                key: "import.overlap_in_file",
                detail: format!("{other}"),
            });
        }
        entry.push((l.line, period));
    }
    rejected.sort_by_key(|r| r.line);
    Ok((lines, rejected))
}

fn parse_row(line: usize, r: &csv::StringRecord) -> Result<PriceLine, Rejection> {
    let reject = |key: &'static str, detail: &str| Rejection {
        line,
        key,
        detail: detail.chars().take(80).collect(),
    };
    let sku = r[0].to_string();
    if sku.is_empty() || sku.len() > 64 {
        return Err(reject("import.bad_sku", &sku));
    }
    let term = Term::parse(&r[1]).ok_or_else(|| reject("import.bad_term", &r[1]))?;
    let billing = Billing::parse(&r[2]).ok_or_else(|| reject("import.bad_billing", &r[2]))?;
    if !billing.fits(term) {
        return Err(reject("import.billing_term", &format!("{term} {billing}")));
    }
    let currency = r[3].to_ascii_uppercase();
    if !rules::CURRENCIES.contains(&currency.as_str()) {
        return Err(reject("import.bad_currency", &r[3]));
    }
    let cost = rules::parse_amount(&r[4]).map_err(|k| reject(k, &r[4]))?;
    let retail = rules::parse_amount(&r[5]).map_err(|k| reject(k, &r[5]))?;
    let valid_from = rules::parse_date(&r[6]).map_err(|k| reject(k, &r[6]))?;
    let valid_to = if r[7].is_empty() {
        None
    } else {
        Some(rules::parse_date(&r[7]).map_err(|k| reject(k, &r[7]))?)
    };
    if valid_to.is_some_and(|to| to <= valid_from) {
        return Err(reject(
            "import.dates_order",
            &format!("{} {}", &r[6], &r[7]),
        ));
    }
    Ok(PriceLine {
        line,
        sku,
        term,
        billing,
        currency,
        cost,
        retail,
        valid_from,
        valid_to,
    })
}

/// Applies `lines` in the caller's transaction; returns the rejections found against the
/// database (unknown SKU, combination not offered, overlap with an existing price). The caller
/// commits only when there are none.
pub async fn apply(
    tx: &mut PgConnection,
    lines: &[PriceLine],
    actor: Uuid,
) -> sqlx::Result<Vec<Rejection>> {
    let mut rejected = Vec::new();
    let mut products: HashMap<String, Option<Uuid>> = HashMap::new();
    for l in lines {
        let key = l.sku.to_uppercase();
        let product_id = match products.get(&key) {
            Some(id) => *id,
            None => {
                let id = sqlx::query_scalar!("SELECT id FROM products WHERE upper(sku) = $1", key)
                    .fetch_optional(&mut *tx)
                    .await?;
                products.insert(key, id);
                id
            }
        };
        let Some(product_id) = product_id else {
            rejected.push(Rejection {
                line: l.line,
                key: "import.unknown_sku",
                detail: l.sku.clone(),
            });
            continue;
        };
        let offered = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM product_offers
                              WHERE product_id = $1 AND term = $2 AND billing = $3) AS "offered!""#,
            product_id,
            l.term.code(),
            l.billing.code(),
        )
        .fetch_one(&mut *tx)
        .await?;
        if !offered {
            rejected.push(Rejection {
                line: l.line,
                key: "import.not_offered",
                detail: format!("{} {} {}", l.sku, l.term, l.billing),
            });
            continue;
        }
        if let Err(key) = add_price(tx, product_id, l, actor).await? {
            rejected.push(Rejection {
                line: l.line,
                key,
                detail: l.valid_from.to_string(),
            });
        }
    }
    Ok(rejected)
}

/// Adds one price. A price starting after an open-ended one of the same combination closes it
/// on its first day (a scheduled change). An overlap with anything else is refused (the
/// database's exclusion constraint decides, inside a savepoint).
pub async fn add_price(
    tx: &mut PgConnection,
    product_id: Uuid,
    l: &PriceLine,
    actor: Uuid,
) -> sqlx::Result<Result<(), &'static str>> {
    // A savepoint: a refused price undoes its own changes, and the import goes on to report
    // the other rows.
    let mut sp = tx.begin().await?;
    sqlx::query!(
        "UPDATE prices SET valid_to = $5
         WHERE product_id = $1 AND term = $2 AND billing = $3 AND currency = $4
           AND valid_to IS NULL AND valid_from < $5",
        product_id,
        l.term.code(),
        l.billing.code(),
        l.currency as _,
        l.valid_from,
    )
    .execute(&mut *sp)
    .await?;
    let inserted = sqlx::query!(
        "INSERT INTO prices (product_id, term, billing, currency, cost, retail, valid_from, valid_to, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        product_id,
        l.term.code(),
        l.billing.code(),
        l.currency as _,
        l.cost,
        l.retail,
        l.valid_from,
        l.valid_to,
        actor,
    )
    .execute(&mut *sp)
    .await;
    match inserted {
        Ok(_) => {
            sp.commit().await?;
            Ok(Ok(()))
        }
        Err(e) if crate::db::violated_constraint(&e) == Some("prices_no_overlap") => {
            sp.rollback().await?;
            Ok(Err("import.overlap"))
        }
        Err(e) => Err(e),
    }
}

/// The current and future prices as CSV, in the import's format.
pub async fn export(db: &mut PgConnection, today: Date) -> anyhow::Result<Vec<u8>> {
    let rows = sqlx::query!(
        r#"SELECT p.sku, x.term AS "term: Term", x.billing AS "billing: Billing",
                  x.currency::text AS "currency!", x.cost, x.retail, x.valid_from, x.valid_to
           FROM prices x JOIN products p ON p.id = x.product_id
           WHERE x.valid_to IS NULL OR x.valid_to > $1
           ORDER BY p.sku, x.term, x.billing, x.currency, x.valid_from"#,
        today
    )
    .fetch_all(db)
    .await?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(COLUMNS)?;
    for r in rows {
        writer.write_record([
            crate::web::download::neutralise_formula(&r.sku),
            r.term.code().to_string(),
            r.billing.code().to_string(),
            r.currency,
            r.cost.normalize().to_string(),
            r.retail.normalize().to_string(),
            r.valid_from.to_string(),
            r.valid_to.map(|d| d.to_string()).unwrap_or_default(),
        ])?;
    }
    Ok(writer.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "sku,term,billing,currency,cost,retail,valid_from,valid_to\n";

    #[test]
    fn a_good_file_is_read_whole() {
        let file = format!(
            "{HEADER}CFQ7TTC0LH18,P1Y,annual,USD,120.00,150.00,2026-12-01,\n\
             CFQ7TTC0LH18,P1M,monthly,BRL,\"62,50\",75,2026-12-01,2027-12-01\n"
        );
        let (lines, rejected) = parse(file.as_bytes()).unwrap();
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].cost.to_string(), "62.5");
        assert_eq!(lines[1].line, 3);
    }

    #[test]
    fn each_kind_of_bad_row_is_reported_with_its_line() {
        let file = format!(
            "{HEADER}A1,P2Y,annual,USD,1,1,2026-12-01,\n\
             A1,P1M,annual,USD,1,1,2026-12-01,\n\
             A1,P1Y,annual,EUR,1,1,2026-12-01,\n\
             A1,P1Y,annual,USD,-5,1,2026-12-01,\n\
             A1,P1Y,annual,USD,abc,1,2026-12-01,\n\
             A1,P1Y,annual,USD,1,1,2026-02-30,\n\
             A1,P1Y,annual,USD,1,1,2026-12-01,2026-11-01\n\
             A1,P1Y,annual,USD,1\n\
             B2,P1Y,annual,USD,1,1,2026-01-01,2026-06-01\n\
             B2,P1Y,annual,USD,1,1,2026-03-01,2026-09-01\n"
        );
        let (lines, rejected) = parse(file.as_bytes()).unwrap();
        let keys: Vec<(usize, &str)> = rejected.iter().map(|r| (r.line, r.key)).collect();
        assert_eq!(
            keys,
            vec![
                (2, "import.bad_term"),
                (3, "import.billing_term"),
                (4, "import.bad_currency"),
                (5, "catalog.negative_amount"),
                (6, "catalog.invalid_amount"),
                (7, "catalog.invalid_date"),
                (8, "import.dates_order"),
                (9, "import.wrong_columns"),
                (11, "import.overlap_in_file"),
            ]
        );
        assert_eq!(lines.len(), 2);
    }

    #[test]
    fn whole_file_problems() {
        assert_eq!(parse(b"").unwrap_err(), "import.empty");
        assert_eq!(
            parse(b"name,price\nx,1\n").unwrap_err(),
            "import.bad_header"
        );
        assert_eq!(
            parse(&[0xff, 0xfe, 0x00, 0x41]).unwrap_err(),
            "import.not_utf8"
        );
        let big = vec![b'a'; MAX_BYTES + 1];
        assert_eq!(parse(&big).unwrap_err(), "import.too_big");
        // A byte-order mark is fine.
        let with_bom = format!("\u{feff}{HEADER}A1,P1Y,annual,USD,1,1,2026-12-01,\n");
        assert_eq!(parse(with_bom.as_bytes()).unwrap().0.len(), 1);
    }
}
