//! J7, invoices: a month billed once from what the subscriptions did (their periods and their
//! prorated changes), each line traced to its cause, the reconciliation file adding up to the
//! invoice to the cent, late changes billed the next month as adjustments, runs repeated,
//! concurrent or resumed billing nothing twice; and nobody else's invoices.

use crate::common::TestApp;
use crate::orders::{add_to_cart, no_worker};
use crate::subscriptions::{bought, drain, preview};
use portal::billing::charges::Month;
use portal::catalog::rules::Billing;
use portal::subscriptions::proration;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub(crate) fn last_month() -> Month {
    Month::of(OffsetDateTime::now_utc().date()).previous()
}

/// A moment of `day` (10:00 UTC).
fn at(day: Date) -> OffsetDateTime {
    day.with_hms(10, 0, 0).unwrap().assume_utc()
}

/// Moves the subscription's purchase to `bought` and each of its other changes to `changed`,
/// their money effect priced again for that day (as its preview would have priced it then).
async fn happened(app: &TestApp, id: Uuid, bought: Date, changed: Date) {
    let end = proration::add_months(bought, 12);
    sqlx::query(
        "UPDATE subscriptions SET start_date = $2, end_date = $3, created_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(bought)
    .bind(end)
    .bind(at(bought))
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE subscription_changes SET requested_at = $2, decided_at = $2, start_after = $3,
                end_after = $4
         WHERE subscription_id = $1 AND kind = 'purchase'",
    )
    .bind(id)
    .bind(at(bought))
    .bind(bought)
    .bind(end)
    .execute(&app.db)
    .await
    .unwrap();
    let period = proration::period_containing(bought, Billing::Monthly, end, changed);
    let rows: Vec<(Uuid, i32, i32)> = sqlx::query_as(
        "SELECT id, seats_before, seats_after FROM subscription_changes
         WHERE subscription_id = $1 AND kind <> 'purchase'",
    )
    .bind(id)
    .fetch_all(&app.db)
    .await
    .unwrap();
    for (change, before, after) in rows {
        let seats = after - before;
        sqlx::query(
            "UPDATE subscription_changes SET requested_at = $2, decided_at = $2, amount = $3,
                    cost = $4
             WHERE id = $1",
        )
        .bind(change)
        .bind(at(changed))
        .bind(proration::seat_change(d("13.20"), seats, period, changed))
        .bind(proration::seat_change(d("11.00"), seats, period, changed))
        .execute(&app.db)
        .await
        .unwrap();
    }
}

/// A subscription of 10 seats bought on the 3rd of last month, with 5 seats added through its
/// page, moved to the 18th; its id and the seat change's.
pub(crate) async fn billed_history(app: &TestApp) -> (crate::common::TestUser, Uuid, Uuid) {
    let (owner, id) = bought(app, "10").await;
    let shown = preview(app, id, "#add-seats", Some("5")).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text("main"));
    app.submit(&shown.form("#confirm-change")).await;
    drain(app).await;
    let (change, cost): (Uuid, Decimal) = sqlx::query_as(
        "SELECT id, cost FROM subscription_changes
         WHERE subscription_id = $1 AND kind = 'add_seats' AND status = 'applied'",
    )
    .bind(id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(cost > Decimal::ZERO, "the change records its cost");
    let first = last_month().first_day();
    happened(
        app,
        id,
        first + time::Duration::days(2),
        first + time::Duration::days(17),
    )
    .await;
    forget_estimates(app).await;
    (owner, id, change)
}

/// Forgets the estimates made so far (signing in shows the dashboard, which has one made): made
/// before a history was moved into the past, as if never made.
pub(crate) async fn forget_estimates(app: &TestApp) {
    for sql in [
        "DELETE FROM sales_months WHERE estimate",
        "DELETE FROM billing_estimates",
        "DELETE FROM jobs WHERE kind = 'estimate_billing'",
    ] {
        sqlx::query(sql).execute(&app.db).await.unwrap();
    }
}

/// Beta, a second reseller, whose customer Fabrikam bought `seats` of Business Standard; the
/// subscription's id.
pub(crate) async fn beta_bought(app: &TestApp, seats: &str) -> Uuid {
    beta_owner_bought(app, seats).await.1
}

/// The same, and Beta's owner.
pub(crate) async fn beta_owner_bought(
    app: &TestApp,
    seats: &str,
) -> (crate::common::TestUser, Uuid) {
    let b = app.reseller("Beta", "BET180512AB1").await;
    let owner = app.user(Some(b), "owner@beta.example", "owner").await;
    app.demo_catalog(Some(b)).await;
    let customer: Uuid = sqlx::query_scalar(
        "INSERT INTO customers (reseller_id, legal_name, tax_id, country, contact_name, contact_email,
                                contact_phone, billing_email, address_line1, city, region_code,
                                region_name, postal_code, creation_key)
         VALUES ($1, 'Fabrikam', 'FAB180512AB1', 'MX', 'Eva', 'eva@fabrikam.example',
                 '+52 55 5555 5556', 'fact@fabrikam.example', 'Reforma 2', 'Ciudad de México',
                 'CMX', 'Ciudad de México', '06600', gen_random_uuid())
         RETURNING id",
    )
    .bind(b)
    .fetch_one(&app.db)
    .await
    .unwrap();
    app.vendor_tenant(
        b,
        customer,
        "microsoft",
        "reserved",
        "fabrikam.onmicrosoft.com",
        "ms-tenant-2",
    )
    .await;
    let (client, _) = app.sign_in_elsewhere(&owner).await;
    let page = add_to_cart(app, &client, customer, "CFQ7TTC0LDPB", seats).await;
    app.submit_with(&client, &page.form("form.place-order"))
        .await;
    drain(app).await;
    let id = sqlx::query_scalar("SELECT id FROM subscriptions WHERE reseller_id = $1")
        .bind(b)
        .fetch_one(&app.db)
        .await
        .unwrap();
    (owner, id)
}

pub(crate) async fn run(app: &TestApp, month: Month) -> portal::billing::run::Ran {
    portal::billing::run::run(
        &app.db,
        month,
        OffsetDateTime::now_utc().max(at(month.end())),
    )
    .await
    .unwrap()
}

/// The sum of a column of a CSV file (`;` or `,` separated), by its header.
pub(crate) fn column_sum(csv: &str, header: &str) -> Decimal {
    let body = csv.trim_start_matches('\u{feff}');
    let first = body.lines().next().unwrap_or_default();
    let delimiter = if first.contains(';') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let at = headers
        .iter()
        .position(|h| h == header)
        .unwrap_or_else(|| panic!("no column {header} in {headers:?}"));
    reader
        .records()
        .map(|r| r.unwrap()[at].parse::<Decimal>().unwrap())
        .sum()
}

/// The sum of a column of an XLSX file's first sheet, by its header; and its rows.
pub(crate) fn sheet_sum(bytes: &[u8], header: &str) -> (Decimal, usize) {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let mut rows = sheet.rows();
    let headers: Vec<String> = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
    let at = headers
        .iter()
        .position(|h| h == header)
        .unwrap_or_else(|| panic!("no column {header} in {headers:?}"));
    let mut sum = Decimal::ZERO;
    let mut n = 0;
    for row in rows {
        n += 1;
        let value = match &row[at] {
            calamine::Data::Float(f) => Decimal::try_from(*f).unwrap().round_dp(2),
            calamine::Data::Int(i) => Decimal::from(*i),
            other => panic!("{header} is not a number: {other:?}"),
        };
        sum += value;
    }
    (sum, n)
}

#[tokio::test]
async fn j7_last_month_is_billed_once_and_each_line_leads_to_what_caused_it() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_owner, id, change) = billed_history(&app).await;
    let month = last_month();

    let ran = run(&app, month).await;
    assert_eq!(ran.issued.len(), 1, "{ran:?}");
    let number = ran.issued[0].1.clone();
    assert!(
        number.starts_with("INV-20") && number.len() == 15,
        "{number}"
    );
    // Again, and twice at once: nothing more.
    let (a, b) = tokio::join!(run(&app, month), run(&app, month));
    assert!(a.issued.is_empty() && b.issued.is_empty());
    assert_eq!(app.count("SELECT count(*) FROM invoices").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM invoice_lines").await, 2);

    // The period of the 10 seats held on its first day, and the 5 seats for the days left.
    let first = month.first_day() + time::Duration::days(2);
    let end = proration::add_months(first, 12);
    let period = proration::period_containing(first, Billing::Monthly, end, first);
    let added = month.first_day() + time::Duration::days(17);
    let prorated = proration::seat_change(d("13.20"), 5, period, added);
    let prorated_cost = proration::seat_change(d("11.00"), 5, period, added);
    let (subtotal, resale): (Decimal, Decimal) =
        sqlx::query_as("SELECT subtotal, resale FROM invoices")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(subtotal, d("110.00") + prorated_cost);
    assert_eq!(resale, d("132.00") + prorated);
    // Each customer's part, kept with the invoice, adds up to it.
    let parts: (Decimal, Decimal, i64) =
        sqlx::query_as("SELECT sum(cost), sum(price), sum(lines) FROM invoice_customers")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(parts, (subtotal, resale, 2));

    let list = app.get("/billing").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.text("#invoices tbody tr td a"), number);
    let invoice_link = list.attr("#invoices tbody tr td a", "href").unwrap();
    let page = app.get(&invoice_link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text("h1").contains(&number));
    assert!(
        page.text("#total").contains("US$"),
        "{}",
        page.text("#total")
    );
    // The prorated line names its cause and leads to it in the subscription's history.
    let cause = page.attr(".invoice-lines a.cause", "href").unwrap();
    assert_eq!(cause, format!("/subscriptions/{id}#change-{change}"));
    let lines = page.text(".invoice-lines");
    assert!(lines.contains("Período de facturación"), "{lines}");
    let subscription = app.get(cause.split('#').next().unwrap()).await;
    assert_eq!(subscription.texts(&format!("#change-{change}")).len(), 1);

    // The reconciliation file adds up to the invoice, to the cent, and so does each customer's.
    let response = app
        .get_raw(&format!("{invoice_link}/reconciliation.csv"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.contains(&month.code()), "{disposition}");
    let csv = response.text().await.unwrap();
    assert_eq!(column_sum(&csv, "Subtotal"), subtotal, "{csv}");
    assert_eq!(column_sum(&csv, "Total"), subtotal);
    assert_eq!(column_sum(&csv, "Tu precio"), resale);
    assert_eq!(column_sum(&csv, "Margen"), resale - subtotal);
    assert!(
        csv.contains(&change.to_string()),
        "the line names the change that caused it"
    );
    let customer = page
        .attr("#invoice-customers tbody a[download]", "href")
        .unwrap();
    let theirs = app.get_raw(&customer).await.text().await.unwrap();
    assert_eq!(column_sum(&theirs, "Subtotal"), subtotal);

    // This month so far: estimated by the worker once the list was seen, labelled as such.
    assert_eq!(
        list.texts("#unbilled-wait").len(),
        1,
        "{}",
        list.text("#unbilled")
    );
    drain(&app).await;
    let list = app.get("/billing").await;
    // The period of the 15 seats that starts this month, at cost.
    let shown = list
        .text("#unbilled-cost")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(shown, "US$ 165,00");
    assert!(
        list.text("#unbilled").contains("estimación"),
        "{}",
        list.text("#unbilled")
    );
    assert_eq!(
        app.count("SELECT count(*) FROM invoices").await,
        1,
        "an estimate issues nothing"
    );
}

#[tokio::test]
async fn a_change_recorded_after_its_month_was_billed_comes_on_the_next_invoice_as_an_adjustment() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_owner, id, _) = billed_history(&app).await;
    let month = last_month();
    run(&app, month).await;
    // A change dated last month, recorded only now.
    let late: Uuid = sqlx::query_scalar(
        "INSERT INTO subscription_changes (reseller_id, subscription_id, kind, seats_before,
                                           seats_after, amount, cost, currency, status,
                                           requested_at, decided_at)
         SELECT reseller_id, id, 'add_seats', 15, 16, 5.28, 4.40, 'USD', 'applied', $2, $2
         FROM subscriptions WHERE id = $1 RETURNING id",
    )
    .bind(id)
    .bind(at(month.first_day() + time::Duration::days(20)))
    .fetch_one(&app.db)
    .await
    .unwrap();
    sqlx::query("UPDATE subscriptions SET quantity = 16 WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    let next = run(&app, month.next()).await;
    assert_eq!(next.issued.len(), 1);
    let lines: Vec<(String, Option<Uuid>, bool, Decimal)> = sqlx::query_as(
        "SELECT l.kind, l.change_id, l.adjustment, l.price FROM invoice_lines l
         JOIN invoices i ON i.id = l.invoice_id WHERE i.period = $1 ORDER BY l.line_no",
    )
    .bind(month.next().first_day())
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert!(
        lines.contains(&("change".into(), Some(late), true, d("5.28"))),
        "{lines:?}"
    );
    // This month's period is charged for the 16 seats held on its first day.
    assert!(
        lines
            .iter()
            .any(|l| l.0 == "recurring" && l.3 == d("211.20")),
        "{lines:?}"
    );
    // An issued invoice is never changed.
    let mut tx = app.db.begin().await.unwrap();
    sqlx::query("SET LOCAL ROLE portal_system")
        .execute(&mut *tx)
        .await
        .unwrap();
    let refused = sqlx::query("UPDATE invoices SET total = 0")
        .execute(&mut *tx)
        .await;
    assert!(refused.is_err(), "{refused:?}");
}

#[tokio::test]
async fn a_run_that_stopped_part_way_bills_the_rest_and_a_month_not_over_is_refused() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_owner, _id, _) = billed_history(&app).await;
    let month = last_month();
    let this_month = Month::of(OffsetDateTime::now_utc().date());
    let open = portal::billing::run::run(&app.db, this_month, OffsetDateTime::now_utc()).await;
    assert_eq!(
        open.unwrap_err().to_string(),
        "billing.period_open",
        "the month is not over"
    );
    // A second reseller with a subscription of its own.
    let other_id = beta_bought(&app, "3").await;
    let first = month.first_day() + time::Duration::days(5);
    happened(&app, other_id, first, first).await;
    // The run stopped after billing the first reseller (as if it had crashed then) …
    let resellers = portal::billing::store::unbilled(&app.db, month.first_day(), month.end())
        .await
        .unwrap();
    assert_eq!(resellers.len(), 2);
    portal::billing::run::bill(&app.db, &resellers[0], month, at(month.end()))
        .await
        .unwrap()
        .unwrap();
    // … and run again, it bills the other one only, numbered next.
    let again = run(&app, month).await;
    assert_eq!(again.issued.len(), 1);
    assert_eq!(again.issued[0].0, resellers[1].id);
    let numbers: Vec<String> = sqlx::query_scalar("SELECT number FROM invoices ORDER BY number")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(numbers.len(), 2);
    let seq = |n: &str| n[9..].parse::<i64>().unwrap();
    assert_eq!(
        seq(&numbers[1]),
        seq(&numbers[0]) + 1,
        "no gap: {numbers:?}"
    );
}

#[tokio::test]
async fn nobody_else_sees_an_invoice_and_sales_users_see_none() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_owner, _id, _) = billed_history(&app).await;
    run(&app, last_month()).await;
    let invoice: Uuid = sqlx::query_scalar("SELECT id FROM invoices")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let customer: Uuid = sqlx::query_scalar("SELECT customer_id FROM invoice_lines LIMIT 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    // The owner's own: a customer that is not on it, or no id, is not found.
    let not_on_it = app
        .get(&format!("/billing/{invoice}?customer={}", Uuid::new_v4()))
        .await;
    assert_eq!(not_on_it.status, StatusCode::NOT_FOUND);
    let bad = app.get("/billing?period=2026-13").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.text(".field-error").contains("2026-11"),
        "{}",
        bad.text("main")
    );
    assert_eq!(bad.attr("#f-period", "value").as_deref(), Some("2026-13"));
    assert_eq!(
        app.get("/billing/not-an-id").await.status,
        StatusCode::NOT_FOUND
    );

    // Another reseller's owner.
    let (_, client, _) = app.beta_owner_elsewhere().await;
    for path in [
        format!("/billing/{invoice}"),
        format!("/billing/{invoice}?customer={customer}"),
        format!("/billing/{invoice}/reconciliation.csv"),
        format!("/billing/{invoice}/reconciliation.csv?customer={customer}"),
        format!("/billing/{invoice}/licences.xlsx"),
        format!("/billing/{invoice}/consumption.xlsx?customer={customer}"),
        format!("/billing/{invoice}/consumption.csv"),
        format!("/billing/{invoice}/invoice.pdf"),
    ] {
        let page = app.get_with(&client, &path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
    }
    let theirs = app.get_with(&client, "/billing").await;
    assert!(theirs.texts("#invoices tbody tr").is_empty());
    let filtered = app
        .get_with(&client, &format!("/billing?customer={customer}"))
        .await;
    assert!(filtered.texts("#invoices tbody tr").is_empty());

    // A sales user of the same reseller: no invoices, no menu entry.
    let reseller: Uuid = sqlx::query_scalar("SELECT reseller_id FROM invoices")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let sales = app
        .user(Some(reseller), "ventas@alfa.example", "sales")
        .await;
    let (client, home) = app.sign_in_elsewhere(&sales).await;
    assert!(!home.body.contains("href=\"/billing\""));
    assert_eq!(
        app.get_with(&client, "/billing").await.status,
        StatusCode::FORBIDDEN
    );
    for path in [
        format!("/billing/{invoice}"),
        format!("/billing/{invoice}/invoice.pdf"),
    ] {
        assert_eq!(
            app.get_with(&client, &path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
}

/// An Azure plan bought through the pages for Contoso (its own tenant), moved to the 3rd of last
/// month at the vendor too; the subscription's id.
async fn azure_plan(app: &TestApp) -> Uuid {
    let (reseller, owner, customer) = crate::orders::setup(app, "contoso.onmicrosoft.com").await;
    sqlx::query(
        "WITH azure AS (SELECT id FROM programs WHERE code = 'microsoft-azure'),
              enrolled AS (
                  INSERT INTO program_enrollments (reseller_id, program_id, status, domain, decided_at)
                  SELECT $1, id, 'approved', 'alfa.onmicrosoft.com', now() FROM azure)
         INSERT INTO program_terms_acceptances (reseller_id, program_id, version, user_id)
         SELECT $1, id, 1, $2 FROM azure",
    )
    .bind(reseller)
    .bind(owner.id)
    .execute(&app.db)
    .await
    .unwrap();
    app.sign_in(&owner).await;
    let page = app
        .get(&format!("/orders/new?customer={customer}&q=DZH318Z0BPS6"))
        .await;
    let form = page
        .form("form#add-DZH318Z0BPS6")
        .set("offer", "P1M:monthly")
        .set("quantity", "1");
    let cart = app.submit(&form).await;
    app.submit(&cart.form("form.place-order")).await;
    drain(app).await;
    let (id, vendor_ref): (Uuid, String) =
        sqlx::query_as("SELECT id, vendor_ref FROM subscriptions")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let bought = last_month().first_day() + time::Duration::days(2);
    happened(app, id, bought, bought).await;
    sqlx::query("UPDATE sandbox_subscriptions SET created_at = $2 WHERE vendor_ref = $1")
        .bind(&vendor_ref)
        .bind(at(bought))
        .execute(&app.db)
        .await
        .unwrap();
    id
}

/// Imports every day of `month` up to `until` (excluded) from the sandbox.
async fn import_days(app: &TestApp, month: Month, until: Date) -> portal::billing::usage::Imported {
    let vendor = portal::vendors::Sandbox::new(app.db.clone());
    let mut all = portal::billing::usage::Imported::default();
    let mut day = month.first_day();
    while day < until.min(month.end()) {
        let got = portal::billing::usage::import(&app.db, &vendor, day)
            .await
            .unwrap();
        all.records += got.records;
        all.unmatched += got.unmatched;
        day = day.next_day().unwrap();
    }
    all
}

#[tokio::test]
async fn j7_usage_is_imported_once_rated_with_the_markup_and_billed_by_meter_to_the_cent() {
    let app = TestApp::spawn_with(no_worker()).await;
    let id = azure_plan(&app).await;
    let month = last_month();
    // A subscription the vendor knows and the portal does not.
    sqlx::query(
        "INSERT INTO sandbox_subscriptions (vendor_ref, vendor, tenant_ref, sku, quantity,
                                            request_key, created_at, term)
         VALUES ('ms-sub-outside', 'microsoft', 'ms-tenant-x', 'DZH318Z0BPS6', 1, 'outside',
                 $1, 'P1M')",
    )
    .bind(at(month.first_day()))
    .execute(&app.db)
    .await
    .unwrap();

    let first = import_days(&app, month, month.end()).await;
    // Three meters a day from the 3rd; the unknown subscription's days kept aside.
    let days = (month.end() - month.first_day()).whole_days() as u64;
    assert_eq!(first.records, 3 * (days - 2));
    assert_eq!(first.unmatched, 3 * days);
    let again = import_days(&app, month, month.end()).await;
    assert_eq!(
        again,
        portal::billing::usage::Imported::default(),
        "a day counts once"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM usage_unmatched WHERE reason = 'no_subscription'")
            .await,
        3 * days as i64
    );
    // A quantity that is no quantity is refused, kept aside with its reason.
    let odd = portal::vendors::usage::UsageRecord {
        subscription_ref: sqlx::query_scalar("SELECT vendor_ref FROM subscriptions")
            .fetch_one(&app.db)
            .await
            .unwrap(),
        usage_date: month.first_day() + time::Duration::days(4),
        meter_id: "az-odd".into(),
        meter_name: "Odd".into(),
        category: "Odd".into(),
        region: "eastus2".into(),
        unit: "1 Hour".into(),
        quantity: d("-3"),
        unit_cost: d("0.1"),
    };
    let (kept, aside) = portal::billing::store::usage::record(
        &app.db,
        portal::vendors::VendorCode::Microsoft,
        odd.usage_date,
        &[odd],
    )
    .await
    .unwrap();
    assert_eq!((kept, aside), (0, 1));
    // Rated: the reseller's price is the cost with its 20 % markup, exactly.
    assert_eq!(
        app.count("SELECT count(*) FROM usage_records WHERE unit_price <> unit_cost * 1.2")
            .await,
        0
    );

    run(&app, month).await;
    let lines: Vec<(String, Decimal, Decimal, bool)> = sqlx::query_as(
        "SELECT meter_id, cost, price, adjustment FROM invoice_lines WHERE kind = 'usage'
         ORDER BY meter_id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(lines.len(), 3, "one line per meter: {lines:?}");
    for (meter, cost, price, adjustment) in &lines {
        let (exact_cost, exact_price): (Decimal, Decimal) = sqlx::query_as(
            "SELECT sum(quantity * unit_cost), sum(quantity * unit_price) FROM usage_records
             WHERE meter_id = $1",
        )
        .bind(meter)
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(*cost, proration::cents(exact_cost), "{meter}");
        assert_eq!(*price, proration::cents(exact_price), "{meter}");
        assert!(!adjustment);
    }
    assert_eq!(
        app.count("SELECT count(*) FROM invoice_lines WHERE kind = 'recurring'")
            .await,
        0,
        "the plan itself costs nothing"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM usage_records WHERE invoice_id IS NULL")
            .await,
        0
    );
    let subtotal: Decimal = sqlx::query_scalar("SELECT subtotal FROM invoices")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(subtotal, lines.iter().map(|l| l.1).sum::<Decimal>());

    // The consumption summary, as a spreadsheet and as CSV, adds up to the invoice to the cent;
    // the licence summary has nothing to add (the plan costs nothing).
    let invoice: Uuid = sqlx::query_scalar("SELECT id FROM invoices")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let response = app
        .get_raw(&format!("/billing/{invoice}/consumption.xlsx"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.contains("consumption.xlsx") && disposition.contains(&month.code()),
        "{disposition}"
    );
    let xlsx = response.bytes().await.unwrap();
    assert_eq!(sheet_sum(&xlsx, "Subtotal"), (subtotal, 3));
    let csv = app
        .get_raw(&format!("/billing/{invoice}/consumption.csv"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.lines().next().unwrap().contains(';'),
        "Spanish users get `;`"
    );
    assert_eq!(column_sum(&csv, "Subtotal"), subtotal);
    let comma = app
        .get_raw(&format!("/billing/{invoice}/consumption.csv?sep=comma"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(column_sum(&comma, "Subtotal"), subtotal);
    let licences = app
        .get_raw(&format!("/billing/{invoice}/licences.xlsx"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(sheet_sum(&licences, "Subtotal"), (Decimal::ZERO, 0));
    assert_eq!(
        app.get(&format!("/billing/{invoice}/usage.pdf"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A record of last month that arrives late goes on next month's invoice, as an adjustment.
    let late = portal::vendors::usage::UsageRecord {
        meter_id: "az-late".into(),
        meter_name: "Late meter".into(),
        quantity: d("10"),
        unit_cost: d("0.5"),
        ..portal::vendors::usage::day_of("x", "DZH318Z0BPS6", month.first_day()).remove(0)
    };
    let late = portal::vendors::usage::UsageRecord {
        subscription_ref: sqlx::query_scalar("SELECT vendor_ref FROM subscriptions")
            .fetch_one(&app.db)
            .await
            .unwrap(),
        usage_date: month.first_day() + time::Duration::days(27),
        ..late
    };
    portal::billing::store::usage::record(
        &app.db,
        portal::vendors::VendorCode::Microsoft,
        late.usage_date,
        &[late],
    )
    .await
    .unwrap();
    run(&app, month.next()).await;
    let adjusted: Vec<(Decimal, bool)> = sqlx::query_as(
        "SELECT l.cost, l.adjustment FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
         WHERE i.period = $1 AND l.meter_id = 'az-late'",
    )
    .bind(month.next().first_day())
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(adjusted, [(d("5.00"), true)]);

    // The usage page shows the month by meter and day, and the line links to it.
    let page = app.get(&format!("/billing/{invoice}")).await;
    let link = page.attr(".invoice-lines a.cause", "href").unwrap();
    assert_eq!(
        link,
        format!("/subscriptions/{id}/usage?period={}", month.code())
    );
    let usage = app.get(&link).await;
    assert_eq!(usage.status, StatusCode::OK);
    // Three meters a day, and the late record's.
    assert_eq!(usage.texts("#usage-meters tbody tr").len(), 4);
    assert_eq!(
        usage.texts("#usage-days tbody tr").len() as u64,
        3 * (days - 2) + 1
    );
    let (_, client, _) = app.beta_owner_elsewhere().await;
    assert_eq!(
        app.get_with(&client, &link).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn staff_run_a_month_twice_and_one_invoice_results() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (owner, _id, _) = billed_history(&app).await;
    let month = last_month();
    let staff = app.staff("ops@distribuidor.example").await;
    let (client, _) = app.sign_in_elsewhere(&staff).await;
    let page = app.get_with(&client, "/staff/billing").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.attr("#f-run-period", "value"), Some(month.code()));

    // A month not over, and one that is no month: refused beside the field, as typed.
    let this_month = Month::of(OffsetDateTime::now_utc().date()).code();
    for (typed, says) in [
        (this_month.as_str(), "aún no termina"),
        ("2026-13", "2026-11"),
    ] {
        let form = page.form("#start-run").set("period", typed);
        let refused = app.submit_with(&client, &form).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        assert!(
            refused.text("#e-run-period").contains(says),
            "{}",
            refused.text("main")
        );
        assert_eq!(
            refused.attr("#f-run-period", "value").as_deref(),
            Some(typed)
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM billing_runs").await, 0);

    // Started: queued, then done by the worker; its page shows what it issued.
    let started = app.submit_with(&client, &page.form("#start-run")).await;
    assert!(
        started.path().starts_with("/staff/billing/runs/"),
        "{}",
        started.path()
    );
    assert!(started.text(".flash").contains("Se inició la facturación"));
    // A second start while the first is queued is refused.
    let again = app.submit_with(&client, &page.form("#start-run")).await;
    assert!(
        again.text(".flash").contains("ya se está facturando"),
        "{}",
        again.text("main")
    );
    assert_eq!(app.count("SELECT count(*) FROM billing_runs").await, 1);
    drain(&app).await;
    let done = app.get_with(&client, &started.path()).await;
    assert_eq!(done.text("#run-status"), "Terminada");
    assert_eq!(done.texts("#run-invoices tbody tr").len(), 1);
    assert!(
        done.text("#run-progress").starts_with("1 de 1"),
        "{}",
        done.text("#run-progress")
    );

    // The reseller's owner is told (after the mail of the order), with a link to the invoice.
    let invoice: Uuid = sqlx::query_scalar("SELECT id FROM invoices")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let mail = app.smtp.wait_for_nth(&owner.email, 2).await;
    assert!(mail.subject.starts_with("Factura INV-"), "{}", mail.subject);
    assert!(mail.link_to(&format!("/billing/{invoice}")).is_some());

    // Run again: done too, nothing new issued, still one invoice.
    let second = app.submit_with(&client, &page.form("#start-run")).await;
    drain(&app).await;
    let second = app.get_with(&client, &second.path()).await;
    assert_eq!(second.text("#run-status"), "Terminada");
    assert!(second.text("#run-none").contains("Nada nuevo"));
    assert_eq!(app.count("SELECT count(*) FROM invoices").await, 1);
    assert_eq!(
        app.smtp.count_to(&owner.email),
        2,
        "one order mail, one invoice mail"
    );
    assert_eq!(app.audited("billing_run_started").await, 2);
    let home = app.get_with(&client, "/staff/billing").await;
    assert_eq!(home.texts("#runs tbody tr").len(), 2);
    assert_eq!(home.texts("#staff-invoices tbody tr").len(), 1);

    // Not for resellers' users.
    let owner_page = app.get("/staff/billing").await;
    assert_ne!(owner_page.status, StatusCode::OK);
}

#[tokio::test]
async fn staff_credit_a_customer_with_a_reason_and_the_next_invoice_carries_it() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_owner, _id, _) = billed_history(&app).await;
    let (reseller, customer): (Uuid, Uuid) =
        sqlx::query_as("SELECT reseller_id, customer_id FROM subscriptions")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let staff = app.staff("ops@distribuidor.example").await;
    let (client, _) = app.sign_in_elsewhere(&staff).await;
    let page = app
        .get_with(
            &client,
            &format!("/staff/billing/credits?reseller={reseller}"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let form = page
        .form("#grant-credit")
        .set("customer", &customer.to_string());
    // An amount that is no amount, and no reason: refused, what was typed kept.
    for (amount, reason, field) in [
        ("0", "Outage", "#e-amount"),
        ("12,345", "Outage", "#e-amount"),
        ("-3", "Outage", "#e-amount"),
        ("25,50", "", "#e-reason"),
    ] {
        let refused = app
            .submit_with(
                &client,
                &form.clone().set("amount", amount).set("reason", reason),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{amount}");
        assert!(!refused.text(field).is_empty(), "{amount} {reason}");
        assert_eq!(refused.attr("#f-amount", "value").as_deref(), Some(amount));
    }
    // Another reseller's customer is not this reseller's.
    let other = app
        .submit_with(
            &client,
            &form
                .clone()
                .set("customer", &Uuid::new_v4().to_string())
                .set("amount", "10")
                .set("reason", "Outage"),
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT count(*) FROM billing_credits").await, 0);

    let granted = app
        .submit_with(
            &client,
            &form
                .set("amount", "25,50")
                .set("reason", "Service outage on the 3rd"),
        )
        .await;
    assert!(
        granted.text(".flash").contains("Crédito otorgado"),
        "{}",
        granted.text("main")
    );
    assert_eq!(granted.texts("#credits tbody tr").len(), 1);
    assert_eq!(app.audited("billing_credit_granted").await, 1);

    // Granted during last month (moved there), it is on last month's invoice, a negative line.
    sqlx::query("UPDATE billing_credits SET created_at = $1")
        .bind(at(last_month().first_day() + time::Duration::days(20)))
        .execute(&app.db)
        .await
        .unwrap();
    run(&app, last_month()).await;
    let (subtotal, resale): (Decimal, Decimal) =
        sqlx::query_as("SELECT subtotal, resale FROM invoices")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let lines: Decimal =
        sqlx::query_scalar("SELECT sum(cost) FROM invoice_lines WHERE kind <> 'credit'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(subtotal, lines - d("25.50"));
    assert!(resale > subtotal);
    let invoice: Uuid = sqlx::query_scalar("SELECT id FROM invoices")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let shown = app.get(&format!("/billing/{invoice}")).await;
    assert!(
        shown
            .text(".invoice-lines")
            .contains("Service outage on the 3rd")
    );
    assert!(shown.text(".invoice-lines").contains("Crédito puntual"));
    // The licence summary carries it, and still adds up to the invoice.
    let csv = app
        .get_raw(&format!("/billing/{invoice}/licences.csv"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(column_sum(&csv, "Subtotal"), subtotal);
    let reconciliation = app
        .get_raw(&format!("/billing/{invoice}/reconciliation.xlsx"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(sheet_sum(&reconciliation, "Subtotal"), (subtotal, 3));
    // Billed once: the next month does not carry it again.
    run(&app, last_month().next()).await;
    assert_eq!(
        app.count("SELECT count(*) FROM invoice_lines WHERE kind = 'credit'")
            .await,
        1
    );
}

/// The generator's data bills as a real reseller's month would: every generated subscription
/// that renews holds last month (one renewal recorded), so each monthly one has its period on
/// last month's invoice; the Azure plans' usage of last month is billed per meter; and the same
/// seed gives the same rows. (The demo reseller's last month is billed by the demo data already:
/// the other reseller's invoice is the one looked at.)
#[tokio::test]
async fn generated_data_bills_last_month_for_every_subscription_that_renewed() {
    let app = TestApp::spawn_with(no_worker()).await;
    crate::subscriptions::demo(&app).await;
    let scale = portal::seed::scale::Scale {
        seed: 3,
        customers: 50,
        orders: 100,
        lines_per_order: 2,
        other_resellers: 1,
        other_customers: 60,
        other_orders: 300,
    };
    let mut tx = app.db.begin().await.unwrap();
    let done = portal::seed::scale::generate(&mut tx, scale).await.unwrap();
    tx.commit().await.unwrap();
    assert!(done.subscriptions > 500 && done.usage > 0, "{done:?}");
    // Up to two years of sales figures for each generated reseller (from its first purchase),
    // whose customers and products add up to each month.
    assert!(
        done.sales_months > 24 && done.sales_months <= 2 * 24,
        "{done:?}"
    );
    let apart: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sales_months m
         WHERE m.licence_price + m.usage_price
               <> (SELECT coalesce(sum(licence_price + usage_price), 0) FROM sales_by_customer c
                   WHERE c.reseller_id = m.reseller_id AND c.month = m.month)
            OR m.licence_price + m.usage_price
               <> (SELECT coalesce(sum(licence_price + usage_price), 0) FROM sales_by_product p
                   WHERE p.reseller_id = m.reseller_id AND p.month = m.month)",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(apart, 0);
    let other: Uuid = sqlx::query_scalar(
        "SELECT id FROM resellers WHERE tax_id <> 'NAS180512AB6' ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let month = last_month();
    let last_day = month.end().previous_day().unwrap();
    let generated = "EXISTS (SELECT 1 FROM subscription_changes h
        WHERE h.subscription_id = s.id
          AND h.id = md5('3-' || s.reseller_id || '-h-' || s.id || '-purchase')::uuid)";
    let count = |sql: String| {
        let app = &app;
        async move {
            sqlx::query_scalar::<_, i64>(&sql)
                .bind(other)
                .bind(last_day)
                .fetch_one(&app.db)
                .await
                .unwrap()
        }
    };
    // Every generated subscription that renews holds last month's last day.
    let stale = count(format!(
        "SELECT count(*) FROM subscriptions s
         WHERE s.reseller_id = $1 AND s.auto_renew AND s.created_at::date <= $2
           AND NOT (s.start_date <= $2 AND $2 < s.end_date) AND {generated}"
    ))
    .await;
    assert_eq!(stale, 0, "subscriptions left without last month's term");
    let renewed = count(
        "SELECT count(*) FROM subscription_changes
         WHERE reseller_id = $1 AND kind = 'renewal' AND decided_at <= $2::date + 1"
            .into(),
    )
    .await;
    assert!(renewed > 100, "{renewed}");

    let ran = run(&app, month).await;
    assert_eq!(ran.issued.len(), 1, "the other reseller's: {ran:?}");
    // Each monthly generated subscription holding last month has its period billed.
    let unbilled = count(format!(
        "SELECT count(*) FROM subscriptions s
         WHERE s.reseller_id = $1 AND s.billing = 'monthly' AND s.unit_cost > 0
           AND s.start_date <= $2 AND $2 < s.end_date
           AND s.created_at::date < date_trunc('month', $2::date) AND {generated}
           AND NOT EXISTS (SELECT 1 FROM invoice_lines l
                           WHERE l.subscription_id = s.id AND l.kind = 'recurring')"
    ))
    .await;
    assert_eq!(unbilled, 0);
    // The Azure plans' usage: one line per subscription and meter, each record billed.
    let lines = count(
        "SELECT count(*) FROM invoice_lines WHERE reseller_id = $1 AND kind = 'usage'
           AND charge_start <= $2"
            .into(),
    )
    .await;
    let meters = count(
        "SELECT count(DISTINCT (subscription_id, meter_id)) FROM usage_records
         WHERE reseller_id = $1 AND usage_date <= $2"
            .into(),
    )
    .await;
    assert!(lines > 0);
    assert_eq!(lines, meters);
    let left = count(
        "SELECT count(*) FROM usage_records
         WHERE reseller_id = $1 AND usage_date <= $2 AND invoice_id IS NULL"
            .into(),
    )
    .await;
    assert_eq!(left, 0, "every usage record of last month is billed");

    // The same seed again adds nothing: the same ids.
    let before = app.count("SELECT count(*) FROM subscription_changes").await;
    let mut tx = app.db.begin().await.unwrap();
    let again = portal::seed::scale::generate(&mut tx, scale).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((again.subscriptions, again.usage), (0, 0));
    assert_eq!(
        app.count("SELECT count(*) FROM subscription_changes").await,
        before
    );
}
