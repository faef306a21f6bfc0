//! Journeys in a real headless Chromium.

use crate::common::TestApp;
use crate::common::browser::Browser;

#[tokio::test]
async fn visitor_opens_the_login_page_and_switches_language() {
    let app = TestApp::spawn().await;
    let Some(browser) = Browser::start("es").await else {
        return;
    };
    browser.goto(&app.url("/login")).await;
    assert_eq!(browser.text("h1").await, "Iniciar sesión");
    assert_eq!(browser.attr("html", "lang").await.as_deref(), Some("es"));

    browser.click("nav.lang a[hreflang=en]").await;
    assert_eq!(browser.text("h1").await, "Sign in");
    assert_eq!(browser.path().await, "/login");
    assert_eq!(browser.attr("html", "lang").await.as_deref(), Some("en"));

    // The choice is remembered on the next visit.
    browser.goto(&app.url("/no-such-page")).await;
    assert_eq!(browser.text("h1").await, "Page not found");

    browser.click("nav.lang a[hreflang=pt-BR]").await;
    assert_eq!(browser.text("h1").await, "Página não encontrada");
    browser.goto(&app.url("/login")).await;
    assert_eq!(browser.text("h1").await, "Entrar");

    // A form submitted from the page carries its CSRF token and keeps what was typed.
    browser.fill("#f-email", "ana@").await;
    browser.click("button[type=submit]").await;
    assert_eq!(
        browser.text("#e-email").await,
        "Informe um e-mail válido, por exemplo ana@empresa.com.br."
    );
    assert_eq!(
        browser.attr("#f-email", "value").await.as_deref(),
        Some("ana@")
    );
    browser.close().await;
}
