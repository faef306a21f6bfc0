//! The portal surviving what happens to services in production: its database restarted under
//! load, SIGTERM with requests and a job in flight, two instances on one database.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

use portal::db::embedded::{Durability, EmbeddedPostgres};
use reqwest::StatusCode;
use uuid::Uuid;

use crate::common::{
    Options, PASSWORD, Page, TestApp, finish_request, free_port, half_sent_request,
};
use crate::orders::{add_to_cart, no_worker, order_id, setup, status_of, wait_status};

const SKU: &str = "CFQ7TTC0LDPB";

/// Places an order of 10 seats for `customer` from `client`, through `app`.
async fn place(app: &TestApp, client: &reqwest::Client, customer: Uuid) -> Uuid {
    let page = add_to_cart(app, client, customer, SKU, "10").await;
    order_id(
        &app.submit_with(client, &page.form("form.place-order"))
            .await,
    )
}

/// Every order completed, each with one subscription at the vendor and in the portal and one
/// "completed" event: each provisioning took effect once.
async fn provisioned_once(app: &TestApp, orders: &[Uuid]) {
    for order in orders {
        assert_eq!(wait_status(app, *order, "completed").await, "completed");
        let events = app
            .count_with(
                "SELECT count(*) FROM order_events WHERE order_id = $1 AND status = 'completed'",
                *order,
            )
            .await;
        assert_eq!(events, 1, "order {order}");
    }
    let n = orders.len() as i64;
    assert_eq!(
        app.count("SELECT count(*) FROM sandbox_subscriptions")
            .await,
        n
    );
    assert_eq!(app.count("SELECT count(*) FROM subscriptions").await, n);
}

#[tokio::test]
async fn two_instances_on_one_database_share_sessions_throttles_and_jobs() {
    let a = TestApp::spawn().await;
    let b = a.beside().await;
    let (_, owner, customer) = setup(&a, "contoso.onmicrosoft.com").await;

    // Signed in through A, the browser is signed in on B (the session lives in the database).
    a.sign_in(&owner).await;
    let page = b.get_with(&a.client, "/orders").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.path(), "/orders");

    // An order placed through B, with both instances' workers on the queue, is provisioned once.
    let order = place(&b, &a.client, customer).await;
    provisioned_once(&a, &[order]).await;

    // Wrong passwords count across both instances: four, alternating, then the fifth locks on
    // either, even with the right password.
    for n in 0..4 {
        let on = if n % 2 == 0 { &a } else { &b };
        let p = attempt(on, &owner.email, "wrong wrong wrong").await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "guess {n}");
    }
    assert_eq!(
        attempt(&b, &owner.email, "wrong wrong wrong").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        attempt(&a, &owner.email, PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    b.stop().await;
}

/// A sign-in attempt from a new browser on `app`.
async fn attempt(app: &TestApp, email: &str, password: &str) -> Page {
    let (c, _) = app.new_agent();
    let page = app.get_with(&c, "/login").await;
    let form = page
        .form("form[action='/login']")
        .set("email", email)
        .set("password", password);
    app.submit_with(&c, &form).await
}

/// What one request saw, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Before = 0,
    Outage = 1,
    After = 2,
}

#[tokio::test]
async fn a_database_restart_under_load_is_a_503_then_all_recovers_and_jobs_complete_once() {
    // A PostgreSQL of this test's own, to stop and start again on the same port.
    let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("portal-restart-{}", Uuid::new_v4().simple()));
    // As root with the target directory in a closed home folder (CI), the cluster goes where
    // its account can reach, as `portal serve`'s does.
    let root = EmbeddedPostgres::place(&root, false).expect("a place for this test's PostgreSQL");
    let cluster = {
        let root = root.clone();
        tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&root, Durability::Fast))
            .await
            .unwrap()
            .expect("a PostgreSQL for this test")
    };
    let cluster = Arc::new(cluster);
    portal::db::ensure_database(&cluster.url("postgres"), "portal")
        .await
        .unwrap();
    let url = cluster.url("portal");
    let owner = portal::db::connect(&url).await.unwrap();
    portal::db::migrate(&owner).await.unwrap();
    owner.close().await;
    let app = TestApp::spawn_with(Options {
        env: vec![
            // Provisioning is slow, so jobs are in flight when the database goes.
            ("PORTAL_SANDBOX_LATENCY_MS", "1000".into()),
            ("PORTAL_JOB_LEASE_SECS", "3".into()),
        ],
        database_url: Some(url),
    })
    .await;
    let (_, owner, customer) = setup(&app, "contoso.onmicrosoft.com").await;
    app.sign_in(&owner).await;
    let mut orders = Vec::new();
    for _ in 0..3 {
        orders.push(place(&app, &app.client, customer).await);
    }

    // Load: a signed-in page, the readiness probe and a page of no one's, over and over.
    let phase = Arc::new(AtomicU8::new(Phase::Before as u8));
    let done = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for path in ["/orders", "/readyz", "/login", "/orders"] {
        let (client, url) = (app.client.clone(), app.url(path));
        let (phase, done) = (phase.clone(), done.clone());
        load.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let at = phase.load(Ordering::Relaxed);
                let answer = client.get(&url).send().await.expect("the portal answers");
                let status = answer.status();
                let page = Page::read(answer).await;
                seen.push((at, path, status, page));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            seen
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Some provisioning is still to do when the database goes.
    let pending = app
        .count("SELECT count(*) FROM jobs WHERE kind = 'provision_order' AND state <> 'done'")
        .await;
    assert!(pending > 0, "every job was done before the outage");
    phase.store(Phase::Outage as u8, Ordering::Relaxed);
    let stopping = cluster.clone();
    tokio::task::spawn_blocking(move || stopping.stop())
        .await
        .unwrap();
    // Longer than the pool waits for a connection, so requests give up during the outage.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let starting = cluster.clone();
    tokio::task::spawn_blocking(move || starting.start_again())
        .await
        .unwrap()
        .expect("PostgreSQL starts again");
    phase.store(Phase::After as u8, Ordering::Relaxed);

    // Everything recovers by itself.
    let mut recovered = false;
    for _ in 0..100 {
        let orders_page = app.get("/orders").await.status;
        let ready = app.get_raw("/readyz").await.status();
        if orders_page == StatusCode::OK && ready == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        recovered,
        "the portal did not recover after the database came back"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    done.store(true, Ordering::Relaxed);
    let mut seen = Vec::new();
    for task in load {
        seen.extend(task.await.unwrap());
    }

    // Never a 500; during the outage the signed-in page and the probe say 503, the page in the
    // user's language, with a time to retry.
    let errors: Vec<_> = seen
        .iter()
        .filter(|(_, _, s, _)| s.is_server_error() && *s != StatusCode::SERVICE_UNAVAILABLE)
        .map(|(at, path, s, _)| (at, path, s))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let outage = |path: &str| {
        seen.iter()
            .filter(|(at, p, s, _)| {
                *at == Phase::Outage as u8 && *p == path && *s == StatusCode::SERVICE_UNAVAILABLE
            })
            .map(|(_, _, _, page)| page)
            .collect::<Vec<_>>()
    };
    assert!(
        !outage("/readyz").is_empty(),
        "the probe never said not ready"
    );
    let unavailable = outage("/orders");
    let page = unavailable.first().expect("a 503 during the outage");
    assert_eq!(page.text("h1"), "Servicio no disponible");
    assert!(page.header("retry-after").is_some());
    assert!(
        seen.iter().any(|(at, p, s, _)| *at == Phase::After as u8
            && *p == "/orders"
            && *s == StatusCode::OK)
    );

    // The jobs in flight complete, each once.
    provisioned_once(&app, &orders).await;
    app.stop().await;
    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test]
async fn sigterm_lets_the_request_and_the_job_in_flight_finish_then_the_process_exits() {
    // The pages and the data come from a test app without a worker; the process under test is
    // `portal serve` on the same database, whose worker takes the order.
    let app = TestApp::spawn_with(no_worker()).await;
    let (_, owner, customer) = setup(&app, "contoso.onmicrosoft.com").await;
    app.sign_in(&owner).await;
    let database_url = app.config.database_url.clone().unwrap();
    let mut serving = url::Url::parse(&database_url).unwrap();
    serving.set_username(crate::common::SERVING_ROLE).unwrap();
    serving
        .set_password(Some(crate::common::SERVING_PASSWORD))
        .unwrap();
    let port = free_port();
    let data_dir = std::env::temp_dir().join(format!("portal-sigterm-{}", Uuid::new_v4().simple()));
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_portal"))
        .arg("serve")
        .env("DATABASE_URL", &database_url)
        .env("PORTAL_SERVING_DATABASE_URL", serving.as_str())
        .env("PORTAL_BIND", format!("127.0.0.1:{port}"))
        .env(
            "PORTAL_SECRET_KEY",
            app.config.secret_key.as_deref().unwrap(),
        )
        .env("PORTAL_DATA_DIR", &data_dir)
        .env("SMTP_URL", app.smtp.url())
        .env("PORTAL_SANDBOX_LATENCY_MS", "1500")
        .env("PORTAL_SHUTDOWN_GRACE_SECS", "10")
        .env("PORTAL_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("portal serve starts");
    let healthz = format!("http://127.0.0.1:{port}/healthz");
    let mut up = false;
    for _ in 0..200 {
        if reqwest::get(&healthz)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "portal serve did not come up");

    // An order, and its provisioning running in the process's worker.
    let order = place(&app, &app.client, customer).await;
    let mut running = false;
    for _ in 0..100 {
        if app
            .count("SELECT count(*) FROM jobs WHERE kind = 'provision_order' AND state = 'running'")
            .await
            == 1
        {
            running = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(running, "the worker did not take the job");
    // A request half sent when the signal comes.
    let socket = half_sent_request(("127.0.0.1", port)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    // SAFETY: sending a signal to the child process this test started.
    unsafe {
        libc::kill(child.id().unwrap() as i32, libc::SIGTERM);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let answer = finish_request(socket).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let exit = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("the process exits after its drain")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    // No new connections once it has gone.
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
    );
    // The job in hand was finished before the process ended: nothing left half done.
    assert_eq!(status_of(&app, order).await, "completed");
    assert_eq!(
        app.count("SELECT count(*) FROM jobs WHERE state = 'running'")
            .await,
        0
    );
    provisioned_once(&app, &[order]).await;
    let _ = std::fs::remove_dir_all(&data_dir);
}
