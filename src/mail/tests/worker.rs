//! The outbox worker delivering: success, `.eml` files, retries while the
//! relay is down, giving up (the body is forgotten either way), and the
//! backoff it waits.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_worker_delivers_and_then_forgets_the_body() {
    let env = env().await;
    let _worker = env.worker(env.pool.clone(), env.outbox.clone(), quick());
    let id = env
        .enqueue("jane@example.com", Mail::VerifyEmail { token: "tokV" })
        .await;

    let got = env.sink.wait_for(|m| m.len() == 1, WAIT).await;
    assert_eq!(got[0].token("/verify-email").as_deref(), Some("tokV"));
    assert_eq!(
        got[0].header("Message-ID"),
        Some(format!("<{id}@localhost>"))
    );
    let (row, body) = env.wait_row(&id, |r| r.status == rows::SENT).await;
    assert_eq!((row.attempts, row.kind.as_str()), (1, "verify_email"));
    assert!(row.sent_at.is_some() && row.last_error.is_none());
    assert_eq!(body, None, "the link is gone once delivered");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_smtp_the_worker_writes_files_and_forgets_the_body() {
    let env = env().await;
    let mail_dir = env.dir.path().join("mail");
    let _worker = spawn_worker(Worker {
        pool: env.pool.clone(),
        outbox: env.outbox.clone(),
        mailer: Arc::new(Mailer::new(&TransportConfig::Dir(mail_dir.clone())).unwrap()),
        from: from(),
        settings: quick(),
    });
    let id = env
        .enqueue("jane@example.com", Mail::PasswordReset { token: "tokR" })
        .await;
    let (row, body) = env.wait_row(&id, |r| r.status == rows::SENT).await;
    assert_eq!((row.attempts, body), (1, None));
    let raw = std::fs::read_to_string(mail_dir.join(format!("{id}.eml"))).unwrap();
    assert!(raw.contains("/reset-password?token=tokR\r\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_worker_retries_while_the_relay_is_down() {
    let env = env().await;
    env.sink.go_down();
    let _worker = env.worker(env.pool.clone(), env.outbox.clone(), quick());
    let id = env.enqueue("jane@example.com", Mail::PasswordChanged).await;

    // Two attempts refused; the row waits for the next one with its body.
    let (row, body) = env
        .wait_row(&id, |r| r.attempts >= 2 && env.sink.connections() >= 2)
        .await;
    assert_eq!(row.status, rows::PENDING);
    assert!(
        row.last_error.as_deref().unwrap().contains("421"),
        "{row:?}"
    );
    assert!(body.is_some(), "kept for the next attempt");
    assert!(env.sink.messages().is_empty());
    env.sink.come_up();
    env.sink.wait_for(|m| m.len() == 1, WAIT).await;
    let (row, body) = env.wait_row(&id, |r| r.status == rows::SENT).await;
    assert!(row.attempts >= 2 && body.is_none(), "{row:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_worker_gives_up_and_forgets_the_body() {
    let env = env().await;
    env.sink.set_mode(Mode::Close);
    let _worker = env.worker(env.pool.clone(), env.outbox.clone(), quick());
    let id = env
        .enqueue("jane@example.com", Mail::PasswordReset { token: "t" })
        .await;
    let (row, body) = env.wait_row(&id, |r| r.status == rows::FAILED).await;
    assert_eq!(row.attempts, 4);
    assert!(row.last_error.is_some() && body.is_none(), "{row:?}");

    env.sink.set_mode(Mode::Reject550);
    let id = env
        .enqueue("ghost@example.com", Mail::TwoFactorEnabled)
        .await;
    let (row, body) = env.wait_row(&id, |r| r.status == rows::FAILED).await;
    assert_eq!(row.attempts, 1, "a permanent refusal is not retried");
    assert!(row.last_error.unwrap().contains("550") && body.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_sealed_under_another_secret_is_given_up() {
    let env = env().await;
    let id = env.enqueue("jane@example.com", Mail::PasswordChanged).await;
    let other = Outbox::new(Arc::new(TestSealer("k2")));
    let _worker = env.worker(env.pool.clone(), other, quick());
    let (row, body) = env.wait_row(&id, |r| r.status == rows::FAILED).await;
    assert_eq!(
        row.last_error.as_deref(),
        Some("the stored body cannot be opened")
    );
    assert!(body.is_none() && env.sink.messages().is_empty());
}

#[test]
fn the_default_backoff_starts_at_two_seconds_and_grows_to_an_hour() {
    let policy = RetryPolicy::default();
    let waits: Vec<u64> = (1..policy.max_attempts)
        .map(|n| policy.delay_after(n).as_secs())
        .collect();
    assert_eq!(waits, [2, 8, 32, 128, 512, 2048, 3600]);
    assert_eq!(policy.max_attempts, 8);
}
