//! End customers (J4): add with the address step, list with search (accents), filters, sorting
//! and keyset pages, CSV export, the customer page with vendor tenants, edit, deactivate, role
//! rules, and probes with another reseller's ids on every route and verb.

use crate::common::{FormData, Page, TestApp, TestUser};
use reqwest::StatusCode;

async fn reseller_with(app: &TestApp, role: &str) -> (uuid::Uuid, TestUser) {
    let r = app.reseller("Alfa", "ALF180512AB1").await;
    let user = app
        .user(Some(r), &format!("{role}@alfa.example"), role)
        .await;
    (r, user)
}

fn brazilian(page: &Page) -> FormData {
    page.form("form[action='/customers/new']")
        .set("legal_name", "Padaria São João Ltda.")
        .set("country", "BR")
        .set("tax_id", "11.222.333/0001-81")
        .set("industry", "Alimentos")
        .set("contact_name", "João da Silva")
        .set("contact_email", "joao@padaria.example")
        .set("contact_phone", "+55 11 98765-4321")
        .set("billing_email", "financeiro@padaria.example")
        .set("address_line1", "Av.  Paulista,  1000")
        .set("address_line2", "")
        .set("city", "SAO PAULO")
        .set("region", "sao paulo")
        .set("postal_code", "01310100")
        .set("state_registration", "110.042.490.114")
}

/// Posts `fields`, with the token of `page`, to each route that changes `customer` (its status,
/// its data, its vendor tenants), one after the other: each route and how it answered.
async fn forge_every_change(
    app: &TestApp,
    client: &reqwest::Client,
    page: &Page,
    customer: uuid::Uuid,
    fields: &[(&str, &str)],
) -> Vec<(String, StatusCode)> {
    let token = page.csrf_token();
    let mut answers = Vec::new();
    for path in [
        format!("/customers/{customer}/status"),
        format!("/customers/{customer}/edit"),
        format!("/customers/{customer}/tenants"),
    ] {
        let status = app.post_form(client, &path, &token, fields).await.status();
        answers.push((path, status));
    }
    answers
}

/// Adds a customer through the pages (form, address step, confirm); returns its id.
async fn add(
    app: &TestApp,
    client: &reqwest::Client,
    form: impl Fn(&Page) -> FormData,
) -> uuid::Uuid {
    let page = app.get_with(client, "/customers/new").await;
    let page = app.submit_with(client, &form(&page)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let page = app
        .submit_with(client, &page.form("form[action='/customers/confirm']"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.path()
        .trim_start_matches("/customers/")
        .parse()
        .unwrap()
}

#[tokio::test]
async fn j4_a_brazilian_customer_is_added_after_confirming_the_normalised_address() {
    let app = TestApp::spawn().await;
    let (r, sales) = reseller_with(&app, "sales").await;
    app.sign_in(&sales).await;
    let page = app.get("/customers/new").await;
    let page = app.submit(&brazilian(&page)).await;
    // The address step shows what will be recorded.
    assert_eq!(page.text("h1"), "Confirma la dirección");
    let address = page.text("#normalised-address");
    assert!(address.contains("Av. Paulista, 1000"), "{address}");
    assert!(
        address.contains("01310-100 Sao Paulo, São Paulo"),
        "{address}"
    );
    // What the rules adjusted reads as what became what.
    let adjusted = page.texts("#adjusted li");
    for change in [
        "Código postal: 01310100 → 01310-100",
        "Ciudad: SAO PAULO → Sao Paulo",
        "Estado / provincia / departamento: sao paulo → São Paulo",
        "Inscrição Estadual: 110.042.490.114 → 110042490114",
    ] {
        assert!(
            adjusted.iter().any(|a| a == change),
            "{change}: {adjusted:?}"
        );
    }
    // "Correct the data" goes back to the form with everything kept.
    let back = app
        .submit(&page.form("form[action='/customers/new']"))
        .await;
    assert_eq!(back.attr("#f-city", "value").as_deref(), Some("Sao Paulo"));
    let page = app.submit(&brazilian(&back)).await;
    let confirm = page.form("form[action='/customers/confirm']");
    let done = app.submit(&confirm).await;
    assert_eq!(
        done.text(".flash-success"),
        "Cliente activado correctamente (Padaria São João Ltda.)."
    );
    assert_eq!(done.text("h1"), "Padaria São João Ltda.");
    assert_eq!(done.text("#state-registration"), "110042490114");
    // Submitting the confirmation again (double click, retry) creates nothing more.
    let again = app.submit(&confirm).await;
    assert_eq!(again.path(), done.path());
    let (n, tax_id, region, status): (i64, String, String, String) = sqlx::query_as(
        "SELECT count(*) OVER (), tax_id, region_code, status FROM customers WHERE reseller_id = $1",
    )
    .bind(r)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        (n, tax_id.as_str(), region.as_str(), status.as_str()),
        (1, "11222333000181", "SP", "active")
    );
    assert_eq!(app.audited("customer_created").await, 1);
    // It is in the list and found without accents.
    let list = app.get("/customers?q=padaria+sao+joao").await;
    assert_eq!(list.texts("#customers tbody tr").len(), 1);
}

#[tokio::test]
async fn bad_fields_are_explained_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    let (r, owner) = reseller_with(&app, "owner").await;
    app.sign_in(&owner).await;
    let page = app.get("/customers/new").await;
    let form = brazilian(&page)
        .set("tax_id", "11.222.333/0001-82")
        .set("postal_code", "0131")
        .set("region", "Narnia")
        .set("contact_email", "joao@")
        .set("state_registration", "12-AB")
        .set("legal_name", "<script>alert(1)</script>");
    let page = app.submit(&form).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#e-state_registration"),
        "Escribe los dígitos de la Inscrição Estadual (de 8 a 14) o ISENTO."
    );
    assert_eq!(
        page.attr("#f-state_registration", "value").as_deref(),
        Some("12-AB")
    );
    assert_eq!(
        page.text("#e-tax_id"),
        "La identificación fiscal no es válida para el país elegido."
    );
    assert_eq!(
        page.text("#e-postal_code"),
        "El código postal no tiene el formato de este país."
    );
    // The rendered form names Brazil's tax id, and every country carries its own labels for a
    // browser to apply when the country changes (Mexico's "Colonia", each postal example).
    assert_eq!(page.text("label[for='f-tax_id']"), "CNPJ");
    let line2 = |c: &str| {
        page.attr(
            &format!("#f-country option[value='{c}']"),
            "data-f-address_line2",
        )
        .unwrap_or_default()
    };
    assert!(line2("MX").starts_with("Colonia"), "{}", line2("MX"));
    assert!(line2("AR").starts_with("Barrio"), "{}", line2("AR"));
    assert_eq!(
        page.attr("#f-country option[value='MX']", "data-f-tax_id")
            .as_deref(),
        Some("RFC")
    );
    assert!(
        page.attr("#f-country option[value='BR']", "data-postal-hint")
            .is_some_and(|h| h.contains("01310-100")),
        "{:?}",
        page.attr("#f-country option[value='BR']", "data-postal-hint")
    );
    assert!(
        page.text("#e-region")
            .starts_with("No encontramos esa región")
    );
    assert!(
        page.text("#e-contact_email")
            .starts_with("Escribe un correo")
    );
    assert_eq!(
        page.attr("#f-legal_name", "value").as_deref(),
        Some("<script>alert(1)</script>")
    );
    assert!(!page.body.contains("<script>alert(1)</script>"));
    // Forged hidden fields on the confirmation are checked again.
    let forged = app
        .post_form(
            &app.client,
            "/customers/confirm",
            &page.csrf_token(),
            &[
                ("creation_key", &uuid::Uuid::new_v4().to_string()),
                ("legal_name", "X"),
                ("country", "BR"),
                ("tax_id", "1"),
            ],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.count_with("SELECT count(*) FROM customers WHERE reseller_id = $1", r)
            .await,
        0
    );
}

#[tokio::test]
async fn the_same_tax_id_twice_under_one_reseller_is_refused_but_not_across_resellers() {
    let app = TestApp::spawn().await;
    let (_, owner) = reseller_with(&app, "owner").await;
    app.sign_in(&owner).await;
    add(&app, &app.client, brazilian).await;
    let page = app.get("/customers/new").await;
    let page = app
        .submit(&brazilian(&page).set("legal_name", "Outra Padaria"))
        .await;
    let page = app
        .submit(&page.form("form[action='/customers/confirm']"))
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#e-tax_id"),
        "Ya tienes un cliente con esta identificación fiscal."
    );
    // Another reseller may have the same customer.
    let (_, c, _) = app.beta_owner_elsewhere().await;
    add(&app, &c, brazilian).await;
}

#[tokio::test]
async fn search_filters_sorting_keyset_pages_and_export() {
    let app = TestApp::spawn().await;
    let (r, owner) = reseller_with(&app, "owner").await;
    let mut tx = app.db.begin().await.unwrap();
    // 60 customers for this reseller, through the generator's shape.
    sqlx::query(
        "INSERT INTO customers (reseller_id, legal_name, tax_id, country, contact_name, contact_email,
                                contact_phone, billing_email, address_line1, city, region_name,
                                creation_key, status)
         SELECT $1, 'Cliente ' || lpad(g::text, 3, '0') || CASE WHEN g = 7 THEN ' Ñandú Logística' ELSE '' END,
                'T' || g, CASE WHEN g % 2 = 0 THEN 'MX' ELSE 'CO' END, 'C', 'c' || g || '@x.example', '+52 55 5555 5555',
                'f@x.example', 'Calle 1', 'Ciudad', 'Región', gen_random_uuid(),
                CASE WHEN g % 10 = 0 THEN 'inactive' ELSE 'active' END
         FROM generate_series(1, 60) g",
    )
    .bind(r)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.sign_in(&owner).await;
    let names = |p: &Page| p.texts("#customers tbody tr td:first-child");
    let first = app.get("/customers").await;
    assert_eq!(names(&first).len(), 25);
    assert_eq!(names(&first)[0], "Cliente 001");
    assert!(first.text("#customers-summary").starts_with("60"));
    let second = app.get(&first.attr("a[rel=next]", "href").unwrap()).await;
    assert_eq!(names(&second)[0], "Cliente 026");
    let third = app.get(&second.attr("a[rel=next]", "href").unwrap()).await;
    assert_eq!(names(&third).len(), 10);
    assert!(third.attr("a[rel=next]", "href").is_none());
    let back = app.get(&third.attr("a[rel=prev]", "href").unwrap()).await;
    assert_eq!(names(&back), names(&second));
    let back = app.get(&back.attr("a[rel=prev]", "href").unwrap()).await;
    assert_eq!(names(&back), names(&first));
    // Accents and case do not matter; filters combine.
    let page = app.get("/customers?q=NANDU+logistica").await;
    assert_eq!(names(&page), ["Cliente 007 Ñandú Logística"]);
    // Every word, in any order; a misspelt word still finds the name.
    let page = app.get("/customers?q=logistica+cliente+nandu").await;
    assert_eq!(names(&page), ["Cliente 007 Ñandú Logística"]);
    let page = app.get("/customers?q=logistika").await;
    assert_eq!(names(&page), ["Cliente 007 Ñandú Logística"]);
    let page = app.get("/customers?country=CO&status=inactive").await;
    assert!(
        names(&page).is_empty(),
        "inactive ones are multiples of 10, all in MX"
    );
    let page = app.get("/customers?country=MX&status=inactive").await;
    assert_eq!(names(&page).len(), 6);
    let page = app.get("/customers?sort=newest").await;
    assert_eq!(names(&page).len(), 25);
    // A forged cursor is ignored, not an error.
    assert_eq!(
        app.get("/customers?after=%%%&before=abc").await.status,
        StatusCode::OK
    );
    // The export has the filtered rows, with formulas neutralised.
    sqlx::query("UPDATE customers SET legal_name = '=HYPERLINK(\"http://x\")' WHERE tax_id = 'T2'")
        .execute(&app.db)
        .await
        .unwrap();
    let csv = app
        .get_raw("/customers/export.csv?country=MX")
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 31, "header + 30 customers in Mexico");
    // Separated as a Spanish spreadsheet expects, or by commas when asked.
    assert!(
        lines[0]
            .trim_start_matches('\u{feff}')
            .starts_with("Razón social;")
    );
    // The list offers the other separator beside its export, with the list's filters.
    let list = app.get("/customers?country=MX").await;
    let other = list.attr("a.other-separator", "href").unwrap();
    assert_eq!(other, "/customers/export.csv?country=MX&sep=comma");
    assert_eq!(list.text("a.other-separator"), "con comas");
    let commas = app.get_raw(&other).await.text().await.unwrap();
    assert!(
        commas
            .trim_start_matches('\u{feff}')
            .starts_with("Razón social,")
    );
    assert!(csv.contains("'=HYPERLINK"));
    // A phone number stays as typed: no apostrophe before its plus.
    assert!(
        csv.contains("+52 55 5555 5555") && !csv.contains("'+52"),
        "{csv}"
    );
    assert!(!csv.lines().any(|l| l.starts_with('=')));
}

#[tokio::test]
async fn the_customer_page_links_and_reserves_vendor_tenants_with_unique_domains() {
    let app = TestApp::spawn().await;
    let (_, owner) = reseller_with(&app, "owner").await;
    app.sign_in(&owner).await;
    let id = add(&app, &app.client, brazilian).await;
    let page = app.get(&format!("/customers/{id}")).await;
    // The tax id is named and written as Brazil does.
    assert_eq!(page.text("#tax-id"), "11.222.333/0001-81");
    assert!(page.text("dl.facts").contains("CNPJ"));
    let form = |p: &Page, vendor: &str, origin: &str, domain: &str| {
        p.form("form[action$='/tenants']")
            .set("vendor", vendor)
            .set("origin", origin)
            .set("domain", domain)
    };
    let p = app
        .submit(&form(&page, "microsoft", "reserved", "padaria.com"))
        .await;
    assert_eq!(
        p.text("#e-domain"),
        "Un tenant nuevo de Microsoft se llama nombre.onmicrosoft.com."
    );
    let p = app
        .submit(&form(
            &page,
            "microsoft",
            "reserved",
            "padaria.onmicrosoft.com",
        ))
        .await;
    assert_eq!(
        p.text(".flash-success"),
        "Agregamos el tenant padaria.onmicrosoft.com."
    );
    let p = app
        .submit(&form(&p, "google", "linked", "padaria.com.br"))
        .await;
    assert_eq!(p.texts("#tenants tbody tr").len(), 2);
    assert!(
        p.text("#tenants").contains("aún sin crear"),
        "a reserve no order used yet: {}",
        p.text("#tenants")
    );
    // The list finds the customer by a tenant domain.
    let list = app.get("/customers?q=padaria.com.br").await;
    assert_eq!(list.texts("#customers tbody tr").len(), 1);
    // Another reseller's customer cannot take the same domain.
    let (_, c, _) = app.beta_owner_elsewhere().await;
    let other_id = add(&app, &c, |p| brazilian(p).set("legal_name", "Outra")).await;
    let page = app.get_with(&c, &format!("/customers/{other_id}")).await;
    let p = app
        .submit_with(&c, &form(&page, "google", "linked", "PADARIA.com.br"))
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        p.text("#e-domain"),
        "Ese dominio ya lo usa otro cliente de la plataforma."
    );
}

#[tokio::test]
async fn edit_deactivate_and_reactivate() {
    let app = TestApp::spawn().await;
    let (_, owner) = reseller_with(&app, "owner").await;
    app.sign_in(&owner).await;
    let id = add(&app, &app.client, brazilian).await;
    let page = app.get(&format!("/customers/{id}/edit")).await;
    assert_eq!(page.attr("#f-region", "value").as_deref(), Some("SP"));
    let bad = app
        .submit(&page.form("form[action$='/edit']").set("postal_code", "x"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = app
        .submit(
            &page
                .form("form[action$='/edit']")
                .set("contact_name", "Maria Souza")
                .set("region", "RJ")
                .set("city", "Rio de Janeiro")
                .set("postal_code", "20040-020"),
        )
        .await;
    assert_eq!(
        page.text(".flash-success"),
        "Guardamos los datos del cliente."
    );
    assert!(
        page.text("address")
            .contains("Rio de Janeiro, Rio de Janeiro")
    );
    let page = app.submit(&page.form("form[action$='/status']")).await;
    assert_eq!(page.text(".flash-success"), "Cliente desactivado.");
    assert!(page.text(".badge").contains("Inactivo"));
    let page = app.submit(&page.form("form[action$='/status']")).await;
    assert_eq!(page.text(".flash-success"), "Cliente reactivado.");
    assert_eq!(app.audited("customer_deactivated").await, 1);
}

#[tokio::test]
async fn billing_users_read_customers_but_cannot_change_them() {
    let app = TestApp::spawn().await;
    let (r, owner) = reseller_with(&app, "owner").await;
    app.sign_in(&owner).await;
    let id = add(&app, &app.client, brazilian).await;
    let billing = app.user(Some(r), "billing@alfa.example", "billing").await;
    let (c, landed) = app.sign_in_elsewhere(&billing).await;
    assert_eq!(app.get_with(&c, "/customers").await.status, StatusCode::OK);
    let page = app.get_with(&c, &format!("/customers/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.attr("a[href$='/edit']", "href").is_none());
    assert_eq!(
        app.get_with(&c, "/customers/new").await.status,
        StatusCode::FORBIDDEN
    );
    let fields = [
        ("status", "inactive"),
        ("legal_name", "x"),
        ("vendor", "google"),
        ("origin", "linked"),
        ("domain", "x.com"),
    ];
    for (path, status) in forge_every_change(&app, &c, &landed, id, &fields).await {
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn another_resellers_customer_ids_answer_404_on_every_route_and_verb() {
    let app = TestApp::spawn().await;
    let (_, owner) = reseller_with(&app, "owner").await;
    app.sign_in(&owner).await;
    let id = add(&app, &app.client, brazilian).await;
    let (_, c, landed) = app.beta_owner_elsewhere().await;
    for path in [
        format!("/customers/{id}"),
        format!("/customers/{id}/edit"),
        "/customers/not-a-uuid".to_string(),
    ] {
        assert_eq!(
            app.get_with(&c, &path).await.status,
            StatusCode::NOT_FOUND,
            "GET {path}"
        );
    }
    let fields = [
        ("status", "inactive"),
        ("vendor", "google"),
        ("origin", "linked"),
        ("domain", "stolen.example"),
    ];
    for (path, status) in forge_every_change(&app, &c, &landed, id, &fields).await {
        assert_eq!(status, StatusCode::NOT_FOUND, "POST {path}");
    }
    // The list and the export show none of it.
    assert!(
        !app.get_with(&c, "/customers")
            .await
            .body
            .contains("Padaria")
    );
    let csv = app.body_with(&c, "/customers/export.csv").await;
    assert!(!csv.contains("Padaria"));
    let status: String = sqlx::query_scalar("SELECT status FROM customers WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "active");
    assert_eq!(app.count("SELECT count(*) FROM customer_tenants").await, 0);
}

#[tokio::test]
async fn late_pages_and_searches_use_indexes_at_scale() {
    let app = TestApp::spawn().await;
    let mut tx = app.db.begin().await.unwrap();
    let big = portal::seed::customers::generate(&mut tx, 3, 2_000, 20_000)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE customers")
        .execute(&app.db)
        .await
        .unwrap();
    let explain = |sql: String| {
        let db = app.db.clone();
        async move {
            let plan: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {sql}"))
                .fetch_all(&db)
                .await
                .unwrap();
            plan.join("\n")
        }
    };
    // A late page by keyset: an index range scan, no sort of the whole list.
    let plan = explain(format!(
        "SELECT c.id FROM customers c WHERE c.reseller_id = '{big}'
         AND (c.sort_name, c.id) > ('servicios sol plus 19000', '00000000-0000-0000-0000-000000000000')
         ORDER BY c.sort_name, c.id LIMIT 26"
    ))
    .await;
    assert!(plan.contains("customers_by_name"), "{plan}");
    assert!(!plan.contains("Sort"), "{plan}");
    // A search: the trigram index.
    let plan = explain(format!(
        "SELECT c.id FROM customers c WHERE c.reseller_id = '{big}'
         AND (c.search_text LIKE '%' || portal_fold('nunez pacifico') || '%' OR portal_fold('nunez pacifico') <% c.search_text)
         ORDER BY c.sort_name, c.id LIMIT 26"
    ))
    .await;
    assert!(
        plan.contains("customers_search") || plan.contains("customers_by_name"),
        "{plan}"
    );
    assert!(!plan.contains("Seq Scan on customers"), "{plan}");
    // A search of several words (as `portal_customer_matches` runs it): one index scan that
    // intersects the words.
    let plan = explain(format!(
        "SELECT c.id FROM customers c WHERE c.reseller_id = '{big}'
         AND c.search_text LIKE '%nunez%' AND c.search_text LIKE '%pacifico%'"
    ))
    .await;
    assert!(plan.contains("customers_search_by_reseller"), "{plan}");
}

#[tokio::test]
async fn a_large_list_says_about_how_many_and_a_small_one_exactly() {
    let app = TestApp::spawn().await;
    let (r, owner) = reseller_with(&app, "owner").await;
    let insert = |from: i32, to: i32| {
        sqlx::query(
            "INSERT INTO customers (reseller_id, legal_name, tax_id, country, contact_name, contact_email,
                                    contact_phone, billing_email, address_line1, city, region_name,
                                    creation_key)
             SELECT $1, 'Cliente ' || n, 'T' || n, 'MX', 'C', 'c@x.example', '+52 55 5555 5555',
                    'f@x.example', 'Calle 1', 'Ciudad', 'Región', gen_random_uuid()
             FROM generate_series($2::int, $3::int) n",
        )
        .bind(r)
        .bind(from)
        .bind(to)
        .execute(&app.db)
    };
    insert(1, 3).await.unwrap();
    app.sign_in(&owner).await;
    assert_eq!(
        app.get("/customers").await.text("#customers-summary"),
        "3 clientes"
    );

    insert(4, 10_600).await.unwrap();
    sqlx::query("ANALYZE customers")
        .execute(&app.db)
        .await
        .unwrap();
    let page = app.get("/customers").await;
    let summary = page.text("#customers-summary");
    assert!(summary.starts_with("Unos "), "{summary}");
    // Two leading figures of the planner's estimate of 10 600 rows.
    let shown: i64 = summary["Unos ".len()..]
        .trim_end_matches(" clientes")
        .replace(['.', '\u{a0}', ' '], "")
        .parse()
        .unwrap_or_else(|_| panic!("{summary}"));
    assert!((10_000..=11_000).contains(&shown), "{summary}");
    assert_eq!(shown % 100, 0, "{summary}");
    // A filter that narrows it down is counted exactly again.
    let page = app.get("/customers?q=Cliente+10599").await;
    assert_eq!(page.text("#customers-summary"), "1 cliente");
}

#[tokio::test]
async fn searches_take_percent_and_underscore_literally() {
    let app = TestApp::spawn().await;
    let (r, owner) = reseller_with(&app, "owner").await;
    sqlx::query(
        "INSERT INTO customers (reseller_id, legal_name, tax_id, country, contact_name, contact_email,
                                contact_phone, billing_email, address_line1, city, region_name,
                                creation_key)
         SELECT $1, n, 'T' || n, 'MX', 'C', 'c@x.example', '+52 55 5555 5555', 'f@x.example',
                'Calle 1', 'Ciudad', 'Región', gen_random_uuid()
         FROM unnest(ARRAY['Descuentos 50% SA', 'Cliente 500', 'Cliente 5000']) n",
    )
    .bind(r)
    .execute(&app.db)
    .await
    .unwrap();
    app.sign_in(&owner).await;
    let names = |p: &Page| p.texts("#customers tbody tr td:first-child");
    let page = app.get("/customers?q=50%25").await;
    assert_eq!(names(&page), ["Descuentos 50% SA"]);
    let page = app.get("/customers?q=_").await;
    assert!(names(&page).is_empty(), "{:?}", names(&page));
    // The customer choice of a new order too.
    let page = app.get("/orders/new?q=50%25").await;
    assert_eq!(page.texts(".customer-choice a"), ["Descuentos 50% SA"]);
}

#[tokio::test]
async fn empty_lists_offer_the_action_to_take() {
    let app = TestApp::spawn().await;
    let (r, owner) = reseller_with(&app, "owner").await;
    app.sign_in(&owner).await;
    let link = |page: &Page| page.attr(".empty a", "href").unwrap_or_default();
    // Nothing yet: add the first customer, place the first order.
    assert_eq!(link(&app.get("/customers").await), "/customers/new");
    assert_eq!(link(&app.get("/orders").await), "/orders/new");
    assert_eq!(link(&app.get("/subscriptions").await), "/orders/new");
    // Nothing found: clear the filters.
    let none = app.get("/customers?q=zzzz").await;
    assert_eq!(link(&none), "/customers");
    assert!(none.text(".empty").starts_with("Ningún cliente coincide"));
    let none = app.get("/orders?status=failed").await;
    assert_eq!(link(&none), "/orders");
    assert!(none.text(".empty").starts_with("Ningún pedido coincide"));
    let none = app.get("/subscriptions?status=suspended").await;
    assert_eq!(link(&none), "/subscriptions");
    // A billing user, who does not order, is not offered to.
    let billing = app.user(Some(r), "billing@alfa.example", "billing").await;
    let (b, _) = app.sign_in_elsewhere(&billing).await;
    let page = app.get_with(&b, "/subscriptions").await;
    assert!(
        page.text(".empty")
            .starts_with("Todavía no hay suscripciones")
    );
    assert!(page.texts(".empty a").is_empty());
}
