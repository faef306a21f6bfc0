//! Vendor programs (J3), the reseller's account (J10) and the staff's program and reseller pages.

use crate::common::{Page, TestApp, TestUser};
use reqwest::StatusCode;

/// The demo catalog and programs (with terms), and a Mexican reseller with an owner, an admin
/// and a sales user, not enrolled in anything.
async fn setup(app: &TestApp) -> (uuid::Uuid, TestUser, TestUser, TestUser) {
    app.demo_catalog(None).await;
    let r = app.reseller("Alfa Nube", "ALF180512AB1").await;
    let owner = app.user(Some(r), "owner@alfa.example", "owner").await;
    let admin = app.user(Some(r), "admin@alfa.example", "admin").await;
    let sales = app.user(Some(r), "sales@alfa.example", "sales").await;
    (r, owner, admin, sales)
}

fn request_form(page: &Page, domain: &str, partner_id: &str) -> crate::common::FormData {
    page.form("form#program-request")
        .set("accept", "yes")
        .set("domain", domain)
        .set("partner_id", partner_id)
}

/// The staff's decision form on a program request, with `decision` chosen.
fn decide(page: &Page, decision: &str) -> crate::common::FormData {
    page.form("form[action$='/decide']")
        .set("decision", decision)
}

/// Opens the request page of `program` and sends it with the terms accepted.
async fn request_program(app: &TestApp, program: &str, domain: &str, partner_id: &str) -> Page {
    let page = app
        .get(&format!("/partner/programs/{program}/request"))
        .await;
    app.submit(&request_form(&page, domain, partner_id)).await
}

async fn status_of(app: &TestApp, reseller: uuid::Uuid, program: &str) -> Option<String> {
    sqlx::query_scalar(
        "SELECT e.status FROM program_enrollments e JOIN programs p ON p.id = e.program_id
         WHERE e.reseller_id = $1 AND p.code = $2",
    )
    .bind(reseller)
    .bind(program)
    .fetch_optional(&app.db)
    .await
    .unwrap()
}

/// Records `reseller` as approved in `program` (as staff would have), with its `domain`.
async fn approved_in(app: &TestApp, reseller: uuid::Uuid, program: &str, domain: Option<&str>) {
    sqlx::query(
        "INSERT INTO program_enrollments (reseller_id, program_id, status, domain)
         SELECT $1, id, 'approved', $3 FROM programs WHERE code = $2",
    )
    .bind(reseller)
    .bind(program)
    .bind(domain)
    .execute(&app.db)
    .await
    .unwrap();
}

async fn program_id(app: &TestApp, code: &str) -> uuid::Uuid {
    sqlx::query_scalar("SELECT id FROM programs WHERE code = $1")
        .bind(code)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// Whether `reseller` may order from `program` now, as the order rules decide.
async fn may_order(
    app: &TestApp,
    reseller: uuid::Uuid,
    program: uuid::Uuid,
) -> Result<(), portal::partners::programs::NotOrderable> {
    let mut conn = app.db.acquire().await.unwrap();
    portal::partners::programs::may_order(&mut conn, reseller, program)
        .await
        .unwrap()
}

#[tokio::test]
async fn j3_reseller_requests_microsoft_csp_and_staff_approve_it() {
    let app = TestApp::spawn().await;
    let (r, owner, admin, _) = setup(&app).await;
    app.sign_in(&owner).await;
    let page = app.get("/partner/programs").await;
    let row = page.text("#program-microsoft-csp");
    assert!(row.contains("No solicitado"), "{row}");
    let page = app.get("/partner/programs/microsoft-csp/request").await;
    assert!(page.text("#terms").contains("Microsoft CSP"));
    let page = app
        .submit(&request_form(&page, "alfanube.onmicrosoft.com", "1234567"))
        .await;
    assert_eq!(page.path(), "/partner/programs");
    assert!(page.text(".flash-success").contains("Microsoft CSP"));
    assert!(page.text("#program-microsoft-csp").contains("Pendiente"));
    assert_eq!(
        status_of(&app, r, "microsoft-csp").await.as_deref(),
        Some("pending")
    );
    // The acceptance is recorded with version, user, time and address.
    let (version, user, ip): (i32, uuid::Uuid, String) = sqlx::query_as(
        "SELECT version, user_id, host(ip) FROM program_terms_acceptances WHERE reseller_id = $1",
    )
    .bind(r)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((version, user, ip.as_str()), (1, owner.id, "127.0.0.1"));
    // Requester and admins are told.
    for who in [&owner.email, &admin.email] {
        let mail = app.smtp.wait_for(who).await;
        assert!(mail.subject.contains("Microsoft CSP"), "{}", mail.subject);
    }

    // Staff approve it from the queue.
    let staff = app.staff("staff@distri.example").await;
    let (c, _) = app.sign_in_elsewhere(&staff).await;
    let queue = app.get_with(&c, "/staff/program-requests").await;
    let link = queue.attr("tbody tr a", "href").unwrap();
    let detail = app.get_with(&c, &link).await;
    assert!(detail.body.contains("alfanube.onmicrosoft.com"));
    let form = decide(&detail, "approve");
    let page = app.submit_with(&c, &form).await;
    assert!(page.text(".flash-success").contains("Alfa Nube"));
    assert_eq!(
        status_of(&app, r, "microsoft-csp").await.as_deref(),
        Some("approved")
    );
    assert_eq!(app.audited("program_approved").await, 1);
    let mail = app.smtp.wait_for_nth(&owner.email, 2).await;
    assert!(mail.text.contains("aprob"), "{}", mail.text);
    // The reseller sees it approved, and may order from it.
    let page = app.get("/partner/programs").await;
    assert!(page.text("#program-microsoft-csp").contains("Aprobado"));
    let product = app.get("/catalog/CFQ7TTC0LH18").await;
    assert!(
        product.texts(".flash-info").is_empty(),
        "no warning once approved"
    );
}

#[tokio::test]
async fn another_reseller_sees_none_of_it_and_cannot_act_on_it() {
    let app = TestApp::spawn().await;
    let (r, owner, _, _) = setup(&app).await;
    app.sign_in(&owner).await;
    request_program(&app, "microsoft-csp", "alfanube.com", "1234567").await;
    let (_, c, _) = app.beta_owner_elsewhere().await;
    let page = app.get_with(&c, "/partner/programs").await;
    assert!(
        page.text("#program-microsoft-csp")
            .contains("No solicitado")
    );
    assert!(!page.body.contains("alfanube.com"));
    // Staff pages are not theirs.
    let url = format!("/staff/program-requests/{r}/microsoft-csp");
    assert_eq!(app.get_with(&c, &url).await.status, StatusCode::FORBIDDEN);
    let forged = app
        .post_form(
            &c,
            &format!("{url}/decide"),
            &page.csrf_token(),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        status_of(&app, r, "microsoft-csp").await.as_deref(),
        Some("pending")
    );
    // A program code that does not exist answers 404.
    assert_eq!(
        app.get_with(&c, "/partner/programs/nope/request")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn bad_requests_record_nothing_and_say_why() {
    let app = TestApp::spawn().await;
    let (r, owner, _, _) = setup(&app).await;
    app.sign_in(&owner).await;
    let page = app.get("/partner/programs/microsoft-csp/request").await;
    let bad = request_form(&page, "not a domain", "12ab").set("accept", "");
    let page = app.submit(&bad).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#e-accept"),
        "Para continuar debes aceptar las condiciones."
    );
    assert_eq!(
        page.text("#e-domain"),
        "Escribe un dominio válido, por ejemplo contoso.com."
    );
    assert_eq!(
        page.text("#e-partner_id"),
        "El ID de partner de Microsoft tiene de 6 a 10 dígitos."
    );
    assert_eq!(
        page.attr("#f-domain", "value").as_deref(),
        Some("not a domain")
    );
    // Accepting a version that is not the current one.
    let stale = request_form(&page, "alfanube.com", "1234567").set("version", "7");
    let page = app.submit(&stale).await;
    assert!(
        page.text("#e-accept")
            .starts_with("Las condiciones cambiaron")
    );
    // onmicrosoft.com is for Microsoft programs only.
    let page = request_program(&app, "google-workspace", "alfanube.onmicrosoft.com", "").await;
    assert_eq!(
        page.text("#e-domain"),
        "Un dominio onmicrosoft.com solo sirve para programas de Microsoft."
    );
    assert_eq!(status_of(&app, r, "microsoft-csp").await, None);
    assert_eq!(status_of(&app, r, "google-workspace").await, None);
    assert_eq!(
        app.count("SELECT count(*) FROM program_terms_acceptances")
            .await,
        0
    );
}

#[tokio::test]
async fn a_pending_request_is_not_sent_twice_and_a_rejected_one_can_be_sent_again() {
    let app = TestApp::spawn().await;
    let (r, owner, admin, _) = setup(&app).await;
    app.sign_in(&owner).await;
    let (c, _) = app.sign_in_elsewhere(&admin).await;
    let p1 = app.get("/partner/programs/google-workspace/request").await;
    let p2 = app
        .get_with(&c, "/partner/programs/google-workspace/request")
        .await;
    let (f1, f2) = (
        request_form(&p1, "alfanube.com", ""),
        request_form(&p2, "alfanube.com", ""),
    );
    let (a, b) = tokio::join!(app.submit(&f1), app.submit_with(&c, &f2));
    let flashes = [a.texts(".flash-success"), b.texts(".flash-success")];
    assert_eq!(
        flashes.iter().filter(|f| !f.is_empty()).count(),
        1,
        "exactly one request is stored"
    );
    let errors: Vec<String> = [a, b]
        .iter()
        .flat_map(|p| p.texts(".flash-error"))
        .collect();
    assert_eq!(errors, ["Este programa ya está solicitado o aprobado."]);
    // Rejected by staff with a reason (required), then requested again.
    let staff = app.staff("staff@distri.example").await;
    let (s, _) = app.sign_in_elsewhere(&staff).await;
    let url = format!("/staff/program-requests/{r}/google-workspace");
    let detail = app.get_with(&s, &url).await;
    let page = app.submit_with(&s, &decide(&detail, "reject")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#e-reason"),
        "Escribe el motivo: se enviará al solicitante."
    );
    let page = app
        .submit_with(
            &s,
            &decide(&detail, "reject").set("reason", "Dominio no verificado"),
        )
        .await;
    assert!(page.text(".flash-success").contains("Rechazamos"));
    let list = app.get("/partner/programs").await;
    assert!(
        list.text("#program-google-workspace")
            .contains("Dominio no verificado")
    );
    let page = request_program(&app, "google-workspace", "alfanube.com.mx", "").await;
    assert!(page.text(".flash-success").contains("Google Workspace"));
    assert_eq!(
        status_of(&app, r, "google-workspace").await.as_deref(),
        Some("pending")
    );
}

#[tokio::test]
async fn only_owners_and_admins_request_programs() {
    let app = TestApp::spawn().await;
    let (r, _, _, sales) = setup(&app).await;
    let page = app.sign_in(&sales).await;
    let list = app.get("/partner/programs").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.attr("a[href$='/request']", "href").is_none());
    assert_eq!(
        app.get("/partner/programs/microsoft-csp/request")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let forged = app
        .post_form(
            &app.client,
            "/partner/programs/microsoft-csp/request",
            &page.csrf_token(),
            &[
                ("accept", "yes"),
                ("version", "1"),
                ("domain", "x.com"),
                ("partner_id", "1234567"),
            ],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(status_of(&app, r, "microsoft-csp").await, None);
}

#[tokio::test]
async fn new_terms_must_be_accepted_before_ordering_again() {
    let app = TestApp::spawn().await;
    let (r, owner, _, _) = setup(&app).await;
    approved_in(&app, r, "microsoft-csp", Some("alfanube.com")).await;
    sqlx::query(
        "INSERT INTO program_terms_acceptances (reseller_id, program_id, version, user_id)
         SELECT $1, id, 1, $2 FROM programs WHERE code = 'microsoft-csp'",
    )
    .bind(r)
    .bind(owner.id)
    .execute(&app.db)
    .await
    .unwrap();
    let program = program_id(&app, "microsoft-csp").await;
    assert_eq!(may_order(&app, r, program).await, Ok(()));
    // Version 2 is published.
    sqlx::query(
        "INSERT INTO program_terms (program_id, version, title_es, title_en, title_pt, body_es, body_en, body_pt)
         VALUES ($1, 2, 'v2', 'v2', 'v2', 'Nuevas condiciones.', 'New terms.', 'Novas condições.')",
    )
    .bind(program)
    .execute(&app.db)
    .await
    .unwrap();
    assert_eq!(
        may_order(&app, r, program).await,
        Err(portal::partners::programs::NotOrderable::TermsOutdated)
    );
    app.sign_in(&owner).await;
    let list = app.get("/partner/programs").await;
    assert!(
        list.text("#program-microsoft-csp")
            .contains("acepta la nueva versión")
    );
    let product = app.get("/catalog/CFQ7TTC0LH18").await;
    assert!(
        product
            .text(".flash-info")
            .starts_with("Las condiciones del programa cambiaron"),
        "{}",
        product.text(".flash-info")
    );
    let page = app.get("/partner/programs/microsoft-csp/terms").await;
    assert!(page.text("#terms").contains("Nuevas condiciones."));
    let form = page.form("form#program-request").set("accept", "yes");
    let page = app.submit(&form).await;
    assert!(page.text(".flash-success").contains("nuevas condiciones"));
    assert_eq!(may_order(&app, r, program).await, Ok(()));
    assert_eq!(app.audited("program_terms_accepted").await, 1);
}

#[tokio::test]
async fn programs_of_another_region_cannot_be_requested() {
    let app = TestApp::spawn().await;
    let (r, owner, _, _) = setup(&app).await;
    sqlx::query("UPDATE programs SET countries = '{BR}' WHERE code = 'google-cloud'")
        .execute(&app.db)
        .await
        .unwrap();
    app.sign_in(&owner).await;
    let list = app.get("/partner/programs").await;
    assert!(
        list.text("#program-google-cloud")
            .contains("No disponible en tu país")
    );
    assert!(
        list.attr("a[href='/partner/programs/google-cloud/request']", "href")
            .is_none()
    );
    let response = app
        .post_form(
            &app.client,
            "/partner/programs/google-cloud/request",
            &list.csrf_token(),
            &[("accept", "yes"), ("version", "1"), ("domain", "alfa.com")],
        )
        .await;
    let page = app.follow_response(response).await;
    assert_eq!(
        page.text(".flash-error"),
        "Este programa no se ofrece en el país de tu empresa."
    );
    assert_eq!(status_of(&app, r, "google-cloud").await, None);
}

#[tokio::test]
async fn staff_suspend_and_reinstate_an_approved_program() {
    let app = TestApp::spawn().await;
    let (r, owner, _, _) = setup(&app).await;
    approved_in(&app, r, "google-workspace", Some("alfanube.com")).await;
    let staff = app.staff("staff@distri.example").await;
    app.sign_in(&staff).await;
    let url = format!("/staff/program-requests/{r}/google-workspace");
    let page = app.get(&url).await;
    let page = app
        .submit(&decide(&page, "suspend").set("reason", "Pagos pendientes"))
        .await;
    assert!(page.text(".flash-success").contains("Suspendimos"));
    assert_eq!(
        status_of(&app, r, "google-workspace").await.as_deref(),
        Some("suspended")
    );
    assert!(
        app.smtp
            .wait_for(&owner.email)
            .await
            .text
            .contains("Pagos pendientes")
    );
    // A decision that does not fit the status is refused.
    let again = app.submit(&decide(&page, "approve")).await;
    assert_eq!(
        again.text(".flash-error"),
        "Otra persona ya decidió esta solicitud."
    );
    let page = app.submit(&decide(&page, "reinstate")).await;
    assert!(page.text(".flash-success").contains("Restablecimos"));
    assert_eq!(
        status_of(&app, r, "google-workspace").await.as_deref(),
        Some("approved")
    );
    assert_eq!(app.audited("program_suspended").await, 1);
    assert_eq!(app.audited("program_reinstated").await, 1);
    // The history shows both decisions.
    assert!(page.texts("section table tbody tr").len() >= 2);
}

#[tokio::test]
async fn j10_the_account_shows_the_public_id_and_owners_edit_company_data() {
    let app = TestApp::spawn().await;
    let (r, owner, _, sales) = setup(&app).await;
    let public_id = app.public_id(r).await;
    assert!(public_id.starts_with('R') && public_id.len() == 10);
    app.sign_in(&owner).await;
    let page = app.get("/partner").await;
    assert_eq!(page.text("#public-id"), public_id);
    assert!(
        page.attr("button[data-copy='public-id']", "data-copy")
            .is_some()
    );
    let form = page
        .form("form[action='/partner']")
        .set("legal_name", "Alfa Nube Ñandú S.A.")
        .set("tax_id", "bad")
        .set("phone", "+52 55 5555 0000")
        .set("contact_email", "facturas@alfa.example")
        .set("public_id", "RHACKED00");
    let page = app.submit(&form).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#e-tax_id"),
        "La identificación fiscal no es válida para el país elegido."
    );
    // A time zone outside the list is refused beside its field.
    let in_zone = |zone: &str| {
        page.form("form[action='/partner']")
            .set("tax_id", "ANU180512ABA")
            .set("time_zone", zone)
    };
    let refused = app.submit(&in_zone("Mars/Olympus_Mons")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.text(".field-error"),
        "Elige una zona horaria de la lista."
    );
    let page = app.submit(&in_zone("America/Bogota")).await;
    assert_eq!(
        page.text(".flash-success"),
        "Guardamos los datos de tu empresa."
    );
    let zone: String = sqlx::query_scalar("SELECT time_zone FROM resellers WHERE id = $1")
        .bind(r)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(zone, "America/Bogota");
    // The picker lists zones by country, the reseller's first, each by its city and today's
    // offset; the account shows its zone the same way.
    assert_eq!(
        page.attr("#f-time_zone optgroup", "label").as_deref(),
        Some("México")
    );
    assert!(
        page.texts("#f-time_zone option")
            .contains(&"Ciudad de México (UTC−06:00)".to_string())
    );
    assert_eq!(
        page.text("#f-time_zone option[selected]"),
        "Bogotá (UTC−05:00)"
    );
    assert_eq!(page.text("#time-zone"), "Bogotá (UTC−05:00)");
    // Zones below a country's own folder (Argentina's) are offered and kept.
    let page = app.submit(&in_zone("America/Argentina/Cordoba")).await;
    assert_eq!(page.text("#time-zone"), "Córdoba (UTC−03:00)");
    assert_eq!(page.text("h1"), "Alfa Nube Ñandú S.A.");
    let (name, pid): (String, String) =
        sqlx::query_as("SELECT legal_name, public_id FROM resellers WHERE id = $1")
            .bind(r)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        (name.as_str(), pid.as_str()),
        ("Alfa Nube Ñandú S.A.", public_id.as_str()),
        "the public id never changes"
    );
    // Sales see the account but cannot change it.
    let (c, landed) = app.sign_in_elsewhere(&sales).await;
    let page = app.get_with(&c, "/partner").await;
    assert!(
        page.html()
            .select(&scraper::Selector::parse("form[action='/partner']").unwrap())
            .next()
            .is_none()
    );
    let forged = app
        .post_form(
            &c,
            "/partner",
            &landed.csrf_token(),
            &[("legal_name", "Hijack")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn staff_find_resellers_and_a_suspended_reseller_cannot_order_and_sees_why() {
    let app = TestApp::spawn().await;
    let (r, owner, _, _) = setup(&app).await;
    approved_in(&app, r, "google-workspace", None).await;
    app.reseller("Beta Cloud", "BET180512AB1").await;
    let staff = app.staff("staff@distri.example").await;
    app.sign_in(&staff).await;
    let page = app.get("/staff/resellers?q=alfa").await;
    assert_eq!(page.texts("tbody tr").len(), 1);
    let page = app.get("/staff/resellers?program=google-workspace").await;
    assert_eq!(page.texts("tbody tr").len(), 1);
    let page = app.get("/staff/resellers?country=BR").await;
    assert!(page.texts("tbody tr").is_empty());
    let page = app.get(&format!("/staff/resellers/{r}")).await;
    assert!(page.body.contains("owner@alfa.example"));
    let empty = app.submit(&page.form("form[action$='/status']")).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = app
        .submit(
            &page
                .form("form[action$='/status']")
                .set("reason", "Facturas vencidas"),
        )
        .await;
    assert_eq!(page.text(".flash-success"), "Suspendimos al revendedor.");
    assert_eq!(app.audited("reseller_suspended").await, 1);
    // Its users can still sign in, see why, and cannot order.
    let (c, landed) = app.sign_in_elsewhere(&owner).await;
    assert!(landed.text(".flash-error").contains("Facturas vencidas"));
    let program = program_id(&app, "google-workspace").await;
    assert_eq!(
        may_order(&app, r, program).await,
        Err(portal::partners::programs::NotOrderable::ResellerSuspended)
    );
    let page = app.get(&format!("/staff/resellers/{r}")).await;
    let page = app.submit(&page.form("form[action$='/status']")).await;
    assert_eq!(page.text(".flash-success"), "Reactivamos al revendedor.");
    assert!(app.get_with(&c, "/").await.texts(".flash-error").is_empty());
}
