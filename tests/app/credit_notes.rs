//! J7, credit notes: the only correction of an issued invoice. Staff credit whole lines (each
//! once, whatever they submit and however often), the invoice itself never changes, and the
//! reseller sees the note on its invoice, in its list's status filter and in an e-mail.

use crate::billing::{billed_history, last_month, run};
use crate::common::TestApp;
use crate::orders::no_worker;
use crate::subscriptions::drain;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use uuid::Uuid;

async fn invoice(app: &TestApp) -> (Uuid, Decimal, Decimal, Decimal) {
    let (id, total): (Uuid, Decimal) = sqlx::query_as("SELECT id, total FROM invoices")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let line = |n: i32| {
        sqlx::query_scalar::<_, Decimal>("SELECT cost FROM invoice_lines WHERE line_no = $1")
            .bind(n)
            .fetch_one(&app.db)
    };
    (id, total, line(1).await.unwrap(), line(2).await.unwrap())
}

/// The texts a PDF shows (each string its pages draw), decoded from WinAnsi.
fn pdf_texts(bytes: &[u8]) -> Vec<String> {
    let body = String::from_utf8_lossy(bytes);
    let mut texts = Vec::new();
    for line in body.lines() {
        let Some(shown) = line.strip_suffix(" Tj") else {
            continue;
        };
        if let Some(hex) = shown.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
            let decoded = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap() as char)
                .collect();
            texts.push(decoded);
        } else if let Some(plain) = shown.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
            texts.push(plain.replace("\\(", "(").replace("\\)", ")"));
        }
    }
    texts
}

#[tokio::test]
async fn staff_credit_lines_of_an_issued_invoice_once_and_the_reseller_sees_the_note() {
    let app = TestApp::spawn_with(no_worker()).await;
    let (owner, _id, _) = billed_history(&app).await;
    run(&app, last_month()).await;
    let (id, total, first, second) = invoice(&app).await;
    assert!(first > Decimal::ZERO && second > Decimal::ZERO);
    let staff = app.staff("ops@distribuidor.example").await;
    let (client, _) = app.sign_in_elsewhere(&staff).await;
    let path = format!("/staff/billing/invoices/{id}");
    // Staff find it by part of its number, whatever the month shown.
    let number_of_invoice: String = sqlx::query_scalar("SELECT number FROM invoices")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let part = &number_of_invoice[number_of_invoice.len() - 4..];
    let found = app
        .get_with(&client, &format!("/staff/billing?q={part}&period=2020-01"))
        .await;
    assert_eq!(found.texts("#staff-invoices tbody tr").len(), 1);
    assert!(found.text("#staff-invoices").contains(&number_of_invoice));
    let none = app.get_with(&client, "/staff/billing?q=INV-1999").await;
    assert!(none.texts("#staff-invoices tbody tr").is_empty());
    let page = app.get_with(&client, &path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text("main"));
    assert_eq!(page.text("#invoice-status"), "Emitida");
    assert_eq!(page.texts("#staff-lines tbody tr").len(), 2);
    let form = page.form("#issue-credit-note");

    // Nothing chosen, lines that are no numbers or not on the invoice, no reason: refused,
    // what was typed kept, nothing written.
    for (lines, reason, field, says) in [
        ("", "Billed twice", "#e-lines", "Elija las líneas"),
        ("abc", "Billed twice", "#e-lines", "números de línea"),
        (
            "1, 9-10",
            "Billed twice",
            "#e-lines",
            "no están en la factura: 9, 10",
        ),
        ("1", "", "#e-reason", ""),
    ] {
        let refused = app
            .submit_with(
                &client,
                &form.clone().set("lines", lines).set("reason", reason),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{lines}");
        assert!(
            refused.text(field).contains(says),
            "{}",
            refused.text(field)
        );
        assert_eq!(refused.attr("#f-lines", "value").as_deref(), Some(lines));
    }
    assert_eq!(app.count("SELECT count(*) FROM credit_notes").await, 0);

    // Line 1 ticked: one note of its amount, numbered.
    let mut ticked = form.clone().set("reason", "Seats billed twice");
    ticked.fields.push(("line".into(), "1".into()));
    let issued = app.submit_with(&client, &ticked).await;
    let year = time::OffsetDateTime::now_utc().year();
    let number = format!("CN-{year}-000001");
    assert!(
        issued.text(".flash").contains(&number),
        "{}",
        issued.text("main")
    );
    assert_eq!(issued.text("#invoice-status"), "Parcialmente acreditada");
    let note: (Decimal, i32) = sqlx::query_as("SELECT total, lines FROM credit_notes")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(note, (first, 1));
    assert_eq!(app.audited("credit_note_issued").await, 1);

    // The same line again, ticked and typed at once: refused, it is credited already.
    let again = app
        .submit_with(&client, &ticked.clone().set("lines", "1"))
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again.text("#e-lines").contains("ya fueron acreditadas: 1"),
        "{}",
        again.text("#e-lines")
    );

    // The reseller sees it: on the invoice, its line marked, the total after it; in the list's
    // status filter; and in an e-mail with a link to the invoice.
    let shown = app.get(&format!("/billing/{id}")).await;
    assert_eq!(shown.text("#invoice-status"), "Parcialmente acreditada");
    assert!(shown.text("#credit-notes").contains("Seats billed twice"));
    assert!(shown.text("#line-1").contains(&number));
    assert!(!shown.text("#line-2").contains(&number));
    let money = |v: Decimal| format!("{v:.2}").replace('.', ",");
    assert!(
        shown.text("#after-credits").contains(&money(total - first)),
        "{} vs {}",
        shown.text("#after-credits"),
        money(total - first)
    );
    // Its PDF says the same: the number, the note, the total after it.
    let pdf = app.get_raw(&format!("/billing/{id}/invoice.pdf")).await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(
        pdf.headers()["content-type"].to_str().unwrap(),
        "application/pdf"
    );
    assert!(
        pdf.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".pdf")
    );
    let bytes = pdf.bytes().await.unwrap();
    let whole = String::from_utf8_lossy(&bytes);
    assert!(whole.starts_with("%PDF-") && whole.trim_end().ends_with("%%EOF"));
    let text = pdf_texts(&bytes).join("\n");
    if let Ok(dir) = std::env::var("PORTAL_SCREENSHOTS") {
        std::fs::write(format!("{dir}/invoice.pdf"), &bytes).unwrap();
    }
    let invoice_number: String = sqlx::query_scalar("SELECT number FROM invoices")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(
        text.contains(&format!("Factura {invoice_number}")),
        "{text}"
    );
    assert!(text.contains("Parcialmente acreditada"));
    assert!(text.contains(&number), "the credit note is listed");
    assert!(text.contains("Seats billed twice"));
    assert!(
        text.contains(&money(total - first)),
        "the total after credits {}",
        money(total - first)
    );
    assert!(text.contains(&money(first)), "the line credited");
    // The note's own PDF, linked from the invoice: what it corrects, why, and the line.
    let link = shown
        .attr(&format!("#credit-note-{number} a"), "href")
        .expect("a link to the note's PDF");
    let note_pdf = app.get_raw(&link).await;
    assert_eq!(note_pdf.status(), StatusCode::OK);
    let note_bytes = note_pdf.bytes().await.unwrap();
    if let Ok(dir) = std::env::var("PORTAL_SCREENSHOTS") {
        std::fs::write(format!("{dir}/credit-note.pdf"), &note_bytes).unwrap();
    }
    let note_text = pdf_texts(&note_bytes).join("\n");
    assert!(
        note_text.contains(&format!("Nota de crédito {number}")),
        "{note_text}"
    );
    assert!(note_text.contains(&invoice_number));
    assert!(note_text.contains("Seats billed twice"));
    assert!(note_text.contains(&money(first)));
    // Another note id, or this one under another invoice's path, is not found.
    let other = app
        .get_raw(&format!(
            "/billing/{}/credit-notes/{}",
            Uuid::new_v4(),
            link.rsplit('/').next().unwrap()
        ))
        .await;
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    let (_, beta, _) = app.beta_owner_elsewhere().await;
    let theirs = app.get_with(&beta, &link).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    for (status, listed) in [
        ("partly_credited", 1),
        ("issued", 0),
        ("credited", 0),
        ("", 1),
    ] {
        let list = app.get(&format!("/billing?status={status}")).await;
        assert_eq!(list.texts("#invoices tbody tr").len(), listed, "{status}");
    }
    drain(&app).await;
    let mail = app.smtp.wait_for_nth(&owner.email, 2).await;
    assert!(
        mail.subject
            .starts_with(&format!("Nota de crédito {number}")),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("Seats billed twice"), "{}", mail.text);
    assert!(mail.link_to(&format!("/billing/{id}")).is_some());

    // What is left of the invoice: credited whole, then nothing is left to credit.
    let whole = form
        .clone()
        .set("whole", "1")
        .set("reason", "Invoice cancelled");
    let credited = app.submit_with(&client, &whole).await;
    assert_eq!(credited.text("#invoice-status"), "Acreditada");
    assert!(!credited.text("#nothing-to-credit").is_empty());
    let nothing = app.submit_with(&client, &whole).await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    let notes: (i64, Decimal) = sqlx::query_as("SELECT count(*), sum(total) FROM credit_notes")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(notes, (2, total));
    let list = app.get("/billing?status=credited").await;
    assert_eq!(list.texts("#invoices tbody tr").len(), 1);
    // The invoice itself is as issued.
    let (after, lines): (Decimal, Decimal) =
        sqlx::query_as("SELECT i.total, (SELECT sum(cost) FROM invoice_lines) FROM invoices i")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((after, lines), (total, total));

    // Resellers' users have no way in to the staff's page nor its form.
    let theirs = app.get(&path).await;
    assert_ne!(theirs.status, StatusCode::OK);
    let posted = app
        .post_raw(
            &format!("{path}/credit-notes"),
            &[("whole", "1"), ("reason", "mine")],
        )
        .await;
    assert_ne!(posted.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("SELECT count(*) FROM credit_notes").await, 2);
    // An invoice that does not exist is not found.
    let missing = app
        .get_with(
            &client,
            &format!("/staff/billing/invoices/{}", Uuid::new_v4()),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn two_credit_notes_of_the_same_line_at_once_credit_it_once() {
    let app = TestApp::spawn_with(no_worker()).await;
    billed_history(&app).await;
    run(&app, last_month()).await;
    let (id, _, first, _) = invoice(&app).await;
    let staff = app.staff("ops@distribuidor.example").await;
    let (a, _) = app.sign_in_elsewhere(&staff).await;
    let (b, _) = app.sign_in_elsewhere(&staff).await;
    let path = format!("/staff/billing/invoices/{id}");
    let form = |page: crate::common::Page| {
        let mut f = page
            .form("#issue-credit-note")
            .set("reason", "Billed twice");
        f.fields.push(("line".into(), "1".into()));
        f
    };
    let fa = form(app.get_with(&a, &path).await);
    let fb = form(app.get_with(&b, &path).await);
    let (ra, rb) = tokio::join!(app.submit_with(&a, &fa), app.submit_with(&b, &fb));
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY]);
    let notes: (i64, Decimal) = sqlx::query_as("SELECT count(*), sum(total) FROM credit_notes")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(notes, (1, first));
    assert_eq!(app.count("SELECT count(*) FROM credit_note_lines").await, 1);
}
