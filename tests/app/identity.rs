//! Identity journeys (J1, J2, reseller users, profile) and every security point of the identity
//! issue, over real HTTP with mail received over SMTP.

use crate::common::{FormData, Options, PASSWORD, Page, TestApp, TestUser, shown_secret};
use reqwest::StatusCode;

/// Fills and sends the public access request form.
async fn request_access(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    tax_id: &str,
) -> Page {
    let page = app.get_with(client, "/access-request").await;
    let form = page
        .form("form[action='/access-request']")
        .set("legal_name", "Soluciones Nube Ñandú S.A. de C.V.")
        .set("tax_id", tax_id)
        .set("country", "MX")
        .set("contact_name", "José Núñez")
        .set("email", email)
        .set("phone", "+52 55 1234 5678")
        .set("partner_id", "");
    app.submit_with(client, &form).await
}

/// Opens `link` in two browsers and submits its password form from both at the same moment.
async fn new_password_twice_at_once(
    app: &TestApp,
    link: &str,
    form: &str,
    password: &str,
) -> Vec<StatusCode> {
    let (c1, c2) = (app.new_client(), app.new_client());
    let mut forms = Vec::new();
    for c in [&c1, &c2] {
        let page = app.get_with(c, link).await;
        forms.push(
            page.form(form)
                .set("password", password)
                .set("password_confirm", password),
        );
    }
    let (a, b) = tokio::join!(
        app.submit_with(&c1, &forms[0]),
        app.submit_with(&c2, &forms[1])
    );
    let mut statuses = vec![a.status, b.status];
    statuses.sort();
    statuses
}

/// Asks for a reset link for `email` on the forgotten-password page.
async fn forgot_password(app: &TestApp, email: &str) {
    let page = app.get("/password/forgot").await;
    app.submit(
        &page
            .form("form[action='/password/forgot']")
            .set("email", email),
    )
    .await;
}

/// The profile's password form, filled.
fn change_password(page: &Page, current: &str, password: &str, confirm: &str) -> FormData {
    page.form("form[action='/profile/password']")
        .set("current_password", current)
        .set("password", password)
        .set("password_confirm", confirm)
}

/// The profile's second-factor form: the password, a code, and what to do.
fn confirm_mfa_change(page: &Page, code: &str, action: &str) -> FormData {
    page.form("form[action='/profile/mfa']")
        .set("current_password", PASSWORD)
        .set("code", code)
        .set("action", action)
}

/// The invitation form on the users page, filled.
fn invite(page: &Page, name: &str, email: &str, role: &str) -> FormData {
    page.form("form[action='/partner/users/invite']")
        .set("name", name)
        .set("email", email)
        .set("role", role)
}

#[tokio::test]
async fn j1_company_requests_access_staff_approves_owner_sets_password_and_mfa() {
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;

    // The company asks for access and gets an acknowledgement.
    let page = request_access(&app, &app.client, "jose@nandu.example", "SNN180512AB5").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("h1"), "Recibimos tu solicitud");
    let ack = app.smtp.wait_for("jose@nandu.example").await;
    assert!(
        ack.text.contains("Soluciones Nube Ñandú S.A. de C.V."),
        "{}",
        ack.text
    );

    // Staff see it in the queue and approve it.
    let (staff_client, _) = app.sign_in_elsewhere(&staff).await;
    let queue = app.get_with(&staff_client, "/staff/access-requests").await;
    assert_eq!(queue.texts("tbody tr").len(), 1);
    let link = queue.attr("tbody tr a", "href").unwrap();
    let detail = app.get_with(&staff_client, &link).await;
    assert_eq!(detail.text("h1"), "Soluciones Nube Ñandú S.A. de C.V.");
    let approved = app
        .submit_with(&staff_client, &detail.form("form[action$='/approve']"))
        .await;
    assert!(approved.text(".flash-success").contains("Aprobamos"));
    assert_eq!(app.audited("access_request_approved").await, 1);

    // The invitation arrives; its link comes from the configured base URL.
    let invitation = app.smtp.wait_for_nth("jose@nandu.example", 2).await;
    let link = invitation
        .link_to("/invitation/")
        .expect("an invitation link");
    assert!(link.starts_with(&app.base));

    // The owner opens it in another browser, sets a password, and must enrol MFA.
    let (owner, owner_jar) = app.new_agent();
    let page = app.get_with(&owner, &link).await;
    assert_eq!(page.text("h1"), "Crea tu contraseña");
    let form = page
        .form("form[action^='/invitation/']")
        .set("password", "tres tristes tigres")
        .set("password_confirm", "tres tristes tigres");
    let page = app.submit_with(&owner, &form).await;
    assert_eq!(page.path(), "/mfa/setup");
    assert!(
        page.attr(".qr img", "src")
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    let secret = shown_secret(&page.text("#totp-secret"));

    // Nothing else is reachable before MFA is set up.
    for path in ["/", "/profile", "/partner/users"] {
        let p = app.get_with(&owner, path).await;
        assert_eq!(p.path(), "/mfa/setup", "{path}");
    }

    // A wrong code is refused; the right one enrols and shows ten recovery codes once.
    let page = app
        .submit_with(
            &owner,
            &page.form("form[action='/mfa/setup']").set("code", "000000"),
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let before = app.session_id(&owner_jar);
    let code = portal::auth::totp::code_at(&secret, portal::auth::totp::now());
    let page = app
        .submit_with(
            &owner,
            &page.form("form[action='/mfa/setup']").set("code", &code),
        )
        .await;
    assert_eq!(page.path(), "/mfa/recovery-codes");
    assert_ne!(
        app.session_id(&owner_jar),
        before,
        "session id rotated at MFA completion"
    );
    let codes = page.texts("#recovery-codes code");
    assert_eq!(codes.len(), 10);
    let download = owner
        .get(app.url("/mfa/recovery-codes.txt"))
        .send()
        .await
        .unwrap();
    assert!(download.text().await.unwrap().contains(&codes[0]));
    let page = app
        .submit_with(&owner, &page.form("form[action='/mfa/recovery-codes']"))
        .await;
    assert_eq!(page.path(), "/");
    assert_eq!(page.text("h1"), "Hola, José Núñez");
    // Shown once only.
    let again = app.get_with(&owner, "/mfa/recovery-codes").await;
    assert_eq!(again.path(), "/");
    assert_eq!(app.audited("mfa_enrolled").await, 1);

    // The reseller and its owner exist, keyed as the design says.
    let (role, country, currency): (String, String, String) = sqlx::query_as(
        "SELECT u.role, r.country::text, r.billing_currency::text FROM users u
         JOIN resellers r ON r.id = u.reseller_id WHERE u.email = 'jose@nandu.example'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        (role.as_str(), country.as_str(), currency.as_str()),
        ("owner", "MX", "USD")
    );
}

#[tokio::test]
async fn duplicate_access_requests_are_recognised_not_stored_twice() {
    let app = TestApp::spawn().await;
    let first = request_access(&app, &app.client, "ana@dup.example", "DUP180512AB2").await;
    assert_eq!(first.status, StatusCode::OK);
    // Same e-mail, and same tax id with another e-mail: the same answer, nothing stored.
    let same_email =
        request_access(&app, &app.new_client(), "ANA@dup.example", "OTR180512AB3").await;
    let same_tax = request_access(
        &app,
        &app.new_client(),
        "otra@dup.example",
        "dup-180512-ab2",
    )
    .await;
    assert_eq!(same_email.text("h1"), first.text("h1"));
    assert_eq!(same_tax.text("h1"), first.text("h1"));
    // Submitted at the same moment: the database keeps one.
    let (c1, c2) = (app.new_client(), app.new_client());
    let (a, b) = tokio::join!(
        request_access(&app, &c1, "twin@dup.example", "TWI180512ABA"),
        request_access(&app, &c2, "twin@dup.example", "TWI180512ABA"),
    );
    assert_eq!((a.status, b.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(app.count("SELECT count(*) FROM access_requests").await, 2);
}

/// A NUL byte or an escape in a text field is a message beside the field (PostgreSQL would
/// refuse the text: it was a 500); a body that is not UTF-8 is a 400; a NUL where no field check
/// looks (a search) is a 400 too, never a 500.
#[tokio::test]
async fn control_characters_and_bodies_that_are_not_utf8_are_refused_clearly() {
    let app = TestApp::spawn().await;
    let page = app.get("/language/en?next=/access-request").await;
    let form = page
        .form("form[action='/access-request']")
        .set("legal_name", "Acme\0 S.A.")
        .set("contact_name", "Ana\u{1b}[31m");
    let page = app.submit(&form).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = "The text has characters that cannot be typed (control characters): remove them.";
    assert_eq!(page.text("#e-legal_name"), message);
    assert_eq!(page.text("#e-contact_name"), message);
    assert_eq!(app.count("SELECT count(*) FROM access_requests").await, 0);

    let token = page
        .attr("input[name=csrf_token]", "value")
        .unwrap_or_default();
    let raw = app
        .client
        .post(app.url("/access-request"))
        .header("origin", &app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "csrf_token={token}&legal_name=%FF%FEAcme&country=MX"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);

    let r = app.reseller("Alfa", "ALF180512AB1").await;
    let owner = app.user(Some(r), "owner@alfa.example", "owner").await;
    app.sign_in(&owner).await;
    let page = app.get("/customers?q=a%00b").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn access_request_fields_are_validated_and_kept() {
    let app = TestApp::spawn().await;
    let page = app.get("/language/en?next=/access-request").await;
    let form = page
        .form("form[action='/access-request']")
        .set("legal_name", "<b>Acme</b> 日本 🚀")
        .set("country", "BR")
        .set("tax_id", "11.222.333/0001-82")
        .set("contact_name", "")
        .set("email", "not-an-email")
        .set("phone", "12");
    let page = app.submit(&form).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text("#e-tax_id"),
        "The tax ID is not valid for the chosen country."
    );
    assert_eq!(page.text("#e-contact_name"), "This field is required.");
    assert!(
        page.text("#e-email")
            .starts_with("Enter a valid e-mail address")
    );
    assert!(page.text("#e-phone").starts_with("Enter a phone number"));
    assert_eq!(
        page.attr("#f-legal_name", "value").as_deref(),
        Some("<b>Acme</b> 日本 🚀")
    );
    assert!(!page.body.contains("<b>Acme</b>"), "HTML is shown as text");
    assert_eq!(
        page.attr("#f-country option[selected]", "value").as_deref(),
        Some("BR")
    );
    assert_eq!(app.count("SELECT count(*) FROM access_requests").await, 0);
}

#[tokio::test]
async fn staff_reject_with_a_reason_that_the_applicant_receives() {
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;
    request_access(&app, &app.client, "rita@rej.example", "REJ180512AB2").await;
    app.smtp.wait_for("rita@rej.example").await;
    let (staff_client, _) = app.sign_in_elsewhere(&staff).await;
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM access_requests")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let page = app
        .get_with(&staff_client, &format!("/staff/access-requests/{id}"))
        .await;
    // A reason is required.
    let empty = app
        .submit_with(
            &staff_client,
            &page.form("form[action$='/reject']").set("reason", " "),
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = app
        .submit_with(
            &staff_client,
            &page
                .form("form[action$='/reject']")
                .set("reason", "Identificación fiscal no coincide"),
        )
        .await;
    assert!(done.text(".flash-success").contains("Rechazamos"));
    let mail = app.smtp.wait_for_nth("rita@rej.example", 2).await;
    assert!(mail.text.contains("Identificación fiscal no coincide"));
    // Deciding twice is refused.
    let again = app
        .submit_with(&staff_client, &page.form("form[action$='/approve']"))
        .await;
    assert_eq!(
        again.text(".flash-error"),
        "Otra persona ya decidió esta solicitud."
    );
    assert_eq!(app.audited("access_request_rejected").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM resellers").await, 0);
}

#[tokio::test]
async fn a_half_signed_in_session_reaches_nothing_but_the_second_factor() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.alfa_owner().await;
    let page = app
        .password_step(&app.client, &owner.email, &owner.password)
        .await;
    assert_eq!(page.path(), "/login/mfa");
    for path in [
        "/",
        "/profile",
        "/partner/users",
        "/staff",
        "/staff/access-requests",
        "/mfa/recovery-codes",
        "/mfa/setup",
    ] {
        let p = app.get(path).await;
        assert!(
            p.path() == "/login/mfa" || p.path() == "/login",
            "{path} answered {} at {}",
            p.status,
            p.path()
        );
        assert!(!p.body.contains("Usuarios"), "{path} leaked a page");
    }
    // Posting to a protected form is refused as well.
    let token = app.get("/login/mfa").await.csrf_token();
    let response = app
        .post_form(
            &app.client,
            "/profile/password",
            &token,
            &[
                ("current_password", PASSWORD),
                ("password", "x"),
                ("password_confirm", "x"),
            ],
        )
        .await;
    assert_eq!(response.headers()["location"], "/login/mfa");
}

#[tokio::test]
async fn session_id_changes_at_sign_in_mfa_and_password_change() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.alfa_owner().await;
    // A visitor has no session: there is nothing to fix in advance.
    let page = app.get("/login").await;
    let anonymous = app.session_id(&app.jar);
    assert_eq!(anonymous, None);
    let page = app
        .submit(
            &page
                .form("form[action='/login']")
                .set("email", &owner.email)
                .set("password", &owner.password),
        )
        .await;
    let after_password = app.session_id(&app.jar).unwrap();
    let code = app.fresh_code(&owner).await;
    let page = app
        .submit(&page.form("form[action='/login/mfa']").set("code", &code))
        .await;
    assert_eq!(page.path(), "/");
    let after_mfa = app.session_id(&app.jar).unwrap();
    assert_ne!(after_password, after_mfa);

    // The old cookie is worth nothing now.
    let stale = app
        .new_client()
        .get(app.url("/profile"))
        .header("cookie", format!("portal_session={after_password}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::SEE_OTHER);

    let page = app.get("/profile").await;
    let page = app
        .submit(&change_password(
            &page,
            PASSWORD,
            "otra frase bastante larga",
            "otra frase bastante larga",
        ))
        .await;
    assert_eq!(
        page.text(".flash-success"),
        "Tu contraseña cambió. Cerramos tus otras sesiones."
    );
    assert_ne!(app.session_id(&app.jar).unwrap(), after_mfa);
    assert_eq!(app.audited("password_changed").await, 1);
}

#[tokio::test]
async fn a_totp_code_is_accepted_once_even_across_sessions() {
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;
    let code = app.fresh_code(&staff).await;
    let mut outcomes = Vec::new();
    // Two browsers at the password step, both sending the same code at the same time.
    let (a, _) = app.new_agent();
    let (b, _) = app.new_agent();
    let mut forms = Vec::new();
    for c in [&a, &b] {
        let page = app.password_step(c, &staff.email, &staff.password).await;
        forms.push(page.form("form[action='/login/mfa']").set("code", &code));
    }
    let (ra, rb) = tokio::join!(
        app.submit_with(&a, &forms[0]),
        app.submit_with(&b, &forms[1])
    );
    outcomes.push(ra.status);
    outcomes.push(rb.status);
    outcomes.sort();
    assert_eq!(outcomes, [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY]);
    // And the same code again later in a third session is refused too.
    let (c, _) = app.new_agent();
    let page = app.password_step(&c, &staff.email, &staff.password).await;
    let page = app
        .submit_with(
            &c,
            &page.form("form[action='/login/mfa']").set("code", &code),
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text("#e-code").contains("ya se usó"));
}

/// A session that passed the password before the account enrolled its authenticator cannot
/// replace it afterwards: a first enrolment happens once; replacing goes through the profile.
#[tokio::test]
async fn a_stale_half_signed_in_session_cannot_replace_the_authenticator() {
    use portal::auth::totp::{code_at, now};
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;
    sqlx::query("UPDATE users SET totp_secret_enc = NULL, mfa_enabled_at = NULL WHERE id = $1")
        .bind(staff.id)
        .execute(&app.db)
        .await
        .unwrap();
    let (stale, _) = app.new_agent();
    let old = app
        .password_step(&stale, &staff.email, &staff.password)
        .await;
    assert_eq!(old.path(), "/mfa/setup");
    let stale_secret = crate::common::shown_secret(&old.text("#totp-secret"));
    // The user enrols from another browser.
    let (fresh, _) = app.new_agent();
    let page = app
        .password_step(&fresh, &staff.email, &staff.password)
        .await;
    let secret = crate::common::shown_secret(&page.text("#totp-secret"));
    let form = page.form("form[action='/mfa/setup']");
    let page = app
        .submit_with(&fresh, &form.set("code", &code_at(&secret, now())))
        .await;
    assert_eq!(page.path(), "/mfa/recovery-codes");
    let sealed = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, Vec<u8>>("SELECT totp_secret_enc FROM users WHERE id = $1")
                .bind(staff.id)
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    let enrolled = sealed(&app).await;
    // The stale session confirms its own secret: refused, and it starts again.
    let form = old.form("form[action='/mfa/setup']");
    let page = app
        .submit_with(&stale, &form.set("code", &code_at(&stale_secret, now())))
        .await;
    assert_eq!(page.path(), "/login");
    assert!(
        page.text(".flash-error").contains("ya se configuró"),
        "{}",
        page.text(".flash-error")
    );
    assert_eq!(sealed(&app).await, enrolled);
    assert_eq!(app.audited("mfa_enrolled").await, 1);
}

/// A sign-in with a recovery code ends the account's other sessions, and the user is told by
/// e-mail (which holds no code).
#[tokio::test]
async fn a_recovery_code_sign_in_ends_other_sessions_and_tells_the_user() {
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;
    app.sign_in(&staff).await;
    let page = app.get("/profile").await;
    let code = app.fresh_code(&staff).await;
    let page = app
        .submit(&confirm_mfa_change(&page, &code, "new_codes"))
        .await;
    let codes = page.texts("#recovery-codes code");
    assert_eq!(app.get("/profile").await.path(), "/profile");
    let (c, _) = app.new_agent();
    let page = app.password_step(&c, &staff.email, &staff.password).await;
    let form = page
        .form("form[action='/login/mfa']")
        .set("code", &codes[0]);
    let page = app.submit_with(&c, &form).await;
    assert_eq!(page.path(), "/staff");
    // The first browser's session has ended; the new one goes on.
    assert_eq!(app.get("/profile").await.path(), "/login");
    assert_eq!(app.get_with(&c, "/profile").await.path(), "/profile");
    let mail = app.smtp.wait_for(&staff.email).await;
    assert_eq!(mail.subject, "Tu cuenta de Portal Cloud cambió");
    assert!(
        mail.text.contains("código de recuperación"),
        "{}",
        mail.text
    );
    assert!(!codes.iter().any(|code| mail.text.contains(code.as_str())));
}

#[tokio::test]
async fn recovery_codes_are_stored_hashed_and_work_once() {
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;
    app.sign_in(&staff).await;
    // New codes from the profile (password and a current code).
    let page = app.get("/profile").await;
    let code = app.fresh_code(&staff).await;
    let page = app
        .submit(&confirm_mfa_change(&page, &code, "new_codes"))
        .await;
    let codes = page.texts("#recovery-codes code");
    assert_eq!(codes.len(), 10);
    let stored: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT code_hash FROM recovery_codes WHERE user_id = $1")
            .bind(staff.id)
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(stored.len(), 10);
    assert!(
        stored
            .iter()
            .all(|h| h.len() == 32 && !codes.iter().any(|c| c.as_bytes() == h.as_slice()))
    );
    let raw: String = sqlx::query_scalar(
        "SELECT string_agg(encode(code_hash, 'escape'), '') FROM recovery_codes",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(!raw.contains(&codes[0]));

    for attempt in 0..2 {
        let (c, _) = app.new_agent();
        let page = app.password_step(&c, &staff.email, &staff.password).await;
        let page = app
            .submit_with(
                &c,
                &page
                    .form("form[action='/login/mfa']")
                    .set("code", &codes[3].to_uppercase()),
            )
            .await;
        if attempt == 0 {
            assert_eq!(page.path(), "/staff");
            assert!(page.text(".flash").contains("Te quedan 9"));
        } else {
            assert_eq!(
                page.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "a recovery code works once"
            );
        }
    }
}

#[tokio::test]
async fn totp_secrets_are_encrypted_at_rest() {
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT totp_secret_enc FROM users WHERE id = $1")
        .bind(staff.id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(
        !sealed
            .windows(staff.secret.len())
            .any(|w| w == staff.secret.as_slice())
    );
    assert_eq!(app.secrets.open(&sealed).unwrap(), staff.secret);
    let other = portal::crypto::SecretBox::new(&[9u8; 32]);
    assert!(other.open(&sealed).is_err());
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_for_minutes_per_account_and_address_only() {
    let app = TestApp::spawn_with(Options {
        env: vec![("PORTAL_TRUSTED_PROXIES", "127.0.0.1".into())],
        ..Default::default()
    })
    .await;
    let staff = app.staff("staff@distri.example").await;
    let attempt = |forwarded: &'static str, password: &'static str| {
        let app = &app;
        let email = staff.email.clone();
        async move {
            let (c, _) = app.new_agent();
            let page = app.get_with(&c, "/login").await;
            let form = page
                .form("form[action='/login']")
                .set("email", &email)
                .set("password", password);
            let response = c
                .post(app.url("/login"))
                .header("x-forwarded-for", forwarded)
                .header("origin", &app.base)
                .form(&form.fields)
                .send()
                .await
                .unwrap();
            Page::read(response).await
        }
    };
    for _ in 0..4 {
        let p = attempt("203.0.113.9", "wrong wrong wrong").await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let p = attempt("203.0.113.9", "wrong wrong wrong").await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        p.text(".flash-error"),
        "Demasiados intentos. Inténtalo de nuevo en 1 minutos."
    );
    // Even the right password waits.
    let p = attempt("203.0.113.9", PASSWORD).await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    // The attacker's address does not lock the owner out from theirs.
    let p = attempt("198.51.100.7", PASSWORD).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.header("location").as_deref(), Some("/login/mfa"));
    assert!(app.audited("sign_in_locked").await >= 1);
    assert!(app.audited("sign_in_failed").await >= 4);
    // The lock is bounded: it lasts minutes, not forever.
    let until: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM max(locked_until) - now())::float8 FROM auth_throttle",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(until > 0.0 && until <= 15.0 * 60.0);
}

#[tokio::test]
async fn strangers_cannot_guess_past_ten_nor_lock_out_a_browser_that_signed_in_before() {
    let app = TestApp::spawn_with(Options {
        env: vec![("PORTAL_TRUSTED_PROXIES", "127.0.0.1".into())],
        ..Default::default()
    })
    .await;
    let staff = app.staff("staff@distri.example").await;
    // The owner's browser signs in once (and out again): it is a known device of the account.
    let (owner, _) = app.new_agent();
    app.sign_in_with(&owner, &staff).await;
    let page = app.get_with(&owner, "/").await;
    app.submit_with(&owner, &page.form("form[action='/logout']"))
        .await;
    let attempt = |client: reqwest::Client, forwarded: String, password: &'static str| {
        let app = &app;
        let email = staff.email.clone();
        async move {
            let page = app.get_with(&client, "/login").await;
            let form = page
                .form("form[action='/login']")
                .set("email", &email)
                .set("password", password);
            let response = client
                .post(app.url("/login"))
                .header("x-forwarded-for", forwarded)
                .header("origin", &app.base)
                .form(&form.fields)
                .send()
                .await
                .unwrap();
            Page::read(response).await
        }
    };
    // Ten strangers' guesses, each from an address of its own (below every address's limit):
    // the tenth starts the strangers' lock.
    for n in 1..=10 {
        let (stranger, _) = app.new_agent();
        let p = attempt(stranger, format!("203.0.113.{n}"), "wrong wrong wrong").await;
        let expected = if n < 10 {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(p.status, expected, "guess {n}");
    }
    // The eleventh stranger waits, even with the right password.
    let (stranger, _) = app.new_agent();
    let p = attempt(stranger, "203.0.113.50".into(), PASSWORD).await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    // The owner's browser is not locked out by them.
    let p = attempt(owner.clone(), "198.51.100.7".into(), PASSWORD).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.header("location").as_deref(), Some("/login/mfa"));
    // A device cookie names one account: another browser copying nothing is a stranger.
    let (copy, _) = app.new_agent();
    let p = attempt(copy, "198.51.100.8".into(), PASSWORD).await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn repeated_wrong_codes_lock_the_second_factor() {
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;
    let page = app.get("/language/en?next=/login").await;
    let page = app
        .submit(
            &page
                .form("form[action='/login']")
                .set("email", &staff.email)
                .set("password", &staff.password),
        )
        .await;
    let form = page.form("form[action='/login/mfa']");
    for i in 0..5 {
        let p = app.submit(&form.clone().set("code", "111111")).await;
        if i < 4 {
            assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        } else {
            assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(
                p.text(".flash-error"),
                "Too many attempts. Try again in 1 minutes."
            );
        }
    }
    let code = app.fresh_code(&staff).await;
    let p = app.submit(&form.set("code", &code)).await;
    assert_eq!(
        p.status,
        StatusCode::TOO_MANY_REQUESTS,
        "a right code waits too"
    );
    assert!(app.audited("second_factor_locked").await >= 1);
}

/// A burst of parallel attempts: each is counted before it is checked, so no more passwords
/// (or codes) are checked than the limit allows, however many arrive at once.
#[tokio::test]
async fn a_burst_of_parallel_attempts_checks_no_more_than_the_limit() {
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;
    let mut agents = Vec::new();
    for _ in 0..30 {
        let (c, _) = app.new_agent();
        let page = app.get_with(&c, "/login").await;
        let form = page
            .form("form[action='/login']")
            .set("email", &staff.email)
            .set("password", "wrong wrong wrong");
        agents.push((c, form));
    }
    let posts = agents.iter().map(|(c, form)| {
        c.post(app.url("/login"))
            .header("origin", &app.base)
            .form(&form.fields)
            .send()
    });
    let answers = futures_util::future::join_all(posts).await;
    let refused = answers
        .iter()
        .filter(|r| r.as_ref().unwrap().status() == StatusCode::TOO_MANY_REQUESTS)
        .count();
    let checked = app.audited("sign_in_failed").await + app.audited("sign_in_locked").await;
    assert!(checked <= 5, "{checked} passwords were checked");
    assert!(refused >= 25, "{refused} refused");

    // The same for second-factor codes, in one half-signed-in session.
    let other = app.staff("other@distri.example").await;
    let page = app.get("/login").await;
    let page = app
        .submit(
            &page
                .form("form[action='/login']")
                .set("email", &other.email)
                .set("password", &other.password),
        )
        .await;
    let form = page.form("form[action='/login/mfa']").set("code", "111111");
    let posts = (0..30).map(|_| {
        app.client
            .post(app.url("/login/mfa"))
            .header("origin", &app.base)
            .form(&form.fields)
            .send()
    });
    futures_util::future::join_all(posts).await;
    let checked =
        app.audited("second_factor_failed").await + app.audited("second_factor_locked").await;
    assert!(checked <= 5, "{checked} codes were checked");
}

#[tokio::test]
async fn sign_in_pages_never_reveal_whether_an_email_is_registered() {
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;
    let page = app.get("/login").await;
    let form = page.form("form[action='/login']");
    let known = app
        .submit(
            &form
                .clone()
                .set("email", &staff.email)
                .set("password", "not the password"),
        )
        .await;
    let unknown = app
        .submit(
            &form
                .set("email", "nobody@distri.example")
                .set("password", "not the password"),
        )
        .await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.text(".flash-error"), unknown.text(".flash-error"));
    let strip = |p: &Page| {
        p.body
            .replace(&staff.email, "")
            .replace("nobody@distri.example", "")
    };
    let strip_token = |s: String| {
        s.split('"')
            .filter(|part| part.len() != 43)
            .collect::<Vec<_>>()
            .join("\"")
    };
    assert_eq!(strip_token(strip(&known)), strip_token(strip(&unknown)));

    // The reset page answers the same way too, and mails only the real account.
    let page = app.get("/password/forgot").await;
    let form = page.form("form[action='/password/forgot']");
    let a = app.submit(&form.clone().set("email", &staff.email)).await;
    let b = app
        .submit(&form.set("email", "nobody@distri.example"))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.text(".flash-info"), b.text(".flash-info"));
    app.smtp.wait_for(&staff.email).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.smtp.count_to("nobody@distri.example"), 0);
}

#[tokio::test]
async fn j2_forgotten_password_link_works_once_ends_other_sessions_and_still_asks_mfa() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.alfa_owner().await;
    // Signed in elsewhere: that session must end with the reset.
    let (other, _) = app.sign_in_elsewhere(&owner).await;
    assert_eq!(app.get_with(&other, "/profile").await.path(), "/profile");

    forgot_password(&app, "OWNER@alfa.example").await;
    let mail = app.smtp.wait_for(&owner.email).await;
    assert_eq!(mail.subject, "Restablece tu contraseña de Portal Cloud");
    let link = mail.link_to("/password/reset/").unwrap();
    assert!(link.starts_with(&app.base));
    let token_hash: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM auth_tokens")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let token = link.rsplit('/').next().unwrap();
    assert_ne!(token_hash, token.as_bytes(), "only a hash is stored");
    assert!(token.len() >= 43, "at least 128 bits");

    let page = app.get(&link).await;
    let form = page
        .form("form[action^='/password/reset/']")
        .set("password", "una nueva frase secreta")
        .set("password_confirm", "una nueva frase secreta");
    let page = app.submit(&form).await;
    assert_eq!(page.path(), "/login");
    assert_eq!(
        page.text(".flash-success"),
        "Tu contraseña cambió. Inicia sesión con la nueva contraseña."
    );
    let notice = app.smtp.wait_for_nth(&owner.email, 2).await;
    assert_eq!(notice.subject, "Tu contraseña de Portal Cloud cambió");

    // The other session is over.
    assert_eq!(app.get_with(&other, "/profile").await.path(), "/login");
    // The link works once.
    let used = app.get(&link).await;
    assert_eq!(used.status, StatusCode::GONE);
    assert!(used.attr("a[href='/password/forgot']", "href").is_some());
    // The new password signs in, and MFA is still asked.
    let updated = TestUser {
        password: "una nueva frase secreta".into(),
        ..owner.clone()
    };
    let landed = app.sign_in(&updated).await;
    assert_eq!(landed.path(), "/");
    assert_eq!(app.audited("password_reset").await, 1);
}

#[tokio::test]
async fn expired_forged_and_twice_used_links_give_a_way_forward() {
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;
    for bad in [
        "/password/reset/forged",
        "/password/reset/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "/invitation/%FF%FE",
    ] {
        let page = app.get(bad).await;
        assert!(
            page.status == StatusCode::GONE || page.status == StatusCode::BAD_REQUEST,
            "{bad}: {}",
            page.status
        );
    }
    forgot_password(&app, &staff.email).await;
    let link = app
        .smtp
        .wait_for(&staff.email)
        .await
        .link_to("/password/reset/")
        .unwrap();
    // Expired (after 30 minutes).
    sqlx::query("UPDATE auth_tokens SET expires_at = now() - interval '1 second'")
        .execute(&app.db)
        .await
        .unwrap();
    let page = app.get(&link).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert_eq!(page.text("h1"), "Este enlace ya no es válido");
    // Still valid, submitted twice at the same moment: exactly one wins.
    sqlx::query("UPDATE auth_tokens SET expires_at = now() + interval '30 minutes'")
        .execute(&app.db)
        .await
        .unwrap();
    let statuses = new_password_twice_at_once(
        &app,
        &link,
        "form[action^='/password/reset/']",
        "una nueva frase secreta",
    )
    .await;
    assert_eq!(statuses, [StatusCode::OK, StatusCode::GONE]);
    assert_eq!(app.audited("password_reset").await, 1);
}

#[tokio::test]
async fn next_parameter_only_leads_to_pages_of_this_site() {
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;
    for (next, landing) in [
        ("//evil.example/x", "/staff"),
        ("https://evil.example", "/staff"),
        ("/\\evil.example", "/staff"),
        ("/profile", "/profile"),
    ] {
        let (c, _) = app.new_agent();
        let q: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
        let page = app.get_with(&c, &format!("/login?next={q}")).await;
        let page = app
            .submit_with(
                &c,
                &page
                    .form("form[action='/login']")
                    .set("email", &staff.email)
                    .set("password", &staff.password),
            )
            .await;
        let code = app.fresh_code(&staff).await;
        let response = c
            .post(app.url("/login/mfa"))
            .header("origin", &app.base)
            .form(
                &page
                    .form("form[action='/login/mfa']")
                    .set("code", &code)
                    .fields,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["location"], landing, "{next}");
    }
    // A page behind login sends the visitor to sign in and back.
    let (c, _) = app.new_agent();
    let response = c.get(app.url("/profile")).send().await.unwrap();
    assert_eq!(response.headers()["location"], "/login?next=%2Fprofile");
}

#[tokio::test]
async fn logout_is_a_post_that_ends_the_session_on_the_server() {
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;
    let page = app.sign_in(&staff).await;
    let cookie = app.session_id(&app.jar).unwrap();
    let get = app.get_raw("/logout").await;
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    let page = app.submit(&page.form("form[action='/logout']")).await;
    assert_eq!(page.path(), "/login");
    assert_eq!(page.text(".flash-success"), "Cerraste sesión.");
    // Replaying the old cookie finds no session.
    let replay = app
        .new_client()
        .get(app.url("/staff"))
        .header("cookie", format!("portal_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count_with(
            "SELECT count(*) FROM sessions WHERE id_hash = sha256(convert_to($1, 'UTF8'))",
            &cookie
        )
        .await,
        0
    );
}

#[tokio::test]
async fn resellers_cannot_reach_staff_pages_and_roles_are_enforced_on_routes() {
    let app = TestApp::spawn().await;
    let r = app.reseller("Alfa", "ALF180512AB1").await;
    let sales = app.user(Some(r), "sales@alfa.example", "sales").await;
    app.sign_in(&sales).await;
    for path in ["/staff", "/staff/access-requests", "/partner/users"] {
        let page = app.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(page.text("h1"), "Acceso denegado");
    }
    // The menu does not offer what the role cannot use.
    let home = app.get("/").await;
    assert!(
        home.attr("nav.main-nav a[href='/partner/users']", "href")
            .is_none()
    );
    // Forms are refused too, not just hidden.
    let forged = app
        .post_form(
            &app.client,
            "/partner/users/invite",
            &home.csrf_token(),
            &[
                ("email", "x@alfa.example"),
                ("name", "X"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email = 'x@alfa.example'")
            .await,
        0
    );
}

#[tokio::test]
async fn owners_invite_colleagues_change_roles_and_deactivate_with_immediate_effect() {
    let app = TestApp::spawn().await;
    let r = app.reseller("Alfa Nube", "ALF180512AB1").await;
    let owner = app.user(Some(r), "owner@alfa.example", "owner").await;
    let admin = app.user(Some(r), "admin@alfa.example", "admin").await;
    app.sign_in(&owner).await;
    let page = app.get("/partner/users").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("tbody tr").len(), 2);

    // Invite: extra fields are ignored; the role must be one the inviter may give.
    let form = invite(&page, "Ação Çedilha 日本", "nueva@alfa.example", "billing")
        .set("reseller_id", &uuid::Uuid::new_v4().to_string())
        .set("status", "active");
    let page = app.submit(&form).await;
    assert_eq!(
        page.text(".flash-success"),
        "Enviamos una invitación a nueva@alfa.example."
    );
    assert!(page.body.contains("Ação Çedilha 日本"));
    let (reseller_id, role, status): (uuid::Uuid, String, String) = sqlx::query_as(
        "SELECT reseller_id, role, status FROM users WHERE email = 'nueva@alfa.example'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        (reseller_id, role.as_str(), status.as_str()),
        (r, "billing", "invited")
    );
    let mail = app.smtp.wait_for("nueva@alfa.example").await;
    assert!(mail.text.contains("Alfa Nube"));
    assert!(mail.link_to("/invitation/").is_some());

    // The admin is signed in elsewhere; deactivation ends that session at once.
    let (admin_client, _) = app.sign_in_elsewhere(&admin).await;
    let page = app.get("/partner/users").await;
    let page = app
        .submit(
            &page
                .form(&format!("form[action='/partner/users/{}/role']", admin.id))
                .set("role", "sales"),
        )
        .await;
    assert!(page.text(".flash-success").contains("Cambiamos el rol"));
    // The admin's sessions end at once (they sign in again, with the new role), and they are
    // told by e-mail.
    assert_eq!(
        app.get_with(&admin_client, "/partner/users").await.path(),
        "/login"
    );
    let mail = app.smtp.wait_for(&admin.email).await;
    assert!(mail.text.contains("Ventas"), "{}", mail.text);
    let (admin_client, _) = app.sign_in_elsewhere(&admin).await;
    assert_eq!(
        app.get_with(&admin_client, "/partner/users").await.status,
        StatusCode::FORBIDDEN
    );
    let page = app.get("/partner/users").await;
    let page = app
        .submit(&page.form(&format!(
            "form[action='/partner/users/{}/deactivate']",
            admin.id
        )))
        .await;
    assert!(
        page.text(".flash-success")
            .contains("sus sesiones se cerraron")
    );
    assert_eq!(app.get_with(&admin_client, "/").await.path(), "/login");
    assert_eq!(app.audited("user_role_changed").await, 1);
    assert_eq!(app.audited("user_deactivated").await, 1);
    // A deactivated user cannot sign in.
    let (c, _) = app.new_agent();
    let p = app.password_step(&c, &admin.email, PASSWORD).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_last_owner_cannot_be_removed_and_admins_cannot_touch_owners() {
    let app = TestApp::spawn().await;
    let (r, owner) = app.alfa_owner().await;
    let admin = app.user(Some(r), "admin@alfa.example", "admin").await;
    app.sign_in(&admin).await;
    let page = app.get("/partner/users").await;
    // No controls on the owner's row, and forged posts are refused.
    assert!(
        !page
            .body
            .contains(&format!("/partner/users/{}/deactivate", owner.id))
    );
    assert!(
        !page
            .body
            .contains(&format!("/partner/users/{}/role", owner.id))
    );
    let token = page.csrf_token();
    for action in ["deactivate", "role"] {
        let path = format!("/partner/users/{}/{action}", owner.id);
        let forged = app
            .post_form(&app.client, &path, &token, &[("role", "sales")])
            .await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "{action}");
    }
    // An admin cannot make anyone owner.
    let path = format!("/partner/users/{}/role", admin.id);
    let forged = app
        .post_form(&app.client, &path, &token, &[("role", "owner")])
        .await;
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);

    // The owner, alone, cannot be demoted by a second owner who then leaves, etc.
    let second = app.user(Some(r), "second@alfa.example", "owner").await;
    let (c, _) = app.sign_in_elsewhere(&second).await;
    let page = app.get_with(&c, "/partner/users").await;
    let page = app
        .submit_with(
            &c,
            &page.form(&format!(
                "form[action='/partner/users/{}/deactivate']",
                owner.id
            )),
        )
        .await;
    assert!(page.text(".flash-success").contains("Desactivamos"));
    // Now `second` is the last owner; nobody can remove them (they cannot edit themselves, and
    // a forged request for their own id is refused).
    let path = format!("/partner/users/{}/deactivate", second.id);
    let forged = app.post_form(&c, &path, &page.csrf_token(), &[]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE role = 'owner' AND status = 'active'")
            .await,
        1
    );
}

#[tokio::test]
async fn another_resellers_user_ids_answer_404() {
    let app = TestApp::spawn().await;
    let a = app.reseller("Alfa", "ALF180512AB1").await;
    let b = app.reseller("Beta", "BET180512AB1").await;
    let owner_a = app.user(Some(a), "owner@alfa.example", "owner").await;
    let sales_b = app.user(Some(b), "sales@beta.example", "sales").await;
    app.sign_in(&owner_a).await;
    let page = app.get("/partner/users").await;
    assert!(!page.body.contains("sales@beta.example"));
    let token = page.csrf_token();
    for action in ["deactivate", "role", "reactivate", "resend"] {
        for id in [
            sales_b.id.to_string(),
            "not-a-uuid".to_string(),
            uuid::Uuid::new_v4().to_string(),
        ] {
            let path = format!("/partner/users/{id}/{action}");
            let forged = app
                .post_form(&app.client, &path, &token, &[("role", "billing")])
                .await;
            assert_eq!(forged.status(), StatusCode::NOT_FOUND, "{action} {id}");
        }
    }
    let status: String = sqlx::query_scalar("SELECT status FROM users WHERE id = $1")
        .bind(sales_b.id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "active");
}

#[tokio::test]
async fn inviting_an_address_that_has_an_account_answers_the_same_and_mails_why() {
    let app = TestApp::spawn().await;
    let a = app.reseller("Alfa", "ALF180512AB1").await;
    let b = app.reseller("Beta", "BET180512AB1").await;
    let owner_a = app.user(Some(a), "owner@alfa.example", "owner").await;
    let taken = app.user(Some(b), "taken@beta.example", "sales").await;
    app.sign_in(&owner_a).await;
    let page = app.get("/partner/users").await;
    let page = app
        .submit(&invite(&page, "Someone", &taken.email, "sales"))
        .await;
    assert_eq!(
        page.text(".flash-success"),
        "Enviamos una invitación a taken@beta.example."
    );
    let mail = app.smtp.wait_for(&taken.email).await;
    assert!(mail.text.contains("segundo revendedor"), "{}", mail.text);
    let still: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT reseller_id FROM users WHERE email = $1")
            .bind(&taken.email)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(still, Some(b));
}

#[tokio::test]
async fn an_invitation_link_is_single_use_even_when_sent_twice_at_once() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.alfa_owner().await;
    app.sign_in(&owner).await;
    let page = app.get("/partner/users").await;
    app.submit(&invite(&page, "Nueva", "nueva@alfa.example", "sales"))
        .await;
    let link = app
        .smtp
        .wait_for("nueva@alfa.example")
        .await
        .link_to("/invitation/")
        .unwrap();
    let statuses = new_password_twice_at_once(
        &app,
        &link,
        "form[action^='/invitation/']",
        "mi frase secreta larga",
    )
    .await;
    assert_eq!(statuses, [StatusCode::OK, StatusCode::GONE]);
    assert_eq!(app.audited("invitation_accepted").await, 1);
    // Weak passwords are refused with a reason.
    let page = app.get(&link).await;
    assert_eq!(page.status, StatusCode::GONE);
}

#[tokio::test]
async fn new_passwords_follow_the_rules() {
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;
    app.sign_in(&staff).await;
    let page = app.choose_language("en", "/profile").await;
    for (password, confirm, field, message) in [
        (
            "short",
            "short",
            "#e-password",
            "The password must have at least 12 characters.",
        ),
        (
            "password1234",
            "password1234",
            "#e-password",
            "That password is too common. Choose one that is harder to guess.",
        ),
        (
            "a fine long phrase",
            "a different phrase",
            "#e-password_confirm",
            "The passwords do not match.",
        ),
    ] {
        let p = app
            .submit(&change_password(&page, PASSWORD, password, confirm))
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p.text(field), message);
    }
    let p = app
        .submit(&change_password(
            &page,
            "not my password",
            "a fine long phrase",
            "a fine long phrase",
        ))
        .await;
    assert_eq!(
        p.text("#e-current_password"),
        "The current password is not correct."
    );
}

/// A link anyone can send (`GET /language/en`) changes no account: a signed-in user's saved
/// language changes only through the selector's form, with its CSRF token.
#[tokio::test]
async fn a_language_link_never_changes_the_saved_language_and_the_selector_form_does() {
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;
    app.sign_in(&staff).await;
    let saved = |app: &TestApp| {
        let db = app.db.clone();
        let email = staff.email.clone();
        async move {
            sqlx::query_scalar::<_, Option<String>>("SELECT locale FROM users WHERE email = $1")
                .bind(email)
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    let before = saved(&app).await;
    app.get("/language/en?next=/profile").await;
    assert_eq!(saved(&app).await, before);
    // The form without its token is refused; with it, the choice is saved.
    let forged = app
        .client
        .post(app.url("/language/en"))
        .header("origin", &app.base)
        .form(&[("next", "/profile")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(saved(&app).await, before);
    let page = app.choose_language("en", "/profile").await;
    assert_eq!(page.attr("html", "lang").as_deref(), Some("en"));
    assert_eq!(saved(&app).await.as_deref(), Some("en"));
}

#[tokio::test]
async fn the_language_preference_follows_the_user_to_pages_and_mail() {
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;
    app.sign_in(&staff).await;
    let page = app.get("/profile").await;
    let page = app
        .submit(
            &page
                .form("form[action='/profile/language']")
                .set("locale", "pt-BR"),
        )
        .await;
    assert_eq!(page.text(".flash-success"), "Seu idioma foi salvo.");
    // A new browser with a Spanish Accept-Language: after sign-in, pages are in Portuguese.
    let (c, landed) = app.sign_in_elsewhere(&staff).await;
    assert_eq!(landed.attr("html", "lang").as_deref(), Some("pt-BR"));
    // And the reset mail too.
    let (d, _) = app.new_agent();
    let page = app.get_with(&d, "/language/en?next=/password/forgot").await;
    app.submit_with(
        &d,
        &page
            .form("form[action='/password/forgot']")
            .set("email", &staff.email),
    )
    .await;
    let mail = app.smtp.wait_for(&staff.email).await;
    assert_eq!(mail.subject, "Redefina sua senha do Portal Cloud");
    // Recent sign-ins are listed on the profile.
    let profile = app.get_with(&c, "/profile").await;
    assert!(profile.texts("tbody tr").len() >= 2);
    // Each with its browser in words (this test's client names none).
    let agents = profile.texts("tbody td.agent");
    assert!(!agents.is_empty());
    assert!(
        agents.iter().all(|a| ["Outro navegador", "Otro navegador", "Another browser"].contains(&a.as_str())),
        "{agents:?}"
    );
}

#[tokio::test]
async fn signing_in_and_out_is_in_the_audit_log_with_address_and_time() {
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;
    let page = app.sign_in(&staff).await;
    app.submit(&page.form("form[action='/logout']")).await;
    let (ip, actor): (String, uuid::Uuid) =
        sqlx::query_as("SELECT host(ip), actor_user_id FROM audit_log WHERE action = 'sign_in'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(ip, "127.0.0.1");
    assert_eq!(actor, staff.id);
    assert_eq!(app.audited("sign_out").await, 1);
}

#[tokio::test]
async fn reset_requests_are_throttled_per_address_with_a_clear_message() {
    let app = TestApp::spawn().await;
    let page = app.get("/password/forgot").await;
    let form = page.form("form[action='/password/forgot']");
    for i in 0..11 {
        let p = app
            .submit(
                &form
                    .clone()
                    .set("email", &format!("someone{i}@distri.example")),
            )
            .await;
        if i < 10 {
            assert_eq!(p.status, StatusCode::OK, "request {i}");
        } else {
            assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
            assert!(
                p.text(".flash-error")
                    .starts_with("Demasiados intentos. Inténtalo de nuevo en")
            );
        }
    }
}

#[tokio::test]
async fn a_user_replaces_the_authenticator_after_confirming_password_and_code() {
    let app = TestApp::spawn().await;
    let staff = app.staff("staff@distri.example").await;
    app.sign_in(&staff).await;
    let (other, _) = app.sign_in_elsewhere(&staff).await;
    let page = app.get("/profile").await;
    // A wrong code refuses the change.
    let refused = app
        .submit(&confirm_mfa_change(&page, "123456", "new_authenticator"))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let code = app.fresh_code(&staff).await;
    let page = app
        .submit(&confirm_mfa_change(&page, &code, "new_authenticator"))
        .await;
    assert_eq!(page.path(), "/mfa/setup");
    let secret = shown_secret(&page.text("#totp-secret"));
    assert_ne!(secret, staff.secret);
    let code = portal::auth::totp::code_at(&secret, portal::auth::totp::now() + 30);
    let page = app
        .submit(&page.form("form[action='/mfa/setup']").set("code", &code))
        .await;
    assert_eq!(page.path(), "/mfa/recovery-codes");
    let page = app
        .submit(&page.form("form[action='/mfa/recovery-codes']"))
        .await;
    assert_eq!(page.path(), "/profile");
    assert_eq!(app.audited("mfa_reset").await, 1);
    // The account's other sessions have ended, and the user is told.
    assert_eq!(app.get_with(&other, "/profile").await.path(), "/login");
    assert_eq!(app.get("/profile").await.path(), "/profile");
    let mail = app.smtp.wait_for(&staff.email).await;
    assert!(mail.text.contains("app de autenticación"), "{}", mail.text);
    // The old app's codes no longer work; the new one's do.
    let replaced = TestUser {
        secret,
        ..staff.clone()
    };
    let (c, _) = app.new_agent();
    let page = app.password_step(&c, &staff.email, PASSWORD).await;
    let old = portal::auth::totp::code_at(&staff.secret, portal::auth::totp::now() + 30);
    let p = app
        .submit_with(
            &c,
            &page.form("form[action='/login/mfa']").set("code", &old),
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let landed = app.sign_in_with(&c, &replaced).await;
    assert_eq!(landed.path(), "/staff");
}

#[tokio::test]
async fn the_profile_warns_when_recovery_codes_run_out_and_the_account_says_who_changes_its_country()
 {
    let app = TestApp::spawn().await;
    let (_, owner) = app.alfa_owner().await;
    app.sign_in(&owner).await;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(owner.id)
        .execute(&app.db)
        .await
        .unwrap();
    for i in 0..5u8 {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(owner.id)
            .bind(vec![i; 32])
            .execute(&app.db)
            .await
            .unwrap();
    }
    let page = app.get("/profile").await;
    assert_eq!(page.path(), "/profile");
    assert!(page.texts("#codes-warning").is_empty());
    // Two left: one lost phone from being locked out.
    sqlx::query(
        "UPDATE recovery_codes SET used_at = now()
         WHERE user_id = $1 AND code_hash IN (SELECT code_hash FROM recovery_codes
                                             WHERE user_id = $1 LIMIT 3)",
    )
    .bind(owner.id)
    .execute(&app.db)
    .await
    .unwrap();
    let page = app.get("/profile").await;
    assert_eq!(
        app.count_with(
            "SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
            owner.id
        )
        .await,
        2,
        "{}",
        page.text("main")
    );
    let warning = page.text("#codes-warning");
    assert!(warning.contains('2'), "{warning}");
    // Beside the role picker, what each role may do.
    let users = app.get("/partner/users").await;
    let guide = users.texts("#role-guide dt");
    assert_eq!(
        guide,
        ["Propietario", "Administrador", "Ventas", "Facturación"],
        "{guide:?}"
    );
    assert!(users.texts("#role-guide dd")[2].contains("no ve facturas"));
    // The account page says why its country and currency are fixed, and leads to a ticket.
    let account = app.get("/partner").await;
    let href = account.attr("#fixed-fields a", "href").unwrap();
    let form = app.get(&href).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.attr("#f-category option[value=other]", "selected")
            .is_some()
    );
}
