//! Journeys in a real headless Chromium.

use crate::common::browser::Browser;
use crate::common::{TestApp, TestUser, shown_secret};

#[tokio::test]
async fn visitor_opens_the_login_page_and_switches_language() {
    let app = TestApp::spawn().await;
    let Some(browser) = Browser::start("es").await else {
        return;
    };
    browser.goto(&app.url("/login")).await;
    assert_eq!(
        browser.wait_text("h1", |t| t == "Iniciar sesión").await,
        "Iniciar sesión"
    );
    assert_eq!(browser.attr("html", "lang").await.as_deref(), Some("es"));

    browser.click("nav.lang a[hreflang=en]").await;
    assert_eq!(browser.wait_text("h1", |t| t == "Sign in").await, "Sign in");
    assert_eq!(browser.wait_path("/login").await, "/login");
    assert_eq!(browser.attr("html", "lang").await.as_deref(), Some("en"));

    // The choice is remembered on the next visit.
    browser.goto(&app.url("/no-such-page")).await;
    assert_eq!(
        browser.wait_text("h1", |t| t == "Page not found").await,
        "Page not found"
    );

    browser.click("nav.lang a[hreflang=pt-BR]").await;
    assert_eq!(
        browser
            .wait_text("h1", |t| t == "Página não encontrada")
            .await,
        "Página não encontrada"
    );
    browser.goto(&app.url("/login")).await;
    assert_eq!(browser.wait_text("h1", |t| t == "Entrar").await, "Entrar");

    // A form submitted from the page carries its CSRF token and keeps what was typed.
    browser.fill("#f-email", "ana@").await;
    browser.click("button[type=submit]").await;
    assert_eq!(
        browser
            .wait_text("#e-email", |t| t
                == "Informe um e-mail válido, por exemplo ana@empresa.com.br.")
            .await,
        "Informe um e-mail válido, por exemplo ana@empresa.com.br."
    );
    assert_eq!(
        browser.attr("#f-email", "value").await.as_deref(),
        Some("ana@")
    );
    browser.close().await;
}

/// Signs in through the pages: password, then a fresh authenticator code.
async fn sign_in(app: &TestApp, browser: &Browser, user: &TestUser) {
    browser.goto(&app.url("/login")).await;
    browser.fill("#f-email", &user.email).await;
    browser.fill("#f-password", &user.password).await;
    browser.submit("form[action='/login']").await;
    assert_eq!(browser.wait_path("/login/mfa").await, "/login/mfa");
    let code = app.fresh_code(user).await;
    browser.fill("#f-code", &code).await;
    browser.submit("form[action='/login/mfa']").await;
    // Signed in once the second factor's page is left (a navigation right away would cut the
    // submission short).
    browser.wait_path_left("/login/mfa").await;
}

/// Signs out from the menu and waits for the sign-in page.
async fn sign_out(browser: &Browser) {
    browser.submit("form[action='/logout']").await;
    browser.wait_path("/login").await;
}

/// Types `password` twice in a new-password form.
async fn choose_password(browser: &Browser, password: &str) {
    browser.fill("#f-password", password).await;
    browser.fill("#f-password_confirm", password).await;
}

/// J1 in a browser: request access, staff approve, the invitation mail, password, MFA, home.
async fn j1(lang: &str, texts: [&str; 4]) {
    let [sent, created, welcome_prefix, staff_title] = texts;
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;
    let Some(browser) = Browser::start(lang).await else {
        return;
    };
    let email = format!("owner-{lang}@newco.example");
    browser.goto(&app.url("/access-request")).await;
    browser.fill("#f-legal_name", "Nuvem Nova Ltda.").await;
    browser.choose("#f-country", "BR").await;
    browser.fill("#f-tax_id", "11.222.333/0001-81").await;
    browser.fill("#f-contact_name", "João Araújo").await;
    browser.fill("#f-email", &email).await;
    browser.fill("#f-phone", "+55 11 98765-4321").await;
    browser.snap(&format!("j1-{lang}-1-access-request")).await;
    browser.submit("form[action='/access-request']").await;
    assert_eq!(browser.wait_text("h1", |t| t == sent).await, sent);
    app.smtp.wait_for(&email).await;

    sign_in(&app, &browser, &staff).await;
    assert_eq!(
        browser.wait_text("h1", |t| t == staff_title).await,
        staff_title
    );
    browser.click("a[href='/staff/access-requests']").await;
    browser.snap(&format!("j1-{lang}-2-queue")).await;
    browser.click("tbody tr a").await;
    browser.snap(&format!("j1-{lang}-3-request")).await;
    browser.submit("form[action$='/approve']").await;
    assert!(
        !browser
            .wait_text(".flash-success", |t| !t.is_empty())
            .await
            .is_empty()
    );
    sign_out(&browser).await;

    let link = app
        .smtp
        .wait_for_nth(&email, 2)
        .await
        .link_to("/invitation/")
        .unwrap();
    browser.goto(&link).await;
    assert_eq!(browser.wait_text("h1", |t| t == created).await, created);
    choose_password(&browser, "um rio longo e calmo").await;
    browser.submit("form[action^='/invitation/']").await;
    assert_eq!(browser.wait_path("/mfa/setup").await, "/mfa/setup");
    browser.snap(&format!("j1-{lang}-4-mfa-setup")).await;
    let secret = shown_secret(&browser.text("#totp-secret").await);
    let code = portal::auth::totp::code_at(&secret, portal::auth::totp::now());
    browser.fill("#f-code", &code).await;
    browser.submit("form[action='/mfa/setup']").await;
    assert_eq!(
        browser.wait_path("/mfa/recovery-codes").await,
        "/mfa/recovery-codes"
    );
    browser.snap(&format!("j1-{lang}-5-codes")).await;
    browser.submit("form[action='/mfa/recovery-codes']").await;
    assert_eq!(browser.wait_path("/").await, "/");
    assert!(
        browser
            .wait_text("h1", |t| t.starts_with(welcome_prefix))
            .await
            .starts_with(welcome_prefix)
    );
    browser.snap(&format!("j1-{lang}-6-home")).await;
    browser.close().await;
}

#[tokio::test]
async fn j1_first_access_in_spanish() {
    j1(
        "es",
        [
            "Recibimos tu solicitud",
            "Crea tu contraseña",
            "Hola, João Araújo",
            "Consola del distribuidor",
        ],
    )
    .await;
}

#[tokio::test]
async fn j1_first_access_in_english() {
    j1(
        "en",
        [
            "We received your request",
            "Create your password",
            "Hello, João Araújo",
            "Distributor console",
        ],
    )
    .await;
}

/// J2 in a browser: forgot password, the mail, a new password, sign in with MFA.
async fn j2(lang: &str, texts: [&str; 2]) {
    let [sent_prefix, reset_title] = texts;
    let app = TestApp::spawn().await;
    let (_, owner) = app.alfa_owner().await;
    let Some(browser) = Browser::start(lang).await else {
        return;
    };
    browser.goto(&app.url("/login")).await;
    browser.click("a[href='/password/forgot']").await;
    browser.fill("#f-email", &owner.email).await;
    browser.submit("form[action='/password/forgot']").await;
    assert!(
        browser
            .wait_text(".flash-info", |t| t.starts_with(sent_prefix))
            .await
            .starts_with(sent_prefix)
    );
    let link = app
        .smtp
        .wait_for(&owner.email)
        .await
        .link_to("/password/reset/")
        .unwrap();
    browser.goto(&link).await;
    assert_eq!(
        browser.wait_text("h1", |t| t == reset_title).await,
        reset_title
    );
    choose_password(&browser, "nuevo río tranquilo").await;
    browser.snap(&format!("j2-{lang}-reset")).await;
    browser.submit("form[action^='/password/reset/']").await;
    assert_eq!(browser.wait_path("/login").await, "/login");
    let updated = TestUser {
        password: "nuevo río tranquilo".into(),
        ..owner
    };
    sign_in(&app, &browser, &updated).await;
    assert_eq!(browser.wait_path("/").await, "/");
    browser.close().await;
}

#[tokio::test]
async fn j2_forgotten_password_in_portuguese() {
    j2("pt-BR", ["Se existir uma conta", "Escolha uma nova senha"]).await;
}

#[tokio::test]
async fn j2_forgotten_password_in_spanish() {
    j2("es", ["Si existe una cuenta", "Elige una contraseña nueva"]).await;
}

/// J9 in a browser: a reseller searches with a typo, filters to yearly terms and opens the
/// product to see cost, suggested retail and its own price.
async fn catalog_search(lang: &str, texts: [&str; 2]) {
    let [your_price, yearly] = texts;
    let app = TestApp::spawn().await;
    let (r, owner) = app.alfa_owner().await;
    app.demo_catalog(Some(r)).await;
    let Some(browser) = Browser::start(lang).await else {
        return;
    };
    sign_in(&app, &browser, &owner).await;
    browser.wait_path("/").await;
    browser.click("nav.main-nav a[href='/catalog']").await;
    browser.wait_path("/catalog").await;
    browser.fill("#f-q", "busines standar").await;
    // Choosing a filter applies it (and the words typed) without the button.
    browser.choose("#f-term", "P1Y").await;
    let url = browser.wait_url("term=P1Y").await;
    assert!(
        url.contains("term=P1Y") && url.contains("q=busines"),
        "{url}"
    );
    let first = browser
        .wait_text(".product-card h2", |t| t.contains("Business Standard"))
        .await;
    assert!(first.contains("Business Standard"), "{first}");
    browser.snap(&format!("catalog-{lang}-1-search")).await;
    browser.click(".product-card h2 a").await;
    let heading = browser
        .wait_text("h1", |t| t.contains("Business Standard"))
        .await;
    assert!(heading.contains("Business Standard"));
    let header = browser.text("#prices thead").await;
    // (Table headers are shown in capitals.)
    assert!(
        header.to_lowercase().contains(&your_price.to_lowercase()),
        "{header}"
    );
    let body = browser.text("#prices tbody").await;
    assert!(body.contains(yearly), "{body}");
    browser.snap(&format!("catalog-{lang}-2-product")).await;
    browser.close().await;
}

#[tokio::test]
async fn catalog_search_in_spanish() {
    catalog_search("es", ["Tu precio", "Anual (P1Y)"]).await;
}

#[tokio::test]
async fn catalog_search_in_portuguese() {
    catalog_search("pt-BR", ["Seu preço", "Anual (P1Y)"]).await;
}

/// J3 in a browser: request a program (terms, domain, partner id), staff approve, the reseller
/// sees it approved.
async fn program_request(lang: &str, texts: [&str; 2]) {
    let [pending, approved] = texts;
    let app = TestApp::spawn().await;
    let (_, owner) = app.alfa_owner().await;
    let staff = app.staff("staff@distri.example").await;
    app.demo_catalog(None).await;
    let Some(browser) = Browser::start(lang).await else {
        return;
    };
    sign_in(&app, &browser, &owner).await;
    browser.wait_path("/").await;
    browser
        .click("nav.main-nav a[href='/partner/programs']")
        .await;
    browser
        .click("#program-microsoft-csp a[href$='/request']")
        .await;
    browser
        .wait_path("/partner/programs/microsoft-csp/request")
        .await;
    browser.click("#f-accept").await;
    browser.fill("#f-domain", "alfa.onmicrosoft.com").await;
    browser.fill("#f-partner_id", "7654321").await;
    browser.snap(&format!("j3-{lang}-1-request")).await;
    browser.submit("form#program-request").await;
    let status = browser
        .wait_text("#program-microsoft-csp", |t| t.contains(pending))
        .await;
    assert!(status.contains(pending), "{status}");
    sign_out(&browser).await;

    sign_in(&app, &browser, &staff).await;
    browser.wait_path("/staff").await;
    browser.click("a[href='/staff/program-requests']").await;
    browser.click("tbody tr a").await;
    browser.snap(&format!("j3-{lang}-2-staff")).await;
    browser.click("button[value=approve]").await;
    browser.wait_text(".flash-success", |t| !t.is_empty()).await;
    sign_out(&browser).await;

    sign_in(&app, &browser, &owner).await;
    browser.wait_path("/").await;
    browser.goto(&app.url("/partner/programs")).await;
    let status = browser
        .wait_text("#program-microsoft-csp", |t| t.contains(approved))
        .await;
    assert!(status.contains(approved), "{status}");
    browser.snap(&format!("j3-{lang}-3-approved")).await;
    browser.close().await;
}

#[tokio::test]
async fn j3_program_request_in_spanish() {
    program_request("es", ["Pendiente", "Aprobado"]).await;
}

#[tokio::test]
async fn j3_program_request_in_english() {
    program_request("en", ["Pending", "Approved"]).await;
}

/// J4 in a browser: add a Brazilian customer with a CNPJ and CEP, confirm the normalised
/// address, find it by typing the name without accents.
async fn add_customer(lang: &str, texts: [&str; 2]) {
    let [confirm_title, activated] = texts;
    let app = TestApp::spawn().await;
    let r = app.reseller("Alfa", "ALF180512AB1").await;
    let sales = app.user(Some(r), "sales@alfa.example", "sales").await;
    let Some(browser) = Browser::start(lang).await else {
        return;
    };
    sign_in(&app, &browser, &sales).await;
    browser.wait_path("/").await;
    browser.click("nav.main-nav a[href='/customers']").await;
    browser.wait_path("/customers").await;
    browser.click("a[href='/customers/new']").await;
    browser.wait_path("/customers/new").await;
    browser
        .fill("#f-legal_name", "Padaria São João Ltda.")
        .await;
    browser.choose("#f-country", "BR").await;
    for (field, value) in [
        ("#f-tax_id", "11.222.333/0001-81"),
        ("#f-contact_name", "João da Silva"),
        ("#f-contact_email", "joao@padaria.example"),
        ("#f-contact_phone", "+55 11 98765-4321"),
        ("#f-billing_email", "financeiro@padaria.example"),
        ("#f-address_line1", "Av. Paulista, 1000"),
        ("#f-city", "SAO PAULO"),
        ("#f-region", "sao paulo"),
        ("#f-postal_code", "01310100"),
    ] {
        browser.fill(field, value).await;
    }
    browser.snap(&format!("j4-{lang}-1-form")).await;
    browser.submit("form[action='/customers/new']").await;
    assert_eq!(
        browser.wait_text("h1", |t| t == confirm_title).await,
        confirm_title
    );
    let address = browser.text("#normalised-address").await;
    assert!(address.contains("01310-100"), "{address}");
    browser.snap(&format!("j4-{lang}-2-confirm")).await;
    browser.submit("form[action='/customers/confirm']").await;
    let flash = browser
        .wait_text(".flash-success", |t| t.starts_with(activated))
        .await;
    assert!(flash.starts_with(activated), "{flash}");
    browser.snap(&format!("j4-{lang}-3-customer")).await;
    browser.goto(&app.url("/customers")).await;
    browser.fill("#f-q", "padaria sao joao").await;
    browser.submit("form.filters").await;
    let first = browser
        .wait_text("#customers tbody tr", |t| t.contains("Padaria São João"))
        .await;
    assert!(first.contains("Padaria São João"), "{first}");
    browser.close().await;
}

#[tokio::test]
async fn j4_add_customer_in_portuguese() {
    add_customer(
        "pt-BR",
        ["Confirme o endereço", "Cliente ativado com sucesso"],
    )
    .await;
}

#[tokio::test]
async fn j4_add_customer_in_spanish() {
    add_customer(
        "es",
        ["Confirma la dirección", "Cliente activado correctamente"],
    )
    .await;
}

/// Signed in, finds `sku` in a new order for `customer` by `query` and adds `quantity` seats
/// (yearly, billed monthly) to the cart.
async fn add_to_cart(
    app: &TestApp,
    browser: &Browser,
    customer: uuid::Uuid,
    query: &str,
    sku: &str,
    quantity: &str,
) {
    browser.wait_path("/").await;
    browser
        .goto(&app.url(&format!("/orders/new?customer={customer}&q={query}")))
        .await;
    browser.choose(&format!("#o-{sku}"), "P1Y:monthly").await;
    browser.fill(&format!("#q-{sku}"), quantity).await;
    browser.submit(&format!("#add-{sku}")).await;
}

/// J5 in a browser: order 10 seats for a new Microsoft tenant configured inside the order; the
/// order page shows it completing without a manual reload.
async fn order_licenses(lang: &str, completed: &str) {
    let app = TestApp::spawn().await;
    let (_, owner, customer) = app.reseller_with_customer().await;
    let Some(browser) = Browser::start(lang).await else {
        return;
    };
    sign_in(&app, &browser, &owner).await;
    add_to_cart(
        &app,
        &browser,
        customer,
        "business+standard",
        "CFQ7TTC0LDPB",
        "10",
    )
    .await;
    // The new tenant is configured inside the order: its prefix checked, the vendor's data
    // confirmed (prefilled from the customer).
    browser
        .wait_text("#configure-microsoft-new", |_| true)
        .await;
    browser.fill("#c-prefix", "contosomx").await;
    browser
        .click("#configure-microsoft-new button[value=check]")
        .await;
    browser
        .wait_text(".notice", |t| t.contains("contosomx.onmicrosoft.com"))
        .await;
    browser.scroll_to("#configure").await;
    browser.snap(&format!("j5-{lang}-0-configure")).await;
    browser
        .click("#configure-microsoft-new button[value=apply]")
        .await;
    browser
        .wait_text("#cart", |t| t.contains("contosomx.onmicrosoft.com"))
        .await;
    browser.scroll_to("#cart").await;
    browser.snap(&format!("j5-{lang}-1-cart")).await;
    // Placing asks to confirm what the order commits to.
    assert!(!browser.text("#commitment").await.is_empty());
    browser.accept_confirm().await;
    browser.submit("form.place-order").await;
    let status = browser.wait_text("#order-status", |t| t == completed).await;
    assert_eq!(status, completed);
    browser.snap(&format!("j5-{lang}-2-order")).await;
    // The customer's page now lists the subscription.
    browser
        .goto(&app.url(&format!("/customers/{customer}")))
        .await;
    let subs = browser
        .wait_text("#customer-subscriptions tbody", |t| {
            t.contains("Business Standard")
        })
        .await;
    browser.snap(&format!("j5-{lang}-3-customer")).await;
    assert!(subs.contains("Business Standard"), "{subs}");
    // The orders list, filtered by this customer.
    browser
        .goto(&app.url(&format!("/orders?customer={customer}")))
        .await;
    let rows = browser
        .wait_text("#orders tbody", |t| t.contains("ORD-"))
        .await;
    assert!(rows.contains("Contoso"), "{rows}");
    browser.snap(&format!("j5-{lang}-4-orders")).await;
    browser.close().await;
}

#[tokio::test]
async fn j5_order_in_spanish() {
    order_licenses("es", "Completado").await;
}

#[tokio::test]
async fn j5_order_in_english() {
    order_licenses("en", "Completed").await;
}

/// J5 with a Google Workspace transfer, in Portuguese: the page explains the token with the
/// reseller's public id; a wrong token is refused beside its field; the right one transfers.
#[tokio::test]
async fn j5_google_transfer_in_portuguese() {
    let app = TestApp::spawn().await;
    let (r, owner, customer) = app.reseller_with_customer().await;
    let public_id = app.public_id(r).await;
    let token = portal::vendors::Sandbox::new(app.db.clone())
        .issue_transfer_token("contoso-mx.example", &public_id, time::Duration::days(14))
        .await
        .unwrap();
    let Some(browser) = Browser::start("pt-BR").await else {
        return;
    };
    sign_in(&app, &browser, &owner).await;
    add_to_cart(
        &app,
        &browser,
        customer,
        "workspace+business+standard",
        "GWS-BUSINESS-STANDARD",
        "25",
    )
    .await;
    let help = browser
        .wait_text("#transfer-help", |t| t.contains("Google"))
        .await;
    assert!(help.contains(&public_id), "{help}");
    browser.fill("#t-domain", "contoso-mx.example").await;
    browser.fill("#t-token", "WRONG-TOKEN").await;
    browser.submit("#configure-google-transfer").await;
    let error = browser.wait_text("#e-token", |t| !t.is_empty()).await;
    assert!(error.contains("não reconhece"), "{error}");
    browser.scroll_to("#configure-google-transfer").await;
    browser.snap("j5-pt-BR-transfer-refused").await;
    browser.fill("#t-token", &token).await;
    browser.submit("#configure-google-transfer").await;
    browser
        .wait_text("#chosen-google", |t| t.contains("transferência"))
        .await;
    browser.scroll_to("#configure").await;
    browser.snap("j5-pt-BR-transfer").await;
    // Placing asks to confirm what the order commits to.
    assert!(!browser.text("#commitment").await.is_empty());
    browser.accept_confirm().await;
    browser.submit("form.place-order").await;
    let status = browser
        .wait_text("#order-status", |t| t == "Concluído")
        .await;
    assert_eq!(status, "Concluído");
    browser.close().await;
}

/// J5's failure and J12's retry in a browser, in English: the vendor declines the payment, the
/// reseller reads why on the order page; the payment fixed, staff retry the failed line and the
/// order completes.
#[tokio::test]
async fn failed_order_is_explained_and_staff_retry_it_in_english() {
    let app = TestApp::spawn().await;
    let (r, owner, customer) = app.reseller_with_customer().await;
    app.vendor_tenant(
        r,
        customer,
        "microsoft",
        "linked",
        "payment-declined.onmicrosoft.com",
        "ms-1",
    )
    .await;
    let Some(browser) = Browser::start("en").await else {
        return;
    };
    sign_in(&app, &browser, &owner).await;
    add_to_cart(
        &app,
        &browser,
        customer,
        "business+standard",
        "CFQ7TTC0LDPB",
        "10",
    )
    .await;
    browser
        .wait_text("#cart", |t| t.contains("payment-declined.onmicrosoft.com"))
        .await;
    // Placing asks to confirm what the order commits to.
    assert!(!browser.text("#commitment").await.is_empty());
    browser.accept_confirm().await;
    browser.submit("form.place-order").await;
    assert_eq!(
        browser.wait_text("#order-status", |t| t == "Failed").await,
        "Failed"
    );
    let timeline = browser
        .wait_text("#timeline", |t| t.contains("declined"))
        .await;
    assert!(
        timeline.contains("The vendor declined the reseller's payment method."),
        "{timeline}"
    );
    browser.snap("j12-en-0-failed-order").await;
    browser.close().await;

    portal::vendors::Sandbox::new(app.db.clone())
        .fix_payment("payment-declined.onmicrosoft.com")
        .await
        .unwrap();
    let staff = app.staff("staff@distri.example").await;
    let Some(browser) = Browser::start("en").await else {
        return;
    };
    sign_in(&app, &browser, &staff).await;
    browser.goto(&app.url("/staff/orders?status=failed")).await;
    browser
        .wait_text("#staff-orders tbody", |t| t.contains("Contoso"))
        .await;
    browser.click("#staff-orders tbody a").await;
    let lines = browser
        .wait_text("#lines", |t| t.contains("declined"))
        .await;
    assert!(lines.contains("Business Standard"), "{lines}");
    browser.scroll_to("#lines").await;
    browser.snap("j12-en-1-staff-order").await;
    browser.click("form.retry-line button").await;
    let status = browser
        .wait_text("#order-status", |t| t == "Completed")
        .await;
    assert_eq!(status, "Completed");
    browser.close().await;
    assert_eq!(app.count("SELECT count(*) FROM subscriptions").await, 1);
}

/// A reseller's owner whose customer bought 10 seats of Business Standard (the worker
/// provisioned them): the owner, the customer and the subscription.
async fn ten_seats_bought(app: &TestApp) -> (TestUser, uuid::Uuid, uuid::Uuid) {
    let (_, owner, customer) = crate::orders::setup(app, "contoso.onmicrosoft.com").await;
    app.sign_in(&owner).await;
    let cart = crate::orders::add_to_cart(app, &app.client, customer, "CFQ7TTC0LDPB", "10").await;
    let order = crate::orders::order_id(&app.submit(&cart.form("form.place-order")).await);
    crate::orders::wait_status(app, order, "completed").await;
    let id = sqlx::query_scalar("SELECT id FROM subscriptions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    (owner, customer, id)
}

/// J6 in a browser: five seats added (the preview's charge and deadline read before
/// confirming), two of them reduced the same day for a refund, auto-renew turned off, each
/// step in the history once the vendor answered (the page updates itself meanwhile).
async fn manage_subscription(lang: &str, seats: &str, history: &[&str]) {
    let app = TestApp::spawn().await;
    let (owner, _, id) = ten_seats_bought(&app).await;
    let Some(browser) = Browser::start(lang).await else {
        return;
    };
    sign_in(&app, &browser, &owner).await;
    browser
        .goto(&app.url(&format!("/subscriptions/{id}")))
        .await;
    browser.wait_text("#seats", |t| t == "10").await;
    browser.fill("#f-add", "5").await;
    browser.submit("#add-seats").await;
    let effect = browser
        .wait_text("#money-effect", |t| t.contains("66"))
        .await;
    assert!(effect.contains("66"), "{effect}");
    browser.wait_text("#deadline", |t| t.contains('5')).await;
    browser.snap(&format!("j6-{lang}-1-preview")).await;
    browser.submit("#confirm-change").await;
    browser.wait_text("#seats", |t| t == "15").await;
    browser.snap(&format!("j6-{lang}-2-added")).await;

    // The new batch is the last one; two of its seats go back.
    browser
        .fill("#batches tbody tr:last-child input[name=quantity]", "2")
        .await;
    browser.submit("#batches tbody tr:last-child form").await;
    let refund = browser
        .wait_text("#money-effect", |t| t.contains("26"))
        .await;
    assert!(refund.contains("26"), "{refund}");
    browser.submit("#confirm-change").await;
    browser.wait_text("#seats", |t| t == seats).await;

    browser.submit("#auto-renew").await;
    browser.wait_text("#preview", |_| true).await;
    browser.submit("#confirm-change").await;
    browser.wait_text("#renewal", |t| t == "Manual").await;
    let shown = browser.text("#history tbody").await;
    for step in history {
        assert!(shown.contains(step), "{step} not in {shown}");
    }
    browser.scroll_to("#history").await;
    browser.snap(&format!("j6-{lang}-3-history")).await;
    browser.close().await;
}

#[tokio::test]
async fn j6_manage_a_subscription_in_spanish() {
    manage_subscription(
        "es",
        "13",
        &[
            "+5 licencias (10 → 15)",
            "−2 licencias (15 → 13)",
            "Renovación automática desactivada",
        ],
    )
    .await;
}

#[tokio::test]
async fn j6_manage_a_subscription_in_english() {
    manage_subscription(
        "en",
        "13",
        &[
            "+5 seats (10 → 15)",
            "−2 seats (15 → 13)",
            "Auto-renew turned off",
        ],
    )
    .await;
}

/// J6 "Users and licenses" in a browser: from the customer's tenant, a new user (its temporary
/// password shown once the vendor made it) gets a licence of the tenant's subscription, which
/// the subscription's page counts.
async fn users_and_licences(lang: &str, texts: [&str; 5]) {
    let app = TestApp::spawn().await;
    let (owner, customer, id) = ten_seats_bought(&app).await;
    let Some(browser) = Browser::start(lang).await else {
        return;
    };
    sign_in(&app, &browser, &owner).await;
    browser
        .goto(&app.url(&format!("/customers/{customer}")))
        .await;
    browser.click("a.tenant-users").await;
    browser.wait_url("/users").await;
    browser.fill("#f-display_name", "Ana López").await;
    browser.fill("#f-user_name", "ana").await;
    browser.snap(&format!("licences-{lang}-1-new-user")).await;
    browser.submit("#new-user").await;
    // The page updates itself until the vendor made the user, then shows its password once.
    browser.wait_text("#user-status", |t| t == texts[0]).await;
    let password = browser
        .wait_text("#password-value", |t| t.chars().count() == 16)
        .await;
    assert_eq!(password.chars().count(), 16);
    browser.snap(&format!("licences-{lang}-2-created")).await;
    browser.submit(&format!("#licence-{id} form.assign")).await;
    browser
        .wait_text(&format!("#licence-{id} .held"), |t| t == texts[1])
        .await;
    browser
        .goto(&app.url(&format!("/subscriptions/{id}")))
        .await;
    let assigned = browser.wait_text("#assigned", |t| t == texts[2]).await;
    assert_eq!(assigned, texts[2]);
    browser.scroll_to("#licence-holders").await;
    browser
        .snap(&format!("licences-{lang}-3-subscription"))
        .await;

    // A file of two rows, one of them for another domain: the preview says which and why,
    // and offers nothing to apply; the corrected file applies and its progress is followed.
    browser
        .goto(&app.url(&format!("/customers/{customer}")))
        .await;
    browser.click("a.tenant-users").await;
    browser.wait_url("/users").await;
    browser.click("#bulk-link").await;
    browser.wait_url("/bulk").await;
    let dir = std::env::temp_dir().join(format!("portal-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("team.csv");
    std::fs::write(
        &file,
        "user_name;display_name;licence;action
         luis;Luis Pérez;CFQ7TTC0LDPB;add
         marta@fabrikam.com;Marta Gil;CFQ7TTC0LDPB;add
",
    )
    .unwrap();
    browser.attach("#f-file", &file).await;
    browser.snap(&format!("licences-{lang}-4-bulk")).await;
    browser.submit("#bulk-upload").await;
    let problem = browser
        .wait_text("#batch-problems tbody tr", |t| t.starts_with('3'))
        .await;
    assert!(problem.contains(texts[3]), "{problem}");
    assert!(browser.text("#not-applicable").await.len() > 10);
    browser.snap(&format!("licences-{lang}-5-preview")).await;
    std::fs::write(
        &file,
        "user_name;display_name;licence;action
luis;Luis Pérez;CFQ7TTC0LDPB;add
",
    )
    .unwrap();
    browser.click("a[href$='/bulk'].button").await;
    browser.wait_url("/bulk").await;
    browser.attach("#f-file", &file).await;
    browser.submit("#bulk-upload").await;
    browser
        .wait_text("#batch-steps", |t| t.contains("luis@"))
        .await;
    browser.submit("#apply-batch").await;
    let done = browser
        .wait_text("#batch-progress", |t| t.starts_with(texts[4]))
        .await;
    assert!(done.starts_with(texts[4]), "{done}");
    browser.snap(&format!("licences-{lang}-6-applied")).await;
    std::fs::remove_dir_all(&dir).ok();
    browser.close().await;
}

#[tokio::test]
async fn j6_users_and_licences_in_spanish() {
    users_and_licences(
        "es",
        [
            "Activo",
            "Asignada",
            "1 de 10 licencias asignadas",
            "El nombre de usuario debe estar en el dominio del tenant.",
            "2 de 2 cambios hechos",
        ],
    )
    .await;
}

#[tokio::test]
async fn j6_users_and_licences_in_english() {
    users_and_licences(
        "en",
        [
            "Active",
            "Assigned",
            "1 of 10 seats assigned",
            "The user name must be in the tenant's domain.",
            "2 of 2 changes done",
        ],
    )
    .await;
}

/// J7 in a browser: last month's invoice, its prorated line followed to the seat change that
/// caused it, and one customer's part of the invoice with its reconciliation file, which adds
/// up to the invoice.
async fn invoices(lang: &str, texts: [&str; 3], size: (u32, u32)) {
    let app = TestApp::spawn_with(crate::orders::no_worker()).await;
    let (owner, id, change) = crate::billing::billed_history(&app).await;
    crate::billing::run(&app, crate::billing::last_month()).await;
    let Some(browser) = Browser::start_sized(lang, size).await else {
        return;
    };
    sign_in(&app, &browser, &owner).await;
    browser.goto(&app.url("/billing")).await;
    browser.wait_path("/billing").await;
    assert_eq!(
        browser
            .attr("nav.main-nav a[href='/billing']", "aria-current")
            .await
            .as_deref(),
        Some("page")
    );
    browser
        .snap(&format!("billing-{lang}-{}-1-list", size.0))
        .await;
    browser.click("#invoices tbody a").await;
    let title = browser.wait_text("h1", |t| t.starts_with(texts[0])).await;
    assert!(title.contains("INV-"), "{title}");
    let cause = browser.text(".invoice-lines a.cause").await;
    assert_eq!(cause, texts[1]);
    browser
        .snap(&format!("billing-{lang}-{}-2-invoice", size.0))
        .await;
    browser.scroll_to(".invoice-lines").await;
    browser
        .snap(&format!("billing-{lang}-{}-2-lines", size.0))
        .await;
    browser.click(".invoice-lines a.cause").await;
    let url = browser.wait_url(&format!("#change-{change}")).await;
    assert!(url.contains(&format!("/subscriptions/{id}")), "{url}");
    let row = browser.text(&format!("#change-{change}")).await;
    assert!(row.contains(texts[2]), "{row}");
    browser
        .snap(&format!("billing-{lang}-{}-3-change", size.0))
        .await;
    browser.goto(&app.url("/billing")).await;
    browser.click("#invoices tbody a").await;
    browser.wait_text("h1", |t| t.starts_with(texts[0])).await;
    browser
        .click("#invoice-customers tbody td:first-child a")
        .await;
    browser.wait_url("customer=").await;
    let file = browser.attr("#reconciliation-csv", "href").await.unwrap();
    assert!(file.contains("customer="), "{file}");
    browser
        .snap(&format!("billing-{lang}-{}-4-customer", size.0))
        .await;
    browser.close().await;
    // The file the button downloads adds up to the invoice.
    let csv = app.get_raw(&file).await.text().await.unwrap();
    let subtotal: rust_decimal::Decimal = sqlx::query_scalar("SELECT subtotal FROM invoices")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(crate::billing::column_sum(&csv, "Subtotal"), subtotal);
}

#[tokio::test]
async fn j7_invoices_in_spanish() {
    invoices("es", ["Factura", "Licencias agregadas", "+5"], (1280, 900)).await;
}

#[tokio::test]
async fn j7_invoices_in_english() {
    invoices("en", ["Invoice", "Seats added", "+5 seats"], (1280, 900)).await;
}

#[tokio::test]
async fn j7_invoices_in_portuguese_on_a_phone() {
    invoices(
        "pt-BR",
        ["Fatura", "Licenças adicionadas", "+5"],
        (390, 844),
    )
    .await;
}

/// J7's "done when", on a fresh start with the demo data: the owner opens last month's invoice,
/// follows a prorated line to the seat change that caused it, takes one customer's consumption
/// summary as XLSX and the reconciliation CSV, whose totals match the invoice to the cent; staff
/// run the month again and it still has one invoice.
#[tokio::test]
async fn j7_done_when_on_the_demo_data() {
    use rust_decimal::Decimal;
    let app = TestApp::spawn_with(crate::orders::no_worker()).await;
    let owner = crate::subscriptions::demo(&app).await;
    let month = crate::billing::last_month();
    let Some(browser) = Browser::start("es").await else {
        return;
    };
    sign_in(&app, &browser, &owner).await;
    browser.goto(&app.url("/billing")).await;
    browser.click("#invoices tbody tr:first-child a").await;
    let title = browser.wait_text("h1", |t| t.starts_with("Factura")).await;
    let number = title.trim_start_matches("Factura ").to_string();
    let invoice_url = browser.path().await;
    let (invoice, subtotal): (uuid::Uuid, Decimal) =
        sqlx::query_as("SELECT id, subtotal FROM invoices WHERE number = $1 AND period = $2")
            .bind(&number)
            .bind(month.first_day())
            .fetch_one(&app.db)
            .await
            .unwrap();
    // The prorated line of the five seats added to Business Basic leads to the seat change in
    // the subscription's history (the month may hold other changes: this one is named by id).
    let five: uuid::Uuid = sqlx::query_scalar(
        "SELECT c.id FROM subscription_changes c JOIN invoice_lines l ON l.change_id = c.id
         WHERE l.invoice_id = $1 AND c.kind = 'add_seats' AND c.seats_after - c.seats_before = 5",
    )
    .bind(invoice)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let prorated = format!(".invoice-lines a.cause[href$='#change-{five}']");
    let prorated = prorated.as_str();
    let cause = browser.text(prorated).await;
    assert_eq!(cause, "Licencias agregadas");
    browser.click(prorated).await;
    let url = browser.wait_url("#change-").await;
    let change = url.rsplit('#').next().unwrap().to_string();
    let row = browser.text(&format!("#{change}")).await;
    assert!(row.contains("+5"), "{row}");
    browser.snap("j7-demo-1-change").await;

    // One customer's consumption summary (XLSX) and the reconciliation file (CSV).
    browser.goto(&app.url(&invoice_url)).await;
    let papeleria = "#invoice-customers tbody tr:nth-child(2)";
    assert!(browser.text(papeleria).await.contains("Papelería"));
    let xlsx_link = browser
        .attr(&format!("{papeleria} a[href*='consumption.xlsx']"), "href")
        .await
        .unwrap();
    let csv_link = browser.attr("#reconciliation-csv", "href").await.unwrap();
    browser.snap("j7-demo-2-invoice").await;
    browser.close().await;
    // (The demo's owner is signed in on the test's own client too.)
    let xlsx = app.get_raw(&xlsx_link).await.bytes().await.unwrap();
    let customer = xlsx_link.rsplit('=').next().unwrap().to_string();
    let usage: Decimal = sqlx::query_scalar(
        "SELECT sum(cost) FROM invoice_lines WHERE invoice_id = $1 AND kind = 'usage' AND customer_id = $2::uuid",
    )
    .bind(invoice)
    .bind(&customer)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let (sum, rows) = crate::billing::sheet_sum(&xlsx, "Subtotal");
    assert!(rows >= 3, "{rows}");
    assert_eq!(sum, usage);
    let csv = app.get_raw(&csv_link).await.text().await.unwrap();
    assert_eq!(crate::billing::column_sum(&csv, "Subtotal"), subtotal);

    // Staff run the month again: still one invoice.
    crate::billing::run(&app, month).await;
    crate::billing::run(&app, month).await;
    let invoices: i64 = sqlx::query_scalar("SELECT count(*) FROM invoices WHERE period = $1")
        .bind(month.first_day())
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(invoices, 1);
}

/// Credit notes in a browser: staff open an issued invoice from the billing console, tick a
/// line and credit it with a reason (English); the reseller's owner sees the note and the
/// invoice partly credited (Portuguese, on a phone).
#[tokio::test]
async fn a_credit_note_from_the_staff_console_to_the_reseller() {
    let app = TestApp::spawn_with(crate::orders::no_worker()).await;
    let (owner, _, _) = crate::billing::billed_history(&app).await;
    crate::billing::run(&app, crate::billing::last_month()).await;
    let staff = app.staff("ops@distribuidor.example").await;
    let Some(browser) = Browser::start("en").await else {
        return;
    };
    sign_in(&app, &browser, &staff).await;
    browser.goto(&app.url("/staff/billing")).await;
    browser
        .click("#staff-invoices tbody tr:first-child a")
        .await;
    browser
        .wait_text("h1", |t| t.starts_with("Invoice INV-"))
        .await;
    browser.snap("credit-note-en-1280-1-staff-invoice").await;
    browser.click("#f-line-1").await;
    browser
        .fill("#f-reason", "Seats billed twice in November")
        .await;
    browser.submit("#issue-credit-note").await;
    let flash = browser.wait_text(".flash", |t| t.contains("CN-")).await;
    assert!(flash.contains("issued"), "{flash}");
    assert_eq!(browser.text("#invoice-status").await, "Partly credited");
    browser.snap("credit-note-en-1280-2-issued").await;
    browser.close().await;

    let Some(browser) = Browser::start_sized("pt-BR", (390, 844)).await else {
        return;
    };
    sign_in(&app, &browser, &owner).await;
    browser
        .goto(&app.url("/billing?status=partly_credited"))
        .await;
    browser.click("#invoices tbody tr:first-child a").await;
    browser
        .wait_text("h1", |t| t.starts_with("Fatura INV-"))
        .await;
    assert_eq!(
        browser.text("#invoice-status").await,
        "Parcialmente creditada"
    );
    assert!(
        browser
            .text("#credit-notes")
            .await
            .contains("Seats billed twice in November")
    );
    browser.scroll_to("#credit-notes").await;
    browser.snap("credit-note-pt-BR-390-3-reseller").await;
    browser.close().await;
}

/// J8's "done when", on a fresh start with the demo data: the owner signs in and sees this month
/// against last with the demo's figures, follows "windows closing" to the subscription it means,
/// opens one customer's consumption over the last six months from its page, and takes its data
/// as CSV, which says what the page says.
async fn dashboard_and_report(lang: &str, size: (u32, u32), texts: [&str; 3]) {
    use portal::i18n::Locale;
    use rust_decimal::Decimal;
    let app = TestApp::spawn_with(crate::orders::no_worker()).await;
    let owner = crate::subscriptions::demo(&app).await;
    let locale = Locale::from_tag(lang).unwrap();
    let flat = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let money = |a: Decimal| flat(&portal::i18n::format_money(locale, a, "USD"));
    let zone: Option<String> = sqlx::query_scalar("SELECT time_zone FROM resellers WHERE id = $1")
        .bind(owner.reseller_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (this, last) =
        portal::reports::figures::months(time::OffsetDateTime::now_utc(), zone.as_deref());
    let licences = |m: portal::billing::charges::Month| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, Decimal>(
                "SELECT licence_price FROM sales_months WHERE month = $1",
            )
            .bind(m.first_day())
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    let Some(browser) = Browser::start_sized(lang, size).await else {
        return;
    };
    sign_in(&app, &browser, &owner).await;
    browser.goto(&app.url("/")).await;
    // The demo's owner reads Spanish until they choose otherwise.
    browser
        .click(&format!("nav.lang button[lang={lang}]"))
        .await;
    browser
        .wait_text("#kpi-consumption .tile-label", |t| t == texts[1])
        .await;
    let shown = browser
        .wait_text("#kpi-purchases .tile-number", |t| !t.is_empty())
        .await;
    assert_eq!(flat(&shown), money(licences(this).await));
    let kpi = flat(&browser.text("#kpi-purchases").await);
    assert!(kpi.contains(&money(licences(last).await)), "{kpi}");
    assert!(kpi.contains(texts[0]), "{kpi}");
    browser
        .snap(&format!("j8-{lang}-{}-1-dashboard", size.0))
        .await;

    // Windows closing: the demo's Business Standard, whose window closes tomorrow.
    assert_eq!(browser.text("#attention-windows .tile-number").await, "10");
    browser.click("#attention-windows").await;
    browser.wait_path("/subscriptions").await;
    let rows = browser.text("#subscriptions tbody").await;
    assert!(rows.contains("Business Standard"), "{rows}");
    browser
        .click("#subscriptions tbody tr:first-child a[href^='/subscriptions/']")
        .await;
    let title = browser
        .wait_text("h1", |t| t.contains("Business Standard"))
        .await;
    assert!(title.contains("Business Standard"));
    browser
        .snap(&format!("j8-{lang}-{}-2-subscription", size.0))
        .await;

    // One customer's consumption over the last six months, from its page.
    let customer: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM customers WHERE legal_name = 'Papelería La Esperanza'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    browser
        .goto(&app.url(&format!("/customers/{customer}")))
        .await;
    browser.click("#customer-report").await;
    let caption = browser
        .wait_text("#report-head", |t| t.contains("Papelería"))
        .await;
    assert!(caption.contains(texts[1]), "{caption}");
    let usage: Decimal = sqlx::query_scalar(
        "SELECT usage_price FROM sales_by_customer WHERE month = $1 AND customer_id = $2",
    )
    .bind(last.first_day())
    .bind(customer)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(usage > Decimal::ZERO, "the demo's Azure plan is used");
    let table = flat(&browser.text("#report-data").await);
    assert!(table.contains(&money(usage)), "{table}");
    assert!(
        table.to_lowercase().contains(&texts[2].to_lowercase()),
        "{table}"
    );
    assert!(browser.attr("#chart", "src").await.is_some());
    browser
        .snap(&format!("j8-{lang}-{}-3-report", size.0))
        .await;
    let csv_link = browser.attr("#report-csv", "href").await.unwrap();
    // On a phone the menu folds behind its button, and opens from it.
    if size.0 < 640 {
        assert_eq!(
            browser
                .attr(".menu-toggle", "aria-expanded")
                .await
                .as_deref(),
            Some("false")
        );
        browser.click(".menu-toggle").await;
        browser.snap(&format!("j8-{lang}-{}-4-menu", size.0)).await;
        browser.click("#main-nav a[href='/orders']").await;
        browser.wait_path("/orders").await;
    }
    browser.close().await;
    // The CSV says what the page says (the demo's owner is signed in on the test's client too).
    let csv = app.get_raw(&csv_link).await.text().await.unwrap();
    let row = csv
        .lines()
        .find(|l| l.starts_with(&last.code()))
        .unwrap_or_else(|| panic!("no {} in {csv}", last.code()));
    assert!(row.contains(&format!("{:.2}", usage)), "{row}");
}

#[tokio::test]
async fn j8_dashboard_and_a_report_in_spanish() {
    dashboard_and_report("es", (1280, 900), ["el mes pasado", "Consumo", "Total"]).await;
}

#[tokio::test]
async fn j8_dashboard_and_a_report_in_english_on_a_phone() {
    dashboard_and_report("en", (390, 844), ["last month", "Consumption", "Total"]).await;
}

/// J11 in a browser, on the demo data: from the help centre the owner opens a ticket about a
/// failed order, linked to it; its number and due date come by e-mail; staff answer it from the
/// desk with an internal note first; the owner reads the answer (never the note) and closes it.
async fn support_ticket(lang: &str, texts: [&str; 3]) {
    let app = TestApp::spawn_with(crate::orders::no_worker()).await;
    let owner = crate::subscriptions::demo(&app).await;
    let order: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM orders WHERE reseller_id = $1 ORDER BY number LIMIT 1")
            .bind(owner.reseller_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    sqlx::query("UPDATE orders SET status = 'failed' WHERE id = $1")
        .bind(order)
        .execute(&app.db)
        .await
        .unwrap();
    let staff = app.staff("desk@distribuidor.example").await;
    // The demo's own e-mails (its invoices) first.
    crate::subscriptions::drain(&app).await;
    let before = app.smtp.count_to(&owner.email);
    let Some(browser) = Browser::start(lang).await else {
        return;
    };
    sign_in(&app, &browser, &owner).await;
    browser.goto(&app.url("/support/tickets")).await;
    browser
        .click(&format!("nav.lang button[lang={lang}]"))
        .await;
    // The page's help link opens the tickets' article.
    browser.wait_text("#new-ticket", |t| t == texts[0]).await;
    browser.click("#help-link").await;
    browser.wait_path("/support/help/support-tickets").await;
    browser.click("a[href='/support/tickets/new']").await;
    browser.wait_path("/support/tickets/new").await;
    browser.choose("#f-category", "order_failed").await;
    browser.fill("#f-subject", "ORD failed").await;
    browser
        .fill("#f-description", "The vendor rejected it; see the order.")
        .await;
    browser.choose("#f-link", &format!("order:{order}")).await;
    // A screenshot of the failure.
    let shot = std::env::temp_dir().join(format!("j11-{lang}-{}.png", uuid::Uuid::new_v4()));
    std::fs::write(
        &shot,
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0",
    )
    .unwrap();
    browser.attach("#f-files", &shot).await;
    browser.snap(&format!("j11-{lang}-1-new-ticket")).await;
    browser.submit("#ticket-form").await;
    let number = browser
        .wait_text("#ticket-number", |t| t.starts_with("CSCS-"))
        .await;
    let due = browser.text("#ticket-due").await;
    assert!(browser.text("#ticket-link").await.starts_with("ORD-"));
    let attached = browser.text("#conversation .files").await;
    assert!(attached.contains(".png"), "{attached}");
    let _ = std::fs::remove_file(&shot);
    browser.snap(&format!("j11-{lang}-2-ticket")).await;
    crate::subscriptions::drain(&app).await;
    let mail = app.smtp.wait_for_nth(&owner.email, before + 1).await;
    assert!(mail.subject.contains(&number), "{}", mail.subject);
    let due_day = due
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(mail.text.contains(&due_day), "{due} not in {}", mail.text);
    sign_out(&browser).await;

    // Staff: a note, then the answer.
    sign_in(&app, &browser, &staff).await;
    browser.goto(&app.url("/staff/tickets?status=open")).await;
    browser
        .click(&format!("nav.lang button[lang={lang}]"))
        .await;
    browser.wait_text("#tickets", |t| t.contains(&number)).await;
    browser.click("#tickets tbody tr:first-child a").await;
    browser.wait_text("#ticket-number", |t| t == number).await;
    browser
        .fill("#f-body", "Internal: domain taken at the vendor.")
        .await;
    browser.click("#f-internal").await;
    browser.submit("#answer-form").await;
    browser
        .wait_text("#conversation", |t| t.contains("Internal: domain"))
        .await;
    browser
        .fill("#f-body", "We placed it again with another domain.")
        .await;
    browser.submit("#answer-form").await;
    browser.wait_text("#ticket-status", |t| t == texts[1]).await;
    browser.snap(&format!("j11-{lang}-3-desk")).await;
    sign_out(&browser).await;

    // The owner reads the answer, not the note, and closes the ticket.
    sign_in(&app, &browser, &owner).await;
    crate::subscriptions::drain(&app).await;
    let answer = app.smtp.wait_for_nth(&owner.email, before + 2).await;
    let link = answer.link_to("/support/tickets/").unwrap();
    browser.goto(&link).await;
    let conversation = browser
        .wait_text("#conversation", |t| t.contains("another domain"))
        .await;
    assert!(!conversation.contains("Internal"), "{conversation}");
    browser.accept_confirm().await;
    browser.submit("form[action$='/close']").await;
    browser.wait_text("#ticket-status", |t| t == texts[2]).await;
    browser.snap(&format!("j11-{lang}-4-closed")).await;
    browser.close().await;
}

#[tokio::test]
async fn j11_a_ticket_opened_answered_and_closed_in_spanish() {
    support_ticket("es", ["Nuevo ticket", "Esperando al revendedor", "Cerrado"]).await;
}

#[tokio::test]
async fn j11_a_ticket_opened_answered_and_closed_in_portuguese() {
    support_ticket("pt-BR", ["Novo chamado", "Aguardando a revenda", "Fechado"]).await;
}

/// On a phone, in Portuguese: the customer form's labels follow the country as it changes, a
/// list's filters fold behind "Mais filtros" and open from it, and a product's own markup is set
/// from its product page.
#[tokio::test]
async fn a_customer_form_filters_and_a_product_markup_in_portuguese_on_a_phone() {
    let app = TestApp::spawn().await;
    let (r, owner) = app.alfa_owner().await;
    app.demo_catalog(Some(r)).await;
    let Some(browser) = Browser::start_sized("pt-BR", (390, 844)).await else {
        return;
    };
    sign_in(&app, &browser, &owner).await;
    browser.goto(&app.url("/customers/new")).await;
    browser.choose("#f-country", "MX").await;
    assert_eq!(browser.text("label[for='f-tax_id']").await, "RFC");
    let line2 = browser.text("label[for='f-address_line2']").await;
    assert!(line2.starts_with("Colonia"), "{line2}");
    browser.choose("#f-country", "BR").await;
    assert_eq!(browser.text("label[for='f-tax_id']").await, "CNPJ");
    assert!(
        !browser
            .text("label[for='f-address_line2']")
            .await
            .starts_with("Colonia")
    );
    assert!(browser.text("#postal-hint").await.contains("01310-100"));
    assert!(
        !browser
            .text("label[for='f-state_registration']")
            .await
            .is_empty()
    );
    browser.snap("customer-form-pt-BR-390-brazil").await;

    browser.goto(&app.url("/customers")).await;
    assert_eq!(browser.text(".more-filters").await, "Mais filtros");
    assert_eq!(browser.text("label[for='f-country']").await, "");
    browser.click(".more-filters").await;
    assert_eq!(browser.text("label[for='f-country']").await, "País");
    browser.snap("customers-pt-BR-390-filters").await;

    browser.goto(&app.url("/catalog/CFQ7TTC0LDPB")).await;
    browser.click("#set-product-markup").await;
    browser.fill("#f-product_markup", "5").await;
    browser
        .submit("form[action='/partner/pricing/products']")
        .await;
    let row = browser
        .wait_text("#product-markup-CFQ7TTC0LDPB", |t| t.contains("5,00 %"))
        .await;
    assert!(row.contains("Própria"), "{row}");
    browser.snap("pricing-pt-BR-390-product-markup").await;
    browser.close().await;
}
