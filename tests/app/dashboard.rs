//! J8, the dashboard: this month against last from the figures the billing run and the estimate
//! keep, each equal to the invoice, the estimate or the list behind it; the subscriptions'
//! totals kept by the database through every change; what needs attention leading to the list
//! that shows it; another reseller's data never counting; sales users seeing no money.

use crate::billing::{beta_bought, beta_owner_bought, billed_history, last_month, run};
use crate::common::TestApp;
use crate::orders::no_worker;
use crate::subscriptions::drain;
use portal::i18n::{Locale, format_integer, format_money};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use time::OffsetDateTime;
use uuid::Uuid;

/// Spaces as a reader sees them (amounts are written with no-break spaces).
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn money(amount: Decimal) -> String {
    flat(&format_money(Locale::Es, amount, "USD"))
}

/// The text of `selector`, its spaces flattened.
fn shown(page: &crate::common::Page, selector: &str) -> String {
    flat(&page.text(selector))
}

/// A tile's number, as shown.
fn number(page: &crate::common::Page, id: &str) -> String {
    shown(page, &format!("#{id} .tile-number"))
}

/// A bucket of the subscriptions' totals: reseller, status, renewal, end date, subscriptions,
/// seats, assigned, amount.
type Bucket = (Uuid, String, bool, time::Date, i64, i64, i64, Decimal);

/// The subscriptions' totals, as the triggers kept them and as counted from the subscriptions.
async fn totals_agree(app: &TestApp) {
    let kept: Vec<Bucket> = sqlx::query_as(
        "SELECT reseller_id, status, auto_renew, end_date, subscriptions, seats, assigned, amount
         FROM subscription_totals WHERE subscriptions <> 0 OR seats <> 0 OR amount <> 0
         ORDER BY 1, 2, 3, 4",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let counted: Vec<Bucket> = sqlx::query_as(
        "SELECT reseller_id, status, auto_renew, end_date, count(*), sum(quantity)::bigint,
                sum(assigned)::bigint, sum(round(quantity * unit_price, 2))
         FROM subscriptions GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(kept, counted);
}

/// The free seats' buckets, as the triggers kept them and as counted from the subscriptions.
async fn free_seats_agree(app: &TestApp) {
    let query = |sql: &'static str| sqlx::query_as::<_, (Uuid, String, time::Date, i64, i64)>(sql);
    let kept = query(
        "SELECT reseller_id, status, quiet_day, subscriptions, seats FROM free_seat_totals
         WHERE subscriptions <> 0 OR seats <> 0 ORDER BY 1, 2, 3",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let counted = query(
        "SELECT reseller_id, status, (quiet_since AT TIME ZONE 'UTC')::date, count(*),
                sum(quantity - assigned)::bigint
         FROM subscriptions WHERE quantity > assigned GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(kept, counted);
}

#[tokio::test]
async fn j8_this_month_against_last_equals_the_invoice_and_the_estimate_and_nobody_elses_counts() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_owner, id, _) = billed_history(&app).await;
    // Another reseller buys too, and is billed in the same run.
    let (beta, _) = beta_owner_bought(&app, "40").await;
    let month = last_month();
    run(&app, month).await;
    let ours: Uuid = sqlx::query_scalar("SELECT reseller_id FROM subscriptions WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();

    // Before this month's estimate exists: last month's invoice, and a note that it is coming.
    let page = app.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    let (resale, subtotal): (Decimal, Decimal) =
        sqlx::query_as("SELECT resale, subtotal FROM invoices WHERE reseller_id = $1")
            .bind(ours)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(
        shown(&page, "#kpi-purchases").contains(&money(resale)),
        "{}",
        shown(&page, "#kpi-purchases")
    );
    assert!(shown(&page, "#kpi-margin").contains(&money(resale - subtotal)));
    assert!(shown(&page, "#sales-note").contains("calculando"));

    // The estimate the view queued: this month's figures are its figures.
    drain(&app).await;
    let page = app.get("/").await;
    let (cost, price): (Decimal, Decimal) =
        sqlx::query_as("SELECT cost, price FROM billing_estimates WHERE reseller_id = $1")
            .bind(ours)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(price > Decimal::ZERO);
    let purchases = shown(&page, "#kpi-purchases .tile-number");
    assert_eq!(
        purchases,
        money(price),
        "no usage: the purchases are all of it"
    );
    assert_eq!(
        shown(&page, "#kpi-margin .tile-number"),
        money(price - cost)
    );
    assert!(shown(&page, "#kpi-purchases").contains(&money(resale)));
    assert!(shown(&page, "#sales-note").contains("estimación"));
    // The change in percent, from the same two amounts.
    let (_, percent) = portal::reports::figures::change(price, resale);
    let percent = percent.unwrap();
    let trend = shown(&page, "#kpi-purchases .trend");
    assert!(
        trend.contains(&portal::i18n::format_decimal(Locale::Es, percent.abs(), 1)),
        "{trend} for {percent}"
    );
    // The top customer is ours, with this month's price.
    assert_eq!(page.texts("#top-customers tr").len(), 1);
    assert!(shown(&page, "#top-customers").contains(&money(price)));
    assert!(!shown(&page, "#top-customers").contains("Fabrikam"));
    let href = page.attr("#top-customers a", "href").unwrap();
    assert_eq!(app.get(&href).await.status, StatusCode::OK);
    assert!(shown(&page, "#top-products").contains("Business Standard"));

    // Subscriptions and seats: ours only (Beta's 40 seats do not count).
    assert_eq!(number(&page, "tile-subscriptions"), "1");
    assert!(shown(&page, "#tile-subscriptions").contains("15 licencias"));
    let list = app
        .get(&page.attr("#tile-subscriptions", "href").unwrap())
        .await;
    assert_eq!(list.texts("#subscriptions tbody tr").len(), 1);
    assert_eq!(number(&page, "tile-customers"), "1");
    // The latest orders: ours.
    assert_eq!(page.texts("#recent-orders tbody tr").len(), 1);
    totals_agree(&app).await;

    // Beta's owner sees Beta's.
    let (client, _) = app.sign_in_elsewhere(&beta).await;
    let theirs = app.get_with(&client, "/").await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert_eq!(number(&theirs, "tile-subscriptions"), "1");
    assert!(shown(&theirs, "#tile-subscriptions").contains("40 licencias"));
    assert!(!shown(&theirs, "main").contains("Contoso"));
}

#[tokio::test]
async fn what_needs_attention_counts_what_its_list_shows() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_owner, id, _) = billed_history(&app).await;
    let now = OffsetDateTime::now_utc();
    let page = app.get("/").await;
    assert_eq!(number(&page, "attention-windows"), "0");
    assert_eq!(number(&page, "attention-pending"), "0");
    assert_eq!(number(&page, "attention-failed"), "0");

    // Five seats whose window closes tomorrow; a change sent two hours ago, still pending.
    sqlx::query(
        "UPDATE seat_batches SET window_closes_at = $2
         WHERE subscription_id = $1 AND added = 5",
    )
    .bind(id)
    .bind(now + time::Duration::hours(24))
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE seat_batches SET window_closes_at = $2
         WHERE subscription_id = $1 AND added <> 5",
    )
    .bind(id)
    .bind(now + time::Duration::days(5))
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO subscription_changes (reseller_id, subscription_id, kind, seats_before,
                                           seats_after, currency, status, requested_at)
         SELECT reseller_id, id, 'add_seats', 15, 16, 'USD', 'pending', $2
         FROM subscriptions WHERE id = $1",
    )
    .bind(id)
    .bind(now - time::Duration::hours(2))
    .execute(&app.db)
    .await
    .unwrap();
    let page = app.get("/").await;
    assert_eq!(number(&page, "attention-windows"), "5");
    let unit: Decimal = sqlx::query_scalar("SELECT unit_price FROM subscriptions WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(
        shown(&page, "#attention-windows").contains(&money((unit * Decimal::from(5)).round_dp(2))),
        "{}",
        shown(&page, "#attention-windows")
    );
    let closing = app
        .get(&page.attr("#attention-windows", "href").unwrap())
        .await;
    assert_eq!(closing.texts("#subscriptions tbody tr").len(), 1);
    assert_eq!(closing.texts("#closing-filter").len(), 1);
    assert_eq!(number(&page, "attention-pending"), "1");
    let pending = app
        .get(&page.attr("#attention-pending", "href").unwrap())
        .await;
    assert_eq!(pending.texts("#subscriptions tbody tr").len(), 1);
    assert_eq!(pending.texts("#pending-filter").len(), 1);

    // A window closing in five days and a change sent a minute ago are not yet "closing" nor
    // "late": the tiles and their lists agree on none.
    sqlx::query("UPDATE seat_batches SET window_closes_at = $2 WHERE subscription_id = $1")
        .bind(id)
        .bind(now + time::Duration::days(5))
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("UPDATE subscription_changes SET requested_at = now() WHERE status = 'pending'")
        .execute(&app.db)
        .await
        .unwrap();
    let page = app.get("/").await;
    assert_eq!(number(&page, "attention-windows"), "0");
    assert_eq!(number(&page, "attention-pending"), "0");
    for tile in ["attention-windows", "attention-pending"] {
        let list = app
            .get(&page.attr(&format!("#{tile}"), "href").unwrap())
            .await;
        assert!(list.texts("#subscriptions tbody tr").is_empty(), "{tile}");
    }

    // A failed order, and renewals: the counts of their lists.
    sqlx::query("UPDATE orders SET status = 'failed'")
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("UPDATE subscriptions SET end_date = (now() AT TIME ZONE 'UTC')::date + 10")
        .execute(&app.db)
        .await
        .unwrap();
    let page = app.get("/").await;
    assert_eq!(number(&page, "attention-failed"), "1");
    let failed = app
        .get(&page.attr("#attention-failed", "href").unwrap())
        .await;
    assert_eq!(failed.texts("#orders tbody tr").len(), 1);
    assert_eq!(number(&page, "tile-renewals"), "1");
    assert!(
        shown(&page, "#tile-renewals").contains(&money((unit * Decimal::from(15)).round_dp(2)))
    );
    let renewing = app.get(&page.attr("#tile-renewals", "href").unwrap()).await;
    assert_eq!(renewing.texts("#subscriptions tbody tr").len(), 1);
    totals_agree(&app).await;
}

#[tokio::test]
async fn sales_users_see_subscriptions_and_orders_but_no_money() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_owner, _id, _) = billed_history(&app).await;
    run(&app, last_month()).await;
    let reseller: Uuid = sqlx::query_scalar("SELECT reseller_id FROM subscriptions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let sales = app
        .user(Some(reseller), "sales@alfa.example", "sales")
        .await;
    let (client, _) = app.sign_in_elsewhere(&sales).await;
    let page = app.get_with(&client, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts("#kpi-purchases").is_empty());
    assert!(page.texts("#top-customers").is_empty());
    // (The orders they follow keep their totals.)
    assert!(!shown(&page, "#tile-renewals").contains("US$"));
    assert!(!shown(&page, "#attention-windows").contains("US$"));
    assert_eq!(number(&page, "tile-subscriptions"), "1");
    assert_eq!(page.texts("#recent-orders tbody tr").len(), 1);
    // Staff have a console of their own.
    let staff = app.staff("staff@distribuidor.example").await;
    let (client, _) = app.sign_in_elsewhere(&staff).await;
    let home = app.get_with(&client, "/").await;
    assert!(home.path().starts_with("/staff"), "{}", home.path());
}

#[tokio::test]
async fn the_subscriptions_totals_follow_every_kind_of_change() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_owner, id, _) = billed_history(&app).await;
    totals_agree(&app).await;
    // Many rows in one statement, each kind of column the totals keep.
    for sql in [
        "UPDATE subscriptions SET quantity = quantity + 3",
        "UPDATE subscriptions SET assigned = 2",
        "UPDATE subscriptions SET auto_renew = false",
        "UPDATE subscriptions SET end_date = end_date + 365",
        "UPDATE subscriptions SET unit_price = unit_price * 2",
        "UPDATE subscriptions SET version = version + 1",
        "UPDATE subscriptions SET quiet_since = quiet_since - interval '40 days'",
        "UPDATE subscriptions SET assigned = quantity",
        "UPDATE subscriptions SET assigned = 1",
        "UPDATE subscriptions SET status = 'suspended'",
    ] {
        sqlx::query(sql).execute(&app.db).await.unwrap();
        totals_agree(&app).await;
        free_seats_agree(&app).await;
    }
    // A second subscription, bought through the pages, then cancelled.
    beta_bought(&app, "7").await;
    totals_agree(&app).await;
    free_seats_agree(&app).await;
    sqlx::query("UPDATE subscriptions SET status = 'cancelled' WHERE id <> $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    totals_agree(&app).await;
    let page = app.get("/").await;
    // Suspended is not active.
    assert_eq!(
        number(&page, "tile-subscriptions"),
        format_integer(Locale::Es, 0)
    );
}

#[tokio::test]
async fn staff_see_the_platforms_figures_across_resellers() {
    let app = TestApp::spawn_with(no_worker()).await;
    billed_history(&app).await;
    beta_bought(&app, "3").await;
    sqlx::query("UPDATE orders SET status = 'failed'")
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO access_requests (legal_name, tax_id, country, contact_name, email, phone,
                                      created_at)
         VALUES ('Gamma', 'GAM180512AB1', 'MX', 'Ana', 'ana@gamma.example', '+52 55 5555 5557',
                 now() - interval '3 hours 10 minutes')",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let staff = app.staff("ops@distribuidor.example").await;
    let (client, _) = app.sign_in_elsewhere(&staff).await;
    let page = app.get_with(&client, "/staff").await;
    assert_eq!(page.status, StatusCode::OK);
    // Both resellers' failed orders, and the list they lead to shows them.
    assert_eq!(number(&page, "tile-failed"), "2");
    let failed = app
        .get_with(&client, &page.attr("#tile-failed", "href").unwrap())
        .await;
    assert_eq!(failed.status, StatusCode::OK);
    let today = app
        .count("SELECT count(*) FROM orders WHERE created_at >= (now() AT TIME ZONE 'UTC')::date::timestamp AT TIME ZONE 'UTC'")
        .await;
    assert_eq!(number(&page, "tile-orders-today"), today.to_string());
    let active = app
        .count("SELECT count(*) FROM resellers WHERE status = 'active'")
        .await;
    assert_eq!(number(&page, "tile-resellers"), active.to_string());
    assert_eq!(number(&page, "tile-access"), "1");
    assert!(
        shown(&page, "#tile-access").contains("3 horas"),
        "{}",
        shown(&page, "#tile-access")
    );
}

#[tokio::test]
async fn committed_spend_is_the_rest_of_each_term_and_what_open_windows_can_take_off() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_owner, id, _) = billed_history(&app).await;
    let (beta, _) = beta_owner_bought(&app, "40").await;
    // A year from today billed monthly, 15 seats at 12.00: twelve whole months of 180.00 from
    // today; five seats bought with a window open for two more days, the rest closed.
    sqlx::query(
        "UPDATE subscriptions SET unit_price = 12.00, quantity = 15, billing = 'monthly',
                start_date = (now() AT TIME ZONE 'UTC')::date,
                end_date = ((now() AT TIME ZONE 'UTC')::date + interval '12 months')::date
         WHERE id = $1",
    )
    .bind(id)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE seat_batches SET window_closes_at = CASE WHEN added = 5 THEN now() + interval '2 days'
                                                         ELSE now() - interval '1 hour' END
         WHERE subscription_id = $1",
    )
    .bind(id)
    .execute(&app.db)
    .await
    .unwrap();
    let open: i64 = sqlx::query_scalar(
        "SELECT sum(quantity)::bigint FROM seat_batches
         WHERE subscription_id = $1 AND window_closes_at > now()",
    )
    .bind(id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(open > 0);

    // Not computed yet: the dashboard says so, and queues it.
    let page = app.get("/").await;
    assert!(page.texts("#tile-committed").is_empty());
    assert!(shown(&page, "#committed-note").contains("calculando"));
    drain(&app).await;
    let page = app.get("/").await;
    let committed = Decimal::from(12 * 15 * 12);
    let reducible = Decimal::from(12 * 12) * Decimal::from(open);
    assert_eq!(number(&page, "tile-committed"), money(committed));
    assert_eq!(number(&page, "tile-reducible"), money(reducible));
    assert!(shown(&page, "#tile-committed").contains("1 cliente"));

    // Per customer, as the page and its CSV list it; the reducible seats' subscriptions.
    let list = app
        .get(&page.attr("#tile-committed", "href").unwrap())
        .await;
    assert_eq!(list.status, StatusCode::OK);
    let rows = list.texts("#commitments tbody tr");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(flat(&rows[0]).contains(&money(committed)), "{}", rows[0]);
    assert!(flat(&rows[0]).contains(&money(reducible)));
    assert!(!shown(&list, "main").contains("Fabrikam"));
    let by_reducible = app
        .get(&page.attr("#tile-reducible", "href").unwrap())
        .await;
    assert_eq!(by_reducible.texts("#commitments tbody tr").len(), 1);
    let windows = app
        .get(
            &by_reducible
                .attr("#commitments td:last-child a", "href")
                .unwrap(),
        )
        .await;
    assert_eq!(windows.texts("#subscriptions tbody tr").len(), 1);
    let csv = app.get("/reports/commitments.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body.contains(&format!("{committed}.00")),
        "{}",
        csv.body
    );
    assert!(csv.body.contains(&format!("{reducible}.00")));

    // Every window closed: nothing to reduce, once computed again (a change decided since
    // makes the kept figures out of date).
    sqlx::query("UPDATE seat_batches SET window_closes_at = now() - interval '1 minute'")
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE subscription_changes SET decided_at = now()
         WHERE id = (SELECT id FROM subscription_changes WHERE subscription_id = $1
                       AND status = 'applied' ORDER BY decided_at DESC LIMIT 1)",
    )
    .bind(id)
    .execute(&app.db)
    .await
    .unwrap();
    app.get("/").await;
    drain(&app).await;
    let page = app.get("/").await;
    assert_eq!(number(&page, "tile-reducible"), money(Decimal::ZERO));
    let none = app.get("/reports/commitments?order=reducible").await;
    assert!(none.texts("#commitments tbody tr").is_empty());
    assert_eq!(none.texts(".empty").len(), 1);

    // Beta's owner sees Beta's 40 seats only; a sales user sees no commitments.
    let (client, _) = app.sign_in_elsewhere(&beta).await;
    app.get_with(&client, "/").await;
    drain(&app).await;
    let theirs = app.get_with(&client, "/reports/commitments").await;
    let rows = theirs.texts("#commitments tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(!flat(&rows[0]).contains(&money(committed)));
    assert!(!shown(&theirs, "main").contains("Contoso"));
    let reseller: Uuid = sqlx::query_scalar("SELECT reseller_id FROM subscriptions WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let sales = app
        .user(Some(reseller), "sales@alfa.example", "sales")
        .await;
    let (client, _) = app.sign_in_elsewhere(&sales).await;
    assert_eq!(
        app.get_with(&client, "/reports/commitments").await.status,
        StatusCode::FORBIDDEN
    );
    assert!(
        app.get_with(&client, "/")
            .await
            .texts("#tile-committed")
            .is_empty()
    );
}

#[tokio::test]
async fn seats_unassigned_for_30_days_are_those_of_quiet_subscriptions_and_their_list() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_owner, id, _) = billed_history(&app).await;
    beta_owner_bought(&app, "40").await;
    // Bought today: its free seats are not idle yet.
    let page = app.get("/").await;
    assert_eq!(number(&page, "attention-unassigned"), "0");
    assert!(shown(&page, "#attention-unassigned").contains("15"));
    // Three licences, nothing changed for 40 days: twelve idle seats. Beta's, as quiet, do not
    // count here.
    sqlx::query("UPDATE subscriptions SET assigned = 3, quiet_since = now() - interval '40 days'")
        .execute(&app.db)
        .await
        .unwrap();
    free_seats_agree(&app).await;
    let page = app.get("/").await;
    assert_eq!(number(&page, "attention-unassigned"), "12");
    let list = app
        .get(&page.attr("#attention-unassigned", "href").unwrap())
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.texts("#subscriptions tbody tr").len(), 1);
    assert_eq!(list.texts("#idle-filter").len(), 1);
    // 29 days quiet is not yet 30.
    sqlx::query("UPDATE subscriptions SET quiet_since = now() - interval '29 days'")
        .execute(&app.db)
        .await
        .unwrap();
    let page = app.get("/").await;
    assert_eq!(number(&page, "attention-unassigned"), "0");
    let list = app.get("/subscriptions?status=active&idle=1").await;
    assert!(list.texts("#subscriptions tbody tr").is_empty());
    // Quiet again for 40 days, then seats are added: it is no longer quiet (the trigger on the
    // seats' batches moves it), and neither figure counts it.
    sqlx::query("UPDATE subscriptions SET quiet_since = now() - interval '40 days'")
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO seat_batches (reseller_id, subscription_id, added, quantity, added_at)
         SELECT reseller_id, id, 1, 1, now() FROM subscriptions WHERE id = $1",
    )
    .bind(id)
    .execute(&app.db)
    .await
    .unwrap();
    free_seats_agree(&app).await;
    let page = app.get("/").await;
    assert_eq!(number(&page, "attention-unassigned"), "0");
    let list = app.get("/subscriptions?status=active&idle=1").await;
    assert!(list.texts("#subscriptions tbody tr").is_empty());
}
