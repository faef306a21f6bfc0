//! A report, without a database: what it measures (purchases, consumption, margin, seats), how
//! it is broken down (in all, per vendor, per product, per customer), over which months, read
//! from the URL (so a report can be bookmarked and shared), and its table: one row per month,
//! one column per series, the largest few series by name and the rest together.

use rust_decimal::Decimal;

use crate::billing::charges::Month;
use crate::billing::store::sales::Sales;
use crate::fields::FieldErrors;

crate::text_enum! {
    /// What a report measures.
    pub enum Measure {
        Purchases = "purchases" => "reports.measure_purchases",
        Consumption = "consumption" => "reports.measure_consumption",
        Margin = "margin" => "reports.measure_margin",
        Seats = "seats" => "reports.measure_seats",
    }
}

impl Measure {
    /// The measure of a month's sales (`seats`: the seats billed for its licence periods).
    pub fn of(self, sales: &Sales, seats: Decimal) -> Decimal {
        match self {
            Measure::Purchases => sales.licence_price,
            Measure::Consumption => sales.usage_price,
            Measure::Margin => sales.margin(),
            Measure::Seats => seats,
        }
    }

    /// Whether it is an amount of money (seats are a count).
    pub fn is_money(self) -> bool {
        !matches!(self, Measure::Seats)
    }
}

crate::text_enum! {
    /// How a report is broken down.
    pub enum Breakdown {
        Total = "total" => "reports.by_total",
        Vendor = "vendor" => "reports.by_vendor",
        Product = "product" => "reports.by_product",
        Customer = "customer" => "reports.by_customer",
        Reseller = "reseller" => "reports.by_reseller",
    }
}

impl Breakdown {
    /// A reseller's breakdowns (and staff's of one reseller).
    pub const OF_A_RESELLER: &'static [Breakdown] = &[
        Breakdown::Total,
        Breakdown::Vendor,
        Breakdown::Product,
        Breakdown::Customer,
    ];
    /// Staff's across resellers.
    pub const ACROSS_RESELLERS: &'static [Breakdown] = &[
        Breakdown::Total,
        Breakdown::Vendor,
        Breakdown::Product,
        Breakdown::Reseller,
    ];
}

/// The month spans offered (besides a range chosen by its first and last month).
pub const SPANS: [u32; 3] = [6, 12, 24];
/// The longest range a report covers.
pub const MOST_MONTHS: u32 = 36;
/// How many series a breakdown shows; the rest are added up as one.
pub const SERIES: usize = 5;

/// A report's query, as the URL carries it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Params {
    #[serde(default)]
    pub measure: String,
    #[serde(default)]
    pub by: String,
    #[serde(default)]
    pub months: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub customer: String,
}

/// A report, as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub measure: Measure,
    pub by: Breakdown,
    pub first: Month,
    pub last: Month,
    /// Only this customer's figures.
    pub customer: Option<uuid::Uuid>,
}

impl Report {
    /// The report `p` asks for in the reseller's month `this`: the last 12 months by default;
    /// what cannot be read is an error on its field (and the default in its place).
    pub fn parse(p: &Params, this: Month) -> (Report, FieldErrors) {
        let mut errors = FieldErrors::new();
        let measure = Measure::from_code(p.measure.trim()).unwrap_or(Measure::Purchases);
        let customer = match p.customer.trim() {
            "" => None,
            given => uuid::Uuid::parse_str(given)
                .map_err(|_| errors.add("customer", "reports.invalid_customer"))
                .ok(),
        };
        let mut by = Breakdown::from_code(p.by.trim()).unwrap_or(Breakdown::Total);
        // One customer's figures are kept in all, not per product; and seats are counted per
        // product, not per customer.
        if customer.is_some() || (measure == Measure::Seats && by == Breakdown::Customer) {
            by = Breakdown::Total;
        }
        let span = p
            .months
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|m| SPANS.contains(m))
            .unwrap_or(12);
        let month = |field: &'static str, raw: &str, errors: &mut FieldErrors| match raw.trim() {
            "" => None,
            given => Month::parse(given).map_err(|k| errors.add(field, k)).ok(),
        };
        let from = month("from", &p.from, &mut errors);
        let to = month("to", &p.to, &mut errors);
        let (mut first, mut last) = (back(this, span - 1), this);
        if from.is_some() || to.is_some() {
            let l = to.unwrap_or(this).min(this);
            let f = from.unwrap_or(back(l, span - 1));
            if f > l {
                errors.add("from", "reports.from_after_to");
            } else if months_between(f, l) > MOST_MONTHS {
                errors.add("from", "reports.range_too_long");
            } else {
                (first, last) = (f, l);
            }
        }
        let report = Report {
            measure,
            by,
            first,
            last,
            customer,
        };
        (report, errors)
    }

    /// The report as one reseller's: per reseller is per customer there.
    pub fn of_one_reseller(self) -> Self {
        match self.by {
            Breakdown::Reseller if self.measure != Measure::Seats => Report {
                by: Breakdown::Customer,
                ..self
            },
            Breakdown::Reseller => Report {
                by: Breakdown::Total,
                ..self
            },
            _ => self,
        }
    }

    /// The report across resellers: per customer there is per reseller, and no one customer.
    pub fn across_resellers(self) -> Self {
        Report {
            by: match self.by {
                Breakdown::Customer => Breakdown::Reseller,
                by => by,
            },
            customer: None,
            ..self
        }
    }

    /// Its months, first to last.
    pub fn months(&self) -> Vec<Month> {
        let mut months = vec![self.first];
        while let Some(&m) = months.last() {
            if m >= self.last {
                break;
            }
            months.push(m.next());
        }
        months
    }

    /// Its query string (the same report, its chart or its data).
    pub fn query(&self) -> String {
        let mut qs = url::form_urlencoded::Serializer::new(String::new());
        qs.append_pair("measure", self.measure.code())
            .append_pair("by", self.by.code())
            .append_pair("from", &self.first.code())
            .append_pair("to", &self.last.code());
        if let Some(c) = self.customer {
            qs.append_pair("customer", &c.to_string());
        }
        qs.finish()
    }
}

/// The month `n` months before `m`.
fn back(m: Month, n: u32) -> Month {
    (0..n).fold(m, |m, _| m.previous())
}

/// How many months from `a` to `b`, both counted.
fn months_between(a: Month, b: Month) -> u32 {
    let index = |m: Month| m.first_day().year() * 12 + i32::from(u8::from(m.first_day().month()));
    (index(b) - index(a) + 1).max(0) as u32
}

/// A figure of one series in one month, as read.
#[derive(Debug, Clone)]
pub struct Point {
    pub month: Month,
    /// What tells the series apart (a vendor's code, a product's or a customer's id); none for
    /// the total.
    pub key: String,
    pub name: String,
    pub value: Decimal,
}

/// A series: its name and its value in each month of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<Decimal>,
}

/// A report's table: its months and series.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub months: Vec<Month>,
    pub series: Vec<Series>,
}

impl Table {
    /// The total of each month, over every series.
    pub fn totals(&self) -> Vec<Decimal> {
        (0..self.months.len())
            .map(|i| self.series.iter().map(|s| s.values[i]).sum())
            .collect()
    }
}

/// The table of `points` over `months`: the [`SERIES`] series with the largest sum over the
/// months (ties by name), then the rest added up as one series named `others` (when there is a
/// rest). A month with no point is zero.
pub fn table(months: &[Month], points: &[Point], others: &str) -> Table {
    let at = |m: Month| months.iter().position(|&x| x == m);
    let mut series: Vec<(String, Series, Decimal)> = Vec::new();
    for p in points {
        let Some(i) = at(p.month) else { continue };
        let found = series.iter().position(|(k, _, _)| *k == p.key);
        let slot = match found {
            Some(slot) => slot,
            None => {
                series.push((
                    p.key.clone(),
                    Series {
                        name: p.name.clone(),
                        values: vec![Decimal::ZERO; months.len()],
                    },
                    Decimal::ZERO,
                ));
                series.len() - 1
            }
        };
        series[slot].1.values[i] += p.value;
        series[slot].2 += p.value;
    }
    series.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.name.cmp(&b.1.name)));
    let rest: Vec<_> = if series.len() > SERIES + 1 {
        series.split_off(SERIES)
    } else {
        Vec::new()
    };
    let mut series: Vec<Series> = series.into_iter().map(|(_, s, _)| s).collect();
    if !rest.is_empty() {
        let mut values = vec![Decimal::ZERO; months.len()];
        for (_, s, _) in rest {
            for (v, x) in values.iter_mut().zip(s.values) {
                *v += x;
            }
        }
        series.push(Series {
            name: others.to_string(),
            values,
        });
    }
    Table {
        months: months.to_vec(),
        series,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    fn p(m: &str, key: &str, v: i64) -> Point {
        Point {
            month: month(m),
            key: key.into(),
            name: key.to_uppercase(),
            value: Decimal::from(v),
        }
    }

    #[test]
    fn the_last_twelve_months_by_default_and_what_the_url_asks_for() {
        let this = month("2026-12");
        let (r, e) = Report::parse(&Params::default(), this);
        assert!(e.is_empty());
        assert_eq!((r.first, r.last), (month("2026-01"), this));
        assert_eq!(r.months().len(), 12);
        assert_eq!((r.measure, r.by), (Measure::Purchases, Breakdown::Total));

        let six = Params {
            months: "6".into(),
            measure: "consumption".into(),
            by: "vendor".into(),
            ..Default::default()
        };
        let (r, _) = Report::parse(&six, this);
        assert_eq!((r.first, r.last), (month("2026-07"), this));
        assert_eq!((r.measure, r.by), (Measure::Consumption, Breakdown::Vendor));
        // The query string says it all, and reads back as the same report.
        let again = serde_urlencoded::from_str::<Params>(&r.query()).unwrap();
        assert_eq!(Report::parse(&again, this).0, r);

        // A range across a year; a last month in the future is this month.
        let range = Params {
            from: "2025-11".into(),
            to: "2027-03".into(),
            ..Default::default()
        };
        let (r, e) = Report::parse(&range, this);
        assert!(e.is_empty());
        assert_eq!((r.first, r.last), (month("2025-11"), this));
        assert_eq!(r.months().len(), 14);
        assert_eq!(r.months()[2], month("2026-01"));
    }

    #[test]
    fn bad_ranges_are_refused_on_their_field() {
        let this = month("2026-12");
        let ask = |from: &str, to: &str| {
            Report::parse(
                &Params {
                    from: from.into(),
                    to: to.into(),
                    ..Default::default()
                },
                this,
            )
        };
        let (r, e) = ask("2026-13", "");
        assert!(e.get("from").is_some());
        assert_eq!(r.last, this, "the default in its place");
        let (_, e) = ask("2026-10", "2026-09");
        assert_eq!(e.get("from"), Some("reports.from_after_to"));
        let (_, e) = ask("2023-01", "2026-12");
        assert_eq!(e.get("from"), Some("reports.range_too_long"));
        let (_, e) = ask("2024-01", "2026-12");
        assert!(e.is_empty(), "36 months is the most");
        let (_, e) = Report::parse(
            &Params {
                customer: "not-an-id".into(),
                ..Default::default()
            },
            this,
        );
        assert_eq!(e.get("customer"), Some("reports.invalid_customer"));
    }

    #[test]
    fn one_customers_report_is_in_all() {
        let (r, _) = Report::parse(
            &Params {
                by: "product".into(),
                customer: uuid::Uuid::nil().to_string(),
                ..Default::default()
            },
            month("2026-12"),
        );
        assert_eq!(r.by, Breakdown::Total);
        let (r, _) = Report::parse(
            &Params {
                by: "customer".into(),
                measure: "seats".into(),
                ..Default::default()
            },
            month("2026-12"),
        );
        assert_eq!(r.by, Breakdown::Total);
    }

    #[test]
    fn the_largest_series_and_the_rest_together() {
        let months = [month("2026-10"), month("2026-11"), month("2026-12")];
        let mut points = vec![
            p("2026-10", "a", 10),
            p("2026-12", "a", 5),
            p("2026-11", "b", 30),
        ];
        for (i, k) in ["c", "d", "e", "f", "g"].iter().enumerate() {
            points.push(p("2026-11", k, i as i64 + 1));
        }
        // A month outside the report counts nowhere.
        points.push(p("2026-09", "a", 1000));
        let t = table(&months, &points, "Others");
        let names: Vec<_> = t.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["B", "A", "G", "F", "E", "Others"]);
        assert_eq!(t.series[1].values, [10, 0, 5].map(Decimal::from));
        assert_eq!(t.series[5].values, [0, 3, 0].map(Decimal::from), "c + d");
        assert_eq!(t.totals(), [10, 45, 5].map(Decimal::from));
        // Six series fit: no "others" for one.
        let t = table(&months, &points[..7], "Others");
        assert_eq!(t.series.len(), 6);
        assert!(t.series.iter().all(|s| s.name != "Others"));
        // Nothing: no series, totals of zero.
        let t = table(&months, &[], "Others");
        assert!(t.series.is_empty());
        assert_eq!(t.totals(), [Decimal::ZERO; 3]);
    }
}
