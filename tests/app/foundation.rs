//! The foundation as a visitor meets it: languages, error pages, security headers, CSRF, body
//! limits, forms that keep what was typed, health checks and mail delivery.

use crate::common::{Page, TestApp};
use reqwest::StatusCode;

/// `path` as a browser asking for `languages` (an Accept-Language header) receives it.
async fn get_accepting(app: &TestApp, path: &str, languages: &str) -> Page {
    let response = app
        .client
        .get(app.url(path))
        .header("accept-language", languages)
        .send()
        .await
        .unwrap();
    Page::read(response).await
}

/// POSTs `body` to the sign-in form as an encoded form (whatever its size).
async fn post_to_login(app: &TestApp, body: String) -> reqwest::Response {
    app.client
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn login_page_speaks_spanish_by_default_and_the_browser_language_otherwise() {
    let app = TestApp::spawn().await;

    let page = app.get("/login").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.attr("html", "lang").as_deref(), Some("es"));
    assert_eq!(page.text("h1"), "Iniciar sesión");

    for (accept, lang, title) in [
        ("en-US,en;q=0.9", "en", "Sign in"),
        ("pt-BR,pt;q=0.9", "pt-BR", "Entrar"),
        ("de-DE, pt;q=0.5", "pt-BR", "Entrar"),
        ("fr", "es", "Iniciar sesión"),
    ] {
        let page = get_accepting(&app, "/login", accept).await;
        assert_eq!(page.attr("html", "lang").as_deref(), Some(lang), "{accept}");
        assert_eq!(page.text("h1"), title, "{accept}");
    }
}

#[tokio::test]
async fn language_selector_switches_every_text_and_remembers_the_choice() {
    let app = TestApp::spawn().await;
    let page = app.get("/login").await;
    let links: Vec<String> = page.texts("nav.lang a");
    assert_eq!(links, ["Español", "English", "Português"]);

    let english = page.attr("nav.lang a[hreflang=en]", "href").unwrap();
    assert!(english.starts_with("/language/en?next=%2Flogin"));
    let page = app.get(&english).await;
    assert_eq!(page.path(), "/login", "comes back to the same page");
    assert_eq!(page.attr("html", "lang").as_deref(), Some("en"));
    assert_eq!(page.text("h1"), "Sign in");
    assert_eq!(page.text("label[for=f-email]"), "E-mail address");
    assert_eq!(page.text("button[type=submit]"), "Continue");
    assert_eq!(
        page.text("footer"),
        "Portal Cloud · Cloud services marketplace for resellers"
    );
    assert!(!page.body.contains("Iniciar"), "no Spanish text is left");

    // The choice sticks, even when the browser asks for another language.
    let page = get_accepting(&app, "/login", "es").await;
    assert_eq!(page.text("h1"), "Sign in");

    let page = app.get("/language/pt-BR?next=/login").await;
    assert_eq!(page.text("h1"), "Entrar");
    assert_eq!(page.text("label[for=f-password]"), "Senha");
}

#[tokio::test]
async fn language_switch_never_redirects_off_site() {
    let app = TestApp::spawn().await;
    for next in [
        "//evil.example/x",
        "https://evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let url = format!("/language/en?next={}", urlencode(next));
        let response = app.get_raw(&url).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()["location"], "/", "{next}");
    }
}

#[tokio::test]
async fn unknown_language_and_unknown_pages_answer_a_localized_404() {
    let app = TestApp::spawn().await;
    let page = app.get("/language/xx").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(page.text("h1"), "Página no encontrada");

    for (accept, title) in [
        ("es", "Página no encontrada"),
        ("en", "Page not found"),
        ("pt-BR", "Página não encontrada"),
    ] {
        let page = get_accepting(&app, "/no/such/page", accept).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert_eq!(page.text("h1"), title);
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
        // The layout is the one every page uses.
        assert_eq!(page.texts("nav.lang a").len(), 3);
    }
}

#[tokio::test]
async fn bad_paths_and_queries_get_a_400_page_not_a_crash() {
    let app = TestApp::spawn().await;
    // Not UTF-8 once percent-decoded.
    let page = app.get("/language/%FF%FE").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert_eq!(page.text("h1"), "Solicitud no válida");
    // A query string that is not valid for the page.
    let page = app.get("/static/app.css?v=%FF").await;
    assert!(page.status == StatusCode::BAD_REQUEST || page.status == StatusCode::OK);
    // Wrong method.
    let response = app.client.delete(app.url("/login")).send().await.unwrap();
    assert!(
        response.status() == StatusCode::FORBIDDEN
            || response.status() == StatusCode::METHOD_NOT_ALLOWED
    );
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    for path in ["/login", "/no-such-page"] {
        let page = app.get(path).await;
        let csp = page.header("content-security-policy").unwrap();
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(csp.contains("script-src 'self'"));
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(
            page.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert_eq!(page.header("x-frame-options").as_deref(), Some("DENY"));
        assert_eq!(
            page.header("referrer-policy").as_deref(),
            Some("same-origin")
        );
        assert_eq!(page.header("cache-control").as_deref(), Some("no-store"));
        assert!(page.header("x-request-id").is_some());
    }
    // Pages use no inline script (the CSP forbids it).
    let page = app.get("/login").await;
    for script in page
        .html()
        .select(&scraper::Selector::parse("script").unwrap())
    {
        assert!(script.value().attr("src").is_some(), "inline script found");
    }
    // The visitor's token cookie and the session cookie are HttpOnly and SameSite=Lax (and not
    // Secure over plain http).
    let cookies = |r: &reqwest::Response| -> Vec<String> {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    };
    let (c, _) = app.new_agent();
    let response = c.get(app.url("/login")).send().await.unwrap();
    let mut set = cookies(&response);
    assert!(set.iter().any(|c| c.starts_with("portal_csrf=")), "{set:?}");
    let staff = app.staff("staff@distri.example").await;
    let form = Page::read(response)
        .await
        .form("form[action='/login']")
        .set("email", &staff.email)
        .set("password", &staff.password);
    let response = c
        .post(app.url("/login"))
        .header("origin", &app.base)
        .form(&form.fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let signed = cookies(&response);
    assert!(
        signed.iter().any(|c| c.starts_with("portal_session=")),
        "{signed:?}"
    );
    set.extend(signed);
    for cookie in set {
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(!cookie.contains("Secure"), "{cookie}");
    }
}

#[tokio::test]
async fn static_files_are_cached_by_version() {
    let app = TestApp::spawn().await;
    let page = app.get("/login").await;
    let css = page.attr("link[rel=stylesheet]", "href").unwrap();
    assert!(css.starts_with("/static/app.css?v="));
    let response = app.get_raw(&css).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let response = app.get_raw("/static/app.css").await;
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    let response = app.get_raw("/static/../Cargo.toml").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // Compressed when the browser accepts it.
    // (reqwest would decompress silently; this client does not.)
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let response = raw
        .get(app.url(&css))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
}

/// A visitor's page views store nothing (their forms' token is in a cookie of its own); a
/// session row appears only when something must be kept, such as a sign-in.
#[tokio::test]
async fn anonymous_page_views_and_404s_create_no_session() {
    let app = TestApp::spawn().await;
    for path in [
        "/login",
        "/password/forgot",
        "/access-request",
        "/no-such-page",
        "/login",
    ] {
        app.get(path).await;
    }
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);
    let staff = app.staff("staff@distri.example").await;
    app.sign_in(&staff).await;
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 1);
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused_with_a_localized_403() {
    let app = TestApp::spawn().await;
    let page = app.get("/login").await;
    let form = page.form("form[action='/login']");
    let token = form.get("csrf_token").unwrap().to_string();
    assert!(token.len() >= 32);

    // No token.
    let response = app
        .post_raw("/login", &[("email", "ana@example.com"), ("password", "x")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let page = Page::read(response).await;
    assert_eq!(page.text("h1"), "Formulario vencido");

    // A wrong token.
    let response = app
        .post_raw(
            "/login",
            &[
                ("email", "ana@example.com"),
                ("password", "x"),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // Another browser's token is not this browser's.
    let with_token = [
        ("email", "ana@example.com"),
        ("password", "x"),
        ("csrf_token", token.as_str()),
    ];
    let other = app.new_client();
    let response = other
        .post(app.url("/login"))
        .form(&with_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // The right token from another site is still refused.
    for (header, value) in [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let response = app
            .client
            .post(app.url("/login"))
            .header(header, value)
            .form(&with_token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{header}: {value}"
        );
    }

    // With the token, from this site, the form is processed.
    let page = app
        .submit(
            &form
                .set("email", "ana@example.com")
                .set("password", "wrong password"),
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.text(".flash-error"),
        "El correo electrónico o la contraseña no son correctos."
    );
}

#[tokio::test]
async fn form_errors_keep_what_the_user_typed_and_sit_beside_the_fields() {
    let app = TestApp::spawn().await;
    let page = app.get("/language/en?next=/login").await;
    let form = page.form("form[action='/login']");
    let page = app
        .submit(&form.clone().set("email", "ana.perez@").set("password", ""))
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.attr("#f-email", "value").as_deref(),
        Some("ana.perez@")
    );
    assert_eq!(
        page.attr("#f-email", "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(
        page.text("#e-email"),
        "Enter a valid e-mail address, for example ana@company.com."
    );
    assert_eq!(page.text("#e-password"), "This field is required.");
    // The password is never sent back.
    assert_eq!(page.attr("#f-password", "value").as_deref(), Some(""));

    // HTML typed into a field comes back as text.
    let page = app
        .submit(
            &form
                .set("email", "<script>alert(1)</script>")
                .set("password", "x"),
        )
        .await;
    assert!(!page.body.contains("<script>alert(1)</script>"));
    assert_eq!(
        page.attr("#f-email", "value").as_deref(),
        Some("<script>alert(1)</script>")
    );
}

#[tokio::test]
async fn oversized_and_malformed_bodies_get_their_own_pages() {
    let app = TestApp::spawn().await;
    let token = app.get("/login").await.csrf_token();

    // Over the global limit (11 MiB by default).
    let huge = "a".repeat(12 * 1024 * 1024);
    let response = post_to_login(&app, format!("csrf_token={token}&email={huge}")).await;
    // (The server answers before reading the rest, so only the status is sure to arrive.)
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Over the limit of a plain form (1 MiB) but under the global one.
    let big = "a".repeat(2 * 1024 * 1024);
    let response = post_to_login(&app, format!("csrf_token={token}&email={big}")).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let page = Page::read(response).await;
    assert_eq!(page.text("h1"), "Envío demasiado grande");

    // Before sign-in, nothing is read beyond a plain form's size, not even for an upload
    // route (it was read whole, up to the global limit, before anyone was known).
    let body = format!(
        "--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.csv\"\r\n\r\n{}\r\n--b--\r\n",
        "a".repeat(3 * 1024 * 1024)
    );
    let response = app
        .client
        .post(app.url("/staff/catalog/import"))
        .header("origin", &app.base)
        .header("content-type", "multipart/form-data; boundary=b")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // A JSON body where a form is expected.
    let response = app
        .client
        .post(app.url("/login"))
        .header("content-type", "application/json")
        .header("x-csrf-token", &token)
        .body("{\"email\": 1}")
        .send()
        .await
        .unwrap();
    assert!(
        response.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE
            || response.status() == StatusCode::BAD_REQUEST,
        "{}",
        response.status()
    );
    let page = Page::read(response).await;
    assert!(page.body.contains("<html"), "an HTML error page");

    // The token may also come from a multipart form.
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token.clone())
        .text("email", "x");
    let response = app
        .client
        .post(app.url("/login"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_ne!(
        response.status(),
        StatusCode::FORBIDDEN,
        "the multipart token is read"
    );
}

#[tokio::test]
async fn forged_truncated_or_oversized_session_cookies_are_treated_as_anonymous() {
    let app = TestApp::spawn().await;
    for cookie in [
        "portal_session=forged-value".to_string(),
        "portal_session=".to_string(),
        "portal_session=%%%".to_string(),
        format!("portal_session={}", "A".repeat(3000)),
        "portal_session=W3TebJw1N2eS3y_zQ9OYEg".to_string(),
    ] {
        let response = app
            .new_client()
            .get(app.url("/login"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{cookie}");
        let page = Page::read(response).await;
        assert_eq!(page.text("h1"), "Iniciar sesión");
    }
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let response = app.get_raw("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "ok");
    let response = app.get_raw("/readyz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "ready");
}

#[tokio::test]
async fn a_queued_mail_is_delivered_over_smtp_with_links_from_the_base_url() {
    let app = TestApp::spawn().await;
    let email =
        portal::mail::test_message(&app.config, portal::i18n::Locale::PtBr, "ana@example.com")
            .unwrap();
    let mailer = portal::mail::Mailer::from_config(&app.config).unwrap();
    mailer.queue(&app.db, &email).await.unwrap();
    let mail = app.smtp.wait_for("ana@example.com").await;
    // The worker records the delivery right after the server accepted the message.
    for _ in 0..50 {
        let state: String = sqlx::query_scalar("SELECT state FROM jobs")
            .fetch_one(&app.db)
            .await
            .unwrap();
        if state == "done" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(mail.subject, "E-mail de teste do Portal Cloud");
    assert_eq!(mail.from, "no-reply@portal.example");
    assert!(mail.html.contains("lang=\"pt-BR\""));
    assert_eq!(mail.link_to("/login"), Some(format!("{}/login", app.base)));
    let state: String = sqlx::query_scalar("SELECT state FROM jobs")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(state, "done");
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
