//! What placing an order records beside its lines, and what its page and e-mail give back: the
//! customer's acceptance of the Microsoft Customer Agreement (once per customer), the reseller's
//! purchase-order reference, links from each line to its subscription, the lines in the
//! completion e-mail, and a new tenant's first administrator shown once to who ordered.

use std::time::Duration;

use crate::common::{Page, TestApp};
use crate::orders::{add_to_cart, order_id, setup, setup_linked, wait_status};
use reqwest::StatusCode;
use uuid::Uuid;

async fn admin_status(app: &TestApp, order: Uuid) -> Option<String> {
    for _ in 0..100 {
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM tenant_admins WHERE order_id = $1")
                .bind(order)
                .fetch_optional(&app.db)
                .await
                .unwrap();
        if status.as_deref().is_some_and(|s| s != "pending") {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// The unit price an order's (one) line was placed at.
async fn unit_price(app: &TestApp, order: Uuid) -> rust_decimal::Decimal {
    sqlx::query_scalar("SELECT unit_price FROM order_lines WHERE order_id = $1")
        .bind(order)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

fn orders_found(page: &Page) -> usize {
    page.texts("#orders tbody tr").len()
}

#[tokio::test]
async fn a_first_microsoft_order_records_the_agreement_once_with_the_po_reference_and_links() {
    let app = TestApp::spawn().await;
    // A tenant the customer already had: no administrator is made for it.
    let (_, owner, customer) = setup_linked(&app).await;
    app.sign_in(&owner).await;
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LDPB", "10").await;
    // The acceptance is asked, starting from the customer's contact and today.
    assert!(
        page.text("#agreement legend")
            .contains("Contrato de Cliente de Microsoft")
    );
    let form = page.form("form.place-order");
    assert_eq!(form.get("mca_name"), Some("Ana"));
    assert_eq!(form.get("mca_email"), Some("ana@contoso.example"));
    assert_eq!(form.get("mca_date").map(str::len), Some(10));
    // Wrong answers are refused beside their fields, keeping what was typed; nothing is placed.
    let bad = app
        .submit(
            &form
                .clone()
                .set("mca_name", "")
                .set("mca_email", "ana@")
                .set("mca_date", "2099-01-01")
                .set("po_reference", &"P".repeat(41)),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(bad.text("#e-mca_name"), "Este campo es obligatorio.");
    assert!(!bad.text("#e-mca_email").is_empty());
    assert_eq!(
        bad.text("#e-mca_date"),
        "La fecha no puede ser posterior a hoy."
    );
    assert_eq!(bad.text("#e-po_reference"), "El texto es demasiado largo.");
    let again = bad.form("form.place-order");
    assert_eq!(again.get("mca_email"), Some("ana@"));
    assert_eq!(again.get("mca_date"), Some("2099-01-01"));
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM customer_agreements").await,
        0
    );

    let placed = app
        .submit(
            &again
                .set("mca_name", "Ana Pérez")
                .set("mca_email", "ana.perez@contoso.example")
                .set("mca_date", "2026-11-30")
                .set("po_reference", " OC-2026/117 "),
        )
        .await;
    assert_eq!(placed.status, StatusCode::OK, "{}", placed.body);
    let order = order_id(&placed);
    assert_eq!(placed.text("#po-reference"), "OC-2026/117");
    let (name, email, day, by): (String, String, String, Uuid) = sqlx::query_as(
        "SELECT signer_name, signer_email, accepted_on::text, recorded_by FROM customer_agreements
         WHERE customer_id = $1 AND order_id = $2",
    )
    .bind(customer)
    .bind(order)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        (name.as_str(), email.as_str(), day.as_str(), by),
        (
            "Ana Pérez",
            "ana.perez@contoso.example",
            "2026-11-30",
            owner.id
        )
    );
    assert_eq!(wait_status(&app, order, "completed").await, "completed");

    // Each line links to the subscription it became.
    let page = app.get(&format!("/orders/{order}")).await;
    let subscription: Uuid = sqlx::query_scalar("SELECT id FROM subscriptions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        page.attr("#lines a.subscription-link", "href"),
        Some(format!("/subscriptions/{subscription}"))
    );
    let subscription_page = app.get(&format!("/subscriptions/{subscription}")).await;
    assert_eq!(subscription_page.status, StatusCode::OK);
    // The tenant was linked, not made by the order: no administrator.
    assert!(page.texts("[id^=tenant-admin]").is_empty());
    assert_eq!(app.count("SELECT count(*) FROM tenant_admins").await, 0);

    // The completion e-mail lists the lines and the reference.
    let mail = app.smtp.wait_for(&owner.email).await;
    assert!(
        mail.text.contains("10 × Microsoft 365 Business Standard")
            && mail.text.contains("contoso.onmicrosoft.com")
            && mail.text.contains("OC-2026/117"),
        "{}",
        mail.text
    );

    // The orders list finds it by its reference, in any case; another text finds nothing.
    assert_eq!(orders_found(&app.get("/orders?q=oc-2026%2F117").await), 1);
    assert_eq!(orders_found(&app.get("/orders?q=OC-2026%2F118").await), 0);

    // The next Microsoft order for the customer shows the acceptance on record, not the fields.
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LH18", "2").await;
    assert!(page.texts("#agreement").is_empty());
    let on_record = page.text("#agreement-on-record");
    assert!(
        on_record.contains("Ana Pérez") && on_record.contains("ana.perez@contoso.example"),
        "{on_record}"
    );
    let second = order_id(&app.submit(&page.form("form.place-order")).await);
    assert_eq!(wait_status(&app, second, "completed").await, "completed");
    assert_eq!(
        app.count("SELECT count(*) FROM customer_agreements").await,
        1
    );
    let no_po: Option<String> = sqlx::query_scalar("SELECT po_reference FROM orders WHERE id = $1")
        .bind(second)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(no_po, None);
}

#[tokio::test]
async fn a_tenant_the_order_brings_into_being_gets_an_administrator_shown_once_to_who_ordered() {
    let app = TestApp::spawn().await;
    let (r, owner, customer) = setup(&app, "contoso.onmicrosoft.com").await;
    let colleague = app.user(Some(r), "admin@alfa.example", "admin").await;
    app.sign_in(&owner).await;
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LDPB", "3").await;
    let order = order_id(&app.submit(&page.form("form.place-order")).await);
    assert_eq!(wait_status(&app, order, "completed").await, "completed");
    assert_eq!(admin_status(&app, order).await.as_deref(), Some("made"));
    // The vendor holds the administrator in the tenant's directory.
    assert_eq!(
        app.count(
            "SELECT count(*) FROM sandbox_tenant_users
             WHERE user_name = 'admin@contoso.onmicrosoft.com' AND tenant_ref = 'ms-tenant-1'"
        )
        .await,
        1
    );

    // A colleague sees who the administrator is, never the password.
    let (other, _) = app.sign_in_elsewhere(&colleague).await;
    let seen = app.get_with(&other, &format!("/orders/{order}")).await;
    assert!(
        seen.text("#tenant-admin-1")
            .contains("admin@contoso.onmicrosoft.com")
    );
    assert!(seen.texts(".admin-password").is_empty());

    // Who ordered sees it once, then only the user name.
    let first = app.get(&format!("/orders/{order}")).await;
    assert_eq!(first.text(".admin-user"), "admin@contoso.onmicrosoft.com");
    let password = first.text(".admin-password");
    assert_eq!(password.chars().count(), 16, "{password}");
    assert!(
        first
            .text("#tenant-admin-1")
            .contains("solo se muestra esta vez")
    );
    let second = app.get(&format!("/orders/{order}")).await;
    assert!(second.texts(".admin-password").is_empty());
    assert!(!second.body.contains(&password));
    assert!(
        second
            .text("#tenant-admin-1")
            .contains("admin@contoso.onmicrosoft.com")
    );
    assert_eq!(
        app.count("SELECT count(*) FROM tenant_admins WHERE secret IS NOT NULL")
            .await,
        0
    );

    // A second order on the tenant (now in use) makes no second administrator.
    let page = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LH18", "1").await;
    let next = order_id(&app.submit(&page.form("form.place-order")).await);
    assert_eq!(wait_status(&app, next, "completed").await, "completed");
    assert_eq!(app.count("SELECT count(*) FROM tenant_admins").await, 1);
    let page = app.get(&format!("/orders/{next}")).await;
    assert!(page.texts("[id^=tenant-admin]").is_empty());

    // Another reseller's user gets 404 for the order, and sees no administrator anywhere.
    let (_, beta, _) = app.beta_owner_elsewhere().await;
    let probe = app.get_with(&beta, &format!("/orders/{order}")).await;
    assert_eq!(probe.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_customers_own_markup_prices_its_cart_from_its_day_with_a_preview_and_a_warning() {
    let app = TestApp::spawn().await;
    let (r, owner, customer) = setup_linked(&app).await;
    app.sign_in(&owner).await;
    let page_url = format!("/customers/{customer}");
    let page = app.get(&page_url).await;
    assert_eq!(
        page.text("#markup-current"),
        "Margen de la cuenta: 20,00 %."
    );
    assert!(
        page.text("#markup-example").contains("US$ 120,00"),
        "{}",
        page.text("#markup-example")
    );
    let today = time::OffsetDateTime::now_utc().date();
    // Wrong input is refused beside its field, keeping what was typed.
    let form = page.form("form[action$='/markup']");
    let bad = app
        .submit(
            &form
                .clone()
                .set("markup", "600")
                .set("valid_from", &(today - time::Duration::days(1)).to_string()),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!bad.text("#e-markup").is_empty());
    assert!(bad.text("#e-valid_from").starts_with("Elige hoy"));
    assert_eq!(bad.attr("#f-markup", "value").as_deref(), Some("600"));
    assert_eq!(app.count("SELECT count(*) FROM customer_markups").await, 0);

    // 25 % from today; back to the account's default in ten days.
    let saved = app.submit(&form.clone().set("markup", "25")).await;
    assert_eq!(
        saved.text(".flash-success"),
        "Guardamos el margen del cliente."
    );
    let later = (today + time::Duration::days(10)).to_string();
    let page = app
        .submit(&form.clone().set("markup", "").set("valid_from", &later))
        .await;
    assert!(
        page.text("#markup-current")
            .starts_with("Margen propio: 25,00 %")
    );
    assert!(
        page.text("#markup-upcoming")
            .contains("el de la cuenta (20,00 %)")
    );
    assert!(page.text("#markup-example").contains("US$ 125,00"));
    // Business Standard costs 11.00 and retails at 12.50: at 25 % it goes above retail.
    assert!(page.text("#markup-example").contains("(20,0 % del precio)"));
    let warning = page.text("#markup-above-retail");
    assert!(
        warning.contains("25,00 %") && warning.contains("ninguno supera"),
        "{warning}"
    );
    assert_eq!(app.audited("customer_markup_changed").await, 2);

    // The cart prices the customer at its own markup: 11.00 + 25 % = 13.75.
    let cart = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LDPB", "2").await;
    assert_eq!(cart.text("#cart-total"), "US$ 27,50");
    let order = order_id(&app.submit(&cart.form("form.place-order")).await);
    let price = unit_price(&app, order).await;
    assert_eq!(price, "13.75".parse().unwrap());

    // At no markup nothing is above retail.
    let page = app.submit(&form.clone().set("markup", "0")).await;
    assert!(page.texts("#markup-above-retail").is_empty());

    // Sales users see no costs here and cannot set a markup; other resellers get 404.
    let sales = app.user(Some(r), "sales@alfa.example", "sales").await;
    let (s, _) = app.sign_in_elsewhere(&sales).await;
    let seen = app.get_with(&s, &page_url).await;
    assert!(seen.texts("#pricing").is_empty());
    let token = seen.csrf_token();
    let path = format!("/customers/{customer}/markup");
    let forbidden = app.post_form(&s, &path, &token, &[("markup", "1")]).await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let (_, beta, landed) = app.beta_owner_elsewhere().await;
    let token = landed.csrf_token();
    let probe = app
        .post_form(&beta, &path, &token, &[("markup", "1")])
        .await;
    assert_eq!(probe.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.audited("customer_markup_changed").await, 3);
}

#[tokio::test]
async fn sales_users_see_costs_and_margins_only_when_the_owner_allows_it() {
    let app = TestApp::spawn().await;
    let (r, owner, customer) = setup_linked(&app).await;
    app.sign_in(&owner).await;
    // The owner sees cost and margins beside the prices.
    let product = app.get("/catalog/CFQ7TTC0LDPB").await;
    assert!(product.text("#prices thead").contains("Costo"));
    let sales = app.user(Some(r), "sales@alfa.example", "sales").await;
    let (s, _) = app.sign_in_elsewhere(&sales).await;
    let admin = app.user(Some(r), "admin@alfa.example", "admin").await;
    let (a, _) = app.sign_in_elsewhere(&admin).await;

    // What a sales user sees by default: prices, never what they cost the reseller.
    let hidden = |page: &Page, what: &str| {
        assert!(!page.text("main").contains("Costo"), "{what}");
    };
    hidden(&app.get_with(&s, "/catalog").await, "catalog");
    let product = app.get_with(&s, "/catalog/CFQ7TTC0LDPB").await;
    hidden(&product, "product");
    assert!(product.text("#prices thead").contains("Tu precio"));
    let cart = add_to_cart(&app, &s, customer, "CFQ7TTC0LDPB", "2").await;
    hidden(&cart, "cart");
    assert_eq!(cart.text("#cart-total"), "US$ 26,40");
    let placed = app.submit_with(&s, &cart.form("form.place-order")).await;
    let order = order_id(&placed);
    hidden(&placed, "order");
    assert!(placed.texts("#total-cost").is_empty());
    let csv = app.body_with(&s, "/orders/export.csv").await;
    let header = csv.lines().next().unwrap_or_default().to_string();
    assert!(!header.contains("Costo"), "{header}");
    assert!(header.contains("Precio"), "{header}");
    let customer_page = app.get_with(&s, &format!("/customers/{customer}")).await;
    assert!(customer_page.texts("#pricing").is_empty());

    // Only the owner decides: an admin reads the setting and is refused a change.
    let pricing = app.get_with(&a, "/partner/pricing").await;
    assert!(pricing.texts("#sales-costs form").is_empty());
    assert_eq!(
        pricing.text("#sales-costs-state"),
        "Los usuarios de ventas no ven costos ni márgenes."
    );
    let token = pricing.csrf_token();
    let refused = app
        .post_form(
            &a,
            "/partner/pricing/costs",
            &token,
            &[("sales_see_costs", "on")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.audited("sales_costs_changed").await, 0);

    // The owner lets them: the next request of the signed-in sales user shows costs.
    let pricing = app.get("/partner/pricing").await;
    let form = pricing.form("#sales-costs form");
    let saved = app.submit(&form.clone().set("sales_see_costs", "on")).await;
    assert_eq!(
        saved.text(".flash-success"),
        "Ahora los usuarios de ventas ven costos y márgenes."
    );
    assert_eq!(
        saved.attr("#f-sales_see_costs", "checked").as_deref(),
        Some("")
    );
    assert_eq!(app.audited("sales_costs_changed").await, 1);
    let product = app.get_with(&s, "/catalog/CFQ7TTC0LDPB").await;
    assert!(product.text("#prices thead").contains("Costo"));
    let shown = app.get_with(&s, &format!("/orders/{order}")).await;
    assert_eq!(shown.text("#total-cost"), "US$ 22,00");
    let csv = app.body_with(&s, "/orders/export.csv").await;
    assert!(csv.lines().next().unwrap_or_default().contains("Costo"));
    let customer_page = app.get_with(&s, &format!("/customers/{customer}")).await;
    assert!(!customer_page.texts("#pricing").is_empty());
    assert!(customer_page.texts("form[action$='/markup']").is_empty());

    // And stops it: an unticked box sends nothing.
    let off = app.submit(&form.remove("sales_see_costs")).await;
    assert_eq!(
        off.text(".flash-success"),
        "Ahora los usuarios de ventas no ven costos ni márgenes."
    );
    hidden(
        &app.get_with(&s, "/catalog/CFQ7TTC0LDPB").await,
        "product again",
    );
    assert_eq!(app.audited("sales_costs_changed").await, 2);
}

#[tokio::test]
async fn a_products_own_markup_prices_it_from_its_day_unless_the_customer_has_one() {
    let app = TestApp::spawn().await;
    let (r, owner, customer) = setup_linked(&app).await;
    app.sign_in(&owner).await;
    let page = app.get("/partner/pricing").await;
    assert!(
        page.text("#product-markups .empty")
            .starts_with("Todavía ningún producto")
    );

    // Wrong input is explained beside each field, keeping what was typed.
    let form = page.form("form[action='/partner/pricing/products']");
    let bad = app
        .submit(&form.clone().set("sku", "NOPE-1").set("markup", "600"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.text("#e-sku"),
        "No encontramos un producto a la venta con ese SKU."
    );
    assert!(!bad.text("#e-product_markup").is_empty());
    assert_eq!(bad.attr("#f-sku", "value").as_deref(), Some("NOPE-1"));
    assert_eq!(app.count("SELECT count(*) FROM product_markups").await, 0);

    // 5 % on Business Standard from today, reached from its product page.
    let product = app.get("/catalog/CFQ7TTC0LDPB").await;
    let link = product.attr("#set-product-markup", "href").unwrap();
    let page = app.get(&link).await;
    let form = page.form("form[action='/partner/pricing/products']");
    assert_eq!(form.get("sku"), Some("CFQ7TTC0LDPB"));
    let saved = app.submit(&form.clone().set("markup", "5")).await;
    assert_eq!(
        saved.text(".flash-success"),
        "Guardamos el margen del producto."
    );
    assert!(
        saved
            .text("#product-markup-CFQ7TTC0LDPB")
            .contains("Propio: 5,00 %"),
        "{}",
        saved.text("#product-markup-CFQ7TTC0LDPB")
    );
    // Back to the default in ten days: shown as coming.
    let later = (time::OffsetDateTime::now_utc().date() + time::Duration::days(10)).to_string();
    let saved = app
        .submit(&form.clone().set("markup", "").set("valid_from", &later))
        .await;
    assert!(
        saved
            .text("#product-markup-CFQ7TTC0LDPB")
            .contains("vuelve al general (20,00 %)"),
        "{}",
        saved.text("#product-markup-CFQ7TTC0LDPB")
    );
    assert_eq!(app.audited("product_markup_changed").await, 2);

    // The catalog and the cart price it at 5 %: 11.00 → 11.55; other products keep 20 %.
    let product = app.get("/catalog/CFQ7TTC0LDPB").await;
    assert!(
        product
            .text("#markup-text")
            .starts_with("Tu margen para este producto: 5,00 %")
    );
    assert!(product.text("#prices").contains("US$ 11,55"));
    assert!(product.texts(".above-retail").is_empty());
    let catalog = app.get("/catalog").await;
    assert!(
        catalog
            .text(".page-head")
            .contains("1 producto con margen propio"),
        "{}",
        catalog.text(".page-head")
    );
    // At the default 20 %, Business Premium (cost 88 % of retail) sells above retail.
    let premium = app.get("/catalog/CFQ7TTC0LCHC").await;
    assert_eq!(premium.text(".above-retail"), "sobre el precio sugerido");
    let cart = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LDPB", "2").await;
    assert_eq!(cart.text("#cart-total"), "US$ 23,10");
    let order = order_id(&app.submit(&cart.form("form.place-order")).await);
    let price = unit_price(&app, order).await;
    assert_eq!(price, "11.55".parse().unwrap());

    // A customer's own markup comes first: 25 % → 13.75.
    let customer_page = app.get(&format!("/customers/{customer}")).await;
    let markup = customer_page
        .form("form[action$='/markup']")
        .set("markup", "25");
    app.submit(&markup).await;
    let cart = add_to_cart(&app, &app.client, customer, "CFQ7TTC0LDPB", "2").await;
    assert_eq!(cart.text("#cart-total"), "US$ 27,50");

    // Sales users cannot set one.
    let sales = app.user(Some(r), "sales@alfa.example", "sales").await;
    let (s, landed) = app.sign_in_elsewhere(&sales).await;
    let token = landed.csrf_token();
    let fields = [("sku", "CFQ7TTC0LDPB"), ("markup", "1")];
    let refused = app
        .post_form(&s, "/partner/pricing/products", &token, &fields)
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.audited("product_markup_changed").await, 2);
}
