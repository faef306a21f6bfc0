//! The platform under the pages: tenant isolation in the database, the job queue, the embedded
//! database behind `portal serve`, and shutdown.

use std::time::Duration;

use crate::common::{Options, SmtpCapture, TestApp, TestDatabase, count, free_port};
use portal::jobs::Worker;
use portal::mail::Mailer;
use reqwest::StatusCode;
use sqlx::PgPool;
use uuid::Uuid;

/// The job queue on a database of its own, and a mailer that delivers to an SMTP capture.
async fn queue_and_mailer() -> (TestDatabase, PgPool, SmtpCapture, Mailer) {
    let database = TestDatabase::create().await;
    let db = portal::db::connect(&database.url).await.unwrap();
    let smtp = SmtpCapture::start().await;
    let mailer = mailer_to(&smtp.url());
    (database, db, smtp, mailer)
}

/// A mailer that sends to the SMTP server at `url`.
fn mailer_to(url: &str) -> Mailer {
    let config = portal::config::Config::from_lookup(|k| match k {
        "SMTP_URL" => Some(url.to_string()),
        // One key for every mailer of these tests: one seals what another sends.
        "PORTAL_SECRET_KEY" => Some("dGVzdC1vbmx5LWtleS1mb3ItcXVldWVkLW1haWwtMTI=".into()),
        _ => None,
    })
    .unwrap();
    Mailer::from_config(&config).unwrap()
}

async fn reseller(db: &PgPool, name: &str, tax_id: &str) -> Uuid {
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO resellers (legal_name, tax_id, country, billing_currency)
         VALUES ($1, $2, 'MX', 'USD') RETURNING id",
    )
    .bind(name)
    .bind(tax_id)
    .fetch_one(db)
    .await
    .unwrap();
    for role in ["owner", "sales"] {
        sqlx::query("INSERT INTO users (reseller_id, email, name, role) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(format!("{role}@{tax_id}.example"))
            .bind(format!("{role} of {name}"))
            .bind(role)
            .execute(db)
            .await
            .unwrap();
    }
    id
}

#[tokio::test]
async fn an_unfiltered_query_in_a_tenant_transaction_sees_one_tenant_only() {
    let database = TestDatabase::create().await;
    let owner = portal::db::connect(&database.url).await.unwrap();
    let a = reseller(&owner, "Alfa", "alfa").await;
    let b = reseller(&owner, "Beta", "beta").await;
    // As the app serves requests: the serving role, not the owner.
    let db = crate::common::serving_pool(&owner, &database.url).await;

    let mut tx = portal::db::tenant_tx(&db, a).await.unwrap();
    // No WHERE clause: row-level security still limits it to reseller A.
    let emails: Vec<String> = sqlx::query_scalar("SELECT email::text FROM users ORDER BY email")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(emails, ["owner@alfa.example", "sales@alfa.example"]);
    assert_eq!(count(&mut *tx, "SELECT count(*) FROM resellers").await, 1);
    // Writing a row for another tenant is refused.
    let err = sqlx::query(
        "INSERT INTO users (reseller_id, email, name, role) VALUES ($1, 'intruder@x.example', 'x', 'admin')",
    )
    .bind(b)
    .execute(&mut *tx)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
    tx.rollback().await.unwrap();

    // Moving another tenant's row is impossible too.
    let mut tx = portal::db::tenant_tx(&db, b).await.unwrap();
    let moved = sqlx::query("UPDATE users SET name = 'hijacked' WHERE reseller_id = $1")
        .bind(a)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(moved.rows_affected(), 0);
    tx.commit().await.unwrap();

    // Resetting the role does not leave the tenant: the serving role itself is held to it.
    let mut tx = portal::db::tenant_tx(&db, a).await.unwrap();
    sqlx::query("RESET ROLE").execute(&mut *tx).await.unwrap();
    assert_eq!(count(&mut *tx, "SELECT count(*) FROM users").await, 2);
    assert_eq!(count(&mut *tx, "SELECT count(*) FROM resellers").await, 1);
    tx.rollback().await.unwrap();

    // A tenant transaction reads no secret and no other tenant's state: sign-in tokens, the
    // job queue's payloads, sessions.
    for table in [
        "auth_tokens",
        "recovery_codes",
        "sessions",
        "auth_throttle",
        "jobs",
    ] {
        let mut tx = portal::db::tenant_tx(&db, a).await.unwrap();
        let err = sqlx::query(&format!("SELECT * FROM {table}"))
            .execute(&mut *tx)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{table}: {err}"
        );
    }

    // Outside a tenant transaction (staff and system work) every row is visible.
    assert_eq!(count(&db, "SELECT count(*) FROM users").await, 4);

    // The serving role is no superuser, owns nothing and cannot undo the policies.
    for statement in [
        "ALTER TABLE users DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE customers NO FORCE ROW LEVEL SECURITY",
        "DROP POLICY tenant_isolation ON users",
        "SET ROLE postgres",
        "SELECT * FROM _sqlx_migrations",
        "SET row_security = off; SELECT * FROM users",
    ] {
        let err = sqlx::raw_sql(statement).execute(&db).await;
        assert!(err.is_err(), "{statement} was allowed");
    }
    // Every table with row-level security forces it on its owner too.
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM pg_class WHERE relrowsecurity AND NOT relforcerowsecurity"
        )
        .await,
        0
    );
    // The portal refuses to serve as a role the policies do not hold (here the owner).
    let refused = portal::db::roles::serving_pool(
        &owner,
        &database.url,
        portal::db::roles::Serving::Url(database.url.clone()),
    )
    .await
    .expect_err("serving as the owner is refused");
    assert!(refused.to_string().contains("superuser"), "{refused}");
    db.close().await;
    owner.close().await;
}

/// A request cancelled while its tenant transaction opens (the client gone, a timeout) must not
/// hand the next request a connection still inside that transaction, as `portal_app` for that
/// tenant: the next user of the connection could be staff work or another tenant.
#[tokio::test]
async fn a_tenant_transaction_abandoned_while_it_opens_leaves_nothing_on_the_connection() {
    use std::future::Future;
    use std::task::Poll;
    let database = TestDatabase::create().await;
    let admin = portal::db::connect(&database.url).await.unwrap();
    let a = reseller(&admin, "Alfa", "alfa").await;
    reseller(&admin, "Beta", "beta").await;
    // One connection, so the next request gets the very connection the abandoned one used.
    let db = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&database.url)
        .await
        .unwrap();
    sqlx::query("SELECT 1").execute(&db).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Polled until the server has run the BEGIN, then dropped without the answer ever being
    // read, as when the client goes away. (When a poll happens to read the answer, the
    // transaction is dropped as usual and the next attempt tries again.)
    let mut abandoned = false;
    'attempts: for _ in 0..50 {
        let mut opening = Box::pin(portal::db::tenant_tx(&db, a));
        for _ in 0..500 {
            let ready = std::future::poll_fn(|cx| Poll::Ready(opening.as_mut().poll(cx))).await;
            if let Poll::Ready(tx) = ready {
                drop(tx);
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue 'attempts;
            }
            let begun = count(
                &admin,
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND state = 'idle in transaction'",
            )
            .await
                > 0;
            if begun {
                abandoned = true;
                break 'attempts;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("the BEGIN never reached the server");
    }
    assert!(abandoned, "every attempt read the BEGIN's answer");

    let mut conn = db.acquire().await.unwrap();
    let role: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_ne!(
        role, "portal_app",
        "the abandoned transaction's role leaked"
    );
    assert_eq!(count(&mut *conn, "SELECT count(*) FROM users").await, 4);
    drop(conn);
    db.close().await;
    admin.close().await;
}

#[tokio::test]
async fn a_list_is_counted_exactly_up_to_the_cap_and_estimated_beyond() {
    use portal::db::{EXACT_UP_TO, Total};
    let database = TestDatabase::create().await;
    let db = portal::db::connect(&database.url).await.unwrap();
    let mut conn = db.acquire().await.unwrap();
    sqlx::query(
        "CREATE TEMP TABLE numbers AS SELECT g::bigint AS n FROM generate_series(1, 30000) g",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    sqlx::query("ANALYZE numbers")
        .execute(&mut *conn)
        .await
        .unwrap();
    let above = |floor: i64| {
        move |b: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>| {
            b.push(" FROM numbers WHERE n > ").push_bind(floor);
        }
    };

    // Few rows, and exactly the cap: counted.
    assert_eq!(
        portal::db::total(&mut conn, above(29_990)).await.unwrap(),
        Total::Exact(10)
    );
    let at_cap = 30_000 - EXACT_UP_TO;
    assert_eq!(
        portal::db::total(&mut conn, above(at_cap)).await.unwrap(),
        Total::Exact(EXACT_UP_TO)
    );
    // One more than the cap, and far more: the planner's estimate, never below the cap.
    let just_over = portal::db::total(&mut conn, above(at_cap - 1))
        .await
        .unwrap();
    assert!(
        matches!(just_over, Total::About(n) if n > EXACT_UP_TO),
        "{just_over:?}"
    );
    let most = portal::db::total(&mut conn, above(5_000)).await.unwrap();
    assert!(
        matches!(most, Total::About(n) if (22_500..=27_500).contains(&n)),
        "25 000 rows estimated as {most:?}"
    );
    drop(conn);
    db.close().await;
}

#[tokio::test]
async fn each_job_runs_once_even_with_two_workers_on_one_queue() {
    let (_database, db, smtp, mailer) = queue_and_mailer().await;
    for i in 0..20 {
        let email = portal::mail::OutgoingEmail {
            to: format!("user{i}@example.com"),
            subject: format!("Message {i}"),
            text: "text".into(),
            html: "<p>html</p>".into(),
        };
        mailer.queue(&db, &email).await.unwrap();
    }
    // The queue holds no message in clear (a reset or an invitation link is live).
    assert_eq!(
        count(&db, "SELECT count(*) FROM jobs WHERE payload::text LIKE '%example.com%' OR payload::text LIKE '%Message%'").await,
        0
    );
    let w1 = Worker::new(db.clone(), mailer.clone());
    let w2 = Worker::new(db.clone(), mailer.clone());
    let drain = |w: Worker| async move {
        let mut n = 0;
        while w.run_one().await.unwrap() {
            n += 1;
        }
        n
    };
    let (n1, n2) = tokio::join!(drain(w1), drain(w2));
    assert_eq!(n1 + n2, 20);
    for i in 0..20 {
        assert_eq!(smtp.count_to(&format!("user{i}@example.com")), 1);
    }
    assert_eq!(
        count(&db, "SELECT count(*) FROM jobs WHERE state = 'done'").await,
        20
    );
    // A message sent is not kept.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM jobs WHERE payload <> '{}'::jsonb"
        )
        .await,
        0
    );
    db.close().await;
}

#[tokio::test]
async fn a_job_whose_worker_died_is_run_again_and_failures_are_retried_with_backoff() {
    let (_database, db, smtp, mailer) = queue_and_mailer().await;
    let email = portal::mail::OutgoingEmail {
        to: "ana@example.com".into(),
        subject: "Hola".into(),
        text: "t".into(),
        html: "h".into(),
    };
    mailer.queue(&db, &email).await.unwrap();

    // A worker claimed the job and died: its lease is still running, so nobody takes it...
    sqlx::query(
        "UPDATE jobs SET state = 'running', attempts = 1, locked_by = 'dead-worker',
                locked_until = now() + interval '1 hour'",
    )
    .execute(&db)
    .await
    .unwrap();
    let worker = Worker::new(db.clone(), mailer.clone());
    assert!(!worker.run_one().await.unwrap());
    // ...until the lease runs out; then it runs to completion, once.
    sqlx::query("UPDATE jobs SET locked_until = now() - interval '1 second'")
        .execute(&db)
        .await
        .unwrap();
    assert!(worker.run_one().await.unwrap());
    assert!(!worker.run_one().await.unwrap());
    assert_eq!(smtp.count_to("ana@example.com"), 1);

    // A transient failure (no SMTP server answering) is retried later, not dropped.
    let dead_port = free_port();
    let failing = Worker::new(
        db.clone(),
        mailer_to(&format!("smtp://127.0.0.1:{dead_port}")),
    );
    mailer
        .queue(
            &db,
            &portal::mail::OutgoingEmail {
                to: "bob@example.com".into(),
                ..email
            },
        )
        .await
        .unwrap();
    assert!(failing.run_one().await.unwrap());
    let (state, attempts, waits): (String, i32, bool) = sqlx::query_as(
        "SELECT state, attempts, run_at > now() + interval '5 seconds'
         FROM jobs ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!((state.as_str(), attempts, waits), ("queued", 1, true));
    // When it is due again and the server is back, it is delivered.
    sqlx::query("UPDATE jobs SET run_at = now() WHERE state = 'queued'")
        .execute(&db)
        .await
        .unwrap();
    assert!(worker.run_one().await.unwrap());
    assert_eq!(smtp.count_to("bob@example.com"), 1);
    db.close().await;
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish() {
    let app = TestApp::spawn().await;
    // A slow client: the request is sent in two halves around the shutdown signal.
    let socket = crate::common::half_sent_request(app.addr).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let addr = app.addr;
    let stopping = tokio::spawn(app.stop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let answer = crate::common::finish_request(socket).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    tokio::time::timeout(Duration::from_secs(30), stopping)
        .await
        .expect("shutdown finishes")
        .unwrap();
    // New connections are refused once it has stopped.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn a_request_that_never_finishes_holds_shutdown_for_the_grace_period_only() {
    let app = TestApp::spawn_with(Options {
        env: vec![("PORTAL_SHUTDOWN_GRACE_SECS", "1".into())],
        ..Default::default()
    })
    .await;
    // A client that sends half a request and never the rest.
    use tokio::io::AsyncWriteExt;
    let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Without a grace period this would wait for the client forever.
    tokio::time::timeout(Duration::from_secs(20), app.stop())
        .await
        .expect("shutdown ends after the grace period, not when the client does");
}

/// `portal serve` with no DATABASE_URL: the embedded cluster is created, used, reused, and
/// stopped on SIGTERM.
#[tokio::test]
async fn serve_without_database_url_runs_its_own_postgres_and_stops_it() {
    let dir = std::env::temp_dir().join(format!("portal-embedded-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();

    for round in 0..2 {
        let port = free_port();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_portal"))
            .arg("serve")
            .env_remove("DATABASE_URL")
            .env_remove("SMTP_URL")
            .env("PORTAL_DATA_DIR", &dir)
            .env("PORTAL_BIND", format!("127.0.0.1:{port}"))
            .env("PORTAL_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let client = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..600 {
            if let Ok(r) = client
                .get(format!("http://127.0.0.1:{port}/readyz"))
                .send()
                .await
            {
                if r.status() == StatusCode::OK {
                    ready = true;
                    break;
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                let out = child.wait_with_output().unwrap();
                panic!(
                    "portal serve exited with {status}: {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "round {round}: /readyz never answered");
        let login = client
            .get(format!("http://127.0.0.1:{port}/login"))
            .header("accept-language", "en")
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), StatusCode::OK);
        assert!(login.text().await.unwrap().contains("Sign in"));
        assert!(dir.join("postgres/data/postmaster.pid").exists());

        // SAFETY: sending SIGTERM to our own child.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGTERM);
        }
        let out = tokio::task::spawn_blocking(move || child.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        assert!(
            out.status.success(),
            "exit: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("Demo accounts"),
            "prints how to log in: {stdout}"
        );
        assert!(
            !dir.join("postgres/data/postmaster.pid").exists(),
            "the embedded cluster is stopped on exit"
        );
    }
    assert!(dir.join("demo-data-loaded").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_demo_data_loads_twice_without_doubling_and_its_transfer_token_works() {
    let database = TestDatabase::create().await;
    let db = portal::db::connect(&database.url).await.unwrap();
    let hasher = portal::auth::password::PasswordHasher::default();
    let dir = std::env::temp_dir().join(format!("portal-seed-{}", Uuid::new_v4().simple()));
    let secrets = portal::crypto::SecretBox::from_config(None, &dir).unwrap();
    portal::seed::seed_demo(&db, &hasher, &secrets)
        .await
        .unwrap();
    let told = portal::seed::seed_demo(&db, &hasher, &secrets)
        .await
        .unwrap();
    let tax_ids: Vec<String> = sqlx::query_scalar("SELECT tax_id FROM customers ORDER BY tax_id")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(tax_ids.len(), 3);
    for t in &tax_ids {
        assert!(portal::countries::tax_id::parse("MX", t).is_ok(), "{t}");
    }
    assert_eq!(count(&db, "SELECT count(*) FROM customer_tenants").await, 2);
    // Subscriptions of every age J6 needs, each with its order, batch, history and vendor side.
    // And an Azure plan, with its usage.
    assert_eq!(count(&db, "SELECT count(*) FROM subscriptions").await, 6);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM orders WHERE status = 'completed'"
        )
        .await,
        6
    );
    // Two of them had seats added later (their own batch).
    assert_eq!(count(&db, "SELECT count(*) FROM seat_batches").await, 8);
    assert_eq!(
        count(&db, "SELECT count(*) FROM subscriptions s JOIN sandbox_subscriptions v USING (vendor_ref) WHERE v.quantity = s.quantity AND v.status = s.status").await,
        6
    );
    assert_eq!(count(&db, "SELECT count(*) FROM usage_records").await, 300);
    assert!(
        count(
            &db,
            "SELECT count(*) FROM invoice_lines WHERE kind = 'usage'"
        )
        .await
            >= 9
    );
    // Three months of invoices, each the sum of its lines, the seats added billed prorated.
    assert_eq!(count(&db, "SELECT count(*) FROM invoices").await, 3);
    assert_eq!(
        count(&db, "SELECT count(*) FROM invoices i WHERE subtotal <> (SELECT sum(cost) FROM invoice_lines l WHERE l.invoice_id = i.id)").await,
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM invoice_lines WHERE kind = 'change'"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM seat_batches WHERE window_closes_at > now()"
        )
        .await,
        1,
        "one purchase is days old, its window open"
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM subscriptions WHERE end_date BETWEEN current_date + 9 AND current_date + 11").await,
        1,
        "one renews in ten days"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM subscriptions WHERE status = 'suspended' AND vendor = 'google'"
        )
        .await,
        1
    );
    // The printed token lets the demo reseller take Fabrikam's Google Workspace over.
    let token = told
        .split("transfer token ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the seed prints a transfer token");
    let (reseller_id, public_id, customer_id): (Uuid, String, Uuid) = sqlx::query_as(
        "SELECT r.id, r.public_id, c.id FROM resellers r JOIN customers c ON c.reseller_id = r.id
         WHERE c.legal_name LIKE 'Fabrikam%'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    use portal::vendors::Vendor;
    let owner = portal::vendors::TenantOwner {
        reseller_id,
        customer_id,
    };
    let sandbox = portal::vendors::Sandbox::new(db.clone());
    assert!(
        sandbox
            .transfer_tenant(portal::seed::TRANSFER_DOMAIN, token, &public_id, owner)
            .await
            .is_ok()
    );
    assert!(
        sandbox
            .transfer_tenant(portal::seed::TRANSFER_DOMAIN, token, "R-NOTYOU", owner)
            .await
            .is_err()
    );
    db.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_role_or_status_the_portal_does_not_know_is_an_error_not_a_default() {
    let app = TestApp::spawn().await;
    // Each stored value decodes to its enum; anything else fails instead of becoming a default
    // (an unknown role once silently became "billing").
    let role: portal::identity::Role = sqlx::query_scalar("SELECT 'admin'::text")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(role, portal::identity::Role::Admin);
    let unknown = sqlx::query_scalar::<_, portal::identity::Role>("SELECT 'root'::text")
        .fetch_one(&app.db)
        .await;
    assert!(unknown.is_err());
    let unknown =
        sqlx::query_scalar::<_, portal::orders::rules::OrderStatus>("SELECT 'lost'::text")
            .fetch_one(&app.db)
            .await;
    assert!(unknown.is_err());
}

/// docker-compose publishes nothing beyond this machine, and loads the demo accounts (whose
/// passwords and authenticator keys are in the source) only when asked.
#[test]
fn docker_compose_binds_to_this_machine_and_seeds_demo_data_only_when_asked() {
    let compose =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docker-compose.yml"))
            .unwrap();
    let published: Vec<&str> = compose
        .lines()
        .map(str::trim)
        .filter(|l| {
            l.starts_with("- \"") && l.matches(':').count() >= 1 && l.contains(char::is_numeric)
        })
        .collect();
    assert!(!published.is_empty());
    for line in published {
        assert!(line.starts_with("- \"127.0.0.1:"), "{line}");
    }
    let entrypoint = compose
        .lines()
        .find(|l| l.contains("seed-demo"))
        .expect("the demo data is available");
    assert!(
        entrypoint.contains("PORTAL_DEMO\\\" = true"),
        "{entrypoint}"
    );
    assert!(compose.contains("PORTAL_DEMO: \"${PORTAL_DEMO:-false}\""));
}

/// A mail that could not be sent keeps its sealed message for a while (for staff), then loses it.
#[tokio::test]
async fn failed_mail_loses_its_message_after_the_retention_period() {
    let (_database, db, _smtp, mailer) = queue_and_mailer().await;
    let email = portal::mail::OutgoingEmail {
        to: "ana@example.com".into(),
        subject: "Reset".into(),
        text: "https://portal.example/password/reset/secret".into(),
        html: "h".into(),
    };
    mailer.queue(&db, &email).await.unwrap();
    mailer.queue(&db, &email).await.unwrap();
    sqlx::query(
        "UPDATE jobs SET state = 'failed',
                finished_at = now() - CASE WHEN id = (SELECT min(id) FROM jobs)
                                           THEN interval '31 days' ELSE interval '1 day' END",
    )
    .execute(&db)
    .await
    .unwrap();
    assert_eq!(portal::jobs::drop_old_mail(&db).await.unwrap(), 1);
    let kept: Vec<bool> = sqlx::query_scalar("SELECT payload <> '{}'::jsonb FROM jobs ORDER BY id")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(kept, [false, true]);
    db.close().await;
}

#[tokio::test]
async fn staff_see_a_mail_that_gave_up_and_send_it_again_once() {
    let app = TestApp::spawn_with(Options {
        env: vec![("PORTAL_WORKER", "false".into())],
        ..Default::default()
    })
    .await;
    let mailer = Mailer::from_config(&app.config).unwrap();
    let email = portal::mail::OutgoingEmail {
        to: "ana@example.com".into(),
        subject: "Hola".into(),
        text: "t".into(),
        html: "h".into(),
    };
    mailer.queue(&app.db, &email).await.unwrap();
    sqlx::query(
        "UPDATE jobs SET state = 'failed', attempts = max_attempts, finished_at = now(),
                last_error = 'smtp: connection refused'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    // Not for resellers.
    let (_, owner) = app.alfa_owner().await;
    let (reseller, _) = app.sign_in_elsewhere(&owner).await;
    assert_eq!(
        app.get_with(&reseller, "/staff/jobs").await.status,
        StatusCode::FORBIDDEN
    );
    let staff = app.staff("ops@distribuidor.example").await;
    app.sign_in(&staff).await;
    let home = app.get("/staff").await;
    assert!(home.text("a.tile[href='/staff/jobs']").contains('1'));
    let page = app.get("/staff/jobs").await;
    assert!(
        page.text("#dead-jobs tbody tr")
            .contains("connection refused")
    );
    let retry = page.form("#dead-jobs tbody tr form");
    let page = app.submit(&retry).await;
    assert!(
        page.text(".flash").contains("volvió a la cola"),
        "{}",
        page.text("main")
    );
    assert!(page.texts("#dead-jobs").is_empty());
    let (state, attempts): (String, i32) =
        sqlx::query_as("SELECT state, attempts FROM jobs ORDER BY id LIMIT 1")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((state.as_str(), attempts), ("queued", 0));
    assert_eq!(app.audited("job_retried").await, 1);
    // The same button pressed again (a second tab) retries nothing more.
    let page = app.submit(&retry).await;
    assert!(
        page.text(".flash").contains("ya se reintentó"),
        "{}",
        page.text("main")
    );
    assert_eq!(app.audited("job_retried").await, 1);
    let worker = Worker::new(app.db.clone(), mailer);
    while worker.run_one().await.unwrap() {}
    assert_eq!(app.smtp.count_to("ana@example.com"), 1);
}

#[tokio::test]
async fn a_running_worker_queues_the_days_renewals_and_reminders_once_and_runs_them() {
    let app = TestApp::spawn().await;
    let today = time::OffsetDateTime::now_utc().date();
    let done = format!(
        "SELECT count(*) FROM jobs WHERE state = 'done' AND dedupe_key IN ('renewals:{today}', 'reminders:{today}')"
    );
    for _ in 0..100 {
        if app.count(&done).await == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.count(&done).await, 2);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM jobs WHERE kind IN ('renew_subscriptions', 'send_reminders')"
        )
        .await,
        2
    );
}

/// As root with the checkout in a folder closed to other users (root's home in containers and on
/// fresh cloud machines), the embedded database goes where its own account can reach, the same
/// place on every start, and runs there.
#[tokio::test]
async fn as_root_in_a_closed_folder_the_embedded_database_moves_where_its_account_reaches() {
    use portal::db::embedded::{Durability, EmbeddedPostgres};
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 || portal::db::embedded::find_bin_dir().is_none() {
        eprintln!("skipped: needs root and PostgreSQL's server programs");
        return;
    }
    let closed = std::env::temp_dir().join(format!("portal-closed-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(closed.join("checkout")).unwrap();
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o700)).unwrap();
    let root = closed.join("checkout/var/postgres");
    let placed = EmbeddedPostgres::place(&root, false).unwrap();
    assert!(
        placed.starts_with("/var/tmp") && !placed.starts_with(&closed),
        "{}",
        placed.display()
    );
    assert_eq!(EmbeddedPostgres::place(&root, false).unwrap(), placed);
    // A folder the user chose is kept (and the start says what to do if it cannot be used).
    assert_eq!(EmbeddedPostgres::place(&root, true).unwrap(), root);
    let start = placed.clone();
    let cluster =
        tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&start, Durability::Fast))
            .await
            .unwrap()
            .expect("the cluster starts where its account reaches");
    let pool = PgPool::connect(&cluster.url("postgres")).await.unwrap();
    assert_eq!(count(&pool, "SELECT 1::bigint").await, 1);
    pool.close().await;
    cluster.stop();
    let _ = std::fs::remove_dir_all(&placed);
    let _ = std::fs::remove_dir_all(&closed);
}
