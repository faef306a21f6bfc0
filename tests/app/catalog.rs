//! The catalog (J9) and its staff side: search with accents and typos, filters, sorting and
//! pages, prices in force on a date with the reseller's own price, CSV import (all or nothing)
//! and export, and role rules.

use crate::common::{Page, TestApp, TestUser};
use reqwest::StatusCode;

/// The demo catalog, a reseller approved in Microsoft CSP and Google Workspace, and its owner.
async fn with_catalog(app: &TestApp) -> (uuid::Uuid, TestUser) {
    let (r, owner) = app.alfa_owner().await;
    app.demo_catalog(Some(r)).await;
    (r, owner)
}

fn names(page: &Page) -> Vec<String> {
    page.texts(".product-card h2")
}

#[tokio::test]
async fn search_forgives_accents_case_and_small_typos() {
    let app = TestApp::spawn().await;
    let (_, owner) = with_catalog(&app).await;
    app.sign_in(&owner).await;
    let page = app.get("/catalog?q=busines+standar").await;
    assert_eq!(page.status, StatusCode::OK);
    let found = names(&page);
    assert!(
        found.iter().any(|n| n == "Microsoft 365 Business Standard"),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|n| n == "Google Workspace Business Standard"),
        "{found:?}"
    );
    // The best match comes first.
    assert!(found[0].contains("Business Standard"), "{found:?}");
    // Accents and case do not matter; SKUs and descriptions are searched too.
    let page = app.get("/catalog?q=COLABORACI%C3%93N").await;
    assert!(!names(&page).is_empty());
    let page = app.get("/catalog?q=diagramas").await;
    assert!(
        names(&page).iter().all(|n| n.starts_with("Visio")),
        "{:?}",
        names(&page)
    );
    // An exact SKU, in any case, finds its product alone.
    let page = app.get("/catalog?q=cfq7ttc0lh18").await;
    assert_eq!(names(&page), ["Microsoft 365 Business Basic"]);
    // Vendors' abbreviations and a word one letter off find what they mean.
    let page = app.get("/catalog?q=M365+E3").await;
    assert_eq!(names(&page)[0], "Microsoft 365 E3", "{:?}", names(&page));
    let page = app.get("/catalog?q=gws").await;
    assert!(
        !names(&page).is_empty()
            && names(&page)
                .iter()
                .all(|n| n.starts_with("Google Workspace")),
        "{:?}",
        names(&page)
    );
    let page = app.get("/catalog?q=offce").await;
    assert!(
        names(&page).contains(&"Microsoft 365 Apps for business".to_string()),
        "{:?}",
        names(&page)
    );
    // The catalog's words follow its products: a new one is found with a typo at once.
    sqlx::query("UPDATE products SET name_es = 'Visio Planificador', name_en = 'Visio Planner', name_pt = 'Visio Planejador' WHERE sku = 'CFQ7TTC0HD33'")
        .execute(&app.db)
        .await
        .unwrap();
    let page = app.get("/catalog?q=planificadr").await;
    assert_eq!(names(&page)[0], "Visio Planificador", "{:?}", names(&page));
    let page = app.get("/catalog?q=zzzyyyxxx").await;
    assert!(names(&page).is_empty());
    assert!(page.text(".empty").starts_with("Ningún producto"));
}

#[tokio::test]
async fn filters_sorting_and_pages() {
    let app = TestApp::spawn().await;
    let (_, owner) = with_catalog(&app).await;
    app.sign_in(&owner).await;
    let page = app.get("/catalog?vendor=google").await;
    assert!(names(&page).iter().all(|n| n.starts_with("Google")));
    assert_eq!(names(&page).len(), 6);
    let page = app.get("/catalog?kind=consumption").await;
    assert_eq!(names(&page), ["Azure plan", "Google Cloud"]);
    let page = app
        .get("/catalog?program=microsoft-csp&category=project")
        .await;
    assert_eq!(names(&page).len(), 4);
    // Copilot has no monthly term.
    let page = app.get("/catalog?q=copilot&term=P1M").await;
    assert!(names(&page).is_empty());
    let page = app.get("/catalog?q=copilot&term=P1Y&billing=annual").await;
    assert_eq!(names(&page), ["Microsoft 365 Copilot"]);
    // A card's price is the lowest per month of the offers the filters chose, and says which.
    assert_eq!(
        page.text(".product-card .offer"),
        "compromiso de 1 año, facturación anual"
    );
    let page = app.get("/catalog?q=copilot").await;
    assert_eq!(
        page.text(".product-card .offer"),
        "compromiso de 3 años, facturación anual"
    );
    let page = app.get("/catalog?q=copilot&billing=monthly").await;
    assert_eq!(
        page.text(".product-card .offer"),
        "compromiso de 1 año, facturación mensual"
    );
    let page = app
        .get("/catalog?q=copilot&sort=price_asc&billing=monthly")
        .await;
    assert_eq!(
        page.text(".product-card .offer"),
        "compromiso de 1 año, facturación mensual",
        "the same when sorted by price"
    );
    // Sorted by price, the cheapest monthly price first.
    let page = app
        .get("/catalog?vendor=microsoft&kind=license&sort=price_asc")
        .await;
    assert_eq!(names(&page)[0], "Microsoft Defender for Business");
    let page = app
        .get("/catalog?vendor=microsoft&kind=license&sort=price_desc")
        .await;
    assert_eq!(names(&page)[0], "Microsoft 365 E5");
    // 24 per page; the filters stay in the page links.
    let mut tx = app.db.begin().await.unwrap();
    portal::seed::catalog::generate(&mut tx, 30, time::OffsetDateTime::now_utc().date())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let page = app.get("/catalog?sort=price_asc").await;
    assert_eq!(names(&page).len(), 24);
    let next = page.attr("a[rel=next]", "href").unwrap();
    assert!(
        next.contains("sort=price_asc") && next.contains("page=2"),
        "{next}"
    );
    let page2 = app.get(&next).await;
    assert_eq!(names(&page2).len(), 24);
    let page3 = app.get(&page2.attr("a[rel=next]", "href").unwrap()).await;
    assert_eq!(names(&page3).len(), 54 - 48);
    assert!(page3.attr("a[rel=next]", "href").is_none());
    // Unknown filter values and bad page numbers are ignored, not errors.
    let page = app
        .get("/catalog?term=P9Y&kind=%3Cscript%3E&page=-3&sort=drop+table")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(names(&page).len(), 24);
}

#[tokio::test]
async fn a_product_page_shows_cost_suggested_retail_and_your_price() {
    let app = TestApp::spawn().await;
    let (r, owner, customer) = app.reseller_with_customer().await;
    sqlx::query("UPDATE resellers SET markup_percent = 10 WHERE id = $1")
        .bind(r)
        .execute(&app.db)
        .await
        .unwrap();
    app.sign_in(&owner).await;
    let page = app.choose_language("en", "/catalog/CFQ7TTC0LH18").await;
    assert_eq!(page.text("h1"), "Microsoft 365 Business Basic");
    // "Order for a customer" picks the customer, then opens the order with this product found.
    assert!(page.attr("#request-program", "href").is_none());
    let order = page.attr("#order-product", "href").unwrap();
    let choose = app.get(&order).await;
    let link = choose.attr(".customer-choice a", "href").unwrap();
    assert_eq!(
        link,
        format!("/orders/new?customer={customer}&product=CFQ7TTC0LH18")
    );
    let cart = app.get(&link).await;
    assert!(cart.attr("form#add-CFQ7TTC0LH18", "action").is_some());
    // Yearly term billed monthly: list 6.00, cost 88 % = 5.28, your price +10 % = 5.808, shown
    // exact (decision 0019: only a line's amount is rounded).
    let rows = page.texts("#prices tbody tr");
    let row = rows
        .iter()
        .find(|r| r.starts_with("Yearly (P1Y) Billed monthly"))
        .unwrap();
    assert!(row.contains("$5.28"), "{row}");
    assert!(row.contains("$6.00"), "{row}");
    assert!(row.contains("$5.808"), "{row}");
    assert!(row.contains("$0.528"), "{row}");
    assert!(row.contains("$0.72 (12.0 %)"), "{row}");
    // Upgrade paths and add-ons.
    assert!(page.texts("a[href='/catalog/CFQ7TTC0LDPB']").len() == 1);
    let page = app.get("/catalog/CFQ7TTC0LCHC").await;
    assert!(
        page.body.contains("/catalog/CFQ7TTC0MM8R"),
        "Copilot is an add-on of Premium"
    );
    // A scheduled change shows its date.
    let page = app.get("/catalog/CFQ7TTC0LDPB").await;
    assert_eq!(
        page.texts("#prices .scheduled").len(),
        1,
        "yearly billed monthly, from next month"
    );
    // Unknown products answer 404.
    assert_eq!(app.get("/catalog/NOPE").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn brazilian_resellers_see_reais_and_unapproved_programs_are_marked() {
    let app = TestApp::spawn().await;
    let (_, _owner) = with_catalog(&app).await;
    let br: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO resellers (legal_name, tax_id, country, billing_currency, markup_percent)
         VALUES ('Nuvem', '11222333000181', 'BR', 'BRL', 0) RETURNING id",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let user = app.user(Some(br), "dono@nuvem.example", "owner").await;
    app.sign_in(&user).await;
    let page = app
        .choose_language("pt-BR", "/catalog?q=business+basic")
        .await;
    let card = page.texts(".product-card")[0].clone();
    assert!(card.contains("R$"), "{card}");
    // This reseller has no approved program: every product is marked, none hidden.
    assert_eq!(
        page.texts(".product-card.not-approved").len(),
        page.texts(".product-card").len()
    );
    let product = app.get("/catalog/CFQ7TTC0LH18").await;
    assert!(product.text(".flash-info").contains("Microsoft CSP"));
    // The notice leads to the request; nothing offers to order what cannot be ordered.
    assert_eq!(
        product.attr("#request-program", "href").as_deref(),
        Some("/partner/programs/microsoft-csp/request")
    );
    assert!(product.attr("#order-product", "href").is_none());
}

#[tokio::test]
async fn resellers_cannot_reach_staff_catalog_pages() {
    let app = TestApp::spawn().await;
    let (_, owner) = with_catalog(&app).await;
    let page = app.sign_in(&owner).await;
    for path in [
        "/staff/catalog",
        "/staff/catalog/import",
        "/staff/catalog/export.csv",
        "/staff/catalog/vendors",
    ] {
        assert_eq!(app.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let forged = app
        .post_form(
            &app.client,
            "/staff/catalog/vendors",
            &page.csrf_token(),
            &[("code", "evil"), ("name", "Evil")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_reseller_sets_its_own_markup_and_sees_only_its_own() {
    let app = TestApp::spawn().await;
    let (a, owner) = with_catalog(&app).await;
    let b = app.reseller("Beta", "BET180512AB1").await;
    app.sign_in(&owner).await;
    let page = app.get("/partner/pricing").await;
    let bad = app
        .submit(
            &page
                .form("form[action='/partner/pricing']")
                .set("markup", "600"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = app
        .submit(
            &page
                .form("form[action='/partner/pricing']")
                .set("markup", "12,5")
                .set("reseller_id", &b.to_string()),
        )
        .await;
    assert_eq!(ok.text(".flash-success"), "Guardamos tu margen.");
    let markups: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("SELECT id, markup_percent::text FROM resellers ORDER BY legal_name")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        markups,
        [(a, "12.50".to_string()), (b, "20.00".to_string())]
    );
    assert_eq!(app.audited("markup_changed").await, 1);
    let page = app.get("/catalog").await;
    assert!(page.text(".page-head .muted").contains("12,50 %"));
}

async fn staff_with_catalog(app: &TestApp) -> TestUser {
    with_catalog(app).await;
    let staff = app.staff("staff@distri.example").await;
    app.sign_in(&staff).await;
    staff
}

/// The import form's POST, ready to send: the import page's token and `csv` as the file.
async fn import_request(app: &TestApp, csv: Vec<u8>) -> reqwest::RequestBuilder {
    let page = app.get("/staff/catalog/import").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", page.csrf_token())
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv).file_name("prices.csv"),
        );
    app.client
        .post(app.url("/staff/catalog/import"))
        .multipart(form)
}

/// Uploads `csv` as the import form does from the page.
async fn upload(app: &TestApp, csv: &str) -> Page {
    let request = import_request(app, csv.as_bytes().to_vec()).await;
    let response = request.header("origin", &app.base).send().await.unwrap();
    Page::read(response).await
}

const HEADER: &str = "sku,term,billing,currency,cost,retail,valid_from,valid_to\n";

#[tokio::test]
async fn a_price_list_import_is_all_or_nothing_with_a_report_per_row() {
    let app = TestApp::spawn().await;
    staff_with_catalog(&app).await;
    let before = app.count("SELECT count(*) FROM prices").await;
    let csv = format!(
        "{HEADER}CFQ7TTC0LH18,P1Y,monthly,USD,5.50,6.25,2030-01-01,\n\
         NOPE-SKU,P1Y,monthly,USD,1,1,2030-01-01,\n\
         CFQ7TTC0MM8R,P1M,monthly,USD,1,1,2030-01-01,\n\
         CFQ7TTC0LH18,P1Y,annual,USD,-3,1,2030-01-01,\n"
    );
    let page = upload(&app, &csv).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let report = page.texts("#rejected tbody tr");
    assert_eq!(report.len(), 1, "row checks come first: {report:?}");
    assert!(report[0].starts_with("5 "));
    // Fix the negative price: now the database checks find the unknown SKU and the term that
    // is not offered, and still nothing is applied.
    let csv = csv.replace("-3", "66");
    let page = upload(&app, &csv).await;
    let report = page.texts("#rejected tbody tr");
    assert_eq!(report.len(), 2, "{report:?}");
    assert!(report[0].starts_with("3 El SKU no existe"));
    assert!(report[1].starts_with("4 El producto no se vende"));
    let after = app.count("SELECT count(*) FROM prices").await;
    assert_eq!(before, after, "nothing half-applied");

    // A good file is applied whole, and a scheduled change closes the current price.
    let good = format!(
        "{HEADER}CFQ7TTC0LH18,P1Y,monthly,USD,5.50,6.25,2030-01-01,\n\
         CFQ7TTC0LH18,P1Y,annual,USD,66,75,2030-01-01,\n"
    );
    let page = upload(&app, &good).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.text(".flash-success").contains("(2)"));
    let closed: Option<time::Date> = sqlx::query_scalar(
        "SELECT x.valid_to FROM prices x JOIN products p ON p.id = x.product_id
         WHERE p.sku = 'CFQ7TTC0LH18' AND x.term = 'P1Y' AND x.billing = 'monthly' AND x.currency = 'USD'
         ORDER BY x.valid_from LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(closed, Some(time::macros::date!(2030 - 01 - 01)));
    assert_eq!(app.audited("price_list_imported").await, 1);

    // Whole-file problems.
    assert!(
        upload(&app, "name,price\nx,1\n")
            .await
            .text(".flash-error")
            .starts_with("La primera fila")
    );
    let latin1 = [
        HEADER.as_bytes(),
        b"CFQ7TTC0LH18,P1Y,monthly,USD,5,6,2031-01-01,caf\xe9\n",
    ]
    .concat();
    // (Sent as a script would, without the Origin header.)
    let response = import_request(&app, latin1).await.send().await.unwrap();
    let page = Page::read(response).await;
    assert!(page.text(".flash-error").contains("UTF-8"));
}

#[tokio::test]
async fn imported_prices_show_on_the_scheduled_date() {
    let app = TestApp::spawn().await;
    staff_with_catalog(&app).await;
    let today = time::OffsetDateTime::now_utc().date();
    let tomorrow = today + time::Duration::days(1);
    let page = upload(
        &app,
        &format!("{HEADER}CFQ7TTC0LH18,P1M,monthly,USD,7.00,9.99,{tomorrow},\n"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // The price in force today is still the old one; tomorrow it is the new one.
    let price_on = |day: time::Date| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, rust_decimal::Decimal>(
                "SELECT x.retail FROM prices x JOIN products p ON p.id = x.product_id
                 WHERE p.sku = 'CFQ7TTC0LH18' AND x.term = 'P1M' AND x.currency = 'USD'
                   AND x.valid_from <= $1 AND (x.valid_to IS NULL OR x.valid_to > $1)",
            )
            .bind(day)
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    assert_eq!(price_on(today).await.normalize().to_string(), "7.2");
    assert_eq!(price_on(tomorrow).await.normalize().to_string(), "9.99");
    // The export carries both, in the import's format.
    let csv = app
        .get_raw("/staff/catalog/export.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("sku,term,billing,currency,cost,retail,valid_from,valid_to\n"));
    assert!(csv.contains(&format!("CFQ7TTC0LH18,P1M,monthly,USD,7,9.99,{tomorrow},")));
    assert!(csv.contains(&format!(",{tomorrow}\n")) || csv.contains(&tomorrow.to_string()));
}

#[tokio::test]
async fn staff_create_products_and_prices_with_clear_errors() {
    let app = TestApp::spawn().await;
    staff_with_catalog(&app).await;
    let page = app.get("/staff/catalog/products/new").await;
    let form = page
        .form("form[action='/staff/catalog/products/new']")
        .set("sku", "CFQ7TTC0LH18")
        .set("name_es", "Producto")
        .set("name_en", "")
        .set("name_pt", "Produto")
        .set("category", "security")
        .set("min_seats", "10")
        .set("max_seats", "5");
    let page = app.submit(&form).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(page.text("#e-name_en"), "Este campo es obligatorio.");
    assert_eq!(
        page.text("#e-max_seats"),
        "El máximo no puede ser menor que el mínimo."
    );
    assert_eq!(
        page.text("#e-offers"),
        "Elige al menos un plazo con su facturación."
    );
    // Duplicate SKU: decided by the database.
    let mut form = page
        .form("form[action='/staff/catalog/products/new']")
        .set("name_en", "Product")
        .set("max_seats", "50");
    form.fields.push(("offers".into(), "P1Y:monthly".into()));
    let page = app.submit(&form).await;
    assert_eq!(page.text("#e-sku"), "Ya existe un producto con ese SKU.");
    let form = page
        .form("form[action='/staff/catalog/products/new']")
        .set("sku", "NEW-SEC-1")
        .set("upgrades", "CFQ7TTC0LCHC");
    let mut form = form;
    form.fields.push(("offers".into(), "P1Y:monthly".into()));
    let page = app.submit(&form).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(
        page.text(".flash-success"),
        "Guardamos el producto NEW-SEC-1."
    );
    // A price, then an overlapping one (refused), then a scheduled change (accepted).
    let add = |page: &Page, cost: &str, from: &str, to: &str| {
        page.form("form[action$='/prices']")
            .set("term", "P1Y")
            .set("billing", "monthly")
            .set("currency", "USD")
            .set("cost", cost)
            .set("retail", "20")
            .set("valid_from", from)
            .set("valid_to", to)
    };
    let page = app.submit(&add(&page, "10", "2026-01-01", "")).await;
    assert_eq!(page.text(".flash-success"), "Guardamos el precio.");
    let page2 = app
        .submit(&add(&page, "11", "2025-06-01", "2026-06-01"))
        .await;
    assert_eq!(page2.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page2.text("#e-valid_from"),
        "Se superpone con un precio existente"
    );
    let page3 = app.submit(&add(&page, "abc", "2026-13-01", "")).await;
    assert_eq!(
        page3.text("#e-cost"),
        "Escribe un importe válido, por ejemplo 12.50."
    );
    assert_eq!(
        page3.text("#e-valid_from"),
        "Escribe una fecha válida (AAAA-MM-DD)."
    );
    let page4 = app.submit(&add(&page, "12", "2027-01-01", "")).await;
    assert_eq!(page4.status, StatusCode::OK);
    assert_eq!(page4.texts("#prices tbody tr").len(), 2);
    assert_eq!(app.audited("price_added").await, 2);
    // Retire it: no longer in the reseller catalog, still in the database.
    let page = app.submit(&page4.form("form[action$='/status']")).await;
    assert_eq!(page.text(".flash-success"), "Producto retirado.");
    let status: String = sqlx::query_scalar("SELECT status FROM products WHERE sku = 'NEW-SEC-1'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "retired");
}

#[tokio::test]
async fn exported_cells_cannot_become_spreadsheet_formulas() {
    let app = TestApp::spawn().await;
    staff_with_catalog(&app).await;
    sqlx::query("UPDATE products SET sku = '=1+1' WHERE sku = 'CFQ7TTC0LH18'")
        .execute(&app.db)
        .await
        .ok();
    // The SKU check refuses such a SKU; were one stored, the export neutralises it.
    let csv = app
        .get_raw("/staff/catalog/export.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !csv.lines()
            .any(|l| l.starts_with('=') || l.starts_with('+') || l.starts_with('@'))
    );
}

#[tokio::test]
async fn catalog_search_uses_the_trigram_index_at_scale() {
    let app = TestApp::spawn().await;
    let mut tx = app.db.begin().await.unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    portal::seed::catalog::generate(&mut tx, 20_000, today)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE products")
        .execute(&app.db)
        .await
        .unwrap();
    let plan: Vec<String> = sqlx::query_scalar(
        "EXPLAIN SELECT id FROM products p
         WHERE p.status = 'active' AND (p.search_text LIKE '%' || portal_fold('secure premium') || '%'
               OR portal_fold('secure premium') <% p.search_text)",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let plan = plan.join("\n");
    assert!(plan.contains("products_search"), "{plan}");
    assert!(!plan.contains("Seq Scan on products"), "{plan}");
}

#[tokio::test]
async fn staff_rename_vendors_and_programs_and_add_new_ones() {
    let app = TestApp::spawn().await;
    staff_with_catalog(&app).await;
    let page = app.get("/staff/catalog/vendors").await;
    let page = app
        .submit(
            &page
                .form("form[action='/staff/catalog/programs/google-cloud']")
                .set("countries", "BR, MX, XX"),
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = app
        .submit(
            &page
                .form("form[action='/staff/catalog/programs/google-cloud']")
                .set("name", "Google Cloud Platform")
                .set("countries", "BR, MX"),
        )
        .await;
    assert_eq!(page.text(".flash-success"), "Guardamos el programa.");
    let (name, countries): (String, Vec<String>) =
        sqlx::query_as("SELECT name, countries::text[] FROM programs WHERE code = 'google-cloud'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        (name.as_str(), countries),
        (
            "Google Cloud Platform",
            vec!["BR".to_string(), "MX".to_string()]
        )
    );
    let page = app
        .submit(
            &page
                .form("form[action='/staff/catalog/vendors']")
                .set("code", "Bad Code")
                .set("name", "X"),
        )
        .await;
    assert_eq!(
        page.text("#e-code"),
        "El código tiene de 2 a 40 minúsculas, números o guiones."
    );
    let page = app
        .submit(
            &page
                .form("form[action='/staff/catalog/vendors']")
                .set("code", "adobe")
                .set("name", "Adobe"),
        )
        .await;
    assert_eq!(page.text(".flash-success"), "Guardamos el fabricante.");
    let page = app
        .submit(
            &page
                .form("form[action='/staff/catalog/programs']")
                .set("vendor", "adobe")
                .set("code", "adobe-vip")
                .set("name", "Adobe VIP")
                .set("countries", "US"),
        )
        .await;
    assert_eq!(page.text(".flash-success"), "Guardamos el programa.");
    assert_eq!(app.audited("program_updated").await, 1);
    assert_eq!(app.audited("vendor_created").await, 1);
    assert_eq!(app.audited("program_created").await, 1);
    // An unknown program answers 404.
    let forged = app
        .post_form(
            &app.client,
            "/staff/catalog/programs/nope",
            &page.csrf_token(),
            &[("name", "X")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn descriptions_follow_the_pages_language_and_fall_back_to_spanish() {
    let app = TestApp::spawn().await;
    let (_, owner) = with_catalog(&app).await;
    let staff = app.staff("staff@distri.example").await;
    let (desk, _) = app.sign_in_elsewhere(&staff).await;
    // Staff write a program's description in Spanish and Portuguese, and leave English empty.
    let vendors = app.get_with(&desk, "/staff/catalog/vendors").await;
    let form = vendors
        .form("form[action='/staff/catalog/programs/microsoft-csp']")
        .set("description_es", "Licencias por usuario bajo New Commerce.")
        .set("description_en", "  ")
        .set("description_pt", "Licenças por usuário sob o New Commerce.");
    let saved = app.submit_with(&desk, &form).await;
    assert_eq!(saved.status, StatusCode::OK);
    assert_eq!(
        saved.text("#pd-microsoft-csp-pt"),
        "Licenças por usuário sob o New Commerce."
    );
    let too_long = form.clone().set("description_en", &"x".repeat(2001));
    let refused = app.submit_with(&desk, &too_long).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refused.text("#e-program_description").is_empty());
    // A product's English description is left empty too.
    sqlx::query("UPDATE products SET description_en = '' WHERE sku = 'CFQ7TTC0LDPB'")
        .execute(&app.db)
        .await
        .unwrap();

    app.sign_in(&owner).await;
    // What the reseller reads now: the CSP program's row and Business Standard's description.
    let read = || async {
        let programs = app.get("/partner/programs").await;
        let program = programs
            .texts("#programs tbody tr td:first-child")
            .into_iter()
            .find(|t| t.starts_with("Microsoft CSP"))
            .unwrap_or_default();
        let product = app.get("/catalog/CFQ7TTC0LDPB").await;
        (program, product.text("#description"))
    };
    let spanish = "Aplicaciones de escritorio de Office, correo y Teams.";
    let (program, product) = read().await;
    assert!(program.contains("Licencias por usuario"), "{program}");
    assert_eq!(product, spanish);
    // In English, what has no English text shows the Spanish one; what has, its own.
    app.choose_language("en", "/catalog").await;
    let (program, product) = read().await;
    assert!(program.contains("Licencias por usuario"), "{program}");
    assert_eq!(product, spanish);
    let other = app.get("/catalog/CFQ7TTC0LCHC").await;
    assert_eq!(
        other.text("#description"),
        "Business Standard with advanced security and device management."
    );
    // In Portuguese, the Portuguese texts.
    app.choose_language("pt-BR", "/catalog").await;
    let (program, product) = read().await;
    assert!(program.contains("Licenças por usuário"), "{program}");
    assert_eq!(
        product,
        "Aplicativos do Office para desktop, e-mail e Teams."
    );
}
