//! The outbox shared by processes: mail queued before a crash, several
//! workers on one database, leases, the per-address limit and housekeeping.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn mail_queued_before_a_crash_goes_out_from_the_next_process() {
    let env = env().await;
    // Queued while no worker runs (the process stopped right after the request).
    let first = env.enqueue("a@example.com", Mail::PasswordChanged).await;
    // Claimed by a worker that then dies mid-delivery (the relay hangs).
    env.sink.set_mode(Mode::Hang);
    let crashed = env.worker(env.pool.clone(), env.outbox.clone(), quick());
    env.wait_row(&first, |r| r.attempts == 1).await;
    let deadline = std::time::Instant::now() + WAIT;
    while env.sink.connections() == 0 {
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(crashed);
    let second = env.enqueue("b@example.com", Mail::TwoFactorDisabled).await;
    env.sink.come_up();

    let next_process = pool_for(&env.url);
    let outbox = Outbox::new(Arc::new(TestSealer("k1")));
    let _worker = env.worker(next_process, outbox, quick());
    let got = env.sink.wait_for(|m| m.len() == 2, WAIT).await;
    let mut to: Vec<&str> = got.iter().map(|m| m.rcpt_to[0].as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["a@example.com", "b@example.com"]);
    let (row, body) = env.wait_row(&first, |r| r.status == rows::SENT).await;
    assert_eq!(row.attempts, 2, "the interrupted attempt counts");
    assert!(body.is_none());
    env.wait_row(&second, |r| r.status == rows::SENT).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_on_one_database_deliver_each_message_once() {
    let env = env().await;
    let other_outbox = Outbox::new(Arc::new(TestSealer("k1")));
    let fast = WorkerSettings {
        idle_poll: Duration::from_millis(5),
        ..quick()
    };
    let _a = env.worker(env.pool.clone(), env.outbox.clone(), fast);
    let _b = env.worker(pool_for(&env.url), other_outbox.clone(), fast);
    let mut ids = HashSet::new();
    for i in 0..24 {
        let to = format!("user{i}@example.com");
        ids.insert(env.enqueue(&to, Mail::RecoveryCodesRegenerated).await);
        other_outbox.wake();
    }
    env.sink.wait_for(|m| m.len() >= 24, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = env.sink.messages();
    let message_ids: HashSet<String> = got.iter().filter_map(|m| m.header("Message-ID")).collect();
    assert_eq!((got.len(), message_ids.len()), (24, 24), "no message twice");
    for id in &ids {
        let (row, body) = env.wait_row(id, |r| r.status == rows::SENT).await;
        assert_eq!((row.attempts, body), (1, None));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_excludes_other_claimers_until_its_lease_runs_out() {
    let env = env().await;
    let id = env.enqueue("a@example.com", Mail::PasswordChanged).await;
    let lease = chrono::Duration::seconds(60);
    db::run(&env.pool, move |c| {
        let now = db::now();
        let a = rows::claim_next(c, "a", now, lease, 8)?.expect("a claims");
        assert_eq!((a.id.as_str(), a.attempts), (id.as_str(), 1));
        assert!(
            rows::claim_next(c, "b", now, lease, 8)?.is_none(),
            "held by a"
        );
        assert_eq!(rows::next_due(c)?, Some(now + lease));

        let later = now + lease + chrono::Duration::seconds(1);
        let b = rows::claim_next(c, "b", later, lease, 8)?.expect("lease ran out");
        assert_eq!(b.attempts, 2);
        let sent = rows::Outcome::Sent { at: later };
        assert!(!rows::finish(c, &id, "a", sent)?, "a lost its lease");
        assert!(rows::finish(c, &id, "b", sent)?);
        assert!(rows::claim_next(c, "c", later + lease * 2, lease, 8)?.is_none());
        Ok::<_, diesel::result::Error>(())
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn token_mails_are_limited_to_three_per_address_per_hour() {
    let env = env().await;
    let ctx = MailContext {
        public_url: "http://localhost:8080",
        at: db::now(),
    };
    let reset = compose(&Mail::PasswordReset { token: "t" }, &ctx);
    let verify = compose(&Mail::VerifyEmail { token: "t" }, &ctx);
    let notice = compose(&Mail::PasswordChanged, &ctx);
    let outbox = env.outbox.clone();
    db::run(&env.pool, move |c| {
        let to = "jane@example.com";
        for mail in [&reset, &verify, &reset] {
            assert!(outbox.enqueue_limited(c, to, mail)?.is_some());
        }
        assert!(
            outbox.enqueue_limited(c, to, &verify)?.is_none(),
            "the 4th is dropped"
        );
        assert!(
            outbox.enqueue_limited(c, to, &notice)?.is_some(),
            "notices do not count"
        );
        assert!(outbox
            .enqueue_limited(c, "bob@example.com", &reset)?
            .is_some());
        let hour_ago = db::now() - TOKEN_MAIL_WINDOW;
        assert_eq!(rows::count_recent_token_mails(c, to, hour_ago)?, 3);
        let later = db::now() + chrono::Duration::seconds(1);
        assert_eq!(rows::count_recent_token_mails(c, to, later)?, 0);

        let listed = rows::list(c, 100)?;
        assert_eq!(listed.len(), 5);
        assert_eq!(listed[0].to_addr, "bob@example.com", "newest first");
        assert!(listed
            .iter()
            .all(|e| e.status == rows::PENDING && e.attempts == 0));
        Ok::<_, diesel::result::Error>(())
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn finished_mail_is_deleted_after_its_time() {
    let env = env().await;
    let _worker = env.worker(env.pool.clone(), env.outbox.clone(), quick());
    let id = env.enqueue("a@example.com", Mail::PasswordChanged).await;
    env.wait_row(&id, |r| r.status == rows::SENT).await;
    let deleted = db::run(&env.pool, |c| {
        let kept = rows::delete_finished_before(c, db::now() - chrono::Duration::days(30))?;
        let gone = rows::delete_finished_before(c, db::now() + chrono::Duration::seconds(1))?;
        Ok::<_, diesel::result::Error>((kept, gone))
    })
    .await
    .unwrap();
    assert_eq!(deleted, (0, 1));
}
