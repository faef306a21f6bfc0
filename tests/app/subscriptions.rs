//! J6, managing what was bought: seats added with their prorated charge and window, reduced
//! within it for a refund and refused after it, auto-renew, each change previewed, confirmed
//! once, sent to the vendor and kept in the history; with the refusals, the race and the
//! cross-tenant probes.

use std::sync::Arc;

use crate::common::{FormData, Page, TestApp, TestUser};
use crate::orders::{add_to_cart, no_worker, order_id, setup_linked};
use portal::i18n::Locale;
use portal::subscriptions::proration;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use uuid::Uuid;

/// Runs the queue (provisioning, vendor changes, mail) until it is empty.
pub(crate) async fn drain(app: &TestApp) {
    let mailer = portal::mail::Mailer::from_config(&app.config).unwrap();
    let worker = portal::jobs::Worker::new(app.db.clone(), mailer).with_vendor(
        Arc::new(portal::vendors::Sandbox::new(app.db.clone())),
        Arc::new(app.config.clone()),
    );
    while worker.run_one().await.unwrap() {}
}

/// A reseller's owner, signed in, whose customer bought `seats` seats of Business Standard
/// (yearly, billed monthly, US$ 13.20 a seat) on the tenant it already had (its users are the
/// ones the tests make: no new tenant's administrator); the subscription's id.
pub(crate) async fn bought(app: &TestApp, seats: &str) -> (TestUser, Uuid) {
    let (_, owner, customer) = setup_linked(app).await;
    app.sign_in(&owner).await;
    let page = add_to_cart(app, &app.client, customer, "CFQ7TTC0LDPB", seats).await;
    order_id(&app.submit(&page.form("form.place-order")).await);
    drain(app).await;
    let id = sqlx::query_scalar("SELECT id FROM subscriptions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    (owner, id)
}

/// The preview of a change asked from the page's form `selector` with `quantity`.
pub(crate) async fn preview(
    app: &TestApp,
    id: Uuid,
    selector: &str,
    quantity: Option<&str>,
) -> Page {
    let page = app.get(&format!("/subscriptions/{id}")).await;
    let mut form = page.form(selector);
    if let Some(q) = quantity {
        form = form.set("quantity", q);
    }
    get_form(app, &app.client, &form).await
}

/// Sends a GET form as a browser does (its fields in the query).
async fn get_form(app: &TestApp, client: &reqwest::Client, form: &FormData) -> Page {
    let query = serde_urlencoded::to_string(&form.fields).unwrap();
    app.get_with(client, &format!("{}?{query}", form.action))
        .await
}

/// What a change of `seats` seats on `day` costs at US$ 13.20, by the proration module.
fn expected(seats: i32, start: time::Date, end: time::Date) -> Decimal {
    let today = time::OffsetDateTime::now_utc().date();
    let period =
        proration::period_containing(start, portal::catalog::rules::Billing::Monthly, end, today);
    proration::seat_change("13.20".parse().unwrap(), seats, period, today)
}

async fn dates(app: &TestApp, id: Uuid) -> (time::Date, time::Date) {
    sqlx::query_as("SELECT start_date, end_date FROM subscriptions WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// An amount as the pages show it (spaces as the tests read them).
fn money(amount: Decimal) -> String {
    let shown = portal::i18n::format_money(Locale::Es, amount, "USD");
    shown.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A unit price as the pages show it (exact, decision 0019).
fn unit(amount: Decimal) -> String {
    let shown = portal::i18n::format_unit_price(Locale::Es, amount, "USD");
    shown.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn j6_five_seats_are_added_with_the_prorated_charge_and_the_new_window_shown_first() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (owner, id) = bought(&app, "10").await;
    // The list and the customer's page lead to it.
    let list = app.get("/subscriptions").await;
    assert_eq!(
        list.attr("#subscriptions tbody tr a[href^='/subscriptions/']", "href"),
        Some(format!("/subscriptions/{id}"))
    );
    let page = app.get(&format!("/subscriptions/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("#seats"), "10");
    assert!(
        page.text("#per-period").contains("US$ 132,00"),
        "{}",
        page.text("#per-period")
    );
    let batch = page.text("#batches tbody tr");
    assert!(
        batch.contains("Se puede reducir hasta") && batch.contains("quedan 6 d 23 h"),
        "{batch}"
    );
    assert!(page.text("#history").contains("Comprada con 10 licencias"));

    // The preview says what it costs, what it becomes, and until when it can be undone.
    let shown = preview(&app, id, "#add-seats", Some("5")).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    let (start, end) = dates(&app, id).await;
    let charge = expected(5, start, end);
    assert!(charge > Decimal::ZERO);
    assert!(
        shown.text("#money-effect").contains(&money(charge)),
        "{} / {}",
        money(charge),
        shown.text("#preview")
    );
    assert!(
        shown.text("#new-price").contains("US$ 198,00"),
        "{}",
        shown.text("#new-price")
    );
    let deadline = shown.text("#deadline");
    assert!(
        deadline.contains("Las 5 licencias agregadas se pueden reducir hasta el"),
        "{deadline}"
    );
    // Nothing changed yet.
    assert_eq!(
        app.count("SELECT count(*) FROM subscription_changes WHERE kind = 'add_seats'")
            .await,
        0
    );

    let sent = app.submit(&shown.form("#confirm-change")).await;
    assert_eq!(sent.path(), format!("/subscriptions/{id}"));
    assert!(
        sent.text(".flash").contains("se envió al fabricante"),
        "{}",
        sent.text("main")
    );
    assert!(sent.text("#pending-notice").contains("pendiente"));
    assert_eq!(
        sent.text("#seats"),
        "10",
        "nothing changes before the vendor accepts"
    );
    assert!(
        sent.texts("#add-seats").is_empty(),
        "no second change while one waits"
    );
    assert_eq!(app.audited("subscription_change_requested").await, 1);

    drain(&app).await;
    let page = app.get(&format!("/subscriptions/{id}")).await;
    assert_eq!(page.text("#seats"), "15");
    assert!(page.text("#per-period").contains("US$ 198,00"));
    assert_eq!(page.texts("#batches tbody tr").len(), 2);
    let latest = page.texts("#history tbody tr").remove(0);
    assert!(latest.contains("+5 licencias (10 → 15)"), "{latest}");
    assert!(
        latest.contains(&format!("Cargo de {}", money(charge))),
        "{latest}"
    );
    assert!(
        latest.contains("Aplicado") && latest.contains(&format!("Name of {}", owner.email)),
        "{latest}"
    );
    // What the preview showed is what was recorded, and what the vendor holds.
    let recorded: Decimal = sqlx::query_scalar(
        "SELECT amount FROM subscription_changes WHERE kind = 'add_seats' AND status = 'applied'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(recorded, charge);
    assert_eq!(
        app.count("SELECT quantity::bigint FROM sandbox_subscriptions")
            .await,
        15
    );
    assert_eq!(
        app.count("SELECT count(*) FROM sandbox_seat_batches").await,
        2
    );
}

#[tokio::test]
async fn seats_come_back_within_their_window_and_older_ones_are_refused_with_the_date_it_closed() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, id) = bought(&app, "10").await;
    let shown = preview(&app, id, "#add-seats", Some("5")).await;
    app.submit(&shown.form("#confirm-change")).await;
    drain(&app).await;

    // The purchase is 8 days old: its window closed (here and at the vendor).
    sqlx::query(
        "UPDATE seat_batches SET added_at = added_at - interval '8 days',
                window_closes_at = window_closes_at - interval '8 days'
         WHERE added = 10",
    )
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query("UPDATE sandbox_seat_batches SET added_at = added_at - interval '8 days' WHERE quantity = 10")
        .execute(&app.db)
        .await
        .unwrap();
    let old: Uuid = sqlx::query_scalar("SELECT id FROM seat_batches WHERE added = 10")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let page = app.get(&format!("/subscriptions/{id}")).await;
    let row = page.text(&format!("#batch-{old}"));
    assert!(row.contains("Ventana cerrada el"), "{row}");
    assert!(page.texts(&format!("#batch-{old} form")).is_empty());

    // Two of the five new seats, the same day: the charge for them comes back.
    let new: Uuid = sqlx::query_scalar("SELECT id FROM seat_batches WHERE added = 5")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let shown = preview(&app, id, &format!("#batch-{new} form"), Some("2")).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text("main"));
    let (start, end) = dates(&app, id).await;
    let refund = expected(-2, start, end);
    assert!(refund < Decimal::ZERO);
    assert!(
        shown.text("#money-effect").contains(&money(-refund)),
        "{}",
        shown.text("#preview")
    );
    assert!(shown.text("#preview").contains("Reembolso ahora"));
    assert!(shown.texts("#deadline").is_empty());
    app.submit(&shown.form("#confirm-change")).await;
    drain(&app).await;
    let page = app.get(&format!("/subscriptions/{id}")).await;
    assert_eq!(page.text("#seats"), "13");
    let latest = page.texts("#history tbody tr").remove(0);
    assert!(
        latest.contains("−2 licencias (15 → 13)")
            && latest.contains(&format!("Reembolso de {}", money(-refund))),
        "{latest}"
    );
    assert!(page.text(&format!("#batch-{new}")).contains('3'));

    // The old seats, asked for anyway (a stale page, a crafted request): refused with the
    // moment their window closed, nothing recorded, nothing sent.
    let version: i32 = sqlx::query_scalar("SELECT version FROM subscriptions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let crafted = FormData {
        action: format!("/subscriptions/{id}/changes"),
        fields: vec![
            ("csrf_token".into(), page.csrf_token()),
            ("kind".into(), "remove_seats".into()),
            ("batch".into(), old.to_string()),
            ("quantity".into(), "1".into()),
            ("version".into(), version.to_string()),
        ],
    };
    let refused = app.submit(&crafted).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = refused.text(&format!("#batch-{old} .field-error"));
    assert!(
        message.contains("su ventana de cancelación cerró el"),
        "{}",
        refused.text("main")
    );
    assert_eq!(
        app.count("SELECT count(*) FROM subscription_changes WHERE kind = 'remove_seats'")
            .await,
        1
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM jobs WHERE kind = 'change_subscription' AND state <> 'done'"
        )
        .await,
        0
    );
    let page = app
        .get(&format!(
            "/subscriptions/{id}/preview?kind=remove_seats&batch={old}&quantity=1"
        ))
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The vendor refuses it too, as the real API does.
    let sandbox = portal::vendors::Sandbox::new(app.db.clone());
    let vendor_ref: String = sqlx::query_scalar("SELECT vendor_ref FROM subscriptions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    use portal::vendors::Vendor;
    let answer = sandbox
        .change_subscription(&portal::vendors::ChangeRequest {
            vendor: portal::vendors::VendorCode::Microsoft,
            vendor_ref: &vendor_ref,
            tenant_domain: "contoso.onmicrosoft.com",
            request_key: "probe",
            change: portal::vendors::VendorChange::Quantity(9),
        })
        .await;
    assert!(
        matches!(
            answer,
            Err(portal::vendors::VendorError::Permanent {
                code: portal::vendors::VendorErrorCode::WindowClosed,
                ..
            })
        ),
        "{answer:?}"
    );
}

#[tokio::test]
async fn auto_renew_is_turned_off_through_the_vendor_at_no_cost() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, id) = bought(&app, "3").await;
    let shown = preview(&app, id, "#auto-renew", None).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text("main"));
    assert!(shown.text("#preview").contains("Sin cargo ni reembolso"));
    assert!(
        shown
            .text("#preview")
            .contains("Renovación automática desactivada")
    );
    app.submit(&shown.form("#confirm-change")).await;
    drain(&app).await;
    let page = app.get(&format!("/subscriptions/{id}")).await;
    assert_eq!(page.text("#renewal"), "Manual");
    assert!(page.text("#auto-renew").contains("Activar"));
    assert_eq!(
        app.count("SELECT count(*) FROM sandbox_subscriptions WHERE NOT auto_renew")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT quantity::bigint FROM subscriptions")
            .await,
        3
    );
}

#[tokio::test]
async fn two_confirmations_of_one_preview_make_one_change_and_one_vendor_call() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, id) = bought(&app, "10").await;
    let shown = preview(&app, id, "#add-seats", Some("2")).await;
    let form = shown.form("#confirm-change");
    // A double click, or the same preview confirmed in two tabs.
    let (a, b) = tokio::join!(app.submit(&form), app.submit(&form));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let stale = if a.status == StatusCode::CONFLICT {
        a
    } else {
        b
    };
    assert!(
        stale
            .text("#change-problem")
            .contains("cambió desde que la abriste"),
        "{}",
        stale.text("main")
    );
    // The fresh state is shown: the change that went through is pending.
    assert!(stale.text("#pending-notice").contains("pendiente"));
    assert_eq!(
        app.count("SELECT count(*) FROM subscription_changes WHERE kind = 'add_seats'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM jobs WHERE kind = 'change_subscription'")
            .await,
        1
    );
    drain(&app).await;
    assert_eq!(
        app.count("SELECT quantity::bigint FROM subscriptions")
            .await,
        12
    );
    assert_eq!(
        app.count("SELECT count(*) FROM sandbox_seat_batches").await,
        2
    );
    // The preview confirmed again later is stale too.
    let again = app.submit(&form).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_change_the_vendor_refuses_is_shown_with_its_reason_and_changes_nothing() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, id) = bought(&app, "10").await;
    // The vendor will refuse this tenant's next change (its seat limit).
    sqlx::query("UPDATE subscriptions SET tenant_domain = 'over-limit-contoso.onmicrosoft.com'")
        .execute(&app.db)
        .await
        .unwrap();
    let shown = preview(&app, id, "#add-seats", Some("5")).await;
    app.submit(&shown.form("#confirm-change")).await;
    drain(&app).await;
    let page = app.get(&format!("/subscriptions/{id}")).await;
    assert_eq!(page.text("#seats"), "10");
    let latest = page.texts("#history tbody tr").remove(0);
    assert!(
        latest.contains("Fallido") && latest.contains("supera el límite"),
        "{latest}"
    );
    assert_eq!(page.texts("#batches tbody tr").len(), 1);
    // The subscription is free for the next change.
    assert_eq!(page.texts("#add-seats").len(), 1);
}

#[tokio::test]
async fn quantities_that_are_not_seats_are_refused_keeping_what_was_typed() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, id) = bought(&app, "10").await;
    for typed in ["abc", "0", "-3", "2.5", "99999999999"] {
        let page = preview(&app, id, "#add-seats", Some(typed)).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        assert!(
            page.text("#e-add").contains("número entero"),
            "{typed}: {}",
            page.text("#changes")
        );
        assert_eq!(page.attr("#f-add", "value").as_deref(), Some(typed));
    }
    // Beyond the product's limit (300 seats).
    let page = preview(&app, id, "#add-seats", Some("291")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.text("#e-add").contains("límite"),
        "{}",
        page.text("#changes")
    );
    // Forms that are not the page's.
    for query in [
        "kind=bogus&quantity=1",
        "kind=remove_seats&batch=nope&quantity=1",
        "kind=auto_renew&auto_renew=maybe",
    ] {
        let page = app
            .get(&format!("/subscriptions/{id}/preview?{query}"))
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{query}");
    }
    let page = app.get(&format!("/subscriptions/{id}")).await;
    let no_version = FormData {
        action: format!("/subscriptions/{id}/changes"),
        fields: vec![
            ("csrf_token".into(), page.csrf_token()),
            ("kind".into(), "add_seats".into()),
            ("quantity".into(), "1".into()),
        ],
    };
    assert_eq!(
        app.submit(&no_version).await.status,
        StatusCode::BAD_REQUEST
    );
    let unknown = Uuid::new_v4();
    assert_eq!(
        app.get(&format!("/subscriptions/{unknown}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/subscriptions/not-an-id").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.count("SELECT count(*) FROM subscription_changes WHERE kind <> 'purchase'")
            .await,
        0
    );
}

#[tokio::test]
async fn another_reseller_finds_nothing_and_billing_users_only_read() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, id) = bought(&app, "10").await;
    let page = app.get(&format!("/subscriptions/{id}")).await;
    let version: i32 = sqlx::query_scalar("SELECT version FROM subscriptions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (_, client, landed) = app.beta_owner_elsewhere().await;
    for path in [
        format!("/subscriptions/{id}"),
        format!("/subscriptions/{id}/preview?kind=add_seats&quantity=1"),
    ] {
        assert_eq!(
            app.get_with(&client, &path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let theirs = FormData {
        action: format!("/subscriptions/{id}/changes"),
        fields: vec![
            ("csrf_token".into(), landed.csrf_token()),
            ("kind".into(), "add_seats".into()),
            ("quantity".into(), "1".into()),
            ("version".into(), version.to_string()),
        ],
    };
    assert_eq!(
        app.submit_with(&client, &theirs).await.status,
        StatusCode::NOT_FOUND
    );

    // A billing user of the same reseller reads the page, with no change offered or taken.
    let reseller: Uuid = sqlx::query_scalar("SELECT reseller_id FROM subscriptions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let billing = app
        .user(Some(reseller), "billing@alfa.example", "billing")
        .await;
    let (client, landed) = app.sign_in_elsewhere(&billing).await;
    let read = app.get_with(&client, &format!("/subscriptions/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(read.texts("#add-seats").is_empty() && read.texts("#batches form").is_empty());
    let mine = FormData {
        fields: vec![
            ("csrf_token".into(), landed.csrf_token()),
            ("kind".into(), "add_seats".into()),
            ("quantity".into(), "1".into()),
            ("version".into(), version.to_string()),
        ],
        ..theirs
    };
    assert_eq!(
        app.submit_with(&client, &mine).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.count("SELECT count(*) FROM subscription_changes WHERE kind <> 'purchase'")
            .await,
        0
    );
    drop(page);
}

/// Opens the preview of the page's form `selector`, checks it, confirms it and lets the vendor
/// answer; the subscription's page after.
async fn confirm(app: &TestApp, id: Uuid, selector: &str, check: impl Fn(&Page)) -> Page {
    let shown = preview(app, id, selector, None).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text("main"));
    check(&shown);
    app.submit(&shown.form("#confirm-change")).await;
    drain(app).await;
    app.get(&format!("/subscriptions/{id}")).await
}

#[tokio::test]
async fn j6_a_google_workspace_subscription_is_suspended_and_reactivated_but_not_a_google_suspension()
 {
    let app = TestApp::spawn_with(no_worker()).await;
    let (r, owner, customer) = app.reseller_with_customer().await;
    app.vendor_tenant(
        r,
        customer,
        "google",
        "linked",
        "contoso-mx.example",
        "google-linked-1",
    )
    .await;
    app.sign_in(&owner).await;
    let page = add_to_cart(&app, &app.client, customer, "GWS-BUSINESS-STANDARD", "5").await;
    app.submit(&page.form("form.place-order")).await;
    drain(&app).await;
    let id: Uuid = sqlx::query_scalar("SELECT id FROM subscriptions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let page = app.get(&format!("/subscriptions/{id}")).await;
    // An annual plan: seats go up, never down.
    assert!(
        page.text("#batches tbody")
            .contains("no se puede reducir hasta la renovación"),
        "{}",
        page.text("#batches")
    );
    assert!(page.texts("#batches form").is_empty());

    let page = confirm(&app, id, "#suspend", |shown| {
        assert!(shown.text("#status-change").contains("Activa → Suspendida"));
        assert!(shown.text("#preview").contains("Sin cargo ni reembolso"));
    })
    .await;
    assert_eq!(page.text("#subscription-status"), "Suspendida");
    assert_eq!(page.text("#suspension"), "Suspendida por tu empresa");
    assert!(page.texts("#add-seats").is_empty());
    assert_eq!(
        app.count("SELECT count(*) FROM sandbox_subscriptions WHERE status = 'suspended'")
            .await,
        1
    );

    let page = confirm(&app, id, "#reactivate", |shown| {
        assert!(shown.text("#status-change").contains("Suspendida → Activa"));
    })
    .await;
    assert_eq!(page.text("#subscription-status"), "Activa");
    let steps = page.texts("#history tbody tr");
    assert!(
        steps[0].contains("Reactivada") && steps[1].contains("Suspendida por el revendedor"),
        "{steps:?}"
    );

    // Google suspends it (terms of service pending): the reseller cannot lift that one.
    sqlx::query(
        "UPDATE subscriptions SET status = 'suspended', suspension_reason = 'terms_pending'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let page = app.get(&format!("/subscriptions/{id}")).await;
    assert!(
        page.text("#suspension")
            .contains("condiciones del servicio")
    );
    assert!(page.texts("#reactivate").is_empty());
    let asked = app
        .get(&format!("/subscriptions/{id}/preview?kind=reactivate"))
        .await;
    assert_eq!(asked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        asked
            .text("#change-problem")
            .contains("El fabricante suspendió"),
        "{}",
        asked.text("main")
    );
}

#[tokio::test]
async fn a_subscription_is_cancelled_for_a_refund_only_while_every_window_is_open() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, id) = bought(&app, "10").await;
    let (start, end) = dates(&app, id).await;
    let refund = expected(-10, start, end);
    // A week later the purchase's window has closed: no cancellation.
    sqlx::query("UPDATE seat_batches SET added_at = added_at - interval '8 days', window_closes_at = window_closes_at - interval '8 days'")
        .execute(&app.db)
        .await
        .unwrap();
    let late = preview(&app, id, "#cancel", None).await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        late.text("#change-problem").contains("cerró el"),
        "{}",
        late.text("main")
    );
    sqlx::query("UPDATE seat_batches SET added_at = added_at + interval '8 days', window_closes_at = window_closes_at + interval '8 days'")
        .execute(&app.db)
        .await
        .unwrap();

    let page = confirm(&app, id, "#cancel", |shown| {
        assert!(shown.text("#status-change").contains("Activa → Cancelada"));
        assert!(
            shown.text("#money-effect").contains(&money(-refund)),
            "{}",
            shown.text("#preview")
        );
    })
    .await;
    assert_eq!(page.text("#subscription-status"), "Cancelada");
    assert!(page.texts("#changes").is_empty());
    let latest = page.texts("#history tbody tr").remove(0);
    assert!(
        latest.contains(&format!("Reembolso de {}", money(-refund))),
        "{latest}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM sandbox_subscriptions WHERE status = 'cancelled'")
            .await,
        1
    );
    // Nothing more is changed on it.
    let again = app
        .get(&format!(
            "/subscriptions/{id}/preview?kind=add_seats&quantity=1"
        ))
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The id of the product `sku`, and the reseller's price for it (yearly, billed monthly, USD).
async fn priced(app: &TestApp, sku: &str) -> (Uuid, Decimal) {
    let (id, cost, markup): (Uuid, Decimal, Decimal) = sqlx::query_as(
        "SELECT p.id, x.cost, (SELECT markup_percent FROM resellers LIMIT 1)
         FROM products p JOIN prices x ON x.product_id = p.id
         WHERE p.sku = $1 AND x.term = 'P1Y' AND x.billing = 'monthly' AND x.currency = 'USD'
           AND x.valid_from <= current_date AND (x.valid_to IS NULL OR x.valid_to > current_date)",
    )
    .bind(sku)
    .fetch_one(&app.db)
    .await
    .unwrap();
    (id, portal::catalog::rules::your_price(cost, markup))
}

#[tokio::test]
async fn j6_an_upgrade_applies_now_for_the_price_difference_and_a_downgrade_waits_for_renewal() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, id) = bought(&app, "10").await;
    let (premium, premium_price) = priced(&app, "CFQ7TTC0LCHC").await;
    let (basic, _) = priced(&app, "CFQ7TTC0LH18").await;
    let page = app.get(&format!("/subscriptions/{id}")).await;
    let upgrades = page.texts("#f-upgrade option");
    assert!(
        upgrades.len() == 1 && upgrades[0].contains("Business Premium"),
        "{upgrades:?}"
    );
    assert!(page.text("#f-next-product").contains("Business Basic"));

    // A downgrade now is refused (even asked by hand): it is scheduled instead.
    let now = app
        .get(&format!(
            "/subscriptions/{id}/preview?kind=upgrade&product={basic}"
        ))
        .await;
    assert_eq!(now.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        now.text("#change-problem").contains("solo las mejoras"),
        "{}",
        now.text("main")
    );

    let (start, end) = dates(&app, id).await;
    let difference =
        expected(10, start, end) * (premium_price - Decimal::new(1320, 2)) / Decimal::new(1320, 2);
    let shown = preview(&app, id, "#upgrade", None).await;
    assert!(
        shown
            .text("#preview")
            .contains("Mejorada a Microsoft 365 Business Premium")
    );
    let effect = shown.text("#money-effect");
    app.submit(&shown.form("#confirm-change")).await;
    drain(&app).await;
    let recorded: Decimal =
        sqlx::query_scalar("SELECT amount FROM subscription_changes WHERE kind = 'upgrade'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(effect.contains(&money(recorded)), "{effect} / {recorded}");
    assert!(
        (recorded - difference).abs() <= Decimal::new(1, 2),
        "{recorded} vs {difference}"
    );
    let page = app.get(&format!("/subscriptions/{id}")).await;
    assert!(page.text("h1").contains("Business Premium"));
    assert!(
        page.text("#subscription-facts")
            .contains(&money(premium_price))
    );
    assert_eq!(
        app.count("SELECT count(*) FROM sandbox_subscriptions WHERE sku = 'CFQ7TTC0LCHC'")
            .await,
        1
    );
    assert_eq!(
        sqlx::query_scalar::<_, Uuid>("SELECT product_id FROM subscriptions")
            .fetch_one(&app.db)
            .await
            .unwrap(),
        premium
    );

    // Back down to Business Basic with 8 seats, at renewal: nothing charged now.
    let page = app.get(&format!("/subscriptions/{id}")).await;
    let form = page
        .form("#schedule")
        .set("product", &basic.to_string())
        .set("quantity", "8");
    let shown = get_form(&app, &app.client, &form).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text("main"));
    assert!(
        shown
            .text("#preview")
            .contains("En la renovación: Microsoft 365 Business Basic, 8 licencias")
    );
    assert!(shown.text("#preview").contains("Sin cargo ni reembolso"));
    app.submit(&shown.form("#confirm-change")).await;
    drain(&app).await;
    let page = app.get(&format!("/subscriptions/{id}")).await;
    assert!(
        page.text("#scheduled")
            .contains("Microsoft 365 Business Basic, 8 licencias"),
        "{}",
        page.text("#subscription-facts")
    );
    assert_eq!(page.text("#seats"), "10");
    assert_eq!(
        app.count("SELECT next_quantity::bigint FROM sandbox_subscriptions WHERE next_sku = 'CFQ7TTC0LH18'").await,
        8
    );
    // Dropped again.
    let page = confirm(&app, id, "#unschedule", |_| {}).await;
    assert!(page.texts("#scheduled").is_empty());
    assert_eq!(
        app.count("SELECT count(*) FROM sandbox_subscriptions WHERE next_sku IS NOT NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn term_and_billing_change_at_renewal_and_the_renewal_takes_them() {
    use portal::subscriptions::renewals;
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, id) = bought(&app, "10").await;
    // Not sold so (three years, paid monthly): refused beside the form, nothing recorded.
    let page = app.get(&format!("/subscriptions/{id}")).await;
    let form = page.form("#schedule").set("offer", "P3Y/monthly");
    let refused = get_form(&app, &app.client, &form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text("main").contains("no se vende con este plazo"));
    // Not a term and billing at all: refused, not an error page.
    let form = page.form("#schedule").set("offer", "P9Y/weekly");
    assert_eq!(
        get_form(&app, &app.client, &form).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.count("SELECT count(*) FROM subscription_changes WHERE kind = 'schedule'")
            .await,
        0
    );
    // The same product and seats, paid yearly from the renewal on.
    let annual: Decimal = sqlx::query_scalar(
        "SELECT x.cost FROM prices x JOIN products p ON p.id = x.product_id
         WHERE p.sku = 'CFQ7TTC0LDPB' AND x.term = 'P1Y' AND x.billing = 'annual'
           AND x.currency = 'USD' AND x.valid_to IS NULL",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let markup: Decimal = sqlx::query_scalar("SELECT markup_percent FROM resellers LIMIT 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let annual = portal::catalog::rules::your_price(annual, markup);
    let form = page.form("#schedule").set("offer", "P1Y/annual");
    let shown = get_form(&app, &app.client, &form).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text("main"));
    assert!(
        shown
            .text("#preview")
            .contains("10 licencias, Anual (P1Y) · Facturación anual"),
        "{}",
        shown.text("#preview")
    );
    assert!(
        shown
            .text("#new-price")
            .contains(&money(annual * Decimal::from(10))),
        "{}",
        shown.text("#new-price")
    );
    app.submit(&shown.form("#confirm-change")).await;
    drain(&app).await;
    let page = app.get(&format!("/subscriptions/{id}")).await;
    assert!(
        page.text("#scheduled").contains("Facturación anual"),
        "{}",
        page.text("#subscription-facts")
    );
    assert_eq!(
        app.count("SELECT count(*) FROM sandbox_subscriptions WHERE next_billing = 'annual'")
            .await,
        1
    );
    // At term end it renews paid yearly, at the yearly price, at the vendor too.
    let today = time::OffsetDateTime::now_utc().date();
    ends_on(&app, today).await;
    let sandbox = portal::vendors::Sandbox::new(app.db.clone());
    assert_eq!(
        renewals::run(&app.db, &sandbox, today)
            .await
            .unwrap()
            .renewed,
        1
    );
    let (billing, price): (String, Decimal) =
        sqlx::query_as("SELECT billing, unit_price FROM subscriptions")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((billing.as_str(), price), ("annual", annual));
    assert_eq!(
        app.count("SELECT count(*) FROM sandbox_subscriptions WHERE billing = 'annual' AND next_billing IS NULL")
            .await,
        1
    );
    let page = app.get(&format!("/subscriptions/{id}")).await;
    assert!(page.texts("#scheduled").is_empty());
    assert!(
        page.text("#history")
            .contains("Renovada: Microsoft 365 Business Standard, 10 licencias, Anual (P1Y) · Facturación anual"),
        "{}",
        page.text("#history")
    );
}

#[tokio::test]
async fn a_longer_term_now_starts_today_with_its_money_effect_and_a_shorter_one_is_refused() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, id) = bought(&app, "10").await;
    let page = app.get(&format!("/subscriptions/{id}")).await;
    // Yearly now: only longer terms are offered (three years, paid yearly).
    let options = page.texts("#f-term option");
    assert!(
        options.len() == 1 && options[0].starts_with("Tres años (P3Y) · Facturación anual — "),
        "{options:?}"
    );
    // A shorter one, as a tampered form would ask: refused with the reason, nothing sent.
    let form = page.form("#term").set("offer", "P1M/monthly");
    let refused = get_form(&app, &app.client, &form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text("main").contains("solo puede alargarse"),
        "{}",
        refused.text("main")
    );
    let form = page.form("#term");
    let shown = get_form(&app, &app.client, &form).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text("main"));
    let today = time::OffsetDateTime::now_utc().date();
    let end = portal::subscriptions::proration::add_months(today, 36);
    assert!(
        shown
            .text("#preview")
            .contains("Plazo ahora Tres años (P3Y) · Facturación anual"),
        "{}",
        shown.text("#preview")
    );
    app.submit(&shown.form("#confirm-change")).await;
    drain(&app).await;
    let (term, billing, start, ends, amount): (String, String, time::Date, time::Date, Decimal) =
        sqlx::query_as(
            "SELECT s.term, s.billing, s.start_date, s.end_date, h.amount
             FROM subscriptions s JOIN subscription_changes h ON h.subscription_id = s.id
             WHERE h.kind = 'term' AND h.status = 'applied'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        (term.as_str(), billing.as_str(), start, ends),
        ("P3Y", "annual", today, end)
    );
    assert!(
        amount > Decimal::ZERO,
        "a year charged, the rest of the month refunded"
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM sandbox_subscriptions WHERE term = 'P3Y' AND billing = 'annual'"
        )
        .await,
        1
    );
    let page = app.get(&format!("/subscriptions/{id}")).await;
    assert!(
        page.text("#history")
            .contains("Plazo ahora Tres años (P3Y)")
    );
    // Three years is the longest: nothing longer is offered.
    assert!(page.texts("#term").is_empty());
}

/// Moves the subscription's term end to `day` (its term ends then).
async fn ends_on(app: &TestApp, day: time::Date) {
    sqlx::query("UPDATE subscriptions SET end_date = $1")
        .bind(day)
        .execute(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn at_term_end_a_subscription_renews_with_its_scheduled_change_or_expires_once() {
    use portal::subscriptions::renewals::{self, Ran};
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, id) = bought(&app, "10").await;
    let (basic, basic_price) = priced(&app, "CFQ7TTC0LH18").await;
    let page = app.get(&format!("/subscriptions/{id}")).await;
    let form = page
        .form("#schedule")
        .set("product", &basic.to_string())
        .set("quantity", "8");
    let shown = get_form(&app, &app.client, &form).await;
    app.submit(&shown.form("#confirm-change")).await;
    drain(&app).await;

    // The clock the run is given: the term ends today.
    let today = time::OffsetDateTime::now_utc().date();
    ends_on(&app, today).await;
    let sandbox = portal::vendors::Sandbox::new(app.db.clone());
    let ran = renewals::run(&app.db, &sandbox, today).await.unwrap();
    assert_eq!(
        ran,
        Ran {
            renewed: 1,
            expired: 0,
            left: 0
        }
    );
    // Run again (a second instance, a retried job): nothing more.
    assert_eq!(
        renewals::run(&app.db, &sandbox, today).await.unwrap(),
        Ran::default()
    );

    let page = app.get(&format!("/subscriptions/{id}")).await;
    assert!(page.text("h1").contains("Business Basic"));
    assert_eq!(page.text("#seats"), "8");
    assert!(
        page.text("#subscription-facts")
            .contains(&unit(basic_price))
    );
    assert!(page.texts("#scheduled").is_empty());
    let (start, end): (time::Date, time::Date) =
        sqlx::query_as("SELECT start_date, end_date FROM subscriptions")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        (start, end),
        portal::subscriptions::rules::next_term(today, portal::catalog::rules::Term::Yearly)
    );
    // The new term's seats are one batch with a new window; the old ones are spent.
    let batches = page.texts("#batches tbody tr");
    assert_eq!(batches.len(), 2, "{batches:?}");
    assert!(batches[1].contains("Se puede reducir hasta"), "{batches:?}");
    assert_eq!(app.count("SELECT sum(quantity) FROM seat_batches").await, 8);
    let latest = page.texts("#history tbody tr").remove(0);
    assert!(
        latest.contains("Renovada: Microsoft 365 Business Basic, 8 licencias")
            && latest.contains("Sistema"),
        "{latest}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM sandbox_subscriptions WHERE sku = 'CFQ7TTC0LH18' AND quantity = 8 AND next_sku IS NULL").await,
        1
    );

    // Renewal turned off: at the next term end it expires, once.
    let page = confirm(&app, id, "#auto-renew", |_| {}).await;
    assert_eq!(page.text("#renewal"), "Manual");
    ends_on(&app, today).await;
    assert_eq!(
        renewals::run(&app.db, &sandbox, today).await.unwrap(),
        Ran {
            renewed: 0,
            expired: 1,
            left: 0
        }
    );
    assert_eq!(
        renewals::run(&app.db, &sandbox, today).await.unwrap(),
        Ran::default()
    );
    let page = app.get(&format!("/subscriptions/{id}")).await;
    assert_eq!(page.text("#subscription-status"), "Vencida");
    assert!(page.texts("#history tbody tr")[0].contains("Vencida al terminar el plazo"));
    assert_eq!(
        app.count("SELECT count(*) FROM sandbox_subscriptions WHERE status = 'expired'")
            .await,
        1
    );

    // The daily job: one per date, however often it is queued.
    renewals::queue(&app.db, today).await.unwrap();
    renewals::queue(&app.db, today).await.unwrap();
    assert_eq!(
        app.count("SELECT count(*) FROM jobs WHERE kind = 'renew_subscriptions'")
            .await,
        1
    );
    drain(&app).await;
    assert_eq!(
        app.count(
            "SELECT count(*) FROM jobs WHERE kind = 'renew_subscriptions' AND state = 'done'"
        )
        .await,
        1
    );
}

/// The demo data loaded into `app`'s database, and its owner signed in.
pub(crate) async fn demo(app: &TestApp) -> TestUser {
    let hasher = portal::auth::password::PasswordHasher::default();
    portal::seed::seed_demo(&app.db, &hasher, &app.secrets)
        .await
        .unwrap();
    let (id, reseller_id): (Uuid, Uuid) =
        sqlx::query_as("SELECT id, reseller_id FROM users WHERE email = $1")
            .bind(portal::seed::DEMO_OWNER_EMAIL)
            .fetch_one(&app.db)
            .await
            .unwrap();
    let (_, _, _, seed) = portal::seed::DEMO_USERS
        .iter()
        .find(|u| u.0 == portal::seed::DEMO_OWNER_EMAIL)
        .unwrap();
    let owner = TestUser {
        id,
        email: portal::seed::DEMO_OWNER_EMAIL.into(),
        password: portal::seed::DEMO_PASSWORD.into(),
        secret: seed.to_vec(),
        reseller_id: Some(reseller_id),
    };
    app.sign_in(&owner).await;
    owner
}

/// The demo subscription of product `sku`.
async fn demo_subscription(app: &TestApp, sku: &str) -> Uuid {
    sqlx::query_scalar(
        "SELECT s.id FROM subscriptions s JOIN products p ON p.id = s.product_id WHERE p.sku = $1",
    )
    .bind(sku)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

/// J6's "done when", tried as a new user would on a fresh start with the demo data.
#[tokio::test]
async fn j6_done_when_on_the_demo_data() {
    let app = TestApp::spawn_with(no_worker()).await;
    demo(&app).await;

    // Five seats added to Business Standard: the prorated charge and the new window first.
    let standard = demo_subscription(&app, "CFQ7TTC0LDPB").await;
    let shown = preview(&app, standard, "#add-seats", Some("5")).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text("main"));
    assert!(
        shown.text("#money-effect").contains("US$"),
        "{}",
        shown.text("#preview")
    );
    assert!(
        shown
            .text("#deadline")
            .contains("se pueden reducir hasta el")
    );
    app.submit(&shown.form("#confirm-change")).await;
    drain(&app).await;
    let page = app.get(&format!("/subscriptions/{standard}")).await;
    assert_eq!(page.text("#seats"), "15");

    // Two of them back the same day, for a refund.
    let added: Uuid =
        sqlx::query_scalar("SELECT id FROM seat_batches WHERE subscription_id = $1 AND added = 5")
            .bind(standard)
            .fetch_one(&app.db)
            .await
            .unwrap();
    let shown = preview(&app, standard, &format!("#batch-{added} form"), Some("2")).await;
    assert!(
        shown.text("#preview").contains("Reembolso ahora"),
        "{}",
        shown.text("#preview")
    );
    app.submit(&shown.form("#confirm-change")).await;
    drain(&app).await;
    assert_eq!(
        app.get(&format!("/subscriptions/{standard}"))
            .await
            .text("#seats"),
        "13"
    );

    // A downgrade scheduled for renewal.
    let (basic, _) = priced(&app, "CFQ7TTC0LH18").await;
    let page = app.get(&format!("/subscriptions/{standard}")).await;
    let form = page
        .form("#schedule")
        .set("product", &basic.to_string())
        .set("quantity", "13");
    let shown = get_form(&app, &app.client, &form).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text("main"));
    app.submit(&shown.form("#confirm-change")).await;
    drain(&app).await;
    let page = app.get(&format!("/subscriptions/{standard}")).await;
    assert!(page.text("#scheduled").contains("Business Basic"));
    let history = page.text("#history");
    for step in [
        "+5 licencias (10 → 15)",
        "−2 licencias (15 → 13)",
        "En la renovación: Microsoft 365 Business Basic, 13 licencias",
        "Comprada con 10 licencias",
    ] {
        assert!(history.contains(step), "{step}: {history}");
    }

    // A Google Workspace subscription suspended and reactivated.
    let workspace = demo_subscription(&app, "GWS-BUSINESS-STANDARD").await;
    let page = confirm(&app, workspace, "#suspend", |_| {}).await;
    assert_eq!(page.text("#subscription-status"), "Suspendida");
    let page = confirm(&app, workspace, "#reactivate", |_| {}).await;
    assert_eq!(page.text("#subscription-status"), "Activa");
    // The one the demo suspended can be reactivated too.
    let starter = demo_subscription(&app, "GWS-BUSINESS-STARTER").await;
    let page = app.get(&format!("/subscriptions/{starter}")).await;
    assert_eq!(page.text("#suspension"), "Suspendida por tu empresa");
    assert_eq!(page.texts("#reactivate").len(), 1);

    // Seats bought four months ago: their window closed, on the date shown.
    let old = demo_subscription(&app, "CFQ7TTC0LH18").await;
    let page = app.get(&format!("/subscriptions/{old}")).await;
    assert!(
        page.text("#batches tbody tr")
            .contains("Ventana cerrada el")
    );
    let batch: Uuid = sqlx::query_scalar("SELECT id FROM seat_batches WHERE subscription_id = $1")
        .bind(old)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let refused = app
        .get(&format!(
            "/subscriptions/{old}/preview?kind=remove_seats&batch={batch}&quantity=1"
        ))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text(&format!("#batch-{batch} .field-error"))
            .contains("cerró el"),
        "{}",
        refused.text("main")
    );
    // And the one renewing in ten days says so on its page.
    let premium = demo_subscription(&app, "CFQ7TTC0LCHC").await;
    assert_eq!(
        app.get(&format!("/subscriptions/{premium}")).await.status,
        StatusCode::OK
    );
}

/// The products the list shows, in its order.
async fn listed(app: &TestApp, query: &str) -> Vec<String> {
    let page = app.get(&format!("/subscriptions?{query}")).await;
    assert_eq!(page.status, StatusCode::OK, "{query}");
    page.texts("#subscriptions tbody tr td:nth-child(2) a")
}

#[tokio::test]
async fn the_list_filters_sorts_and_exports_what_a_reseller_looks_for() {
    let app = TestApp::spawn_with(no_worker()).await;
    demo(&app).await;
    assert_eq!(listed(&app, "").await.len(), 6);
    let google = listed(&app, "vendor=google").await;
    assert!(
        google.len() == 2 && google.iter().all(|n| n.starts_with("Google Workspace")),
        "{google:?}"
    );
    assert_eq!(
        listed(&app, "status=suspended").await,
        ["Google Workspace Business Starter"]
    );
    // Premium ends in ten days, the Azure plan's monthly term within the month.
    let mut soon = listed(&app, "renews=30").await;
    soon.sort();
    assert_eq!(soon, ["Azure plan", "Microsoft 365 Business Premium"]);
    assert_eq!(
        listed(&app, "window=open").await,
        ["Microsoft 365 Business Standard"]
    );
    assert_eq!(
        listed(&app, "q=contoso-mx").await.len(),
        2,
        "by tenant domain"
    );
    assert_eq!(
        listed(&app, "q=business+basic").await,
        ["Microsoft 365 Business Basic"]
    );
    // A misspelt customer name (no product is called so) finds the customer's subscriptions.
    assert_eq!(
        listed(&app, "q=contosso").await.len(),
        listed(&app, "q=contoso").await.len()
    );
    assert!(!listed(&app, "q=contosso").await.is_empty());
    assert!(listed(&app, "renewal=manual").await.is_empty());
    assert_eq!(listed(&app, "term=P1Y").await.len(), 5);
    assert_eq!(listed(&app, "term=P1M").await, ["Azure plan"]);
    // Renews soonest: the one ending in ten days first; most seats: Basic's 30.
    assert_eq!(
        listed(&app, "sort=renews").await[0],
        "Microsoft 365 Business Premium"
    );
    assert_eq!(
        listed(&app, "sort=seats").await[0],
        "Microsoft 365 Business Basic"
    );
    // Unknown values are no filter, not an error.
    assert_eq!(
        listed(&app, "vendor=nope&status=x&renews=45&sort=zzz&window=maybe")
            .await
            .len(),
        6
    );
    // The filters are kept in the form and in the export link.
    let page = app
        .get("/subscriptions?vendor=google&renews=90&sort=renews")
        .await;
    assert_eq!(
        page.attr("#f-vendor option[selected]", "value").as_deref(),
        Some("google")
    );
    assert_eq!(
        page.attr("#f-renews option[selected]", "value").as_deref(),
        Some("90")
    );
    assert!(
        page.texts("#export").is_empty(),
        "nothing found, nothing to export"
    );
    let page = app.get("/subscriptions?vendor=google&sort=renews").await;
    let export = page.attr("#export", "href").unwrap();
    assert!(
        export.starts_with("/subscriptions/export.csv?") && export.contains("vendor=google"),
        "{export}"
    );
    let csv = app.body_with(&app.client, &export).await;
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        lines[0].starts_with("Cliente;Producto;SKU;Licencias"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.starts_with("Contoso") && l.contains("Google Workspace")),
        "{csv}"
    );
    // Renews soonest: Starter (bought 200 days ago) before Standard (60 days ago).
    assert!(
        lines[1].contains("Starter") && lines[2].contains("Business Standard"),
        "{csv}"
    );
    // Another reseller's export is its own (empty).
    let (_, other, _) = app.beta_owner_elsewhere().await;
    let theirs = app.body_with(&other, "/subscriptions/export.csv").await;
    assert_eq!(
        theirs.trim_start_matches('\u{feff}').lines().count(),
        1,
        "{theirs}"
    );
}

/// `n` more subscriptions like the demo's Business Basic, each with its own order line: the
/// `i`-th has `i` seats, was bought `i` minutes before it and ends `i` days after it.
async fn copies(app: &TestApp, n: i32) {
    let basic = demo_subscription(app, "CFQ7TTC0LH18").await;
    sqlx::query(
        "INSERT INTO order_lines (reseller_id, id, order_id, product_id, sku, product_name, vendor,
                                  term, billing, quantity, unit_cost, unit_price, tenant_domain,
                                  tenant_ref, status)
         SELECT l.reseller_id, md5(l.id::text || i)::uuid, l.order_id, l.product_id, l.sku,
                l.product_name, l.vendor, l.term, l.billing, l.quantity, l.unit_cost,
                l.unit_price, l.tenant_domain, l.tenant_ref, l.status
         FROM order_lines l JOIN subscriptions s ON s.order_line_id = l.id,
              generate_series(1, $2) AS i
         WHERE s.id = $1",
    )
    .bind(basic)
    .bind(n)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO subscriptions
         SELECT (jsonb_populate_record(NULL::subscriptions, to_jsonb(s) || jsonb_build_object(
                 'id', md5(s.id::text || i)::uuid,
                 'order_line_id', md5(s.order_line_id::text || i)::uuid,
                 'vendor_ref', s.vendor_ref || '-' || i, 'quantity', i,
                 'created_at', s.created_at - make_interval(mins => i),
                 'end_date', s.end_date + i))).*
         FROM subscriptions s, generate_series(1, $2) AS i WHERE s.id = $1",
    )
    .bind(basic)
    .bind(n)
    .execute(&app.db)
    .await
    .unwrap();
}

/// The vendor ids of the subscriptions a page lists.
const ROWS: &str = "#subscriptions tbody tr td:nth-child(2) span";

#[tokio::test]
async fn the_list_pages_by_keyset_in_each_sort_forwards_and_back() {
    let app = TestApp::spawn_with(no_worker()).await;
    demo(&app).await;
    copies(&app, 60).await;
    for sort in ["", "renews", "seats"] {
        let (pages, links) = app
            .walk_pages(&format!("/subscriptions?sort={sort}"), ROWS)
            .await;
        let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
        assert_eq!(sizes, [25, 25, 16], "sort {sort:?}");
        let mut all: Vec<&String> = pages.iter().flatten().collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 66, "no row twice, none left out (sort {sort:?})");
        // "Previous" from the last page leads back to the second one, row for row.
        let last = app.get(&links[2]).await;
        let back = app.get(&last.attr("a[rel=prev]", "href").unwrap()).await;
        assert_eq!(back.texts(ROWS), pages[1]);
        let first = app.get(&back.attr("a[rel=prev]", "href").unwrap()).await;
        assert_eq!(first.texts(ROWS), pages[0]);
        assert!(first.attr("a[rel=prev]", "href").is_none(), "{sort:?}");
    }
    // Most seats first, across pages: 60, 59, … and the demo's own in their place.
    let (pages, _) = app.walk_pages("/subscriptions?sort=seats", ROWS).await;
    let page = app.get("/subscriptions?sort=seats").await;
    let seats: Vec<i32> = page
        .texts("#subscriptions tbody tr td:nth-child(3) .seats")
        .iter()
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(seats.windows(2).all(|w| w[0] >= w[1]), "{seats:?}");
    assert_eq!(seats[0], 60);
    assert!(pages[2].len() == 16);
    // A search pages the same way; a cursor that is not one of ours is the first page.
    let (pages, _) = app
        .walk_pages("/subscriptions?q=business+basic", ROWS)
        .await;
    assert_eq!(pages.iter().map(Vec::len).sum::<usize>(), 61);
    for bad in ["after=%%%", "before=abc", "after=YWJj", "after=eHgAeHg"] {
        let page = app.get(&format!("/subscriptions?{bad}")).await;
        assert_eq!(page.status, StatusCode::OK, "{bad}");
        assert_eq!(page.texts("#subscriptions tbody tr").len(), 25, "{bad}");
    }
}

#[tokio::test]
async fn reminders_tell_the_users_who_change_subscriptions_once_a_day_unless_they_turned_them_off()
{
    use portal::subscriptions::reminders;
    let app = TestApp::spawn_with(no_worker()).await;
    demo(&app).await;
    let today = time::OffsetDateTime::now_utc().date();
    // Business Premium renews in a week; Business Standard's new seats can be reduced for 5 h more.
    sqlx::query("UPDATE subscriptions SET end_date = $1 FROM products p WHERE p.id = product_id AND p.sku = 'CFQ7TTC0LCHC'")
        .bind(today + time::Duration::days(7))
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("UPDATE seat_batches SET window_closes_at = now() + interval '5 hours' WHERE window_closes_at > now()")
        .execute(&app.db)
        .await
        .unwrap();
    // The owner turns them off in the profile.
    let profile = app.get("/profile").await;
    assert!(
        profile
            .attr("#reminders input[name=reminders]", "checked")
            .is_some()
    );
    let off = profile.form("#reminders").remove("reminders");
    let saved = app.submit(&off).await;
    assert!(
        saved.text(".flash").contains("recordatorios"),
        "{}",
        saved.text("main")
    );
    assert!(
        saved
            .attr("#reminders input[name=reminders]", "checked")
            .is_none()
    );

    let mailer = portal::mail::Mailer::from_config(&app.config).unwrap();
    let sent = reminders::run(&app.db, &mailer, &app.config, today)
        .await
        .unwrap();
    assert_eq!(
        sent, 1,
        "the sales user; not the owner (turned off), not billing"
    );
    assert_eq!(
        reminders::run(&app.db, &mailer, &app.config, today)
            .await
            .unwrap(),
        0,
        "once a day"
    );
    drain(&app).await;
    let mail = app.smtp.wait_for("sales@nubeandina.example").await;
    assert!(mail.subject.contains("2 suscripciones"), "{}", mail.subject);
    assert!(
        mail.text.contains(
            "Microsoft 365 Business Premium de Papelería La Esperanza (5 licencias) renueva el"
        ),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("en 7 días"), "{}", mail.text);
    assert!(
        mail.text
            .contains("10 licencias de Microsoft 365 Business Standard")
            && mail.text.contains("se pueden reducir hasta el"),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains("/subscriptions?renews=30"),
        "{}",
        mail.text
    );
    assert_eq!(app.smtp.count_to(portal::seed::DEMO_OWNER_EMAIL), 0);
    assert_eq!(app.smtp.count_to("billing@nubeandina.example"), 0);
}

#[tokio::test]
async fn the_renewal_planner_lists_the_next_90_days_with_what_each_renews_as_and_costs() {
    let app = TestApp::spawn_with(no_worker()).await;
    demo(&app).await;
    let today = time::OffsetDateTime::now_utc().date();
    // Business Basic ends in 40 days with auto-renew off: it expires.
    sqlx::query("UPDATE subscriptions SET end_date = $1, auto_renew = false FROM products p WHERE p.id = product_id AND p.sku = 'CFQ7TTC0LH18'")
        .bind(today + time::Duration::days(40))
        .execute(&app.db)
        .await
        .unwrap();
    let list = app.get("/subscriptions").await;
    let page = app.get(&list.attr("#planner-link", "href").unwrap()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text("main")
            .contains("3 renovaciones en los próximos 90 días"),
        "{}",
        page.text("main")
    );
    let rows = page.texts("#renewals tbody tr");
    assert_eq!(rows.len(), 3, "{rows:?}");
    let (_, premium_price) = priced(&app, "CFQ7TTC0LCHC").await;
    let premium = money(proration::per_period(premium_price, 5));
    assert!(
        rows[0].contains("Microsoft 365 Business Premium")
            && rows[0].contains(&format!("{premium} por mes")),
        "{rows:?}"
    );
    // The Azure plan renews each month (its usage is billed apart).
    assert!(rows[1].contains("Azure plan"), "{rows:?}");
    assert!(
        rows[2].contains("Microsoft 365 Business Basic") && rows[2].contains("Vence"),
        "{rows:?}"
    );
    // A markup of Business Premium's own prices its renewal (cost 1.05 × instead of 1.20 ×).
    let (premium_id, _) = priced(&app, "CFQ7TTC0LCHC").await;
    sqlx::query(
        "INSERT INTO product_markups (reseller_id, product_id, valid_from, markup_percent, created_by)
         SELECT reseller_id, $1, current_date, 5, id FROM users WHERE email = $2",
    )
    .bind(premium_id)
    .bind(portal::seed::DEMO_OWNER_EMAIL)
    .execute(&app.db)
    .await
    .unwrap();
    // 1.05 / 1.20 = 0.875, exactly.
    let own = money(proration::per_period(
        premium_price * Decimal::new(875, 3),
        5,
    ));
    let rows = app
        .get("/subscriptions/renewals")
        .await
        .texts("#renewals tbody tr");
    assert!(
        rows[0].contains(&format!("{own} por mes")),
        "{own} {rows:?}"
    );
    // Another reseller's planner is its own.
    let (_, other, _) = app.beta_owner_elsewhere().await;
    let theirs = app.get_with(&other, "/subscriptions/renewals").await;
    assert!(theirs.texts("#renewals").is_empty());
    assert!(theirs.text("main").contains("Ninguna suscripción termina"));
}

#[tokio::test]
async fn a_change_whose_worker_died_after_the_vendor_applied_it_is_applied_once_after_restart() {
    use crate::orders::{Script, Scripted, worker_with};
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, id) = bought(&app, "10").await;
    let shown = preview(&app, id, "#add-seats", Some("5")).await;
    app.submit(&shown.form("#confirm-change")).await;
    // The vendor applies the change, then the worker dies before recording it.
    let doomed = worker_with(&app, Scripted::new(&app, Script::DiesAfterTheVendorAnswers));
    let task = tokio::spawn(async move { doomed.run_one().await });
    for _ in 0..100 {
        if app.count("SELECT count(*) FROM sandbox_seat_batches").await == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    task.abort();
    assert_eq!(
        app.count("SELECT quantity::bigint FROM sandbox_subscriptions")
            .await,
        15
    );
    assert_eq!(
        app.count("SELECT quantity::bigint FROM subscriptions")
            .await,
        10
    );
    assert_eq!(
        app.count("SELECT count(*) FROM subscription_changes WHERE status = 'pending'")
            .await,
        1
    );
    // Its lease runs out; the job runs again, asks the vendor with the same key (applied once
    // there) and records it.
    sqlx::query("UPDATE jobs SET locked_until = now() - interval '1 second' WHERE kind = 'change_subscription'")
        .execute(&app.db)
        .await
        .unwrap();
    drain(&app).await;
    assert_eq!(
        app.count("SELECT quantity::bigint FROM subscriptions")
            .await,
        15
    );
    assert_eq!(
        app.count("SELECT quantity::bigint FROM sandbox_subscriptions")
            .await,
        15
    );
    assert_eq!(
        app.count("SELECT count(*) FROM sandbox_seat_batches").await,
        2
    );
    assert_eq!(app.count("SELECT count(*) FROM seat_batches").await, 2);
    assert_eq!(app.count("SELECT count(*) FROM subscription_changes WHERE kind = 'add_seats' AND status = 'applied'").await, 1);
}
