//! Headless Chromium driven through ChromeDriver (Debian's `chromium` and `chromium-driver`).
//!
//! Outside CI, a machine without them skips browser tests with a visible message; in CI
//! (`CI=true`) their absence fails the test.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: std::path::PathBuf,
}

fn find(names: &[&str]) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in names {
        for dir in
            std::env::split_paths(&path).chain(["/usr/bin".into(), "/usr/lib/chromium".into()])
        {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium; `None` (after saying why) when they are
    /// not installed and this is not CI.
    pub async fn start(lang: &str) -> Option<Self> {
        Self::start_sized(lang, (1280, 900)).await
    }

    /// The same with a window of `size` (width, height): 390 wide is a phone.
    pub async fn start_sized(lang: &str, size: (u32, u32)) -> Option<Self> {
        let driver_bin = find(&["chromedriver"]);
        let chrome_bin = find(&["chromium", "chromium-browser", "google-chrome"]);
        let (Some(driver_bin), Some(chrome_bin)) = (driver_bin, chrome_bin) else {
            if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") {
                panic!("browser tests need chromium and chromium-driver in CI");
            }
            eprintln!(
                "SKIPPED browser test: chromium and chromedriver are not installed \
                 (apt-get install chromium chromium-driver)"
            );
            return None;
        };
        let port = super::free_port();
        // In a process group of its own, so that the browser it starts ends with it, even when
        // a test fails before `close` (see `Drop`).
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let profile =
            std::env::temp_dir().join(format!("portal-chrome-{}", uuid::Uuid::new_v4().simple()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chrome_bin,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    format!("--window-size={},{}", size.0, size.1),
                    format!("--lang={lang}"),
                    format!("--user-data-dir={}", profile.display()),
                ],
                "prefs": { "intl.accept_languages": lang }
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        for _ in 0..50 {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Some(Self {
                        client,
                        driver,
                        profile,
                    });
                }
                Err(e) => {
                    last_error = Some(e);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        panic!("cannot reach chromedriver: {last_error:?}");
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// The text of `css`, finding it again when the page replaced it meanwhile.
    pub async fn text(&self, css: &str) -> String {
        self.on_element(css, "no text in", |e| async move { e.text().await })
            .await
    }

    /// Runs `act` on the element `css`, finding it again while the page replaces it (a
    /// navigation still in progress), for up to 20 s; panics with `what` and `css` after that.
    async fn on_element<T, F, Fut>(&self, css: &str, what: &str, act: F) -> T
    where
        F: Fn(fantoccini::elements::Element) -> Fut,
        Fut: std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
    {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            match act(self.element(css).await).await {
                Ok(value) => return value,
                Err(e) if std::time::Instant::now() > deadline => panic!("{what} {css}: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Chooses `value` in the select `css` as a user would (the change event fires), without
    /// depending on where the option list opens on screen.
    pub async fn choose(&self, css: &str, value: &str) {
        let script = "const s = document.querySelector(arguments[0]);
                      if (!s) return null;
                      s.value = arguments[1];
                      s.dispatchEvent(new Event('change', { bubbles: true }));
                      return s.value;";
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let chosen = self
                .client
                .execute(script, vec![css.into(), value.into()])
                .await
                .ok()
                .and_then(|v| v.as_str().map(str::to_string));
            if chosen.as_deref() == Some(value) {
                return;
            }
            if std::time::Instant::now() > deadline {
                panic!("cannot choose {value} in {css} (got {chosen:?})");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks `css`, finding it again when the page replaced it between finding and clicking
    /// (a navigation still in progress).
    pub async fn click(&self, css: &str) {
        self.on_element(css, "cannot click", |e| async move { e.click().await })
            .await
    }

    /// Waits (up to 20 s) until the address contains `needle`; returns the address.
    pub async fn wait_url(&self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let url = self.client.current_url().await.unwrap().to_string();
            if url.contains(needle) || std::time::Instant::now() > deadline {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The element `css`, waiting (up to 20 s) for the page to show it.
    async fn element(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let element = self.element(css).await;
        element.clear().await.unwrap();
        element.send_keys(value).await.unwrap();
    }

    /// Chooses the file at `path` in the file input `css`.
    pub async fn attach(&self, css: &str, path: &std::path::Path) {
        let element = self.element(css).await;
        element
            .send_keys(&path.display().to_string())
            .await
            .unwrap();
    }

    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .attr(name)
            .await
            .unwrap()
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_string()
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        // `Drop` ends the driver and its browser.
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole group: chromedriver and the chromium it started.
        if let Ok(pid) = i32::try_from(self.driver.id()) {
            // SAFETY: a signal to a process group this test started.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Browser {
    /// Saves a screenshot when `PORTAL_SCREENSHOTS` names a directory (for looking at pages).
    pub async fn snap(&self, name: &str) {
        if let Ok(dir) = std::env::var("PORTAL_SCREENSHOTS") {
            let png = self.client.screenshot().await.unwrap();
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
        }
    }

    /// Scrolls the page so that `css` is at the top of the window (for screenshots).
    pub async fn scroll_to(&self, css: &str) {
        let script = "const e = document.querySelector(arguments[0]); if (e) e.scrollIntoView();";
        let _ = self.client.execute(script, vec![css.into()]).await;
    }

    /// Says yes to the page's next confirmation question (a `data-confirm` form), as a user
    /// clicking "OK" would.
    pub async fn accept_confirm(&self) {
        let script = "window.confirm = function () { return true; };";
        let _ = self.client.execute(script, vec![]).await;
    }

    /// Submits the form that holds `css` (a field or button) by clicking its submit button.
    pub async fn submit(&self, form_css: &str) {
        self.click(&format!("{form_css} button[type=submit]")).await;
    }
}

impl Browser {
    /// Waits (up to 10 s) for the page at `path` to load; returns the path it ended at.
    pub async fn wait_path(&self, path: &str) -> String {
        self.wait_page(|now| now == path).await
    }

    /// Waits (up to 20 s) until the page is no longer `path` and the next one has loaded;
    /// returns where it is.
    pub async fn wait_path_left(&self, path: &str) -> String {
        self.wait_page(|now| now != path).await
    }

    /// Waits (up to 20 s) for a loaded page whose path satisfies `ok`; returns the path.
    async fn wait_page(&self, ok: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let now = self.path().await;
            let ready = self
                .client
                .execute("return document.readyState", vec![])
                .await
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            if (ok(&now) && ready == "complete") || std::time::Instant::now() > deadline {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (up to 20 s) for the element's text to satisfy `ok`; returns the last text.
    pub async fn wait_text(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(e) => e.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if ok(&text) || std::time::Instant::now() > deadline {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
