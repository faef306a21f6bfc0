//! Bulk changes of a tenant's users and licences by CSV (J6): the template, the upload checked
//! whole, the difference previewed against the tenant as it is (seats missing with their price),
//! the apply all or nothing with its progress, the vendor's refusals row by row, bad files, and
//! other resellers who find nothing.

use reqwest::StatusCode;
use uuid::Uuid;

use crate::common::{FormData, Page, TestApp};
use crate::licences::{billing_reader, create_user, licensed_user, tenant_users};
use crate::orders::no_worker;
use crate::subscriptions::{bought, drain};

const HEADER: &str = "user_name,display_name,licence,action\n";

/// The bulk page of the tenant `bought` made, reached from its users' page.
async fn bulk_page(app: &TestApp) -> (String, Page) {
    let (_, users) = tenant_users(app).await;
    let list = app.get(&users).await;
    let bulk = list
        .attr("#bulk-link", "href")
        .expect("a link to bulk changes");
    let page = app.get(&bulk).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    (bulk, page)
}

/// Uploads `bytes` as `name` with the bulk page's form, as a browser does.
async fn upload_with(
    app: &TestApp,
    client: &reqwest::Client,
    page: &Page,
    bulk: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Page {
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", page.csrf_token())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
    let response = client
        .post(app.url(bulk))
        .header("origin", &app.base)
        .multipart(form)
        .send()
        .await
        .unwrap();
    app.follow_with(client, response).await
}

async fn upload(app: &TestApp, page: &Page, bulk: &str, bytes: Vec<u8>) -> Page {
    upload_with(app, &app.client, page, bulk, "equipo.csv", bytes).await
}

/// The subscription's page says how many of its seats are assigned.
async fn assigned(app: &TestApp, subscription: Uuid) -> String {
    app.get(&format!("/subscriptions/{subscription}"))
        .await
        .text("#assigned")
}

#[tokio::test]
async fn j6_done_when_two_users_then_a_file_of_nine_on_ten_seats_needs_one_seat_more() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, subscription) = bought(&app, "10").await;
    let (_, users) = tenant_users(&app).await;
    // Two users made and given Business Standard one by one.
    for (name, user) in [("Ana López", "ana"), ("Luis Pérez", "luis")] {
        let (_, page) = create_user(&app, &users, name, user).await;
        let asked = app
            .submit(&page.form(&format!("#licence-{subscription} form.assign")))
            .await;
        assert_eq!(asked.status, StatusCode::OK);
    }
    drain(&app).await;
    assert_eq!(
        assigned(&app, subscription).await,
        "2 de 10 licencias asignadas"
    );

    // The template holds the tenant's licences as they are.
    let (bulk, page) = bulk_page(&app).await;
    assert!(page.text("#bulk-licences").contains("CFQ7TTC0LDPB"));
    let template = app
        .client
        .get(app.url(&format!("{bulk}/template.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(template.status(), StatusCode::OK);
    let template = template.text().await.unwrap();
    let template = template.trim_start_matches('\u{feff}');
    assert_eq!(
        template.lines().collect::<Vec<_>>(),
        [
            "user_name,display_name,licence,action",
            "ana@contoso.onmicrosoft.com,Ana López,CFQ7TTC0LDPB,add",
            "luis@contoso.onmicrosoft.com,Luis Pérez,CFQ7TTC0LDPB,add",
        ]
    );

    // Nine more, as Excel writes them in Spanish: Latin-1, separated by semicolons.
    let mut file = template.replace(',', ";");
    for n in 1..=9 {
        file.push_str(&format!("persona{n};Persona Nº{n};CFQ7TTC0LDPB;agregar\n"));
    }
    let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode(&file);
    let preview = upload(&app, &page, &bulk, latin1.into_owned()).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text("main"));
    assert_eq!(preview.text("#batch-file"), "equipo.csv");
    let summary = preview.texts("#batch-summary li");
    assert_eq!(
        summary,
        [
            "8 usuarios por crear",
            "8 licencias por asignar",
            "0 licencias por quitar",
            "2 filas que ya están así (sin cambios)",
            "1 fila que no se puede aplicar",
        ]
    );
    assert_eq!(
        preview.texts("#batch-problems tbody tr"),
        ["12 No queda licencia libre: agrega licencias primero. (CFQ7TTC0LDPB)"]
    );
    let missing = preview.text(&format!("#missing-{subscription}"));
    assert!(
        missing.contains("Falta 1 licencia de Microsoft 365 Business Standard.")
            && missing.contains("Cada licencia más: US$ 13,20 por mes."),
        "{missing}"
    );
    assert!(
        preview
            .text("#batch-steps")
            .contains("persona1@contoso.onmicrosoft.com · Persona Nº1"),
        "names read from Latin-1: {}",
        preview.text("#batch-steps")
    );
    assert!(preview.body.contains("persona1@contoso.onmicrosoft.com"));
    assert!(
        preview.texts("#apply-batch").is_empty(),
        "nothing is applied while a row can't be"
    );
    assert_eq!(app.count("SELECT count(*) FROM tenant_users").await, 2);

    // A seat more, from the preview: its prorated price is shown before it is confirmed.
    let add = preview
        .attr(&format!("#missing-{subscription} a.add-seats"), "href")
        .unwrap();
    let seat = app.get(&add).await;
    assert_eq!(seat.status, StatusCode::OK, "{}", seat.text("main"));
    assert!(
        seat.text("#money-effect").contains("US$"),
        "{}",
        seat.text("#money-effect")
    );
    app.submit(&seat.form("#confirm-change")).await;
    drain(&app).await;

    // The same draft, shown again, now applies.
    let again = app.get(&preview.path()).await;
    assert!(
        again.texts("#batch-problems").is_empty(),
        "{}",
        again.text("main")
    );
    assert!(again.texts("#seats-missing").is_empty());
    let applied = app.submit(&again.form("#apply-batch")).await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.text("main"));
    assert_eq!(
        applied.text("#batch-progress"),
        "0 de 18 cambios hechos: 0 aplicados, 0 rechazados."
    );
    // A second click on the same preview applies nothing more.
    let twice = app.submit(&again.form("#apply-batch")).await;
    assert_eq!(twice.path(), applied.path());
    assert_eq!(
        app.count("SELECT count(*) FROM licence_changes WHERE batch_id IS NOT NULL")
            .await,
        18
    );
    assert_eq!(
        app.count("SELECT count(*) FROM jobs WHERE kind = 'apply_licence_batch'")
            .await,
        1
    );
    // Seats are taken at once; the vendor applies the changes in the file's order.
    assert_eq!(
        assigned(&app, subscription).await,
        "11 de 11 licencias asignadas"
    );
    drain(&app).await;
    let done = app.get(&applied.path()).await;
    assert_eq!(
        done.text("#batch-progress"),
        "18 de 18 cambios hechos: 18 aplicados, 0 rechazados."
    );
    assert_eq!(
        assigned(&app, subscription).await,
        "11 de 11 licencias asignadas"
    );
    assert_eq!(app.count("SELECT count(*) FROM sandbox_licences").await, 11);
    assert_eq!(
        app.count("SELECT count(*) FROM sandbox_tenant_users").await,
        11
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM tenant_users WHERE status = 'active' AND pending_change IS NULL"
        )
        .await,
        11
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'licence_batch_applied'")
            .await,
        1
    );
    let list = app.get(&bulk).await;
    assert!(list.text("#bulk-batches").contains("Terminado"));
}

#[tokio::test]
async fn a_file_is_applied_only_as_the_tenant_is_when_applied_and_removals_go_too() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, subscription) = bought(&app, "3").await;
    let (tenant, users) = tenant_users(&app).await;
    let (_, ana) = create_user(&app, &users, "Ana López", "ana").await;
    app.submit(&ana.form(&format!("#licence-{subscription} form.assign")))
        .await;
    drain(&app).await;
    let (bulk, page) = bulk_page(&app).await;
    // Ana's licence removed, two new users given one: two seats free, two asked.
    let file = format!(
        "{HEADER}ana,,CFQ7TTC0LDPB,remove\nmarta,Marta Gil,CFQ7TTC0LDPB,add\npedro,Pedro Ruiz,Microsoft 365 Business Standard,add\n"
    );
    let preview = upload(&app, &page, &bulk, file.into_bytes()).await;
    assert!(
        preview.texts("#batch-problems").is_empty(),
        "{}",
        preview.text("main")
    );
    assert_eq!(preview.texts("#batch-steps tbody tr").len(), 3);

    // Meanwhile a seat is taken from another page: the file no longer fits and nothing is done.
    let luis = licensed_user(&app, tenant, subscription, "luis").await;
    let refused = app.submit(&preview.form("#apply-batch")).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.texts("#batch-problems tbody tr").len(), 1);
    assert_eq!(app.count("SELECT count(*) FROM tenant_users").await, 2);
    assert_eq!(
        app.count("SELECT count(*) FROM licence_changes WHERE batch_id IS NOT NULL")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT count(*) FROM licence_batches WHERE status = 'draft'")
            .await,
        1
    );

    // The seat back: applied, Ana's removal with the rest.
    sqlx::query("DELETE FROM licence_assignments WHERE tenant_user_id = $1")
        .bind(luis)
        .execute(&app.db)
        .await
        .unwrap();
    let again = app.get(&preview.path()).await;
    let applied = app.submit(&again.form("#apply-batch")).await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.text("main"));
    drain(&app).await;
    let done = app.get(&applied.path()).await;
    assert_eq!(
        done.text("#batch-progress"),
        "5 de 5 cambios hechos: 5 aplicados, 0 rechazados."
    );
    assert_eq!(
        assigned(&app, subscription).await,
        "2 de 3 licencias asignadas"
    );
    let holders = app
        .get(&format!("/subscriptions/{subscription}"))
        .await
        .texts("#licence-holders [id^='holder-'] td:nth-child(2)");
    assert_eq!(
        holders,
        [
            "marta@contoso.onmicrosoft.com",
            "pedro@contoso.onmicrosoft.com"
        ]
    );
}

#[tokio::test]
async fn what_the_vendor_refuses_is_listed_with_its_reason_and_its_seats_come_back() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, subscription) = bought(&app, "5").await;
    // Someone made "sara" at the vendor outside the portal: the vendor refuses the name.
    sqlx::query(
        "INSERT INTO sandbox_tenant_users (vendor, tenant_ref, user_name, display_name,
                                           usage_location, request_key, vendor_ref)
         SELECT vendor, tenant_ref, 'sara@' || domain, 'Sara', 'MX', 'outside', 'ref-outside'
         FROM customer_tenants",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let (bulk, page) = bulk_page(&app).await;
    let file =
        format!("{HEADER}sara,Sara Díaz,CFQ7TTC0LDPB,add\ntomas,Tomás Vera,CFQ7TTC0LDPB,add\n");
    let preview = upload(&app, &page, &bulk, file.into_bytes()).await;
    let applied = app.submit(&preview.form("#apply-batch")).await;
    assert_eq!(
        assigned(&app, subscription).await,
        "2 de 5 licencias asignadas"
    );
    drain(&app).await;
    let done = app.get(&applied.path()).await;
    assert_eq!(
        done.text("#batch-progress"),
        "4 de 4 cambios hechos: 2 aplicados, 2 rechazados."
    );
    let refused = done.texts("#batch-failed tbody tr");
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(
        refused[0].starts_with("sara@contoso.onmicrosoft.com Usuario creado"),
        "{refused:?}"
    );
    assert!(refused[1].contains("Licencia asignada · Microsoft 365 Business Standard"));
    // Sara's seat is free again; Tomás holds his.
    assert_eq!(
        assigned(&app, subscription).await,
        "1 de 5 licencias asignadas"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM tenant_users WHERE pending_change IS NOT NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn bad_files_are_refused_whole_or_row_by_row_and_nothing_is_kept_or_applied() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, subscription) = bought(&app, "5").await;
    let (bulk, page) = bulk_page(&app).await;

    let no_file = upload(&app, &page, &bulk, Vec::new()).await;
    assert_eq!(no_file.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_file.text("#bulk-error"), "Elige un archivo CSV.");
    let header = upload(&app, &page, &bulk, b"name;licence\nana;x\n".to_vec()).await;
    assert_eq!(header.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        header.text("#bulk-error").starts_with("La primera fila"),
        "{}",
        header.text("#bulk-error")
    );
    // Larger than 10 MB: refused with its reason, whether the body is a little or far larger.
    let mut big = HEADER.as_bytes().to_vec();
    big.resize(10 * 1024 * 1024 + 10, b'a');
    let too_big = upload(&app, &page, &bulk, big).await;
    assert_eq!(too_big.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_big.text("#bulk-error"), "El archivo pesa más de 10 MB.");
    let huge = upload(
        &app,
        &page,
        &bulk,
        vec![b'a'; 10 * 1024 * 1024 + 200 * 1024],
    )
    .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(huge.text("#bulk-error"), "El archivo pesa más de 10 MB.");
    let mut many = HEADER.to_string();
    for n in 0..50_001 {
        many.push_str(&format!("u{n},U,CFQ7TTC0LDPB,add\n"));
    }
    let too_many = upload(&app, &page, &bulk, many.into_bytes()).await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        too_many.text("#bulk-error").contains("50.000"),
        "{}",
        too_many.text("#bulk-error")
    );
    assert_eq!(app.count("SELECT count(*) FROM licence_batches").await, 0);

    // Rows: another domain (another tenant's user), a formula, a product not among the
    // tenant's subscriptions, a subscription id instead of a licence: each says why.
    let file = format!(
        "{HEADER}ana@fabrikam.onmicrosoft.com,Ana,CFQ7TTC0LDPB,add\n\
         =cmd|' /C calc'!A0,x,CFQ7TTC0LDPB,add\n\
         luis,Luis,Google Workspace Business Starter,add\n\
         marta,Marta,{subscription},add\n"
    );
    let preview = upload(&app, &page, &bulk, file.into_bytes()).await;
    assert_eq!(preview.status, StatusCode::OK);
    let problems = preview.texts("#batch-problems tbody tr td:first-child");
    assert_eq!(problems, ["2", "3", "4", "5"]);
    assert!(preview.text("#batch-problems").contains("fórmula"));
    assert!(preview.texts("#apply-batch").is_empty());
    // Posting the apply anyway changes nothing.
    let forged = FormData {
        action: format!("{}/apply", preview.path()),
        fields: vec![("csrf_token".into(), preview.csrf_token())],
    };
    assert_eq!(app.submit(&forged).await.status, StatusCode::CONFLICT);
    assert_eq!(app.count("SELECT count(*) FROM licence_changes").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM tenant_users").await, 0);
}

#[tokio::test]
async fn another_reseller_finds_no_file_of_this_tenant_and_billing_users_only_read() {
    let app = TestApp::spawn_with(no_worker()).await;
    bought(&app, "5").await;
    let (bulk, page) = bulk_page(&app).await;
    let file = format!("{HEADER}ana,Ana,CFQ7TTC0LDPB,add\n");
    let preview = upload(&app, &page, &bulk, file.clone().into_bytes()).await;
    let batch = preview.path();

    let (_, beta, landed) = app.beta_owner_elsewhere().await;
    for path in [bulk.clone(), format!("{bulk}/template.csv"), batch.clone()] {
        let p = app.get_with(&beta, &path).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}");
    }
    let forged = FormData {
        action: format!("{batch}/apply"),
        fields: vec![("csrf_token".into(), landed.csrf_token())],
    };
    assert_eq!(
        app.submit_with(&beta, &forged).await.status,
        StatusCode::NOT_FOUND
    );
    let sent = upload_with(
        &app,
        &beta,
        &landed,
        &bulk,
        "x.csv",
        file.clone().into_bytes(),
    )
    .await;
    assert_eq!(sent.status, StatusCode::NOT_FOUND);
    // Its own tenant's address with this batch's id: not found either.
    let id = batch.rsplit('/').next().unwrap();
    let (customer, tenant) = crate::licences::tenant_of(&app).await;
    let elsewhere = format!(
        "/customers/{customer}/tenants/{}/users/bulk/{id}",
        Uuid::new_v4()
    );
    assert_eq!(app.get(&elsewhere).await.status, StatusCode::NOT_FOUND);
    assert!(batch.contains(&tenant.to_string()));

    let reader = billing_reader(&app).await;
    let read = app.get_with(&reader, &bulk).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(read.texts("#bulk-upload").is_empty());
    let shown = app.get_with(&reader, &batch).await;
    assert!(shown.texts("#apply-batch").is_empty());
    let attempt = FormData {
        action: format!("{batch}/apply"),
        fields: vec![("csrf_token".into(), shown.csrf_token())],
    };
    assert_eq!(
        app.submit_with(&reader, &attempt).await.status,
        StatusCode::FORBIDDEN
    );
    let upload = upload_with(&app, &reader, &read, &bulk, "x.csv", file.into_bytes()).await;
    assert_eq!(upload.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT count(*) FROM licence_batches").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM licence_changes").await, 0);
}
