//! J7, seat reconciliation: per subscription and invoiced month, the seats billed, the
//! licences assigned and the seats the vendor holds, side by side, differences flagged on the
//! invoice and in a report that adds up to the same counts.

use crate::billing::{billed_history, column_sum, last_month, run, sheet_sum};
use crate::common::TestApp;
use crate::orders::no_worker;
use crate::subscriptions::drain;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use uuid::Uuid;

#[tokio::test]
async fn an_invoice_reconciles_seats_billed_assigned_and_at_the_vendor() {
    let app = TestApp::spawn_with(no_worker()).await;
    // 10 seats bought, 5 added: 15 billed at the month's end, none assigned.
    let (_owner, subscription, _) = billed_history(&app).await;
    run(&app, last_month()).await;
    let invoice: Uuid = sqlx::query_scalar("SELECT id FROM invoices")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let counted: (i32, i32, Option<i32>) = sqlx::query_as(
        "SELECT billed, assigned, vendor FROM seat_counts WHERE subscription_id = $1",
    )
    .bind(subscription)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(counted, (15, 0, None));
    let page = app.get(&format!("/billing/{invoice}")).await;
    assert!(
        page.text("#seats-said")
            .starts_with("Suscripciones conciliadas: 1 "),
        "{}",
        page.text("#seats-said")
    );
    assert!(
        !page.text("#seats-pending").is_empty(),
        "the vendor is being asked"
    );

    // The vendor holds 12 (it was changed there, outside the portal); its count is asked by a
    // job, once.
    sqlx::query("UPDATE sandbox_subscriptions SET quantity = 12")
        .execute(&app.db)
        .await
        .unwrap();
    drain(&app).await;
    let vendor: Option<i32> =
        sqlx::query_scalar("SELECT vendor FROM seat_counts WHERE subscription_id = $1")
            .bind(subscription)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(vendor, Some(12));
    let page = app.get(&format!("/billing/{invoice}")).await;
    assert!(page.texts("#seats-pending").is_empty());
    assert!(page.text("#seats-said").contains("Con diferencias: 1."));
    let row = page.text("#seats-differing tbody tr");
    assert!(row.contains("El fabricante tiene otra cantidad"), "{row}");
    assert!(row.contains("Licencias pagadas sin asignar"), "{row}");
    assert!(
        page.html()
            .select(&scraper::Selector::parse("#seats-differing a").unwrap())
            .any(|a| a.value().attr("href") == Some(&format!("/subscriptions/{subscription}"))),
        "the row leads to its subscription"
    );

    // The report says the same, as CSV and as a spreadsheet.
    let csv = app
        .get_raw(&format!("/billing/{invoice}/seats.csv"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(column_sum(&csv, "Facturadas"), Decimal::from(15));
    assert_eq!(column_sum(&csv, "Asignadas"), Decimal::ZERO);
    assert_eq!(column_sum(&csv, "En el fabricante"), Decimal::from(12));
    assert!(csv.contains("Licencias pagadas sin asignar"));
    let xlsx = app
        .get_raw(&format!("/billing/{invoice}/seats.xlsx"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(sheet_sum(&xlsx, "Facturadas"), (Decimal::from(15), 1));

    // Counts that agree raise nothing (set here as the run and the vendor would have recorded
    // them, the invoice's summary with them).
    sqlx::query("UPDATE seat_counts SET vendor = 15, assigned = 15")
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("UPDATE seat_summaries SET differing = 0")
        .execute(&app.db)
        .await
        .unwrap();
    let page = app.get(&format!("/billing/{invoice}")).await;
    assert!(page.text("#seats-said").contains("Con diferencias: 0."));
    assert!(page.texts("#seats-differing tbody tr").is_empty());

    // Nobody else's.
    let (_, client, _) = app.beta_owner_elsewhere().await;
    for path in ["seats.csv", "seats.xlsx"] {
        let theirs = app
            .get_with(&client, &format!("/billing/{invoice}/{path}"))
            .await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{path}");
    }
}
