//! J11, support tickets: a reseller opens one about its failed order, gets its CSCS- number and
//! due date by e-mail, staff answer it from the desk (with an internal note the reseller never
//! sees), the reseller replies and closes it; numbers unique when opened at once; bad input
//! refused with the typed text kept and nothing saved; another reseller's tickets and records
//! out of reach on every route.

use crate::billing::{beta_owner_bought, billed_history};
use crate::common::{Page, TestApp};
use crate::orders::no_worker;
use crate::subscriptions::drain;
use reqwest::StatusCode;
use uuid::Uuid;

/// Opens a ticket through the form (linked to `link` when given); the page it leads to.
async fn open(app: &TestApp, client: &reqwest::Client, subject: &str, link: &str) -> Page {
    let form = app.get_with(client, "/support/tickets/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let filled = form
        .form("#ticket-form")
        .set("category", "order_failed")
        .set("subject", subject)
        .set(
            "description",
            "The order says rejected; a screenshot is attached.",
        )
        .set("link", link);
    app.submit_with(client, &filled).await
}

fn ticket_id(page: &Page) -> Uuid {
    page.path()
        .rsplit('/')
        .next()
        .and_then(|s| Uuid::parse_str(s).ok())
        .unwrap_or_else(|| panic!("not a ticket's page: {}", page.path()))
}

#[tokio::test]
async fn j11_a_ticket_about_a_failed_order_answered_by_staff_replied_to_and_closed() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (owner, _, _) = billed_history(&app).await;
    let (reseller, order): (Uuid, Uuid) =
        sqlx::query_as("SELECT reseller_id, id FROM orders WHERE reseller_id = $1 LIMIT 1")
            .bind(owner.reseller_id.unwrap())
            .fetch_one(&app.db)
            .await
            .unwrap();
    sqlx::query("UPDATE orders SET status = 'failed' WHERE id = $1")
        .bind(order)
        .execute(&app.db)
        .await
        .unwrap();
    // The order is one of the choices of the form.
    let form = app.get("/support/tickets/new").await;
    let link = format!("order:{order}");
    assert!(
        form.texts("#f-link option")
            .iter()
            .any(|o| o.starts_with("ORD-")),
        "{:?}",
        form.texts("#f-link option")
    );
    drain(&app).await;
    let before = app.smtp.count_to(&owner.email);
    // A reseller in Brazil: its days and holidays count.
    sqlx::query(
        "UPDATE resellers SET country = 'BR', time_zone = 'America/Sao_Paulo' WHERE id = $1",
    )
    .bind(reseller)
    .execute(&app.db)
    .await
    .unwrap();
    let page = open(&app, &app.client, "Mi pedido falló", &link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text("main"));
    let id = ticket_id(&page);
    let (number, due_on, created_at): (i64, time::Date, time::OffsetDateTime) =
        sqlx::query_as("SELECT number, due_on, created_at FROM tickets WHERE id = $1")
            .bind(id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    let shown_number = portal::support::rules::ticket_number(number);
    assert_eq!(page.text("#ticket-number"), shown_number);
    assert!(page.text("#ticket-link").starts_with("ORD-"));
    // Due two business days after the local day it was opened, in the reseller's country.
    let (country, zone): (String, String) =
        sqlx::query_as("SELECT country::text, time_zone FROM resellers WHERE id = $1")
            .bind(reseller)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        portal::support::rules::due(created_at, &zone, &country).0,
        due_on
    );
    let due = portal::i18n::format_date(portal::i18n::Locale::Es, due_on);
    assert!(page.text("#ticket-due").contains(&due));
    assert_eq!(app.audited("ticket_opened").await, 1);
    // Its number and due date by e-mail.
    drain(&app).await;
    let mail = app.smtp.wait_for_nth(&owner.email, before + 1).await;
    assert!(mail.subject.contains(&shown_number), "{}", mail.subject);
    assert!(mail.text.contains(&due), "{}", mail.text);

    // Staff find it in the queue, write an internal note and answer.
    let staff = app.staff("desk@distribuidor.example").await;
    let (desk, _) = app.sign_in_elsewhere(&staff).await;
    let queue = app.get_with(&desk, "/staff/tickets?status=open").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.text("#tickets").contains(&shown_number));
    let ticket = app.get_with(&desk, &format!("/staff/tickets/{id}")).await;
    let note = ticket
        .form("#answer-form")
        .set("body", "Internal: the vendor refused the domain.")
        .set("internal", "on");
    let after = app.submit_with(&desk, &note).await;
    assert_eq!(after.status, StatusCode::OK);
    let assigned = app
        .submit_with(&desk, &after.form("#assign-form").set("assignee", "me"))
        .await;
    assert_eq!(assigned.status, StatusCode::OK);
    let answer = assigned
        .form("#answer-form")
        .set("body", "We retried it with another domain; please check.");
    let after = app.submit_with(&desk, &answer).await;
    assert!(after.text("#conversation").contains("Internal: the vendor"));
    assert_eq!(after.text("#ticket-status"), "Esperando al revendedor");
    for action in ["ticket_note_added", "ticket_answered", "ticket_assigned"] {
        assert_eq!(app.audited(action).await, 1, "{action}");
    }
    // One e-mail for the answer, none for the note, linking to the ticket.
    drain(&app).await;
    let answered = app.smtp.wait_for_nth(&owner.email, before + 2).await;
    assert!(answered.subject.contains(&shown_number));
    assert!(
        answered
            .link_to(&format!("/support/tickets/{id}"))
            .is_some()
    );
    assert_eq!(app.smtp.count_to(&owner.email), before + 2);

    // The reseller reads the answer, never the note, replies and closes it.
    let page = app.get(&format!("/support/tickets/{id}")).await;
    let conversation = page.text("#conversation");
    assert!(conversation.contains("We retried it"), "{conversation}");
    assert!(!conversation.contains("Internal"), "{conversation}");
    let replied = app
        .submit(
            &page
                .form("#reply-form")
                .set("body", "It worked, thank you."),
        )
        .await;
    assert_eq!(replied.text("#ticket-status"), "Abierto");
    let closed = app
        .follow_response(
            app.post_form(
                &app.client,
                &format!("/support/tickets/{id}/close"),
                &replied.csrf_token(),
                &[],
            )
            .await,
        )
        .await;
    assert_eq!(closed.text("#ticket-status"), "Cerrado");
    // A reply to a closed ticket is refused, the text kept; it can be reopened.
    let refused = app
        .post_form(
            &app.client,
            &format!("/support/tickets/{id}/reply"),
            &closed.csrf_token(),
            &[("body", "One more thing")],
        )
        .await;
    let refused = Page::read(refused).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text("#e-body").contains("cerrado"));
    let reopened = app.submit(&closed.form("form[action$='/reopen']")).await;
    assert_eq!(reopened.text("#ticket-status"), "Abierto");
    let messages = app
        .count_with(
            "SELECT count(*) FROM ticket_messages WHERE ticket_id = $1",
            id,
        )
        .await;
    assert_eq!(
        messages, 4,
        "the description, the note, the answer and the reply"
    );
}

#[tokio::test]
async fn bad_tickets_are_refused_with_what_was_typed_and_nothing_saved() {
    let app = TestApp::spawn_with(no_worker()).await;
    billed_history(&app).await;
    let (beta, _) = beta_owner_bought(&app, "3").await;
    let beta_order: Uuid = sqlx::query_scalar("SELECT id FROM orders WHERE reseller_id = $1")
        .bind(beta.reseller_id.unwrap())
        .fetch_one(&app.db)
        .await
        .unwrap();
    let form = app.get("/support/tickets/new").await;
    // No subject, no category, a description kept.
    let empty = form
        .form("#ticket-form")
        .set("category", "")
        .set("subject", "   ")
        .set("description", "Something I typed");
    let page = app.submit(&empty).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!page.text("#e-subject").is_empty());
    assert!(!page.text("#e-category").is_empty());
    assert_eq!(page.text("#f-description"), "Something I typed");
    // Another reseller's order, typed into the form.
    let forged = form
        .form("#ticket-form")
        .set("category", "order_failed")
        .set("subject", "Their order")
        .set("description", "x")
        .set("link", &format!("order:{beta_order}"));
    let page = app.submit(&forged).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!page.text("#e-link").is_empty());
    // Too long, and a category nobody offers.
    let long = forged
        .clone()
        .set("link", "")
        .set("description", &"x".repeat(10_001));
    assert_eq!(
        app.submit(&long).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let odd = forged.set("link", "").set("category", "refund_now");
    assert_eq!(
        app.submit(&odd).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(app.count("SELECT count(*) FROM tickets").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM ticket_messages").await, 0);
    // The public id's category shows the id at once.
    let page = app.get("/support/tickets/new?category=public_id").await;
    let public_id = app.public_id(form_reseller(&app).await).await;
    assert_eq!(page.text("#public-id-value"), public_id);
    assert!(page.attr("#public-id", "hidden").is_none());
}

async fn form_reseller(app: &TestApp) -> Uuid {
    sqlx::query_scalar(
        "SELECT id FROM resellers WHERE tax_id <> 'BET180512AB1' ORDER BY created_at LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn another_resellers_tickets_are_out_of_reach_and_numbers_are_unique() {
    let app = TestApp::spawn_with(no_worker()).await;
    billed_history(&app).await;
    let (beta, _) = beta_owner_bought(&app, "3").await;
    let (client, _) = app.sign_in_elsewhere(&beta).await;
    // Both open tickets at once: every number different.
    let (a, b, c, d) = tokio::join!(
        open(&app, &app.client, "Alfa one", ""),
        open(&app, &app.client, "Alfa two", ""),
        open(&app, &client, "Beta one", ""),
        open(&app, &client, "Beta two", ""),
    );
    for p in [&a, &b, &c, &d] {
        assert_eq!(p.status, StatusCode::OK, "{}", p.text("main"));
    }
    let distinct = app
        .count("SELECT count(DISTINCT number) FROM tickets")
        .await;
    assert_eq!(distinct, 4);
    let alfa = ticket_id(&a);
    // Beta lists its own two, and cannot read, reply to, close or reopen Alfa's.
    let list = app.get_with(&client, "/support/tickets").await;
    assert_eq!(list.texts("#tickets tbody tr").len(), 2);
    assert!(!list.text("#tickets").contains("Alfa"));
    assert_eq!(
        app.get_with(&client, &format!("/support/tickets/{alfa}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let token = list.csrf_token();
    for (path, fields) in [
        (
            format!("/support/tickets/{alfa}/reply"),
            vec![("body", "hello")],
        ),
        (format!("/support/tickets/{alfa}/close"), vec![]),
        (format!("/support/tickets/{alfa}/reopen"), vec![]),
    ] {
        let r = app.post_form(&client, &path, &token, &fields).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let messages = app
        .count_with(
            "SELECT count(*) FROM ticket_messages WHERE ticket_id = $1",
            alfa,
        )
        .await;
    assert_eq!(messages, 1);
    // Resellers do not reach the desk; staff see every reseller's tickets, due first.
    assert_eq!(
        app.get_with(&client, "/staff/tickets").await.status,
        StatusCode::FORBIDDEN
    );
    let alfa_token = app
        .get(&format!("/support/tickets/{alfa}"))
        .await
        .csrf_token();
    for (path, fields) in [
        (format!("/staff/tickets/{alfa}/answer"), vec![("body", "x")]),
        (
            format!("/staff/tickets/{alfa}/assign"),
            vec![("assignee", "me")],
        ),
        (
            format!("/staff/tickets/{alfa}/status"),
            vec![("status", "closed")],
        ),
    ] {
        let r = app
            .post_form(&app.client, &path, &alfa_token, &fields)
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        app.get(&format!("/staff/tickets/{alfa}")).await.status,
        StatusCode::FORBIDDEN
    );
    let staff = app.staff("desk@distribuidor.example").await;
    let (desk, _) = app.sign_in_elsewhere(&staff).await;
    let queue = app.get_with(&desk, "/staff/tickets").await;
    assert_eq!(queue.texts("#tickets tbody tr").len(), 4);
    // Filtered to one reseller: its two.
    assert_eq!(queue.texts("#f-reseller option").len(), 3);
    let beta_id = beta.reseller_id.unwrap();
    let betas = app
        .get_with(&desk, &format!("/staff/tickets?reseller={beta_id}"))
        .await;
    assert_eq!(betas.texts("#tickets tbody tr").len(), 2);
    assert!(!betas.text("#tickets").contains("Alfa"));
    let home = app.get_with(&desk, "/staff").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.texts("#tile-tickets").len() == 1);
}

#[tokio::test]
async fn the_help_centre_is_searched_in_the_readers_language_and_each_page_links_its_article() {
    let app = TestApp::spawn_with(no_worker()).await;
    // Before signing in: the articles of first access and password recovery are readable.
    let index = app.get("/support/help").await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(index.texts("#help-topics section").len() >= 7);
    let login = app.get("/login").await;
    assert_eq!(
        login.attr("#help-link", "href").as_deref(),
        Some("/support/help/first-access")
    );
    let article = app.get("/support/help/first-access").await;
    assert_eq!(article.status, StatusCode::OK);
    assert!(!article.text("#article h1").is_empty());
    assert!(
        article
            .html()
            .select(&scraper::Selector::parse("#article script").unwrap())
            .next()
            .is_none()
    );
    assert_eq!(
        app.get("/support/help/no-such-article").await.status,
        StatusCode::NOT_FOUND
    );
    // Accents and one typo forgiven; nonsense finds nothing.
    for q in [
        "facturacion",
        "factuuras",
        "contraseña",
        "contrasena",
        "token transferencia",
    ] {
        let found = app.get(&format!("/support/help?q={q}")).await;
        assert!(!found.texts("#help-results li").is_empty(), "{q}");
    }
    let none = app.get("/support/help?q=zzzyyxx").await;
    assert_eq!(none.texts("#help-none").len(), 1);
    // Signed in: each area's help link opens its article, in the reader's language.
    let (_owner, _, _) = billed_history(&app).await;
    for (path, slug) in [
        ("/", "dashboard-and-reports"),
        ("/subscriptions", "managing-subscriptions"),
        ("/billing", "invoices-and-downloads"),
        ("/support/tickets", "support-tickets"),
        ("/partner/programs", "requesting-programs"),
    ] {
        let page = app.get(path).await;
        let href = page.attr("#help-link", "href").unwrap();
        assert_eq!(href, format!("/support/help/{slug}"), "{path}");
        assert_eq!(app.get(&href).await.status, StatusCode::OK, "{href}");
    }
    let english = app.choose_language("en", "/support/help/ordering").await;
    let spanish_title = portal::support::help::article("ordering", portal::i18n::Locale::Es)
        .unwrap()
        .title
        .clone();
    let english_title = portal::support::help::article("ordering", portal::i18n::Locale::En)
        .unwrap()
        .title
        .clone();
    assert_ne!(spanish_title, english_title);
    let english = app.get(&english.path()).await;
    assert_eq!(english.text("#article h1"), english_title);
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

/// Opens a ticket through a multipart form from `client`, with `files` (name, bytes).
async fn open_with_files(
    app: &TestApp,
    client: &reqwest::Client,
    files: &[(&str, &[u8])],
) -> reqwest::Response {
    let page = app.get_with(client, "/support/tickets/new").await;
    let mut form = reqwest::multipart::Form::new()
        .text("csrf_token", page.csrf_token())
        .text("category", "platform_use")
        .text("subject", "With a screenshot")
        .text("description", "See the file.")
        .text("link", "");
    for (name, bytes) in files {
        let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string());
        form = form.part("files", part);
    }
    client
        .post(app.url("/support/tickets/new"))
        .header("Origin", app.url(""))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn attachments_are_checked_by_content_kept_with_their_message_and_served_only_to_whom_they_belong()
 {
    let app = TestApp::spawn_with(no_worker()).await;
    billed_history(&app).await;
    // Refused: a PNG named .pdf, a program, six files; the form says why, nothing is saved.
    for files in [
        vec![("report.pdf", PNG)],
        vec![("setup.exe", b"MZ\x90\0\x03\0".as_slice())],
        vec![("a.png", PNG); 6],
    ] {
        let r = open_with_files(&app, &app.client, &files).await;
        let page = Page::read(r).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{files:?}");
        assert!(!page.text("#e-files").is_empty());
        assert_eq!(page.text("#f-description"), "See the file.");
    }
    assert_eq!(app.count("SELECT count(*) FROM tickets").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM ticket_attachments").await,
        0
    );
    // A screenshot, with a name that tries to be a path.
    let r = open_with_files(&app, &app.client, &[("../../captura.png", PNG)]).await;
    let page = app.follow_response(r).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text("main"));
    let href = page.attr("#conversation .files a", "href").unwrap();
    assert_eq!(page.text("#conversation .files a"), "captura.png");
    let file = app.get_raw(&href).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["content-type"], "image/png");
    let disposition = file.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert_eq!(&file.bytes().await.unwrap()[..], PNG);
    let ticket = ticket_id(&page);

    // Staff add an internal note with a file: theirs to read, never the reseller's.
    let staff = app.staff("desk@distribuidor.example").await;
    let (desk, _) = app.sign_in_elsewhere(&staff).await;
    let staff_page = app
        .get_with(&desk, &format!("/staff/tickets/{ticket}"))
        .await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", staff_page.csrf_token())
        .text("body", "Vendor log attached.")
        .text("internal", "on")
        .text("status", "")
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"vendor said no".to_vec()).file_name("log.txt"),
        );
    let r = desk
        .post(app.url(&format!("/staff/tickets/{ticket}/answer")))
        .header("Origin", app.url(""))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let after = app.follow_with(&desk, r).await;
    let note_file = after
        .attr("#conversation li.internal .files a", "href")
        .expect("the note's file on the desk");
    assert_eq!(app.get_with(&desk, &note_file).await.status, StatusCode::OK);
    let (note_id,): (uuid::Uuid,) = sqlx::query_as(
        "SELECT a.id FROM ticket_attachments a JOIN ticket_messages m ON m.id = a.message_id
         WHERE m.internal",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let as_reseller = format!("/support/tickets/{ticket}/files/{note_id}");
    assert_eq!(app.get(&as_reseller).await.status, StatusCode::NOT_FOUND);
    let reseller_page = app.get(&format!("/support/tickets/{ticket}")).await;
    assert_eq!(reseller_page.texts("#conversation .files a").len(), 1);
    // Another reseller reaches none of them.
    let (beta, _) = beta_owner_bought(&app, "3").await;
    let (client, _) = app.sign_in_elsewhere(&beta).await;
    assert_eq!(
        app.get_with(&client, &href).await.status,
        StatusCode::NOT_FOUND
    );
    // Each file may weigh 10 MB, five to a message: one byte over is refused on the form, with
    // what was typed kept; three of nearly 10 MB (more than a plain form's body) are taken.
    let ten = vec![b'a'; 10 * 1024 * 1024];
    let over = [ten.as_slice(), b"b"].concat();
    let r = open_with_files(&app, &app.client, &[("log.txt", &over)]).await;
    let page = Page::read(r).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.text("#e-files").contains("10 MB"),
        "{}",
        page.text("#e-files")
    );
    assert_eq!(page.text("#f-description"), "See the file.");
    let r = open_with_files(
        &app,
        &app.client,
        &[("a.txt", &ten), ("b.txt", &ten), ("c.txt", &ten)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count("SELECT count(*) FROM ticket_attachments WHERE octet_length(data) = 10485760")
            .await,
        3
    );
}
