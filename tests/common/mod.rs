//! The test harness: the real portal on a random port, against a database of its own, with an
//! SMTP capture for its mail, and an HTTP client that behaves like a browser (cookies, forms with
//! their CSRF token, following redirects, reading the page's HTML).

#![allow(dead_code)]

pub mod browser;
pub mod db;
pub mod smtp;

use std::collections::HashMap;

use portal::config::Config;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use scraper::{Html, Selector};
use sqlx::PgPool;

pub use db::TestDatabase;
pub use smtp::SmtpCapture;

/// A running portal for one test.
pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub base: String,
    pub db: PgPool,
    pub smtp: SmtpCapture,
    pub client: reqwest::Client,
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
    pub config: Config,
    pub secrets: portal::crypto::SecretBox,
    portal: Option<portal::RunningPortal>,
    data_dir: std::path::PathBuf,
    /// The database of its own, dropped with the app (none on a database the test manages, or
    /// for a second instance beside another).
    _database: Option<TestDatabase>,
}

/// Extra settings for a test app.
#[derive(Default)]
pub struct Options {
    pub env: Vec<(&'static str, String)>,
    /// A migrated database the test manages (its own PostgreSQL), instead of a fresh one.
    pub database_url: Option<String>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(Options::default()).await
    }

    pub async fn spawn_with(options: Options) -> Self {
        let (database, url) = match options.database_url.clone() {
            Some(url) => (None, url),
            None => {
                let database = TestDatabase::create().await;
                let url = database.url.clone();
                (Some(database), url)
            }
        };
        Self::launch(database, url, options.env, hex_key()).await
    }

    /// A second instance of the portal on this one's database, with its worker, its own port and
    /// the same installation key, as two instances behind a load balancer.
    pub async fn beside(&self) -> Self {
        let key = self.config.secret_key.as_deref().unwrap().to_string();
        let url = self.config.database_url.clone().unwrap();
        Self::launch(None, url, Vec::new(), key).await
    }

    async fn launch(
        database: Option<TestDatabase>,
        url: String,
        overrides: Vec<(&'static str, String)>,
        key: String,
    ) -> Self {
        // `PORTAL_TEST_LOG=portal=debug cargo test …` shows the apps' logs (to debug a test).
        if let Ok(filter) = std::env::var("PORTAL_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        let smtp = SmtpCapture::start().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let data_dir =
            std::env::temp_dir().join(format!("portal-test-{}", uuid::Uuid::new_v4().simple()));
        let mut env: HashMap<&str, String> = HashMap::from([
            ("DATABASE_URL", url.clone()),
            ("PORTAL_BIND", addr.to_string()),
            ("PORTAL_BASE_URL", base.clone()),
            ("SMTP_URL", smtp.url()),
            (
                "PORTAL_MAIL_FROM",
                "Portal Test <no-reply@portal.example>".to_string(),
            ),
            ("PORTAL_DATA_DIR", data_dir.display().to_string()),
            ("PORTAL_SECRET_KEY", key),
            ("PORTAL_SANDBOX_LATENCY_MS", "0".to_string()),
        ]);
        for (k, v) in overrides {
            env.insert(k, v);
        }
        let config = Config::from_lookup(|k| env.get(k).cloned()).expect("test configuration");
        let secrets =
            portal::crypto::SecretBox::from_config(config.secret_key.as_deref(), &data_dir)
                .unwrap();
        let pool = portal::db::connect(&url).await.unwrap();
        let serving = serving_pool(&pool, &url).await;
        let portal = portal::start_on(listener, config.clone(), serving)
            .await
            .expect("the portal starts");
        let (client, jar) = new_agent();
        Self {
            addr,
            base,
            db: pool,
            smtp,
            client,
            jar,
            config,
            secrets,
            portal: Some(portal),
            data_dir,
            _database: database,
        }
    }

    /// A second browser (its own cookies) on the same portal.
    pub fn new_client(&self) -> reqwest::Client {
        new_agent().0
    }

    /// A second browser and its cookie jar.
    pub fn new_agent(&self) -> (reqwest::Client, std::sync::Arc<reqwest::cookie::Jar>) {
        new_agent()
    }

    /// The session cookie a jar holds for this portal.
    pub fn session_id(&self, jar: &reqwest::cookie::Jar) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = reqwest::Url::parse(&self.base).unwrap();
        let header = jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|c| c.strip_prefix("portal_session=").map(str::to_string))
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// GET, following redirects like a browser.
    pub async fn get(&self, path: &str) -> Page {
        self.get_with(&self.client, path).await
    }

    pub async fn get_with(&self, client: &reqwest::Client, path: &str) -> Page {
        let response = client.get(self.url(path)).send().await.unwrap();
        self.follow(client, response).await
    }

    /// GET without following redirects.
    pub async fn get_raw(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// The body of `path` as `client` receives it (a download, not a page).
    pub async fn body_with(&self, client: &reqwest::Client, path: &str) -> String {
        let response = client.get(self.url(path)).send().await.unwrap();
        response.text().await.unwrap()
    }

    /// Submits a form as a browser would, following the redirect after it.
    pub async fn submit(&self, form: &FormData) -> Page {
        self.submit_with(&self.client, form).await
    }

    pub async fn submit_with(&self, client: &reqwest::Client, form: &FormData) -> Page {
        let response = client
            .post(self.url(&form.action))
            .header("origin", &self.base)
            .form(&form.fields)
            .send()
            .await
            .unwrap();
        self.follow(client, response).await
    }

    /// POSTs raw form fields (no token unless given), without following redirects.
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// POSTs `fields` from `client` with the session's CSRF `token` put first, the way a forged
    /// form or a script sends them: no Origin header, and the answer not followed.
    pub async fn post_form(
        &self,
        client: &reqwest::Client,
        path: &str,
        token: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = vec![("csrf_token", token)];
        form.extend_from_slice(fields);
        client
            .post(self.url(path))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// Follows the redirects of a response received on the main client.
    /// Follows `response`'s redirects with `client`, as a browser does.
    pub async fn follow_with(&self, client: &reqwest::Client, response: reqwest::Response) -> Page {
        self.follow(client, response).await
    }

    pub async fn follow_response(&self, response: reqwest::Response) -> Page {
        self.follow(&self.client, response).await
    }

    async fn follow(&self, client: &reqwest::Client, mut response: reqwest::Response) -> Page {
        let mut hops = 0;
        while response.status().is_redirection() && hops < 10 {
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .expect("redirect with a Location")
                .to_string();
            let next = reqwest::Url::parse(response.url().as_str())
                .unwrap()
                .join(&location)
                .unwrap();
            response = client.get(next).send().await.unwrap();
            hops += 1;
        }
        Page::read(response).await
    }

    /// Stops the portal the way SIGTERM does (requests in flight finish first).
    pub async fn stop(mut self) {
        if let Some(p) = self.portal.take() {
            p.shutdown().await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// The serving role of every test app (decision 0017): made once on the test server, with a
/// password of its own (the apps' keys differ, and they share the role).
pub const SERVING_ROLE: &str = "portal_test_serve";
pub const SERVING_PASSWORD: &str = "test-serving-role-password";

/// A pool on `url`'s database as the tests' serving role, the way `portal serve` opens its own.
pub async fn serving_pool(owner: &sqlx::PgPool, url: &str) -> sqlx::PgPool {
    portal::db::roles::serving_pool(
        owner,
        url,
        portal::db::roles::Serving::Create {
            role: SERVING_ROLE.to_string(),
            password: SERVING_PASSWORD.to_string(),
        },
    )
    .await
    .expect("the serving role connects")
}

fn hex_key() -> String {
    let a = uuid::Uuid::new_v4().simple().to_string();
    let b = uuid::Uuid::new_v4().simple().to_string();
    format!("{a}{b}")
}

/// An account made for a test, with what it takes to sign in.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: uuid::Uuid,
    pub email: String,
    pub password: String,
    pub secret: Vec<u8>,
    pub reseller_id: Option<uuid::Uuid>,
}

pub const PASSWORD: &str = "a long and quiet river";

impl TestApp {
    /// A reseller tenant (no users).
    pub async fn reseller(&self, name: &str, tax_id: &str) -> uuid::Uuid {
        sqlx::query_scalar(
            "INSERT INTO resellers (legal_name, tax_id, country, billing_currency)
             VALUES ($1, $2, 'MX', 'USD') RETURNING id",
        )
        .bind(name)
        .bind(tax_id)
        .fetch_one(&self.db)
        .await
        .unwrap()
    }

    /// An active account with a password and an enrolled authenticator.
    pub async fn user(&self, reseller_id: Option<uuid::Uuid>, email: &str, role: &str) -> TestUser {
        let secret = portal::auth::totp::new_secret();
        let hash = portal::auth::password::PasswordHasher::default()
            .hash(PASSWORD)
            .await
            .unwrap();
        let id: uuid::Uuid = sqlx::query_scalar(
            "INSERT INTO users (reseller_id, email, name, role, status, password_hash,
                                totp_secret_enc, mfa_enabled_at)
             VALUES ($1, $2, $3, $4, 'active', $5, $6, now()) RETURNING id",
        )
        .bind(reseller_id)
        .bind(email)
        .bind(format!("Name of {email}"))
        .bind(role)
        .bind(hash)
        .bind(self.secrets.seal(&secret))
        .fetch_one(&self.db)
        .await
        .unwrap();
        TestUser {
            id,
            email: email.to_string(),
            password: PASSWORD.to_string(),
            secret,
            reseller_id,
        }
    }

    pub async fn staff(&self, email: &str) -> TestUser {
        self.user(None, email, "staff").await
    }

    /// The reseller Alfa and its owner, owner@alfa.example.
    pub async fn alfa_owner(&self) -> (uuid::Uuid, TestUser) {
        let r = self.reseller("Alfa", "ALF180512AB1").await;
        let owner = self.user(Some(r), "owner@alfa.example", "owner").await;
        (r, owner)
    }

    /// The demo catalog (vendors, programs with their terms, products, prices in force today),
    /// with `approved` (when given) approved in Microsoft CSP and Google Workspace.
    pub async fn demo_catalog(&self, approved: Option<uuid::Uuid>) {
        let mut tx = self.db.begin().await.unwrap();
        portal::seed::catalog::seed(&mut tx, approved, time::OffsetDateTime::now_utc().date())
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    /// Alfa approved in the demo programs, its owner, and its active customer Contoso México
    /// (no vendor tenant yet): a reseller ready to order.
    pub async fn reseller_with_customer(&self) -> (uuid::Uuid, TestUser, uuid::Uuid) {
        let (r, owner) = self.alfa_owner().await;
        self.demo_catalog(Some(r)).await;
        let customer: uuid::Uuid = sqlx::query_scalar(
            "INSERT INTO customers (reseller_id, legal_name, tax_id, country, contact_name, contact_email, contact_phone,
                                    billing_email, address_line1, city, region_code, region_name, postal_code, creation_key)
             VALUES ($1, 'Contoso México', 'CME180512AB1', 'MX', 'Ana', 'ana@contoso.example', '+52 55 5555 5555',
                     'fact@contoso.example', 'Reforma 1', 'Ciudad de México', 'CMX', 'Ciudad de México', '06600', gen_random_uuid())
             RETURNING id",
        )
        .bind(r)
        .fetch_one(&self.db)
        .await
        .unwrap();
        (r, owner, customer)
    }

    /// A vendor tenant of `customer` (`origin` is reserved, linked or transfer).
    pub async fn vendor_tenant(
        &self,
        reseller: uuid::Uuid,
        customer: uuid::Uuid,
        vendor: &str,
        origin: &str,
        domain: &str,
        tenant_ref: &str,
    ) -> uuid::Uuid {
        sqlx::query_scalar(
            "INSERT INTO customer_tenants (reseller_id, customer_id, vendor, origin, domain, tenant_ref)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(reseller)
        .bind(customer)
        .bind(vendor)
        .bind(origin)
        .bind(domain)
        .bind(tenant_ref)
        .fetch_one(&self.db)
        .await
        .unwrap()
    }

    /// The public id a reseller gives its vendors (for transfer tokens).
    pub async fn public_id(&self, reseller: uuid::Uuid) -> String {
        sqlx::query_scalar("SELECT public_id FROM resellers WHERE id = $1")
            .bind(reseller)
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    /// Signs `user` in on a browser of their own: that browser and the page it landed on.
    pub async fn sign_in_elsewhere(&self, user: &TestUser) -> (reqwest::Client, Page) {
        let (client, _) = self.new_agent();
        let landed = self.sign_in_with(&client, user).await;
        (client, landed)
    }

    /// The owner of another reseller, Beta, signed in on a browser of their own.
    pub async fn beta_owner_elsewhere(&self) -> (TestUser, reqwest::Client, Page) {
        let b = self.reseller("Beta", "BET180512AB1").await;
        let owner = self.user(Some(b), "owner@beta.example", "owner").await;
        let (client, landed) = self.sign_in_elsewhere(&owner).await;
        (owner, client, landed)
    }

    /// A code the portal has not accepted yet for this user (codes are accepted once).
    pub async fn fresh_code(&self, user: &TestUser) -> String {
        loop {
            let last: Option<i64> =
                sqlx::query_scalar("SELECT totp_last_step FROM users WHERE id = $1")
                    .bind(user.id)
                    .fetch_one(&self.db)
                    .await
                    .unwrap();
            let now = portal::auth::totp::now();
            let step = (now / 30) as i64;
            // The current step, or the next one (within the ±1 window) when the current one was
            // used: never the previous step, which a step boundary passing while the browser
            // types the code would push out of the window.
            let candidate = step.max(last.map_or(step, |l| l + 1));
            if candidate <= step + 1 {
                return portal::auth::totp::code_at(&user.secret, candidate as u64 * 30);
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }

    /// The password step of signing in, on `client`: the page it leads to.
    pub async fn password_step(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> Page {
        let page = self.get_with(client, "/login").await;
        let form = page
            .form("form[action='/login']")
            .set("email", email)
            .set("password", password);
        self.submit_with(client, &form).await
    }

    /// Signs `user` in on `client`: password, then a fresh code. Returns the page it lands on.
    pub async fn sign_in_with(&self, client: &reqwest::Client, user: &TestUser) -> Page {
        let page = self
            .password_step(client, &user.email, &user.password)
            .await;
        assert_eq!(
            page.path(),
            "/login/mfa",
            "password step failed: {}",
            page.body
        );
        let code = self.fresh_code(user).await;
        let form = page.form("form[action='/login/mfa']").set("code", &code);
        let page = self.submit_with(client, &form).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page
    }

    /// The texts of `cells` on every page of the list at `path`, following its "next" links,
    /// and the pages' addresses.
    pub async fn walk_pages(&self, path: &str, cells: &str) -> (Vec<Vec<String>>, Vec<String>) {
        let (mut pages, mut links, mut at) = (vec![], vec![], Some(path.to_string()));
        while let Some(link) = at {
            let page = self.get(&link).await;
            assert_eq!(page.status, StatusCode::OK, "{link}");
            pages.push(page.texts(cells));
            links.push(link);
            at = page.attr("a[rel=next]", "href");
            assert!(pages.len() < 10, "the pager goes on for ever");
        }
        (pages, links)
    }

    pub async fn sign_in(&self, user: &TestUser) -> Page {
        self.sign_in_with(&self.client, user).await
    }

    /// A signed-in user chooses `code` in the language selector on `path` (a form, not a link).
    pub async fn choose_language(&self, code: &str, path: &str) -> Page {
        let page = self.get(path).await;
        self.submit(&page.form(&format!("form[action='/language/{code}']")))
            .await
    }

    /// How many audit entries with this action exist.
    pub async fn audited(&self, action: &str) -> i64 {
        self.count_with("SELECT count(*) FROM audit_log WHERE action = $1", action)
            .await
    }

    /// The number a `SELECT count(*) …` answers.
    pub async fn count(&self, sql: &str) -> i64 {
        count(&self.db, sql).await
    }

    /// The number a `SELECT count(*) … $1 …` answers for `value`.
    pub async fn count_with<'q, T>(&self, sql: &'q str, value: T) -> i64
    where
        T: 'q + sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        sqlx::query_scalar(sql)
            .bind(value)
            .fetch_one(&self.db)
            .await
            .unwrap()
    }
}

/// The number a `SELECT count(*) …` answers, on a pool or inside a transaction.
pub async fn count<'e, E>(db: E, sql: &'e str) -> i64
where
    E: 'e + sqlx::PgExecutor<'e>,
{
    sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
}

/// A port nothing listens on (yet).
/// A slow client: the first half of a `GET /healthz` is sent now; [`finish_request`] sends the
/// rest and reads the answer.
pub async fn half_sent_request(addr: impl tokio::net::ToSocketAddrs) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    socket
}

/// Sends the rest of a [`half_sent_request`] and reads the whole answer.
pub async fn finish_request(mut socket: tokio::net::TcpStream) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    socket
        .write_all(b"Connection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).await.unwrap();
    answer
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The authenticator secret as the MFA setup page shows it (base32, in groups).
pub fn shown_secret(text: &str) -> Vec<u8> {
    totp_rs::Secret::try_from_base32(text.replace(' ', ""))
        .unwrap()
        .as_bytes()
        .to_vec()
}

fn new_agent() -> (reqwest::Client, std::sync::Arc<reqwest::cookie::Jar>) {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (client, jar)
}

/// A page as the browser received it.
pub struct Page {
    pub status: StatusCode,
    pub url: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        let url = response.url().to_string();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        Self {
            status,
            url,
            headers,
            body,
        }
    }

    pub fn path(&self) -> String {
        reqwest::Url::parse(&self.url).unwrap().path().to_string()
    }

    pub fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// The text of every element matching `selector`, whitespace collapsed.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let sel = Selector::parse(selector).unwrap();
        self.html()
            .select(&sel)
            .map(|e| {
                e.text()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    /// The text of the first element matching `selector`.
    pub fn text(&self, selector: &str) -> String {
        self.texts(selector)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no {selector} on the page:\n{}", self.body))
    }

    /// An attribute of the first element matching `selector`.
    pub fn attr(&self, selector: &str, name: &str) -> Option<String> {
        let sel = Selector::parse(selector).unwrap();
        self.html()
            .select(&sel)
            .next()
            .and_then(|e| e.value().attr(name).map(str::to_string))
    }

    /// The session's CSRF token, which every form on the page carries.
    pub fn csrf_token(&self) -> String {
        self.attr("input[name='csrf_token']", "value")
            .unwrap_or_else(|| panic!("no CSRF token on the page:\n{}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// The form matching `selector`, with the values its fields hold.
    pub fn form(&self, selector: &str) -> FormData {
        let sel = Selector::parse(selector).unwrap();
        let html = self.html();
        let form = html
            .select(&sel)
            .next()
            .unwrap_or_else(|| panic!("no form {selector} on the page:\n{}", self.body));
        let action = form.value().attr("action").unwrap_or(&self.url).to_string();
        let mut fields = Vec::new();
        let inputs = Selector::parse("input, select, textarea").unwrap();
        for field in form.select(&inputs) {
            let v = field.value();
            let Some(name) = v.attr("name") else { continue };
            match v.name() {
                "input" => {
                    let kind = v.attr("type").unwrap_or("text");
                    if (kind == "checkbox" || kind == "radio") && v.attr("checked").is_none() {
                        continue;
                    }
                    if kind == "submit" || kind == "button" {
                        continue;
                    }
                    fields.push((name.to_string(), v.attr("value").unwrap_or("").to_string()));
                }
                "textarea" => fields.push((name.to_string(), field.text().collect())),
                "select" => {
                    let options = Selector::parse("option").unwrap();
                    let chosen = field
                        .select(&options)
                        .find(|o| o.value().attr("selected").is_some())
                        .or_else(|| field.select(&options).next());
                    if let Some(o) = chosen {
                        let value = o
                            .value()
                            .attr("value")
                            .map(str::to_string)
                            .unwrap_or_else(|| o.text().collect());
                        fields.push((name.to_string(), value));
                    }
                }
                _ => {}
            }
        }
        FormData { action, fields }
    }
}

/// A form's action and fields, ready to submit.
#[derive(Clone, Debug)]
pub struct FormData {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

impl FormData {
    /// Sets a field (replacing its value, or adding it).
    pub fn set(mut self, name: &str, value: &str) -> Self {
        match self.fields.iter_mut().find(|(n, _)| n == name) {
            Some(f) => f.1 = value.to_string(),
            None => self.fields.push((name.to_string(), value.to_string())),
        }
        self
    }

    pub fn remove(mut self, name: &str) -> Self {
        self.fields.retain(|(n, _)| n != name);
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}
