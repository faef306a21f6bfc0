//! Orders (J5): the cart, the rules, placing once per cart, provisioning through the job queue
//! and the vendor sandbox (success, permanent and transient failures), the order page and the
//! subscriptions list, and probes with other users' and resellers' ids.

use std::time::Duration;

use crate::common::{FormData, Page, TestApp, TestUser};
use reqwest::StatusCode;
use uuid::Uuid;

/// A reseller approved in Microsoft CSP and Google Workspace (demo catalog), its owner, and
/// an active customer with a reserved Microsoft tenant on `domain`.
pub(crate) async fn setup(app: &TestApp, domain: &str) -> (Uuid, TestUser, Uuid) {
    let (r, owner, customer) = app.reseller_with_customer().await;
    app.vendor_tenant(r, customer, "microsoft", "reserved", domain, "ms-tenant-1")
        .await;
    (r, owner, customer)
}

/// Like `setup`, with a Microsoft tenant the customer already had (linked on
/// contoso.onmicrosoft.com): an order on it brings no new tenant, so no administrator to make.
pub(crate) async fn setup_linked(app: &TestApp) -> (Uuid, TestUser, Uuid) {
    let (r, owner, customer) = app.reseller_with_customer().await;
    app.vendor_tenant(
        r,
        customer,
        "microsoft",
        "linked",
        "contoso.onmicrosoft.com",
        "ms-tenant-1",
    )
    .await;
    (r, owner, customer)
}

/// The form that puts `quantity` of `sku` (yearly, billed monthly) in the cart, found in a new
/// order for `customer`.
async fn cart_form(
    app: &TestApp,
    client: &reqwest::Client,
    customer: Uuid,
    sku: &str,
    quantity: &str,
) -> FormData {
    let page = app
        .get_with(client, &format!("/orders/new?customer={customer}&q={sku}"))
        .await;
    page.form(&format!("form#add-{sku}"))
        .set("offer", "P1Y:monthly")
        .set("quantity", quantity)
}

/// Puts `quantity` of `sku` (yearly, billed monthly) in the cart, with the customer's tenant.
pub(crate) async fn add_to_cart(
    app: &TestApp,
    client: &reqwest::Client,
    customer: Uuid,
    sku: &str,
    quantity: &str,
) -> Page {
    let form = cart_form(app, client, customer, sku, quantity).await;
    app.submit_with(client, &form).await
}

pub(crate) async fn status_of(app: &TestApp, order: Uuid) -> String {
    sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
        .bind(order)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

pub(crate) async fn wait_status(app: &TestApp, order: Uuid, want: &str) -> String {
    let mut status = String::new();
    for _ in 0..150 {
        status = status_of(app, order).await;
        if status == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if status != want {
        let jobs: Vec<(String, String, i32, Option<String>)> =
            sqlx::query_as("SELECT kind, state, attempts, last_error FROM jobs")
                .fetch_all(&app.db)
                .await
                .unwrap();
        eprintln!("jobs: {jobs:?}");
    }
    status
}

pub(crate) fn order_id(page: &Page) -> Uuid {
    page.path().trim_start_matches("/orders/").parse().unwrap()
}

#[tokio::test]
async fn j5_ten_seats_are_ordered_provisioned_and_become_a_subscription() {
    let app = TestApp::spawn().await;
    let (_, owner, customer) = setup(&app, "contoso.onmicrosoft.com").await;
    app.sign_in(&owner).await;
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LDPB", "10").await;
    // Business Standard yearly billed monthly: cost 11.00 (88 % of 12.50), your price +20 % = 13.20.
    let cart = page.text("#cart tbody tr");
    assert!(cart.contains("Microsoft 365 Business Standard"), "{cart}");
    assert!(cart.contains("contoso.onmicrosoft.com"), "{cart}");
    assert_eq!(page.text("#cart-total"), "US$ 132,00");
    // The review names the whole commitment: twelve months of 132.00, and what it binds to,
    // which placing asks to confirm.
    assert!(
        page.text("#commitment-total").contains("US$ 1.584,00"),
        "{}",
        page.text("#commitment-total")
    );
    let commitment = page.text("#commitment");
    assert!(
        commitment.starts_with("Compromiso de 1 año") && commitment.contains("7 días"),
        "{commitment}"
    );
    let confirm = page.attr("form.place-order", "data-confirm").unwrap();
    assert!(confirm.contains("Compromiso de 1 año"), "{confirm}");
    // The cart's product search has the catalog's filters.
    let found = app
        .get(&format!(
            "/orders/new?customer={customer}&program=google-workspace&category=nonsense"
        ))
        .await;
    let names = found.texts(".candidate h3");
    assert!(
        !names.is_empty() && names.iter().all(|n| n.starts_with("Google Workspace")),
        "{names:?}"
    );
    assert_eq!(
        found
            .attr("#f-program option[selected]", "value")
            .as_deref(),
        Some("google-workspace")
    );
    // The review names the program terms the order is placed under.
    let terms = page.text("#order-terms");
    assert!(
        terms.contains("Microsoft") && terms.contains("aceptados el"),
        "{terms}"
    );
    let placed = app.submit(&page.form("form.place-order")).await;
    assert_eq!(placed.status, StatusCode::OK, "{}", placed.body);
    assert!(placed.text("h1").starts_with("ORD-"));
    let order = order_id(&placed);
    assert_eq!(wait_status(&app, order, "completed").await, "completed");
    let page = app.get(&format!("/orders/{order}")).await;
    assert_eq!(page.text("#order-status"), "Completado");
    let timeline = page.texts("#timeline li");
    assert_eq!(timeline.len(), 3, "{timeline:?}");
    assert!(timeline[0].starts_with("Enviado") && timeline[2].starts_with("Completado"));
    // Times are in the reseller's time zone (Mexico City by default); the steps the portal
    // took itself say so, in words.
    assert!(timeline[0].contains(" CST"), "{timeline:?}");
    assert!(timeline[2].contains("Sistema"), "{timeline:?}");
    assert!(!page.text("#timeline").contains("worker"));
    let (quantity, vendor_ref, end_after_start): (i32, String, bool) =
        sqlx::query_as("SELECT quantity, vendor_ref, end_date > start_date FROM subscriptions")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(quantity, 10);
    assert!(vendor_ref.starts_with("microsoft-sub-"));
    assert!(end_after_start);
    let subs = app.get("/subscriptions").await;
    assert!(
        subs.text("#subscriptions tbody tr")
            .contains("Microsoft 365 Business Standard")
    );
    for (q, rows) in [
        ("business+standard", 1),
        ("contoso", 1),
        ("CFQ7TTC0LDPB", 1),
        ("teams+premium", 0),
    ] {
        let found = app.get(&format!("/subscriptions?q={q}")).await;
        assert_eq!(found.texts("#subscriptions tbody tr").len(), rows, "{q}");
    }
    let mail = app.smtp.wait_for(&owner.email).await;
    assert!(mail.subject.contains("completado"), "{}", mail.subject);
    assert!(mail.link_to(&format!("/orders/{order}")).is_some());
    // The list finds it by number, customer and product.
    let number = page.text("h1");
    for q in [number.as_str(), "contoso", "business standard"] {
        let list = app
            .get(&format!(
                "/orders?q={}",
                url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
            ))
            .await;
        assert_eq!(list.texts("#orders tbody tr").len(), 1, "{q}");
    }
    // The cart was used up: a new one is empty.
    let page = app.get(&format!("/orders/new?customer={customer}")).await;
    assert!(page.texts("#cart tbody tr").is_empty());
    // The customer page shows the subscription and the order; the list filters by customer.
    let page = app.get(&format!("/customers/{customer}")).await;
    assert!(
        page.text("#customer-subscriptions tbody tr")
            .contains("Microsoft 365 Business Standard")
    );
    assert_eq!(page.text("#customer-orders tbody tr a"), number);
    let list = app.get(&format!("/orders?customer={customer}")).await;
    assert_eq!(list.texts("#orders tbody tr").len(), 1);
    let list = app
        .get(&format!("/orders?customer={}", Uuid::new_v4()))
        .await;
    assert!(list.texts("#orders tbody tr").is_empty());
}

#[tokio::test]
async fn placing_the_same_cart_twice_at_once_creates_one_order() {
    let app = TestApp::spawn().await;
    let (r, owner, customer) = setup(&app, "contoso.onmicrosoft.com").await;
    app.sign_in(&owner).await;
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LH18", "5").await;
    let form = page.form("form.place-order");
    let (a, b, c) = tokio::join!(app.submit(&form), app.submit(&form), app.submit(&form));
    assert_eq!(order_id(&a), order_id(&b));
    assert_eq!(order_id(&b), order_id(&c));
    assert_eq!(
        app.count_with("SELECT count(*) FROM orders WHERE reseller_id = $1", r)
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM jobs WHERE kind = 'provision_order'")
            .await,
        1
    );
    assert_eq!(
        wait_status(&app, order_id(&a), "completed").await,
        "completed"
    );
    assert_eq!(app.count("SELECT count(*) FROM subscriptions").await, 1);
}

#[tokio::test]
async fn the_lines_of_an_ordered_cart_no_longer_change() {
    let app = TestApp::spawn().await;
    let (_, owner, customer) = setup(&app, "contoso.onmicrosoft.com").await;
    app.sign_in(&owner).await;
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LH18", "5").await;
    // The forms of the cart as they were before placing.
    let remove = page.form("#cart form[action$='/delete']");
    let quantity = page
        .form("#cart form[action$='/quantity']")
        .set("quantity", "9");
    app.submit(&page.form("form.place-order")).await;
    let lines = "SELECT count(*) FROM cart_lines l JOIN carts c ON c.id = l.cart_id
                 WHERE c.status = 'ordered' AND l.quantity = 5";
    assert_eq!(app.count(lines).await, 1);
    // Sent again from the old page: the ordered cart keeps its line and its quantity.
    app.submit(&remove).await;
    app.submit(&quantity).await;
    assert_eq!(app.count(lines).await, 1);
}

#[tokio::test]
async fn a_permanent_vendor_failure_shows_its_reason_on_the_order_page() {
    let app = TestApp::spawn().await;
    let (_, owner, customer) = setup(&app, "payment-declined.onmicrosoft.com").await;
    app.sign_in(&owner).await;
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LH18", "3").await;
    let placed = app.submit(&page.form("form.place-order")).await;
    let order = order_id(&placed);
    assert_eq!(wait_status(&app, order, "failed").await, "failed");
    let page = app.choose_language("en", "/orders").await;
    let page = app
        .get(&page.attr("#orders tbody a", "href").unwrap())
        .await;
    assert_eq!(page.text("#order-status"), "Failed");
    assert_eq!(
        page.text(".flash-error"),
        "The vendor declined the reseller's payment method."
    );
    assert!(page.text("#lines").contains("declined"));
    assert_eq!(app.count("SELECT count(*) FROM subscriptions").await, 0);
    let mail = app.smtp.wait_for(&owner.email).await;
    assert!(mail.text.contains("rechaz"), "{}", mail.text);
}

#[tokio::test]
async fn a_transient_vendor_error_is_retried_and_the_order_completes_once() {
    let app = TestApp::spawn().await;
    let (_, owner, customer) = setup(&app, "flaky.onmicrosoft.com").await;
    app.sign_in(&owner).await;
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LH18", "2").await;
    let order = order_id(&app.submit(&page.form("form.place-order")).await);
    // The first attempt failed and is waiting for its retry; make it due now.
    for _ in 0..100 {
        let waiting: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM jobs WHERE kind = 'provision_order' AND state = 'queued' AND attempts = 1)")
            .fetch_one(&app.db)
            .await
            .unwrap();
        if waiting {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sqlx::query("UPDATE jobs SET run_at = now() WHERE kind = 'provision_order'")
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("SELECT pg_notify('portal_jobs', '')")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(wait_status(&app, order, "completed").await, "completed");
    let (subs, vendor_subs): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM subscriptions), (SELECT count(*) FROM sandbox_subscriptions)",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((subs, vendor_subs), (1, 1));
}

#[tokio::test]
async fn the_rules_refuse_what_cannot_be_ordered_and_nothing_is_placed() {
    let app = TestApp::spawn().await;
    let (r, owner, customer) = setup(&app, "contoso.onmicrosoft.com").await;
    app.sign_in(&owner).await;
    // Copilot is an add-on: without its base product it cannot be ordered.
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0MM8R", "1").await;
    assert!(page.text("#cart tbody tr").contains("producto base"));
    assert!(
        page.attr("form.place-order button[disabled]", "disabled")
            .is_some()
    );
    // With the base product in the same cart it can.
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LDPB", "1").await;
    assert!(
        page.texts("#cart tr.problem").is_empty(),
        "{}",
        page.text("#cart")
    );
    // Too many seats.
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LH18", "301").await;
    assert!(page.text("#cart").contains("mínimo y máximo"));
    let refused = app.submit(&page.form("form.place-order")).await;
    assert_eq!(
        refused.text(".flash-error"),
        "Corrige las líneas marcadas antes de realizar el pedido."
    );
    // A program the reseller is not approved in (Azure), and an inactive customer.
    // Fewer seats make the line orderable; a quantity that is not a number is refused.
    let change = page.form("#cart tbody tr.problem form.quantity-form");
    let refused = app.submit(&change.clone().set("quantity", "diez")).await;
    assert!(refused.text(".flash-error").contains("número entero"));
    assert!(refused.text("#cart").contains("mínimo y máximo"));
    let page = app.submit(&change.set("quantity", "300")).await;
    assert!(
        page.texts("#cart tr.problem").is_empty(),
        "{}",
        page.text("#cart")
    );
    let page = app
        .submit(
            &page
                .form("#cart tbody tr:last-child form.quantity-form")
                .set("quantity", "301"),
        )
        .await;
    let line = page.form("#cart tbody tr.problem form[action$='/delete']");
    let page = app.submit(&line).await;
    assert!(page.texts("#cart tr.problem").is_empty());
    sqlx::query("UPDATE customers SET status = 'inactive' WHERE id = $1")
        .bind(customer)
        .execute(&app.db)
        .await
        .unwrap();
    let page = app.get(&format!("/orders/new?customer={customer}")).await;
    assert!(page.text("#cart").contains("inactivo"));
    let refused = app.submit(&page.form("form.place-order")).await;
    assert!(refused.text(".flash-error").starts_with("Corrige"));
    assert_eq!(
        app.count_with("SELECT count(*) FROM orders WHERE reseller_id = $1", r)
            .await,
        0
    );
    // A product of a program that is not approved.
    sqlx::query("UPDATE customers SET status = 'active' WHERE id = $1")
        .bind(customer)
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("DELETE FROM program_enrollments WHERE reseller_id = $1")
        .bind(r)
        .execute(&app.db)
        .await
        .unwrap();
    let page = app.get(&format!("/orders/new?customer={customer}")).await;
    assert!(page.text("#cart").contains("no solicitó este programa"));
}

#[tokio::test]
async fn carts_and_orders_of_others_answer_404_and_forged_tenants_are_ignored() {
    let app = TestApp::spawn().await;
    let (r, owner, customer) = setup(&app, "contoso.onmicrosoft.com").await;
    app.sign_in(&owner).await;
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LH18", "1").await;
    let place_action = page.attr("form.place-order", "action").unwrap();
    let placed = app.submit(&page.form("form.place-order")).await;
    let order = order_id(&placed);
    // A colleague cannot use this user's cart; another reseller sees neither cart nor order.
    let colleague = app.user(Some(r), "sales@alfa.example", "sales").await;
    let b = app.reseller("Beta", "BET180512AB1").await;
    let stranger = app.user(Some(b), "owner@beta.example", "owner").await;
    for user in [&colleague, &stranger] {
        let (c, landed) = app.sign_in_elsewhere(user).await;
        let forged = app
            .post_form(&c, &place_action, &landed.csrf_token(), &[])
            .await;
        assert_eq!(forged.status(), StatusCode::NOT_FOUND, "{}", user.email);
        if user.email == stranger.email {
            assert_eq!(
                app.get_with(&c, &format!("/orders/{order}")).await.status,
                StatusCode::NOT_FOUND
            );
            assert_eq!(
                app.get_with(&c, &format!("/orders/new?customer={customer}"))
                    .await
                    .status,
                StatusCode::NOT_FOUND
            );
            assert!(!app.get_with(&c, "/orders").await.body.contains("Contoso"));
            assert!(
                !app.get_with(&c, "/subscriptions")
                    .await
                    .body
                    .contains("Contoso")
            );
        }
    }
    // A tenant id of another customer in the form is not accepted.
    let other_customer: Uuid = sqlx::query_scalar(
        "INSERT INTO customers (reseller_id, legal_name, tax_id, country, contact_name, contact_email, contact_phone,
                                billing_email, address_line1, city, region_name, creation_key)
         VALUES ($1, 'Otro', 'OTR180512AB3', 'MX', 'x', 'x@x.example', '+52 55 5555 5555', 'x@x.example', 'x', 'x', 'x', gen_random_uuid())
         RETURNING id",
    )
    .bind(r)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let foreign_tenant = app
        .vendor_tenant(
            r,
            other_customer,
            "microsoft",
            "reserved",
            "otro.onmicrosoft.com",
            "t",
        )
        .await;
    let page = app
        .get(&format!("/orders/new?customer={customer}&q=CFQ7TTC0LH18"))
        .await;
    // The picker proposes a year billed monthly (not the dearer month to month), each offer
    // with its price per billing period.
    assert_eq!(
        page.attr("#o-CFQ7TTC0LH18 option[selected]", "value")
            .as_deref(),
        Some("P1Y:monthly")
    );
    let labels = page.texts("#o-CFQ7TTC0LH18 option");
    assert_eq!(labels.len(), 4, "{labels:?}");
    assert!(labels.iter().all(|l| l.contains(" — US$ ")), "{labels:?}");
    let form = page
        .form("form#add-CFQ7TTC0LH18")
        .set("offer", "P1Y:monthly")
        .set("tenant", &foreign_tenant.to_string());
    let page = app.submit(&form).await;
    assert!(!page.text("#cart").contains("otro.onmicrosoft.com"));
    assert!(page.text("#cart").contains("Elige el tenant"));
    // Nor in the configure step; an unknown vendor or mode is a bad request.
    let configure = page.form("#configure-microsoft-existing");
    let refused = app
        .submit(&configure.clone().set("tenant", &foreign_tenant.to_string()))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text(".field-error")
            .starts_with("Elige uno de los tenants")
    );
    assert!(!refused.text("#cart").contains("otro.onmicrosoft.com"));
    for (field, value) in [("vendor", "amazon"), ("mode", "steal")] {
        let bad = app.submit(&configure.clone().set(field, value)).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{field}");
    }
    // Another reseller's cart cannot be configured either.
    let (c, landed) = app.sign_in_elsewhere(&stranger).await;
    let forged = app
        .post_form(
            &c,
            &configure.action,
            &landed.csrf_token(),
            &[("vendor", "microsoft"), ("mode", "existing")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn staff_retry_a_failed_order_or_reject_it_with_a_reason_the_reseller_reads() {
    let app = TestApp::spawn().await;
    let (r, owner, customer) = setup(&app, "payment-declined.onmicrosoft.com").await;
    app.sign_in(&owner).await;
    let mut orders = Vec::new();
    for _ in 0..2 {
        let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LH18", "3").await;
        let order = order_id(&app.submit(&page.form("form.place-order")).await);
        assert_eq!(wait_status(&app, order, "failed").await, "failed");
        orders.push(order);
    }
    // Resellers have no way into the staff pages.
    assert_eq!(app.get("/staff/orders").await.status, StatusCode::FORBIDDEN);
    let staff = app.staff("staff@distri.example").await;
    let (s, _) = app.sign_in_elsewhere(&staff).await;
    let list = app
        .get_with(&s, "/staff/orders?status=failed&reseller=alfa")
        .await;
    assert_eq!(
        list.texts("#staff-orders tbody tr").len(),
        2,
        "{}",
        list.body
    );
    // Vendors read by their names, not their codes.
    assert_eq!(
        list.texts("#staff-orders tbody td:nth-child(4)"),
        ["Microsoft", "Microsoft"]
    );
    assert!(
        app.get_with(&s, "/staff/orders?reseller=nobody-like-this")
            .await
            .texts("#staff-orders tbody tr")
            .is_empty()
    );

    // The reseller fixed its payment method with the vendor: staff retry the first order.
    portal::vendors::Sandbox::new(app.db.clone())
        .fix_payment("payment-declined.onmicrosoft.com")
        .await
        .unwrap();
    let url = format!("/staff/orders/{r}/{}", orders[0]);
    let page = app.get_with(&s, &url).await;
    let retried = app
        .submit_with(
            &s,
            &page
                .form("form[action$='/decide']")
                .set("decision", "retry"),
        )
        .await;
    assert_eq!(retried.path(), url);
    assert_eq!(wait_status(&app, orders[0], "completed").await, "completed");
    assert_eq!(app.audited("order_retried").await, 1);

    // The second is rejected; a reason is required and what was typed is kept.
    let url = format!("/staff/orders/{r}/{}", orders[1]);
    let page = app.get_with(&s, &url).await;
    let form = page
        .form("form[action$='/decide']")
        .set("decision", "reject");
    let refused = app.submit_with(&s, &form.clone().set("reason", "  ")).await;
    assert!(
        refused
            .html()
            .select(&scraper::Selector::parse("#e-reason").unwrap())
            .next()
            .is_some()
    );
    assert_eq!(status_of(&app, orders[1]).await, "failed");
    app.submit_with(
        &s,
        &form
            .clone()
            .set("reason", "Tarjeta vencida; actualícela y pida de nuevo."),
    )
    .await;
    assert_eq!(wait_status(&app, orders[1], "rejected").await, "rejected");
    let seen = app.get(&format!("/orders/{}", orders[1])).await;
    assert!(seen.body.contains("Tarjeta vencida"), "{}", seen.body);
    // A rejected order cannot be retried afterwards (the stale form says it was decided).
    let again = app.submit_with(&s, &form.set("decision", "retry")).await;
    assert!(!again.text(".flash-error").is_empty(), "{}", again.body);
    assert_eq!(wait_status(&app, orders[1], "rejected").await, "rejected");
    assert_eq!(app.audited("order_rejected").await, 1);
}

#[tokio::test]
async fn staff_retry_one_failed_line_and_the_order_completes_when_the_last_one_does() {
    let app = TestApp::spawn().await;
    let (r, owner, customer) = setup(&app, "payment-declined.onmicrosoft.com").await;
    app.sign_in(&owner).await;
    add_to_cart(&app, &app.client, customer, "CFQ7TTC0LH18", "3").await;
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LDPB", "10").await;
    let order = order_id(&app.submit(&page.form("form.place-order")).await);
    assert_eq!(wait_status(&app, order, "failed").await, "failed");
    portal::vendors::Sandbox::new(app.db.clone())
        .fix_payment("payment-declined.onmicrosoft.com")
        .await
        .unwrap();
    let staff = app.staff("staff@distri.example").await;
    let (s, _) = app.sign_in_elsewhere(&staff).await;
    let url = format!("/staff/orders/{r}/{order}");
    let page = app.get_with(&s, &url).await;
    let retry_forms = page.texts("form.retry-line button");
    assert_eq!(
        retry_forms.len(),
        2,
        "one retry per failed line: {}",
        page.body
    );
    let lines: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM order_lines WHERE order_id = $1 ORDER BY sku")
            .bind(order)
            .fetch_all(&app.db)
            .await
            .unwrap();
    let (first, second) = (lines[0], lines[1]);
    let line_status = |line: Uuid| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT status FROM order_lines WHERE id = $1")
                .bind(line)
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    let retry = |p: &Page, line: &str| {
        p.form("form.retry-line")
            .set("line", line)
            .set("decision", "retry")
    };

    // A line that is not one of this order's failed lines changes nothing; a line id that is
    // not an id is a bad request.
    let stranger = app
        .submit_with(&s, &retry(&page, &Uuid::new_v4().to_string()))
        .await;
    assert!(
        !stranger.text(".flash-error").is_empty(),
        "{}",
        stranger.body
    );
    let garbage = app.submit_with(&s, &retry(&page, "1 OR 1=1")).await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    assert_eq!(line_status(first).await, "failed");
    assert_eq!(app.audited("order_retried").await, 0);

    // The first line alone goes back to the vendor: it completes, the other stays failed, and
    // so does the order, with the retried product named on its timeline.
    app.submit_with(&s, &retry(&page, &first.to_string())).await;
    assert_eq!(wait_status(&app, order, "failed").await, "failed");
    assert_eq!(line_status(first).await, "completed");
    assert_eq!(line_status(second).await, "failed");
    assert_eq!(app.count("SELECT count(*) FROM subscriptions").await, 1);
    let page = app.get_with(&s, &url).await;
    assert_eq!(page.texts("form.retry-line button").len(), 1);
    let product: String = sqlx::query_scalar("SELECT product_name FROM order_lines WHERE id = $1")
        .bind(first)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(
        page.text("#timeline").contains(&product),
        "{}",
        page.text("#timeline")
    );

    // The last failed line, retried, completes the order.
    app.submit_with(&s, &retry(&page, &second.to_string()))
        .await;
    assert_eq!(wait_status(&app, order, "completed").await, "completed");
    assert_eq!(app.count("SELECT count(*) FROM subscriptions").await, 2);
    assert_eq!(app.audited("order_retried").await, 2);
}

#[tokio::test]
async fn a_new_microsoft_tenant_is_checked_confirmed_and_created_inside_the_order() {
    let app = TestApp::spawn().await;
    let (_, owner, customer) = app.reseller_with_customer().await;
    // Another reseller's customer already holds contoso.onmicrosoft.com at Microsoft.
    sqlx::query(
        "INSERT INTO sandbox_domains (vendor, domain, reseller_id, customer_id, tenant_ref)
         VALUES ('microsoft', 'contoso.onmicrosoft.com', gen_random_uuid(), gen_random_uuid(), 'x')",
    )
    .execute(&app.db)
    .await
    .unwrap();
    app.sign_in(&owner).await;
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LDPB", "10").await;
    assert!(page.text("#cart").contains("paso de configuración"));
    assert!(
        page.attr("form.place-order button[disabled]", "disabled")
            .is_some()
    );
    assert!(page.text("#configure-microsoft h3").contains("sin elegir"));
    // The prefix and the vendor's data start from the customer record.
    let form = page.form("#configure-microsoft-new");
    assert_eq!(form.get("prefix"), Some("contosomexico"));
    assert_eq!(form.get("company"), Some("Contoso México"));
    assert_eq!(form.get("postal_code"), Some("06600"));

    let check = |prefix: &str| form.clone().set("prefix", prefix).set("intent", "check");
    let taken = app.submit(&check("Contoso")).await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        taken.text("#e-prefix"),
        "Ese dominio ya lo usa otro cliente de la plataforma."
    );
    let invalid = app.submit(&check("con toso!")).await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(invalid.text("#e-prefix").contains("27"));
    let free = app.submit(&check("contosomx")).await;
    assert_eq!(free.status, StatusCode::OK);
    assert!(free.text(".notice").contains("contosomx.onmicrosoft.com"));
    // Wrong vendor data is refused beside its field, keeping what was typed.
    let bad = app
        .submit(
            &free
                .form("#configure-microsoft-new")
                .set("contact_email", "ana@")
                .set("city", "")
                .set("intent", "apply"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!bad.text("#e-contact_email").is_empty());
    assert_eq!(bad.text("#e-city"), "Este campo es obligatorio.");
    let again = bad.form("#configure-microsoft-new");
    assert_eq!(again.get("prefix"), Some("contosomx"));
    assert_eq!(again.get("contact_email"), Some("ana@"));
    assert_eq!(app.count("SELECT count(*) FROM customer_tenants").await, 0);

    let done = app
        .submit(
            &again
                .set("contact_email", "it@contoso.example")
                .set("city", "Ciudad de México")
                .set("intent", "apply"),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(
        done.text(".flash-success")
            .contains("contosomx.onmicrosoft.com")
    );
    assert_eq!(done.text("#chosen-microsoft"), "contosomx.onmicrosoft.com");
    assert!(
        done.text("#cart tbody tr")
            .contains("contosomx.onmicrosoft.com")
    );
    let (origin, email, at_vendor): (String, String, String) = sqlx::query_as(
        "SELECT t.origin, t.vendor_profile->>'contact_email', s.profile->>'company'
         FROM customer_tenants t JOIN sandbox_domains s ON s.vendor = t.vendor AND s.domain = t.domain
         WHERE t.domain = 'contosomx.onmicrosoft.com'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        (origin.as_str(), email.as_str(), at_vendor.as_str()),
        ("reserved", "it@contoso.example", "Contoso México")
    );
    // A second Microsoft line takes the tenant the cart already uses.
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LH18", "2").await;
    assert_eq!(
        page.texts("#cart tbody tr.problem").len(),
        0,
        "{}",
        page.text("#cart")
    );
    assert_eq!(page.text("#chosen-microsoft"), "contosomx.onmicrosoft.com");
    let order = order_id(&app.submit(&page.form("form.place-order")).await);
    assert_eq!(wait_status(&app, order, "completed").await, "completed");
    let seats: Vec<i32> =
        sqlx::query_scalar("SELECT quantity FROM subscriptions ORDER BY quantity")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(seats, [2, 10]);
    // On the customer's page the tenant now reads as created by the order, not as a reserve.
    let customer_page = app.get(&format!("/customers/{customer}")).await;
    let tenant = customer_page.text("#tenants tbody tr");
    assert!(tenant.contains("creado por un pedido"), "{tenant}");
    assert!(!tenant.contains("reserv"), "{tenant}");
}

#[tokio::test]
async fn a_google_workspace_transfer_needs_a_valid_token_naming_the_reseller() {
    let app = TestApp::spawn().await;
    let (r, owner, customer) = app.reseller_with_customer().await;
    let public_id = app.public_id(r).await;
    // The customer's Google admin console issues tokens (the sandbox plays it).
    let google = portal::vendors::Sandbox::new(app.db.clone());
    let days = time::Duration::days(14);
    let good = google
        .issue_transfer_token("contoso-mx.example", &public_id, days)
        .await
        .unwrap();
    let other_reseller = google
        .issue_transfer_token("contoso-mx.example", "R-OTHER1", days)
        .await
        .unwrap();
    let expired = google
        .issue_transfer_token(
            "contoso-mx.example",
            &public_id,
            time::Duration::minutes(-1),
        )
        .await
        .unwrap();
    let other_domain = google
        .issue_transfer_token("fabrikam.example", &public_id, days)
        .await
        .unwrap();
    app.sign_in(&owner).await;
    let page = add_to_cart(&app, &app.client, customer, "GWS-BUSINESS-STANDARD", "25").await;
    // The page explains where the token comes from, with this reseller's public id.
    let help = page.text("#transfer-help");
    assert!(
        help.contains(&public_id) && help.contains("Google"),
        "{help}"
    );
    let form = page
        .form("#configure-google-transfer")
        .set("domain", "Contoso-MX.example");
    for (token, message) in [
        ("NOPE-NOPE-NOPE", "no reconoce"),
        (other_reseller.as_str(), "otro revendedor"),
        (expired.as_str(), "venció"),
        (other_domain.as_str(), "otro dominio"),
        ("", "obligatorio"),
    ] {
        let refused = app.submit(&form.clone().set("token", token)).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{token}");
        assert!(
            refused.text("#e-token").contains(message),
            "{token}: {}",
            refused.text("#e-token")
        );
        assert_eq!(
            refused.form("#configure-google-transfer").get("domain"),
            Some("Contoso-MX.example")
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM customer_tenants").await, 0);
    // Typed with spaces and in lower case, the good token is accepted.
    let typed = format!(" {} ", good.to_lowercase().replace('-', " - "));
    let done = app.submit(&form.set("token", &typed)).await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.text("#chosen-google").contains("contoso-mx.example"));
    assert!(done.text("#chosen-google").contains("transferencia"));
    let order = order_id(&app.submit(&done.form("form.place-order")).await);
    assert_eq!(wait_status(&app, order, "completed").await, "completed");
    let (origin, vendor_ref, quantity): (String, String, i32) = sqlx::query_as(
        "SELECT t.origin, s.vendor_ref, s.quantity FROM subscriptions s, customer_tenants t",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(origin, "transfer");
    assert!(vendor_ref.starts_with("google-transfer-"), "{vendor_ref}");
    assert_eq!(quantity, 25);
    let page = app.get(&format!("/orders/{order}")).await;
    assert!(page.text("#lines").contains("contoso-mx.example"));
}

#[tokio::test]
async fn a_transfer_token_that_expires_before_provisioning_fails_the_order_with_its_reason() {
    let app = TestApp::spawn().await;
    let (r, owner, customer) = app.reseller_with_customer().await;
    let public_id = app.public_id(r).await;
    let google = portal::vendors::Sandbox::new(app.db.clone());
    let token = google
        .issue_transfer_token("contoso-mx.example", &public_id, time::Duration::days(1))
        .await
        .unwrap();
    app.sign_in(&owner).await;
    let page = add_to_cart(&app, &app.client, customer, "GWS-BUSINESS-STANDARD", "5").await;
    let done = app
        .submit(
            &page
                .form("#configure-google-transfer")
                .set("domain", "contoso-mx.example")
                .set("token", &token),
        )
        .await;
    sqlx::query("UPDATE sandbox_transfer_tokens SET expires_at = now() - interval '1 minute'")
        .execute(&app.db)
        .await
        .unwrap();
    let order = order_id(&app.submit(&done.form("form.place-order")).await);
    assert_eq!(wait_status(&app, order, "failed").await, "failed");
    let page = app.get(&format!("/orders/{order}")).await;
    assert!(
        page.text(".flash-error").contains("venció"),
        "{}",
        page.text(".flash-error")
    );
    assert_eq!(app.count("SELECT count(*) FROM subscriptions").await, 0);
}

#[tokio::test]
async fn a_price_changed_since_it_was_added_is_shown_and_placing_asks_again() {
    let app = TestApp::spawn().await;
    let (r, owner, customer) = setup(&app, "contoso.onmicrosoft.com").await;
    app.sign_in(&owner).await;
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LDPB", "10").await;
    assert_eq!(page.text("#cart-total"), "US$ 132,00");
    assert!(page.texts("#price-changes").is_empty());
    let stale = page.form("form.place-order");
    // The distributor raises the cost from 11.00 to 12.00 while the page is open.
    sqlx::query(
        "UPDATE prices SET cost = 12.00 WHERE currency = 'USD' AND term = 'P1Y' AND billing = 'monthly'
           AND product_id = (SELECT id FROM products WHERE sku = 'CFQ7TTC0LDPB')",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let refused = app.submit(&stale).await;
    assert!(
        refused
            .text(".flash-error")
            .starts_with("Los precios o las líneas cambiaron")
    );
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 0);
    // The cart shows the new price, the old one beside it, and asks to place again.
    assert!(!refused.text("#price-changes").is_empty());
    assert_eq!(refused.text(".price-was"), "antes US$ 13,20");
    assert_eq!(refused.text("#cart-total"), "US$ 144,00");
    assert!(
        refused
            .text("form.place-order button")
            .contains("nuevos precios")
    );
    let placed = app.submit(&refused.form("form.place-order")).await;
    let order = order_id(&placed);
    let total: rust_decimal::Decimal =
        sqlx::query_scalar("SELECT total_price FROM orders WHERE id = $1")
            .bind(order)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(total.to_string(), "144.00");

    // Lines quoted in USD are refused once the reseller is billed in BRL.
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LH18", "1").await;
    assert!(page.texts("#cart tr.problem").is_empty());
    sqlx::query("UPDATE resellers SET billing_currency = 'BRL' WHERE id = $1")
        .bind(r)
        .execute(&app.db)
        .await
        .unwrap();
    let page = app.get(&format!("/orders/new?customer={customer}")).await;
    assert!(
        page.text("#cart tr.problem").contains("otra moneda"),
        "{}",
        page.text("#cart")
    );
    assert!(
        page.attr("form.place-order button[disabled]", "disabled")
            .is_some()
    );
}

/// How a scripted vendor's subscription call behaves (the rest is the sandbox's).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Script {
    /// Succeeds at the sandbox, then never returns: the worker dies holding the job.
    DiesAfterTheVendorAnswers,
    /// Takes this long, then answers as the sandbox does.
    Slow(Duration),
    /// Panics.
    Panics,
    /// Never answers.
    Hangs,
}

/// The sandbox with a scripted subscription call, counting the calls.
pub(crate) struct Scripted {
    sandbox: portal::vendors::Sandbox,
    script: Script,
    calls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Scripted {
    pub(crate) fn new(app: &TestApp, script: Script) -> Self {
        Self {
            sandbox: portal::vendors::Sandbox::new(app.db.clone()),
            script,
            calls: Default::default(),
        }
    }
}

#[async_trait::async_trait]
impl portal::vendors::Vendor for Scripted {
    async fn domain_available(
        &self,
        vendor: portal::vendors::VendorCode,
        domain: &str,
        owner: portal::vendors::TenantOwner,
    ) -> anyhow::Result<bool> {
        self.sandbox.domain_available(vendor, domain, owner).await
    }
    async fn claim_tenant(
        &self,
        vendor: portal::vendors::VendorCode,
        domain: &str,
        owner: portal::vendors::TenantOwner,
        existing: bool,
    ) -> anyhow::Result<portal::vendors::Claim> {
        self.sandbox
            .claim_tenant(vendor, domain, owner, existing)
            .await
    }
    async fn create_tenant(
        &self,
        vendor: portal::vendors::VendorCode,
        domain: &str,
        owner: portal::vendors::TenantOwner,
        profile: &portal::vendors::TenantProfile,
    ) -> anyhow::Result<portal::vendors::Claim> {
        self.sandbox
            .create_tenant(vendor, domain, owner, profile)
            .await
    }
    async fn transfer_tenant(
        &self,
        domain: &str,
        token: &str,
        partner_id: &str,
        owner: portal::vendors::TenantOwner,
    ) -> Result<String, portal::vendors::VendorError> {
        self.sandbox
            .transfer_tenant(domain, token, partner_id, owner)
            .await
    }
    async fn create_subscription(
        &self,
        request: &portal::vendors::SubscriptionRequest<'_>,
    ) -> Result<String, portal::vendors::VendorError> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        match self.script {
            Script::DiesAfterTheVendorAnswers => {
                let _ = self.sandbox.create_subscription(request).await;
                std::future::pending().await
            }
            Script::Slow(wait) => {
                tokio::time::sleep(wait).await;
                self.sandbox.create_subscription(request).await
            }
            Script::Panics => panic!("the vendor's answer could not be read"),
            Script::Hangs => std::future::pending().await,
        }
    }
    async fn change_subscription(
        &self,
        request: &portal::vendors::ChangeRequest<'_>,
    ) -> Result<(), portal::vendors::VendorError> {
        let answer = self.sandbox.change_subscription(request).await;
        if self.script == Script::DiesAfterTheVendorAnswers {
            return std::future::pending().await;
        }
        answer
    }
    async fn create_user(
        &self,
        user: &portal::vendors::directory::NewUser<'_>,
    ) -> Result<portal::vendors::directory::CreatedUser, portal::vendors::VendorError> {
        self.sandbox.create_user(user).await
    }
    async fn change_user(
        &self,
        request: &portal::vendors::directory::UserChangeRequest<'_>,
    ) -> Result<(), portal::vendors::VendorError> {
        let answer = self.sandbox.change_user(request).await;
        if self.script == Script::DiesAfterTheVendorAnswers {
            return std::future::pending().await;
        }
        answer
    }
    async fn list_users(
        &self,
        vendor: portal::vendors::VendorCode,
        tenant_ref: &str,
        tenant_domain: &str,
    ) -> Result<Vec<portal::vendors::directory::VendorUser>, portal::vendors::VendorError> {
        self.sandbox
            .list_users(vendor, tenant_ref, tenant_domain)
            .await
    }
    async fn daily_usage(
        &self,
        vendor: portal::vendors::VendorCode,
        day: time::Date,
    ) -> Result<Vec<portal::vendors::usage::UsageRecord>, portal::vendors::VendorError> {
        self.sandbox.daily_usage(vendor, day).await
    }

    async fn seat_counts(
        &self,
        vendor: portal::vendors::VendorCode,
        refs: &[String],
    ) -> Result<Vec<(String, i32)>, portal::vendors::VendorError> {
        self.sandbox.seat_counts(vendor, refs).await
    }
}

/// A worker of `app`'s queue with `vendor`.
pub(crate) fn worker_with(app: &TestApp, vendor: Scripted) -> portal::jobs::Worker {
    let mailer = portal::mail::Mailer::from_config(&app.config).unwrap();
    portal::jobs::Worker::new(app.db.clone(), mailer).with_vendor(
        std::sync::Arc::new(vendor),
        std::sync::Arc::new(app.config.clone()),
    )
}

/// An order of 10 seats placed by a new reseller's owner, with no worker running, on a tenant the
/// customer already has (so that its provisioning is the only job: a tenant the order brought
/// into being would queue its administrator's beside it).
async fn placed_order(app: &TestApp) -> (TestUser, Uuid) {
    let (_, owner, customer) = setup_linked(app).await;
    app.sign_in(&owner).await;
    let page = add_to_cart(app, &app.client, customer, "CFQ7TTC0LDPB", "10").await;
    (
        owner,
        order_id(&app.submit(&page.form("form.place-order")).await),
    )
}

pub(crate) fn no_worker() -> crate::common::Options {
    crate::common::Options {
        env: vec![("PORTAL_WORKER", "false".into())],
        ..Default::default()
    }
}

#[tokio::test]
async fn a_rejection_committed_while_the_worker_starts_wins_and_nothing_reaches_the_vendor() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, order) = placed_order(&app).await;
    let sandbox = Scripted::new(&app, Script::Slow(Duration::ZERO));
    let calls = sandbox.calls.clone();
    let worker = worker_with(&app, sandbox);
    // Staff's rejection holds the order's row, as the decision does, while the worker reads
    // the order (still submitted) and tries to start it.
    let mut staff = app.db.begin().await.unwrap();
    sqlx::query("SELECT status FROM orders WHERE id = $1 FOR UPDATE")
        .bind(order)
        .execute(&mut *staff)
        .await
        .unwrap();
    let reject = async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        sqlx::query("UPDATE orders SET status = 'rejected', reason = 'duplicate' WHERE id = $1")
            .bind(order)
            .execute(&mut *staff)
            .await
            .unwrap();
        staff.commit().await.unwrap();
    };
    let (ran, ()) = tokio::join!(worker.run_one(), reject);
    assert!(ran.unwrap(), "the worker ran the job");
    assert_eq!(status_of(&app, order).await, "rejected");
    assert_eq!(
        calls.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no vendor call"
    );
    assert_eq!(app.count("SELECT count(*) FROM subscriptions").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM order_lines WHERE status = 'pending'")
            .await,
        1
    );
    // The lost race is on the timeline, in the user's words.
    let page = app.get(&format!("/orders/{order}")).await;
    assert!(
        page.text("#timeline")
            .contains("No aplicado: el pedido ya se había cerrado (Rechazado)."),
        "{}",
        page.text("#timeline")
    );
}

#[tokio::test]
async fn the_orders_list_pages_by_keyset_in_each_sort_forwards_and_back() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, first) = placed_order(&app).await;
    // 60 more orders of the same customer, a minute apart, their totals in ties of seven.
    sqlx::query(
        "INSERT INTO carts (reseller_id, id, user_id, customer_id, status)
         SELECT o.reseller_id, md5(o.id::text || g)::uuid, o.placed_by, o.customer_id, 'ordered'
         FROM orders o, generate_series(1, 60) g WHERE o.id = $1",
    )
    .bind(first)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO orders (reseller_id, id, cart_id, customer_id, placed_by, status, currency,
                             total_cost, total_price, vendors, created_at)
         SELECT o.reseller_id, md5('o' || o.id::text || g)::uuid, md5(o.id::text || g)::uuid,
                o.customer_id, o.placed_by, 'completed', o.currency, g % 7, g % 7, o.vendors,
                o.created_at - make_interval(mins => g)
         FROM orders o, generate_series(1, 60) g WHERE o.id = $1",
    )
    .bind(first)
    .execute(&app.db)
    .await
    .unwrap();
    for sort in ["newest", "oldest", "total_desc", "total_asc"] {
        let (pages, links) = app
            .walk_pages(
                &format!("/orders?sort={sort}"),
                "#orders tbody tr td:first-child a",
            )
            .await;
        let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
        assert_eq!(sizes, [25, 25, 11], "sort {sort}");
        let mut all: Vec<&String> = pages.iter().flatten().collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 61, "no order twice, none left out (sort {sort})");
        let last = app.get(&links[2]).await;
        let back = app.get(&last.attr("a[rel=prev]", "href").unwrap()).await;
        assert_eq!(
            back.texts("#orders tbody tr td:first-child a"),
            pages[1],
            "{sort}"
        );
    }
    // A cursor that is not one of ours is the first page.
    let page = app.get("/orders?after=YWJj&sort=total_desc").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("#orders tbody tr").len(), 25);
}

#[tokio::test]
async fn a_long_job_keeps_its_lease_while_it_runs_and_is_never_run_twice_at_once() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, order) = placed_order(&app).await;
    let slow = Scripted::new(&app, Script::Slow(Duration::from_millis(3500)));
    let calls = slow.calls.clone();
    let mut first = worker_with(&app, slow);
    first.lease = Duration::from_secs(1);
    let running = tokio::spawn(async move { first.run_one().await.unwrap() });
    // Well past the 1 s lease, the job is still held (the heartbeat renews it): another worker
    // finds nothing to take.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let other = Scripted::new(&app, Script::Slow(Duration::ZERO));
    let other_calls = other.calls.clone();
    let second = worker_with(&app, other);
    assert!(!second.run_one().await.unwrap());
    assert!(running.await.unwrap());
    assert_eq!(status_of(&app, order).await, "completed");
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(other_calls.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(app.count("SELECT count(*) FROM subscriptions").await, 1);
}

#[tokio::test]
async fn an_order_whose_worker_died_mid_provisioning_completes_once_after_restart() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (owner, order) = placed_order(&app).await;
    // The vendor creates the subscription, then the worker dies before recording it.
    let doomed = worker_with(&app, Scripted::new(&app, Script::DiesAfterTheVendorAnswers));
    let task = tokio::spawn(async move { doomed.run_one().await });
    for _ in 0..100 {
        if app
            .count("SELECT count(*) FROM sandbox_subscriptions")
            .await
            == 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    task.abort();
    assert_eq!(
        app.count("SELECT count(*) FROM sandbox_subscriptions")
            .await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM subscriptions").await, 0);
    assert_eq!(status_of(&app, order).await, "provisioning");
    // Another worker cannot take the job while the dead one's lease runs...
    let worker = worker_with(&app, Scripted::new(&app, Script::Slow(Duration::ZERO)));
    assert!(!worker.run_one().await.unwrap());
    // ...and when it runs out, the job completes, asking the vendor again with the same key.
    sqlx::query(
        "UPDATE jobs SET locked_until = now() - interval '1 second' WHERE kind = 'provision_order'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    while worker.run_one().await.unwrap() {}
    assert_eq!(wait_status(&app, order, "completed").await, "completed");
    assert_eq!(
        app.count("SELECT count(*) FROM sandbox_subscriptions")
            .await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM subscriptions").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM order_events WHERE status = 'completed'")
            .await,
        1
    );
    assert_eq!(app.smtp.count_to(&owner.email), 1);
}

#[tokio::test]
async fn the_orders_list_filters_by_vendor_dates_and_customer_and_sorts() {
    let app = TestApp::spawn().await;
    let (r, owner, customer) = setup(&app, "contoso.onmicrosoft.com").await;
    app.vendor_tenant(r, customer, "google", "linked", "contoso-mx.example", "g-1")
        .await;
    app.sign_in(&owner).await;
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LDPB", "10").await;
    let microsoft = order_id(&app.submit(&page.form("form.place-order")).await);
    let page = add_to_cart(&app, &app.client, customer, "GWS-BUSINESS-STANDARD", "1").await;
    let google = order_id(&app.submit(&page.form("form.place-order")).await);
    // The Microsoft order was placed ten days ago.
    sqlx::query("UPDATE orders SET created_at = now() - interval '10 days' WHERE id = $1")
        .bind(microsoft)
        .execute(&app.db)
        .await
        .unwrap();
    let numbers = |page: &crate::common::Page| page.texts("#orders tbody tr td:first-child a");
    let (ms, gw): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT number FROM orders WHERE id = $1), (SELECT number FROM orders WHERE id = $2)",
    )
    .bind(microsoft)
    .bind(google)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let (ms, gw) = (format!("ORD-{ms:06}"), format!("ORD-{gw:06}"));
    assert_eq!(
        numbers(&app.get("/orders").await),
        [gw.as_str(), ms.as_str()]
    );
    assert_eq!(
        numbers(&app.get("/orders?sort=oldest").await),
        [ms.as_str(), gw.as_str()]
    );
    assert_eq!(
        numbers(&app.get("/orders?sort=total_desc").await),
        [ms.as_str(), gw.as_str()]
    );
    assert_eq!(
        numbers(&app.get("/orders?vendor=google").await),
        [gw.as_str()]
    );
    assert_eq!(
        numbers(&app.get("/orders?vendor=microsoft").await),
        [ms.as_str()]
    );
    // The export holds every order the filters find, with vendors and products, in the
    // user's language; without orders there is nothing to export.
    let page = app.get("/orders?vendor=google").await;
    let link = page.attr("#orders-export", "href").expect("an export link");
    assert!(link.starts_with("/orders/export.csv?") && link.contains("vendor=google"));
    let response = app.get_raw(&link).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("orders.csv")
    );
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[0]
            .trim_start_matches('\u{feff}')
            .starts_with("Pedido;Fecha;Cliente")
    );
    assert!(lines[1].starts_with(&format!("{gw};")), "{csv}");
    assert!(lines[1].contains("Contoso México") && lines[1].contains("Google Workspace"));
    assert!(lines[1].contains("1 × "), "{csv}");
    let all = app
        .get_raw("/orders/export.csv?sort=oldest")
        .await
        .text()
        .await
        .unwrap();
    let numbers_in = |csv: &str| -> Vec<String> {
        csv.lines()
            .skip(1)
            .map(|l| l.split(';').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(numbers_in(&all), [ms.clone(), gw.clone()]);
    assert!(all.contains("10 × "), "{all}");
    assert!(
        app.get("/orders?status=failed")
            .await
            .attr("#orders-export", "href")
            .is_none()
    );
    assert_eq!(
        app.get_raw("/orders/export.csv?from=yesterday")
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    let today = time::OffsetDateTime::now_utc().date();
    let week_ago = today - time::Duration::days(7);
    assert_eq!(
        numbers(&app.get(&format!("/orders?from={week_ago}")).await),
        [gw.as_str()]
    );
    assert_eq!(
        numbers(&app.get(&format!("/orders?to={week_ago}")).await),
        [ms.as_str()]
    );
    // Dates are days in the reseller's time zone (Mexico City): an order placed at 03:00 UTC
    // was placed the evening before there.
    sqlx::query(
        "UPDATE orders SET created_at = (now() AT TIME ZONE 'UTC')::date + time '03:00' AT TIME ZONE 'UTC'
         WHERE id = $1",
    )
    .bind(google)
    .execute(&app.db)
    .await
    .unwrap();
    let utc_today = time::OffsetDateTime::now_utc().date();
    let day_before = utc_today - time::Duration::days(1);
    assert!(numbers(&app.get(&format!("/orders?from={utc_today}")).await).is_empty());
    assert_eq!(
        numbers(
            &app.get(&format!("/orders?from={day_before}&to={day_before}"))
                .await
        ),
        [gw.as_str()]
    );
    // A date that is not one is refused beside its field, the rest of the list still shown.
    let bad = app.get("/orders?from=31/12/2026").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text(".field-error").contains("2026-11-24"));
    assert_eq!(numbers(&bad).len(), 2);
    // Filtered by customer, the list names it and offers to clear the filter.
    let page = app
        .get(&format!("/orders?customer={customer}&vendor=google"))
        .await;
    assert!(page.text("#customer-filter").contains("Contoso México"));
    assert_eq!(numbers(&page), [gw.as_str()]);
    let subs = app
        .get(&format!("/subscriptions?customer={customer}"))
        .await;
    assert!(subs.text("#customer-filter").contains("Contoso México"));
    // Another reseller's customer id shows nothing and names no one.
    let (_, c, _) = app.beta_owner_elsewhere().await;
    let page = app
        .get_with(&c, &format!("/orders?customer={customer}"))
        .await;
    assert!(page.texts("#customer-filter").is_empty());
    assert!(numbers(&page).is_empty());
    let theirs = app.body_with(&c, "/orders/export.csv").await;
    assert_eq!(theirs.lines().count(), 1, "only the header: {theirs}");
}

#[tokio::test]
async fn each_sandbox_failure_ends_with_its_reason_in_the_users_language() {
    let app = TestApp::spawn().await;
    let (r, owner, customer) = setup(&app, "over-limit.onmicrosoft.com").await;
    let mut tenants = Vec::new();
    for domain in [
        "over-limit.onmicrosoft.com",
        "vendor-down.onmicrosoft.com",
        "timeout.onmicrosoft.com",
    ] {
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO customer_tenants (reseller_id, customer_id, vendor, origin, domain, tenant_ref)
             VALUES ($1, $2, 'microsoft', 'reserved', $3, 'ref')
             ON CONFLICT (reseller_id, vendor, domain) DO UPDATE SET tenant_ref = 'ref' RETURNING id",
        )
        .bind(r)
        .bind(customer)
        .bind(domain)
        .fetch_one(&app.db)
        .await
        .unwrap();
        tenants.push(id);
    }
    app.sign_in(&owner).await;
    let mut orders = Vec::new();
    for tenant in &tenants {
        let form = cart_form(&app, &app.client, customer, "CFQ7TTC0LH18", "2")
            .await
            .set("tenant", &tenant.to_string());
        let page = app.submit(&form).await;
        orders.push(order_id(&app.submit(&page.form("form.place-order")).await));
    }
    // Transient failures are retried; make the retries due at once and few.
    sqlx::query("UPDATE jobs SET max_attempts = 3 WHERE kind = 'provision_order'")
        .execute(&app.db)
        .await
        .unwrap();
    for _ in 0..200 {
        let open = app
            .count("SELECT count(*) FROM orders WHERE status NOT IN ('failed', 'completed')")
            .await;
        if open == 0 {
            break;
        }
        sqlx::query("UPDATE jobs SET run_at = now() WHERE state = 'queued'")
            .execute(&app.db)
            .await
            .unwrap();
        sqlx::query("SELECT pg_notify('portal_jobs', '')")
            .execute(&app.db)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.choose_language("en", "/orders").await;
    let expected = [
        "The quantity exceeds the vendor's limit for this tenant.",
        "The vendor did not answer after several attempts.",
        "The vendor did not answer after several attempts.",
    ];
    for (order, message) in orders.iter().zip(expected) {
        assert_eq!(wait_status(&app, *order, "failed").await, "failed");
        let page = app.get(&format!("/orders/{order}")).await;
        assert_eq!(page.text(".flash-error"), message);
    }
    // The transient ones were tried until the last attempt; the permanent one once.
    let attempts: Vec<i32> = sqlx::query_scalar(
        "SELECT attempts FROM jobs WHERE kind = 'provision_order' ORDER BY attempts",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(attempts, [1, 3, 3]);
    assert_eq!(app.count("SELECT count(*) FROM subscriptions").await, 0);
}

/// Sets the order's provisioning job as if a worker had claimed it for its last attempt and
/// died with it (its lease ran out).
async fn died_on_the_last_attempt(app: &TestApp) {
    sqlx::query(
        "UPDATE jobs SET state = 'running', attempts = max_attempts, locked_by = 'dead-worker',
                locked_until = now() - interval '1 second'
         WHERE kind = 'provision_order'",
    )
    .execute(&app.db)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_job_whose_worker_died_on_its_last_attempt_is_dead_and_its_order_fails() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (owner, order) = placed_order(&app).await;
    died_on_the_last_attempt(&app).await;
    let vendor = Scripted::new(&app, Script::Slow(Duration::ZERO));
    let calls = vendor.calls.clone();
    let worker = worker_with(&app, vendor);
    // Not run a ninth time (it may be what crashes the worker): dead, and the order fails
    // rather than staying "provisioning".
    while worker.run_one().await.unwrap() {}
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 0);
    let (state, error): (String, String) =
        sqlx::query_as("SELECT state, last_error FROM jobs WHERE kind = 'provision_order'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(state, "failed");
    assert!(error.contains("stopped during attempt 8 of 8"), "{error}");
    assert_eq!(status_of(&app, order).await, "failed");
    assert_eq!(
        app.count(
            "SELECT count(*) FROM order_lines WHERE status = 'failed' AND error = 'unavailable'"
        )
        .await,
        1
    );
    // The user is told, once.
    assert_eq!(app.smtp.count_to(&owner.email), 1);

    // Staff see it among the jobs that gave up, with a link to the order (retried there).
    let staff = app.staff("ops@distribuidor.example").await;
    let (client, _) = app.sign_in_elsewhere(&staff).await;
    let page = app.get_with(&client, "/staff/jobs").await;
    assert_eq!(page.status, StatusCode::OK);
    let row = page.text("#dead-jobs tbody tr");
    assert!(row.contains("stopped during attempt 8 of 8"), "{row}");
    assert!(
        page.attr("#dead-jobs tbody tr a", "href")
            .is_some_and(|h| h.ends_with(&order.to_string())),
        "{row}"
    );
    assert!(page.texts("#dead-jobs tbody tr form").is_empty());
    // A provisioning job is not put back from the list (its order decides), even by hand.
    let id: i64 = sqlx::query_scalar("SELECT id FROM jobs WHERE kind = 'provision_order'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let form = FormData {
        action: format!("/staff/jobs/{id}/retry"),
        fields: vec![("csrf_token".into(), page.csrf_token())],
    };
    let page = app.submit_with(&client, &form).await;
    assert_eq!(page.path(), "/staff/jobs");
    assert!(
        page.text(".flash").contains("no puede reintentarse"),
        "{}",
        page.text("main")
    );
    assert_eq!(
        app.count("SELECT count(*) FROM jobs WHERE kind = 'provision_order' AND state = 'failed'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_job_that_panics_or_runs_over_counts_a_failed_attempt_and_is_retried_later() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, order) = placed_order(&app).await;
    let attempt = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            let row: (String, i32, Option<String>) = sqlx::query_as(
                "SELECT state, attempts, last_error FROM jobs WHERE kind = 'provision_order'",
            )
            .fetch_one(&db)
            .await
            .unwrap();
            sqlx::query("UPDATE jobs SET run_at = now() WHERE kind = 'provision_order'")
                .execute(&db)
                .await
                .unwrap();
            row
        }
    };
    // A panic in the job is an attempt that failed: the worker goes on.
    let panics = worker_with(&app, Scripted::new(&app, Script::Panics));
    assert!(panics.run_one().await.unwrap());
    let (state, attempts, error) = attempt(&app).await;
    assert_eq!((state.as_str(), attempts), ("queued", 1));
    assert!(error.unwrap_or_default().contains("panic"));
    // An attempt that runs over its time is stopped and retried.
    let mut hangs = worker_with(&app, Scripted::new(&app, Script::Hangs));
    hangs.max_run = Duration::from_millis(500);
    assert!(hangs.run_one().await.unwrap());
    let (state, attempts, error) = attempt(&app).await;
    assert_eq!((state.as_str(), attempts), ("queued", 2));
    assert!(error.unwrap_or_default().contains("ran over"));
    assert_eq!(status_of(&app, order).await, "provisioning");
    // A panic on the last attempt: dead, and the order fails with the vendor unreachable.
    sqlx::query("UPDATE jobs SET attempts = max_attempts - 1 WHERE kind = 'provision_order'")
        .execute(&app.db)
        .await
        .unwrap();
    assert!(panics.run_one().await.unwrap());
    let (state, _, _) = attempt(&app).await;
    assert_eq!(state, "failed");
    assert_eq!(status_of(&app, order).await, "failed");
}
