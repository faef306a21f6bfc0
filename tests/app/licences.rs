//! Users and licences in a customer's tenant (J6, "Users and licenses"): users created at the
//! vendor with a temporary password shown once, licences assigned and removed, never more than
//! the seats, blocked, unblocked and deleted; other resellers find nothing.

use reqwest::StatusCode;
use uuid::Uuid;

use crate::common::{FormData, Page, TestApp};
use crate::orders::no_worker;
use crate::subscriptions::{bought, drain, preview};

/// The tenant of the subscription `bought` made, and its users' page address.
pub(crate) async fn tenant_users(app: &TestApp) -> (Uuid, String) {
    let (customer, tenant) = tenant_of(app).await;
    (
        tenant,
        format!("/customers/{customer}/tenants/{tenant}/users"),
    )
}

pub(crate) async fn tenant_of(app: &TestApp) -> (Uuid, Uuid) {
    sqlx::query_as("SELECT customer_id, id FROM customer_tenants")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// Creates a user through the form and lets the vendor make it; its page, once made.
pub(crate) async fn create_user(
    app: &TestApp,
    users: &str,
    name: &str,
    user_name: &str,
) -> (Uuid, Page) {
    let page = app.get(users).await;
    let created = app
        .submit(
            &page
                .form("#new-user")
                .set("display_name", name)
                .set("user_name", user_name),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text("main"));
    let id: Uuid = created.path().rsplit('/').next().unwrap().parse().unwrap();
    drain(app).await;
    let page = app.get(&created.path()).await;
    (id, page)
}

#[tokio::test]
async fn j6_a_user_is_created_given_a_licence_blocked_and_deleted_through_the_vendor() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, subscription) = bought(&app, "10").await;
    let (_, users) = tenant_users(&app).await;

    // From the customer's page to the tenant's users.
    let (customer, _) = tenant_of(&app).await;
    let customer = app.get(&format!("/customers/{customer}")).await;
    assert_eq!(
        customer.attr("a.tenant-users", "href").as_deref(),
        Some(users.as_str())
    );
    let empty = app.get(&users).await;
    assert_eq!(empty.text(".empty"), "Aún no hay usuarios.");

    // A new user: made by the vendor, its temporary password shown once, then never again.
    let (ana, page) = create_user(&app, &users, "Ana López", "Ana.Lopez").await;
    assert_eq!(page.text("#user-name"), "ana.lopez@contoso.onmicrosoft.com");
    assert_eq!(page.text("#user-status"), "Activo");
    let password = page.text("#password-value");
    assert_eq!(password.chars().count(), 16);
    let again = app.get(&page.path()).await;
    assert!(again.texts("#temporary-password").is_empty());
    assert!(!again.body.contains(&password));
    assert_eq!(
        app.count("SELECT count(*) FROM licence_changes WHERE secret IS NOT NULL")
            .await,
        0,
        "the password is erased once shown"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM sandbox_tenant_users").await,
        1
    );

    // A licence of the tenant's subscription: asked, then applied by the vendor.
    let row = format!("#licence-{subscription}");
    let asked = app.submit(&again.form(&format!("{row} form.assign"))).await;
    assert_eq!(asked.text(&format!("{row} .held")), "Asignándose");
    assert_eq!(
        asked.text(&format!("{row} .seats")),
        "1 de 10 licencias asignadas"
    );
    drain(&app).await;
    let page = app.get(&asked.path()).await;
    assert_eq!(page.text(&format!("{row} .held")), "Asignada");
    let shown = app.get(&format!("/subscriptions/{subscription}")).await;
    assert_eq!(shown.text("#assigned"), "1 de 10 licencias asignadas");
    assert_eq!(app.count("SELECT count(*) FROM sandbox_licences").await, 1);
    let list = app.get(&users).await;
    assert_eq!(
        list.text(&format!("#user-{ana} .licences")),
        "Microsoft 365 Business Standard"
    );
    // The subscription's page lists who holds its licences; the list says how many.
    assert_eq!(
        shown.text(&format!("#holder-{ana} td:nth-child(2)")),
        "ana.lopez@contoso.onmicrosoft.com"
    );
    let listed = app.get("/subscriptions").await;
    assert_eq!(listed.text("#subscriptions .assigned"), "Asignadas: 1");

    // From the subscription's page: a second user gets a licence, then gives it back.
    let (luis, _) = create_user(&app, &users, "Luis Pérez", "luis").await;
    let shown = app.get(&format!("/subscriptions/{subscription}")).await;
    let given = app
        .submit(&shown.form("#add-holder").set("user", &luis.to_string()))
        .await;
    assert_eq!(given.path(), format!("/subscriptions/{subscription}"));
    drain(&app).await;
    let shown = app.get(&given.path()).await;
    assert_eq!(shown.text("#assigned"), "2 de 10 licencias asignadas");
    let back = app
        .submit(&shown.form(&format!("#holder-{luis} form.unassign")))
        .await;
    drain(&app).await;
    let shown = app.get(&back.path()).await;
    assert_eq!(shown.text("#assigned"), "1 de 10 licencias asignadas");
    assert!(shown.texts(&format!("#holder-{luis}")).is_empty());
    // The licences given and taken back are in the subscription's history, among its changes.
    let changes = shown.texts("#history tbody tr td:nth-child(3)");
    assert_eq!(
        changes,
        [
            "Licencia quitada · Luis Pérez",
            "Licencia asignada · Luis Pérez",
            "Licencia asignada · Ana López",
            "Comprada con 10 licencias"
        ]
    );

    // Blocked and unblocked at the vendor.
    let blocked = app.submit(&page.form("#block")).await;
    assert!(blocked.texts("#block").is_empty(), "one change at a time");
    drain(&app).await;
    let page = app.get(&blocked.path()).await;
    assert_eq!(page.text("#user-status"), "Bloqueado");
    app.submit(&page.form("#unblock")).await;
    drain(&app).await;
    let page = app.get(&blocked.path()).await;
    assert_eq!(page.text("#user-status"), "Activo");

    // Deleted: its licence is freed, at the vendor and here.
    app.submit(&page.form("#delete-user")).await;
    drain(&app).await;
    assert_eq!(
        app.get_raw(&page.path()).await.status(),
        StatusCode::NOT_FOUND
    );
    let shown = app.get(&format!("/subscriptions/{subscription}")).await;
    assert_eq!(shown.text("#assigned"), "0 de 10 licencias asignadas");
    assert_eq!(app.count("SELECT count(*) FROM sandbox_licences").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM sandbox_tenant_users").await,
        1
    );
    assert_eq!(app.audited("tenant_user_change_requested").await, 8);
}

#[tokio::test]
async fn user_names_outside_the_domain_malformed_or_taken_are_refused_keeping_what_was_typed() {
    let app = TestApp::spawn_with(no_worker()).await;
    bought(&app, "10").await;
    let (_, users) = tenant_users(&app).await;
    create_user(&app, &users, "Ana López", "ana").await;
    let page = app.get(&users).await;
    for (typed, message) in [
        (
            "ana@fabrikam.com",
            "El nombre de usuario debe estar en el dominio del tenant.",
        ),
        (
            "ana lopez",
            "Usa letras, dígitos, puntos, guiones o guiones bajos antes de la @ (máximo 64).",
        ),
        (
            "ANA@contoso.onmicrosoft.com",
            "Ya hay un usuario con este nombre en el tenant.",
        ),
    ] {
        let refused = app
            .submit(
                &page
                    .form("#new-user")
                    .set("display_name", "Otra Ana")
                    .set("user_name", typed),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        assert_eq!(refused.text("#e-user_name"), message);
        assert_eq!(
            refused.attr("#f-user_name", "value").as_deref(),
            Some(typed)
        );
        assert_eq!(
            refused.attr("#f-display_name", "value").as_deref(),
            Some("Otra Ana")
        );
    }
    let nameless = app
        .submit(&page.form("#new-user").set("user_name", "luis"))
        .await;
    assert_eq!(nameless.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("SELECT count(*) FROM tenant_users").await, 1);
}

/// A user of the tenant the vendor has made, straight in the database, at the vendor and in
/// the portal's copy (for the seat rules).
pub(crate) async fn made_user(app: &TestApp, tenant: Uuid, name: &str) -> Uuid {
    sqlx::query(
        "INSERT INTO sandbox_tenant_users (vendor, tenant_ref, user_name, display_name,
                                           usage_location, request_key, vendor_ref)
         SELECT vendor, tenant_ref, $2 || '@' || domain, $2, 'MX', 'made-' || $2, 'ref-' || $2
         FROM customer_tenants WHERE id = $1",
    )
    .bind(tenant)
    .bind(name)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query_scalar(
        "INSERT INTO tenant_users (reseller_id, tenant_id, user_name, display_name,
                                   usage_location, status, vendor_ref)
         SELECT reseller_id, id, $2 || '@' || domain, $2, 'MX', 'active', 'ref-' || $2
         FROM customer_tenants WHERE id = $1 RETURNING id",
    )
    .bind(tenant)
    .bind(name)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

/// A billing user of the reseller whose customer owns the tenant, signed in on a client of its
/// own (billing users read users and licences, and change nothing).
pub(crate) async fn billing_reader(app: &TestApp) -> reqwest::Client {
    let r: Uuid = sqlx::query_scalar("SELECT reseller_id FROM customer_tenants")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let billing = app.user(Some(r), "billing@alfa.example", "billing").await;
    app.sign_in_elsewhere(&billing).await.0
}

/// A user made straight in the database holding a licence of `subscription` (a seat taken).
pub(crate) async fn licensed_user(
    app: &TestApp,
    tenant: Uuid,
    subscription: Uuid,
    name: &str,
) -> Uuid {
    let user = made_user(app, tenant, name).await;
    sqlx::query(
        "INSERT INTO licence_assignments (reseller_id, subscription_id, tenant_user_id, status)
         SELECT reseller_id, $1, $2, 'assigned' FROM subscriptions WHERE id = $1",
    )
    .bind(subscription)
    .bind(user)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO sandbox_licences (subscription_ref, user_ref)
         SELECT vendor_ref, 'ref-' || $2 FROM subscriptions WHERE id = $1",
    )
    .bind(subscription)
    .bind(name)
    .execute(&app.db)
    .await
    .unwrap();
    user
}

#[tokio::test]
async fn two_assignments_at_once_never_take_more_licences_than_seats() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, subscription) = bought(&app, "1").await;
    let (tenant, users) = tenant_users(&app).await;
    let a = made_user(&app, tenant, "ana").await;
    let b = made_user(&app, tenant, "luis").await;
    let form = |page: &Page| page.form(&format!("#licence-{subscription} form.assign"));
    let (pa, pb) = (
        app.get(&format!("{users}/{a}")).await,
        app.get(&format!("{users}/{b}")).await,
    );
    let (fa, fb) = (form(&pa), form(&pb));
    let (ra, rb) = tokio::join!(app.submit(&fa), app.submit(&fb));
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let refused = if ra.status == StatusCode::CONFLICT {
        &ra
    } else {
        &rb
    };
    assert_eq!(
        refused.text("#change-problem"),
        "Todas las licencias de esta suscripción están asignadas: agrega licencias o quita una asignación primero."
    );
    assert_eq!(
        app.count("SELECT count(*) FROM licence_assignments").await,
        1
    );
    assert_eq!(
        app.count("SELECT assigned::bigint FROM subscriptions")
            .await,
        1
    );
    // With every seat taken, the other user's page offers no assignment.
    let holder: Uuid = sqlx::query_scalar("SELECT tenant_user_id FROM licence_assignments")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let other = if holder == a { b } else { a };
    let full = app.get(&format!("{users}/{other}")).await;
    assert!(
        full.texts(&format!("#licence-{subscription} form.assign"))
            .is_empty()
    );
    assert_eq!(
        full.text(&format!("#licence-{subscription} .seats")),
        "1 de 1 licencias asignadas"
    );
}

#[tokio::test]
async fn seats_left_unassigned_for_thirty_days_are_pointed_out() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, subscription) = bought(&app, "10").await;
    let page = format!("/subscriptions/{subscription}");
    assert!(
        app.get(&page).await.texts("#alignment").is_empty(),
        "bought today"
    );
    for sql in [
        "UPDATE subscriptions SET created_at = now() - interval '40 days'",
        "UPDATE seat_batches SET added_at = now() - interval '40 days'",
        // What the triggers keep from those: unchanged for 40 days.
        "UPDATE subscriptions SET quiet_since = now() - interval '40 days'",
    ] {
        sqlx::query(sql).execute(&app.db).await.unwrap();
    }
    let idle = "10 licencias sin asignar hace 30 días: ¿reducir en la renovación?";
    assert_eq!(app.get(&page).await.text("#alignment"), idle);
    assert_eq!(
        app.get("/subscriptions")
            .await
            .text("#subscriptions .alignment"),
        idle
    );
    // A licence given lately: not idle any more.
    let (tenant, _) = tenant_users(&app).await;
    let user = made_user(&app, tenant, "ana").await;
    sqlx::query(
        "INSERT INTO licence_changes (reseller_id, tenant_id, tenant_user_id, subscription_id, kind)
         SELECT reseller_id, $1, $2, id, 'assign' FROM subscriptions",
    )
    .bind(tenant)
    .bind(user)
    .execute(&app.db)
    .await
    .unwrap();
    assert!(app.get(&page).await.texts("#alignment").is_empty());
}

#[tokio::test]
async fn seats_are_not_reduced_below_the_licences_assigned() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, subscription) = bought(&app, "10").await;
    let (tenant, _) = tenant_users(&app).await;
    for n in 0..7 {
        licensed_user(&app, tenant, subscription, &format!("user{n}")).await;
    }
    let batch: Uuid = sqlx::query_scalar("SELECT id FROM seat_batches")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let refused = preview(
        &app,
        subscription,
        &format!("#batch-{batch} form"),
        Some("5"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text("main")
            .contains("Hay 7 licencias asignadas a usuarios: quita primero 2"),
        "{}",
        refused.text("main")
    );
    let fine = preview(
        &app,
        subscription,
        &format!("#batch-{batch} form"),
        Some("3"),
    )
    .await;
    assert_eq!(fine.status, StatusCode::OK);
    // Straight in the database, five more than the three free seats: never beyond ten.
    for n in 7..12 {
        let user = made_user(&app, tenant, &format!("user{n}")).await;
        let _ = sqlx::query(
            "INSERT INTO licence_assignments (reseller_id, subscription_id, tenant_user_id)
             SELECT reseller_id, $1, $2 FROM subscriptions WHERE id = $1",
        )
        .bind(subscription)
        .bind(user)
        .execute(&app.db)
        .await;
    }
    assert_eq!(
        app.count("SELECT count(*) FROM licence_assignments").await,
        10
    );

    // The vendor took seats back (a change made there): the page and the list say so.
    sqlx::query("UPDATE subscriptions SET quantity = 8")
        .execute(&app.db)
        .await
        .unwrap();
    let shown = app.get(&format!("/subscriptions/{subscription}")).await;
    let over = "2 licencias asignadas de más: quítalas o agrega licencias.";
    assert_eq!(shown.text("#alignment"), over);
    let listed = app.get("/subscriptions").await;
    assert_eq!(listed.text("#subscriptions .alignment"), over);
}

#[tokio::test]
async fn another_resellers_tenant_users_and_subscriptions_answer_404_and_billing_only_reads() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, subscription) = bought(&app, "10").await;
    let (tenant, users) = tenant_users(&app).await;
    let ana = made_user(&app, tenant, "ana").await;
    let user_page = format!("{users}/{ana}");

    let (_, beta, landed) = app.beta_owner_elsewhere().await;
    for path in [users.as_str(), user_page.as_str()] {
        let p = app.get_with(&beta, path).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}");
    }
    let forged = FormData {
        action: format!("{user_page}/changes"),
        fields: vec![
            ("csrf_token".into(), landed.csrf_token()),
            ("kind".into(), "assign".into()),
            ("subscription".into(), subscription.to_string()),
        ],
    };
    assert_eq!(
        app.submit_with(&beta, &forged).await.status,
        StatusCode::NOT_FOUND
    );

    // Its own user, with another tenant's subscription id: not one of the tenant's.
    let mine = app.get(&user_page).await;
    let foreign = FormData {
        action: format!("{user_page}/changes"),
        fields: vec![
            ("csrf_token".into(), mine.csrf_token()),
            ("kind".into(), "assign".into()),
            ("subscription".into(), Uuid::new_v4().to_string()),
        ],
    };
    assert_eq!(app.submit(&foreign).await.status, StatusCode::NOT_FOUND);
    let nonsense = FormData {
        action: format!("{user_page}/changes"),
        fields: vec![
            ("csrf_token".into(), mine.csrf_token()),
            ("kind".into(), "promote".into()),
        ],
    };
    assert_eq!(app.submit(&nonsense).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("SELECT count(*) FROM licence_changes").await, 0);

    // A billing user reads the users but is offered no change, and cannot post one.
    let reader = billing_reader(&app).await;
    let page = app.get_with(&reader, &user_page).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts("form.assign").is_empty());
    assert!(
        app.get_with(&reader, &users)
            .await
            .texts("#new-user")
            .is_empty()
    );
    let token = page.csrf_token();
    let attempt = FormData {
        action: format!("{user_page}/changes"),
        fields: vec![
            ("csrf_token".into(), token),
            ("kind".into(), "assign".into()),
            ("subscription".into(), subscription.to_string()),
        ],
    };
    assert_eq!(
        app.submit_with(&reader, &attempt).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn users_and_licences_made_or_removed_outside_the_portal_are_read_back_from_the_vendor() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, subscription) = bought(&app, "3").await;
    let (tenant, users) = tenant_users(&app).await;
    // The first view of the page reads the tenant's users from the vendor, once.
    let first = app.get(&users).await;
    assert_eq!(first.text("#read-at"), "Leyendo del proveedor…");
    app.get(&users).await;
    let reads = "SELECT count(*) FROM jobs WHERE kind = 'read_tenant_users'";
    assert_eq!(app.count(reads).await, 1);
    drain(&app).await;
    assert!(
        app.get(&users)
            .await
            .text("#read-at")
            .starts_with("Leído del proveedor el")
    );
    let (ana, _) = create_user(&app, &users, "Ana López", "ana").await;
    let luis = licensed_user(&app, tenant, subscription, "luis").await;

    // In the vendor's admin centre: Ana deleted, Luis blocked and his licence removed, and
    // two users made there, each given a licence.
    sqlx::query("DELETE FROM sandbox_tenant_users WHERE user_name LIKE 'ana@%'")
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("UPDATE sandbox_tenant_users SET blocked = true WHERE vendor_ref = 'ref-luis'")
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("DELETE FROM sandbox_licences WHERE user_ref = 'ref-luis'")
        .execute(&app.db)
        .await
        .unwrap();
    for name in ["externo", "otra"] {
        sqlx::query(
            "WITH made AS (
                 INSERT INTO sandbox_tenant_users (vendor, tenant_ref, user_name, display_name,
                                                   usage_location, request_key, vendor_ref)
                 SELECT vendor, tenant_ref, $1 || '@' || domain, initcap($1), 'MX',
                        'outside-' || $1, 'outside-' || $1
                 FROM customer_tenants RETURNING vendor_ref)
             INSERT INTO sandbox_licences (subscription_ref, user_ref)
             SELECT s.vendor_ref, made.vendor_ref FROM subscriptions s, made",
        )
        .bind(name)
        .execute(&app.db)
        .await
        .unwrap();
    }

    let page = app.get(&users).await;
    let read = app.submit(&page.form("#read-users")).await;
    assert_eq!(read.path(), users);
    assert!(
        read.text(".flash").contains("fuera del portal"),
        "{}",
        read.text(".flash")
    );
    drain(&app).await;
    let list = app.get(&users).await;
    let mut names = list.texts("#tenant-users tbody td:nth-child(2)");
    names.sort();
    assert_eq!(
        names,
        [
            "externo@contoso.onmicrosoft.com",
            "luis@contoso.onmicrosoft.com",
            "otra@contoso.onmicrosoft.com"
        ]
    );
    assert_eq!(list.text(&format!("#user-{luis} .badge")), "Bloqueado");
    assert_eq!(list.text(&format!("#user-{luis} .licences")), "—");
    assert!(app.get(&format!("{users}/{ana}")).await.status == StatusCode::NOT_FOUND);
    let shown = app.get(&format!("/subscriptions/{subscription}")).await;
    assert_eq!(shown.text("#assigned"), "2 de 3 licencias asignadas");
    // Reading again changes nothing more.
    let again = app.get(&users).await;
    app.submit(&again.form("#read-users")).await;
    drain(&app).await;
    assert_eq!(app.count("SELECT count(*) FROM tenant_users").await, 3);
    assert_eq!(
        app.count("SELECT count(*) FROM licence_assignments").await,
        2
    );
}
