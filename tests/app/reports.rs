//! J8, reports: purchases, consumption, margin and seats by month, in all or broken down, as a
//! chart (SVG that parses and carries its values), a data table and a CSV, each equal to the
//! invoices and the estimate behind them; filters in the URL; another reseller's data never in
//! them; only the roles that see money.

use crate::billing::{beta_owner_bought, billed_history, column_sum, last_month, run};
use crate::common::{Page, TestApp};
use crate::orders::no_worker;
use crate::subscriptions::drain;
use portal::i18n::{Locale, format_money};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use uuid::Uuid;

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn money(amount: Decimal) -> String {
    flat(&format_money(Locale::Es, amount, "USD"))
}

/// The data table's row of `month` (its label as the page writes it), cell by cell.
fn row(page: &Page, label: &str) -> Vec<String> {
    let html = page.html();
    let rows = scraper::Selector::parse("#report-data tbody tr").unwrap();
    let cells = scraper::Selector::parse("th, td").unwrap();
    html.select(&rows)
        .map(|r| {
            r.select(&cells)
                .map(|c| flat(&c.text().collect::<String>()))
                .collect::<Vec<_>>()
        })
        .find(|r| r[0] == label)
        .unwrap_or_else(|| panic!("no row {label} in {}", page.text("#report-data")))
}

/// A reseller billed last month, with this month's estimate made; its id, the invoice's
/// (resale, subtotal) and the estimate's (price, cost).
async fn billed(app: &TestApp) -> (Uuid, (Decimal, Decimal), (Decimal, Decimal)) {
    billed_history(app).await;
    run(app, last_month()).await;
    app.get("/").await;
    drain(app).await;
    let reseller: Uuid = sqlx::query_scalar("SELECT reseller_id FROM invoices LIMIT 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let invoice = sqlx::query_as("SELECT resale, subtotal FROM invoices WHERE reseller_id = $1")
        .bind(reseller)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let estimate =
        sqlx::query_as("SELECT price, cost FROM billing_estimates WHERE reseller_id = $1")
            .bind(reseller)
            .fetch_one(&app.db)
            .await
            .unwrap();
    (reseller, invoice, estimate)
}

#[tokio::test]
async fn j8_a_report_its_chart_and_its_csv_equal_the_invoice_and_the_estimate() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, (resale, subtotal), (price, cost)) = billed(&app).await;
    let last = last_month();
    let this = last.next();
    let page = app.get("/reports?measure=purchases&months=6").await;
    assert_eq!(page.status, StatusCode::OK);
    let label =
        |m: portal::billing::charges::Month| portal::i18n::format_month(Locale::Es, m.first_day());
    assert_eq!(row(&page, &label(last))[1], money(resale));
    assert_eq!(row(&page, &label(this))[1], money(price));
    assert_eq!(page.texts("#report-data tbody tr").len(), 6);
    assert_eq!(
        flat(&page.text("#report-total")),
        money(resale + price),
        "the total of the months"
    );

    // The chart: SVG that parses, whose description carries the same values.
    let src = page.attr("#chart", "src").unwrap();
    let response = app.get_raw(&src).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("image/svg+xml")
    );
    let svg = response.text().await.unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("the chart is XML");
    let desc = doc
        .descendants()
        .find(|n| n.tag_name().name() == "desc")
        .and_then(|n| n.text())
        .unwrap()
        .to_string();
    assert!(flat(&desc).contains(&money(resale)), "{desc}");
    assert!(flat(&desc).contains(&money(price)), "{desc}");

    // The CSV: a row per month, the month as 2026-11, plain amounts that add up.
    let csv = app
        .get_raw(&page.attr("#report-csv", "href").unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(column_sum(&csv, "Total"), resale + price, "{csv}");
    assert!(csv.contains(&last.code()), "{csv}");

    // Margin: price less cost, month by month.
    let page = app.get("/reports?measure=margin&months=6").await;
    assert_eq!(row(&page, &label(last))[1], money(resale - subtotal));
    assert_eq!(row(&page, &label(this))[1], money(price - cost));
    // Per vendor and per product: the same total, one series (one vendor, one product).
    for by in ["vendor", "product", "customer"] {
        let page = app
            .get(&format!("/reports?measure=purchases&months=6&by={by}"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{by}");
        assert_eq!(
            flat(&page.text("#report-total")),
            money(resale + price),
            "{by}"
        );
        assert_eq!(
            page.texts("#report-data thead th").len(),
            2,
            "{by}: one series, no total column"
        );
    }
    // Seats billed: the seats of the periods (10 last month, 15 this month).
    let page = app.get("/reports?measure=seats&months=6").await;
    assert_eq!(row(&page, &label(last))[1], "10");
    assert_eq!(row(&page, &label(this))[1], "15");
}

#[tokio::test]
async fn one_customers_consumption_filters_in_the_url_and_bad_input() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, (resale, _), _) = billed(&app).await;
    let customer: Uuid = sqlx::query_scalar("SELECT customer_id FROM invoice_lines LIMIT 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    // From the customer's page, its consumption over six months.
    let shown = app.get(&format!("/customers/{customer}")).await;
    let link = shown.attr("#customer-report", "href").unwrap();
    let page = app.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("#customer-filter").len(), 1);
    assert_eq!(page.texts("#report-data tbody tr").len(), 6);
    assert_eq!(
        page.attr("#f-measure option[selected]", "value").as_deref(),
        Some("consumption")
    );
    // Its purchases: the whole invoice (it is the only customer).
    let purchases = app
        .get(&format!(
            "/reports?measure=purchases&months=6&customer={customer}"
        ))
        .await;
    let label = portal::i18n::format_month(Locale::Es, last_month().first_day());
    assert_eq!(row(&purchases, &label)[1], money(resale));

    // A customer that is not the reseller's, and ids that are none.
    let unknown = app
        .get(&format!("/reports?customer={}", Uuid::new_v4()))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let bad = app
        .get("/reports?customer=nope&from=2026-13&to=2026-02")
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.texts(".field-error").len() >= 2, "{}", bad.text("main"));
    assert_eq!(bad.attr("#f-from", "value").as_deref(), Some("2026-13"));
    let backwards = app.get("/reports?from=2026-10&to=2026-02").await;
    assert_eq!(backwards.status, StatusCode::BAD_REQUEST);
    assert!(backwards.text(".field-error").contains("posterior"));
    // Unknown choices are the defaults, not errors.
    let odd = app.get("/reports?measure=x&by=y&months=7").await;
    assert_eq!(odd.status, StatusCode::OK);
    assert_eq!(odd.texts("#report-data tbody tr").len(), 12);
}

#[tokio::test]
async fn nobody_elses_figures_and_only_the_roles_that_see_money() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (reseller, (resale, _), (price, _)) = billed(&app).await;
    // Beta buys and is billed for this month's estimate too.
    let (beta, _) = beta_owner_bought(&app, "40").await;
    let (client, _) = app.sign_in_elsewhere(&beta).await;
    app.get_with(&client, "/").await;
    drain(&app).await;
    let theirs: Uuid =
        sqlx::query_scalar("SELECT customer_id FROM subscriptions WHERE reseller_id <> $1 LIMIT 1")
            .bind(reseller)
            .fetch_one(&app.db)
            .await
            .unwrap();
    // Our reports hold ours only, by customer too; their customer is not found.
    let page = app.get("/reports?by=customer&months=6").await;
    assert!(!page.text("#report-data").contains("Fabrikam"));
    assert_eq!(flat(&page.text("#report-total")), money(resale + price));
    let csv = app
        .get_raw("/reports/data.csv?by=customer&months=6")
        .await
        .text()
        .await
        .unwrap();
    assert!(!csv.contains("Fabrikam"));
    for path in [
        format!("/reports?customer={theirs}"),
        format!("/reports/chart.svg?customer={theirs}"),
        format!("/reports/data.csv?customer={theirs}"),
    ] {
        assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // Theirs hold theirs.
    let page = app.get_with(&client, "/reports?months=6").await;
    assert!(!flat(&page.text("#report-data")).contains(&money(resale)));

    // A sales user: no reports, no menu entry.
    let sales = app
        .user(Some(reseller), "sales@alfa.example", "sales")
        .await;
    let (client, _) = app.sign_in_elsewhere(&sales).await;
    for path in ["/reports", "/reports/chart.svg", "/reports/data.csv"] {
        let page = app.get_with(&client, path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    let home = app.get_with(&client, "/").await;
    assert!(
        home.attr("nav.main-nav a[href='/reports']", "href")
            .is_none()
    );
}

#[tokio::test]
async fn staff_read_the_reports_across_resellers_of_a_currency_or_of_one_reseller() {
    let app = TestApp::spawn_with(no_worker()).await;
    billed_history(&app).await;
    let (beta_owner, _) = beta_owner_bought(&app, "40").await;
    run(&app, last_month()).await;
    // This month's estimates of both (each made when its owner opens the dashboard).
    app.get("/").await;
    let (beta_client, _) = app.sign_in_elsewhere(&beta_owner).await;
    app.get_with(&beta_client, "/").await;
    drain(&app).await;
    let this = last_month().next();
    let month = |tax_id: &'static str| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, Decimal>(
                "SELECT m.licence_price FROM sales_months m JOIN resellers r ON r.id = m.reseller_id
                 WHERE r.tax_id = $1 AND m.month = $2",
            )
            .bind(tax_id)
            .bind(this.first_day())
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    let beta_id: Uuid =
        sqlx::query_scalar("SELECT id FROM resellers WHERE tax_id = 'BET180512AB1'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let beta = month("BET180512AB1").await;
    let all: Decimal =
        sqlx::query_scalar("SELECT sum(licence_price) FROM sales_months WHERE month = $1")
            .bind(this.first_day())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(beta > Decimal::ZERO && all > beta);
    let label = portal::i18n::format_month(Locale::Es, this.first_day());

    let staff = app.staff("ops@distribuidor.example").await;
    let (client, _) = app.sign_in_elsewhere(&staff).await;
    // Across resellers: the month is both invoices.
    let page = app
        .get_with(&client, "/staff/reports?measure=purchases&months=6")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(row(&page, &label)[1], money(all));
    assert_eq!(
        page.texts("#f-reseller option").len(),
        3,
        "all, and the two"
    );
    // Per reseller: one series each, adding up to the same.
    let page = app
        .get_with(
            &client,
            "/staff/reports?measure=purchases&months=6&by=reseller",
        )
        .await;
    let head = flat(&page.text("#report-data thead"));
    assert!(head.contains("Beta"), "{head}");
    let cells = row(&page, &label);
    assert!(cells.contains(&money(beta)), "{cells:?}");
    assert_eq!(cells.last().unwrap(), &money(all));
    // One reseller: its invoice only, and its customers can be the breakdown.
    let one = format!("/staff/reports?measure=purchases&months=6&reseller={beta_id}&by=customer");
    let page = app.get_with(&client, &one).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(row(&page, &label).last().unwrap(), &money(beta));
    assert!(flat(&page.text("#report-data thead")).contains("Fabrikam"));
    assert!(!flat(&page.text("#report-data")).contains("Contoso"));
    // Its chart and data at the same query.
    let query = page
        .attr("#report-csv", "href")
        .unwrap()
        .split_once('?')
        .unwrap()
        .1
        .to_string();
    assert!(query.contains(&beta_id.to_string()), "{query}");
    let svg = app
        .get_with(&client, &format!("/staff/reports/chart.svg?{query}"))
        .await;
    assert_eq!(svg.status, StatusCode::OK);
    roxmltree::Document::parse(&svg.body).expect("the chart is XML");
    let csv = app
        .get_with(&client, &format!("/staff/reports/data.csv?{query}"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.contains(&format!("{beta:.2}")), "{}", csv.body);
    // A reseller that is not one of the list: the error on its field, and all of them read.
    let page = app
        .get_with(
            &client,
            &format!("/staff/reports?reseller={}", Uuid::new_v4()),
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert_eq!(page.texts("#f-reseller ~ .field-error").len(), 1);
    // Resellers do not read staff's reports.
    assert_eq!(
        app.get("/staff/reports").await.status,
        StatusCode::FORBIDDEN
    );
}
