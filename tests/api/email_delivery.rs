//! The mail path under trouble: the relay down and back, a restart with mail
//! queued (real processes), `.eml` files when no relay is configured,
//! `taskgate mail list`, and housekeeping of finished mail.

use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::email_support::*;
use crate::helpers::*;
use crate::smtp_sink::{Mode, SmtpSink};

fn mail_list(db: &str, json: bool) -> String {
    let mut args = vec!["mail", "list"];
    if json {
        args.push("--json");
    }
    let out = Command::new(binary())
        .args(&args)
        .env_clear()
        .env("DATABASE_URL", db)
        .env("JWT_SECRET", TEST_SECRET)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn forgot_at(base: &str, email: &str) -> Duration {
    let started = Instant::now();
    let res = browser()
        .post(format!("{base}/api/auth/password/forgot"))
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    started.elapsed()
}

async fn signup_at(base: &str, email: &str) {
    let res = browser()
        .post(format!("{base}/api/auth/signup"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn mail_queued_while_the_relay_is_down_arrives_once_it_is_back() {
    let mail = MailApp::start().await;
    mail.app.api_signup("patient@example.com").await;
    mail.verify_token("patient@example.com", 1).await;
    mail.sink.go_down();

    let took = forgot_at(&mail.app.address, "patient@example.com").await;
    assert!(
        took < Duration::from_secs(1),
        "the answer never waits on SMTP: {took:?}"
    );
    let db = mail.database_url();
    let deadline = Instant::now() + MAIL_WAIT;
    let failed_once = loop {
        let rows: Value = serde_json::from_str(&mail_list(&db, true)).unwrap();
        let reset = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["kind"] == "password_reset")
            .cloned();
        if let Some(row) = reset.filter(|r| r["attempts"].as_i64() >= Some(2)) {
            break row;
        }
        assert!(Instant::now() < deadline, "no failed attempt recorded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(failed_once["status"], "pending");
    assert!(
        failed_once["last_error"].as_str().unwrap().contains("421"),
        "{failed_once}"
    );

    mail.sink.come_up();
    let message = mail
        .mail("patient@example.com", "Reset your password")
        .await;
    assert!(message.token("/reset-password").is_some());
    // The worker records the delivery just after the relay accepted it.
    let deadline = Instant::now() + MAIL_WAIT;
    loop {
        let rows: Value = serde_json::from_str(&mail_list(&db, true)).unwrap();
        if rows
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "sent")
        {
            break;
        }
        assert!(Instant::now() < deadline, "not recorded as sent: {rows}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn mail_queued_by_a_process_that_died_is_sent_by_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_url(&dir);
    let sink = SmtpSink::start().await;
    sink.set_mode(Mode::Busy421);
    let smtp = sink.url();
    let mut first = ServerProcess::start(&db, &[("SMTP_URL", &smtp)]).await;
    signup_at(&first.address, "survivor@example.com").await;
    // Wait until the first process has tried, failed and recorded it (so no
    // delivery lease is left behind), then kill it.
    let deadline = Instant::now() + MAIL_WAIT;
    loop {
        let rows: Value = serde_json::from_str(&mail_list(&db, true)).unwrap();
        if rows[0]["last_error"].is_string() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the first process never tried: {rows}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill9();
    assert!(sink.messages().is_empty());
    let listed = mail_list(&db, false);
    assert!(
        listed.contains("survivor@example.com") && listed.contains("pending"),
        "{listed}"
    );

    sink.come_up();
    let second = ServerProcess::start(&db, &[("SMTP_URL", &smtp)]).await;
    let mails = sink
        .wait_for(|m| !m.is_empty(), Duration::from_secs(30))
        .await;
    assert_eq!(mails[0].rcpt_to, ["survivor@example.com"]);
    let token = mails[0].token("/verify-email").unwrap();
    let res = browser()
        .post(second.url("/api/auth/email/verify"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "the link still works");
}

#[tokio::test]
async fn without_smtp_url_mail_becomes_an_eml_file_and_the_log_names_the_file_not_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_url(&dir);
    let mail_dir = dir.path().join("outgoing");
    let server = ServerProcess::start(&db, &[("MAIL_DIR", mail_dir.to_str().unwrap())]).await;
    signup_at(&server.address, "offline@example.com").await;
    forgot_at(&server.address, "offline@example.com").await;

    let deadline = Instant::now() + MAIL_WAIT;
    let files = loop {
        let files: Vec<_> = std::fs::read_dir(&mail_dir)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        let eml: Vec<_> = files
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        if eml.len() >= 2 {
            break eml;
        }
        assert!(
            Instant::now() < deadline,
            "no .eml files in {}",
            mail_dir.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let texts: Vec<String> = files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let reset = texts
        .iter()
        .find(|t| t.contains("Subject: Reset your password"))
        .expect("the reset mail");
    assert!(reset.contains("To: offline@example.com"), "{reset}");
    let token = reset
        .split_whitespace()
        .find_map(|w| {
            w.split_once("/reset-password?token=")
                .map(|(_, t)| t.to_owned())
        })
        .expect("a link in the file");

    tokio::time::sleep(Duration::from_millis(300)).await;
    let logs = server.logs.lock().unwrap().join("\n");
    for file in &files {
        assert!(
            logs.contains(&file.display().to_string()),
            "the log names {}",
            file.display()
        );
    }
    assert!(!logs.contains(&token), "the log holds the link's token");
    assert!(!logs.contains("token="), "the log holds a link");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "only the owner may read a mail with a link"
        );
    }
}

#[tokio::test]
async fn mail_list_shows_the_queue_but_never_a_body_or_a_token() {
    let mail = MailApp::start().await;
    mail.app.api_signup("listed@example.com").await;
    let token = mail.reset_token("listed@example.com", 1).await;
    let verify = mail.verify_token("listed@example.com", 1).await;
    let db = mail.database_url();

    let table = mail_list(&db, false);
    let header = table.lines().next().unwrap();
    for column in ["ID", "TO", "KIND", "STATUS", "ATTEMPTS", "LAST ERROR"] {
        assert!(header.contains(column), "{header}");
    }
    assert!(table.contains("password_reset") && table.contains("verify_email"));
    let json = mail_list(&db, true);
    let rows: Value = serde_json::from_str(&json).unwrap();
    let row = &rows.as_array().unwrap()[0];
    for field in ["id", "to", "kind", "status", "attempts", "last_error"] {
        assert!(row.get(field).is_some(), "{field} in {row}");
    }
    for output in [&table, &json] {
        assert!(!output.contains(&token) && !output.contains(&verify));
        assert!(!output.contains("token=") && !output.contains("Hello"));
    }
}

#[tokio::test]
async fn housekeeping_deletes_finished_mail_after_a_week_and_expired_links() {
    use diesel::prelude::*;
    use taskgate::db::schema::{email_tokens, outbox};
    let mail = MailApp::start().await;
    mail.app.api_signup("old-mail@example.com").await;
    mail.verify_token("old-mail@example.com", 1).await;
    mail.sink.go_down();
    mail.forgot("old-mail@example.com").await;
    let long_ago = taskgate::db::now() - chrono::Duration::days(8);
    let deadline = Instant::now() + MAIL_WAIT;
    while mail.outbox_for("old-mail@example.com").len() < 2 {
        assert!(Instant::now() < deadline, "the reset was not queued");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    mail.sql(|conn| {
        diesel::update(outbox::table)
            .set(outbox::created_at.eq(long_ago))
            .execute(conn)
            .unwrap();
        diesel::update(email_tokens::table)
            .set(email_tokens::expires_at.eq(long_ago))
            .execute(conn)
            .unwrap()
    });
    let state =
        taskgate::state::AppState::with_pool(mail.pool.clone(), mail.config.clone()).unwrap();
    taskgate::maintenance::run_once(&state).await;
    let left = mail.outbox_for("old-mail@example.com");
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0], ("password_reset".to_owned(), "pending".to_owned()));
    let links: i64 = mail.sql(|conn| email_tokens::table.count().get_result(conn).unwrap());
    assert_eq!(links, 0, "expired links are deleted");
}
