//! Regressions of the security review (issue 9) about budgets and growth:
//! password re-checks count like sign-ins, the hashing queue is bounded, the
//! per-account budget follows AUTH_RATE_LIMIT_PER_MIN, over-long emails never
//! reach the limiter, refresh-token rows stay bounded, and a write racing an
//! account deletion never answers 5xx.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use taskgate::config::TrustedProxy;
use taskgate::db::schema::{rate_limits, refresh_tokens};

use crate::helpers::*;

async fn change_password(app: &TestApp, token: &str, current: &str) -> StatusCode {
    recheck(
        app,
        Method::POST,
        "/api/auth/password",
        token,
        &json!({ "current_password": current, "new_password": "a brand new passphrase" }),
        None,
    )
    .await
}

/// A password re-check, from `forwarded_for` when the app trusts the loopback proxy.
async fn recheck(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: &serde_json::Value,
    forwarded_for: Option<&str>,
) -> StatusCode {
    let mut req = browser()
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(body);
    if let Some(ip) = forwarded_for {
        req = req.header("x-forwarded-for", ip);
    }
    req.send().await.unwrap().status()
}

#[tokio::test]
async fn wrong_password_rechecks_count_against_the_account_budget() {
    let app = spawn_app_with(|c| {
        c.auth_rate_limit_per_min = 3;
        c.trusted_proxies = vec![TrustedProxy::parse("127.0.0.1").unwrap()];
    })
    .await;
    let user = app.api_signup("recheck@example.com").await;
    let change = |current: &'static str, ip: &'static str| {
        let body = json!({ "current_password": current, "new_password": "a brand new passphrase" });
        let (app, token) = (&app, user.access.clone());
        async move {
            recheck(
                app,
                Method::POST,
                "/api/auth/password",
                &token,
                &body,
                Some(ip),
            )
            .await
        }
    };
    // From three addresses, so only the account's budget is in play.
    for ip in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        assert_eq!(change("not my password", ip).await, StatusCode::FORBIDDEN);
    }
    // The stolen token's holder is out of guesses, even with the right password…
    assert_eq!(
        change(PASSWORD, "198.51.100.4").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // …and deletion re-checks share the budget.
    let status = recheck(
        &app,
        Method::DELETE,
        "/api/auth/account",
        &user.access,
        &json!({ "password": "still guessing" }),
        Some("198.51.100.5"),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn password_rechecks_count_against_the_per_ip_limit() {
    let app = spawn_app_with(|c| c.auth_rate_limit_per_min = 2).await;
    let user = app.api_signup("ip@example.com").await; // the IP's first attempt
    assert_eq!(
        change_password(&app, &user.access, "wrong one").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        change_password(&app, &user.access, "wrong two").await,
        StatusCode::TOO_MANY_REQUESTS,
        "sign-up and re-checks share the address's budget"
    );
}

#[tokio::test]
async fn the_per_account_budget_follows_auth_rate_limit_per_min() {
    let app = spawn_app_with(|c| {
        c.auth_rate_limit_per_min = 4;
        c.trusted_proxies = vec![TrustedProxy::parse("127.0.0.1").unwrap()];
    })
    .await;
    app.api_signup("budget@example.com").await;
    let attempt = |i: u32, password: &'static str| {
        browser()
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .json(&json!({ "email": "budget@example.com", "password": password }))
            .send()
    };
    for i in 0..4 {
        assert_eq!(
            attempt(i, "wrong").await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let res = attempt(9, PASSWORD).await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "4 failures a minute, then 429"
    );
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15).contains(&wait), "one more every 60/4 s: {wait}");

    // 0 turns it off.
    let open = spawn_app_with(|c| c.auth_rate_limit_per_min = 0).await;
    open.api_signup("open@example.com").await;
    for _ in 0..12 {
        let res = open
            .post_json(
                "/api/auth/login",
                &json!({ "email": "open@example.com", "password": "wrong" }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_recheck_flood_from_one_account_gets_503_at_once_and_others_still_sign_in() {
    // Limits off, so only the bounded hashing queue stands between the flood and everyone else.
    let app = spawn_app_with(|c| c.auth_rate_limit_per_min = 0).await;
    let attacker = app.api_signup("flood@example.com").await;
    app.api_signup("bystander@example.com").await;

    let flood: Vec<_> = (0..240)
        .map(|_| {
            let (url, token) = (app.url("/api/auth/password"), attacker.access.clone());
            tokio::spawn(async move {
                let started = Instant::now();
                let res = browser()
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({ "current_password": "guess", "new_password": "whatever passphrase" }))
                    .send()
                    .await
                    .unwrap();
                (res.status(), res.headers().contains_key("retry-after"), started.elapsed())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let res = app
        .post_json(
            "/api/auth/login",
            &json!({ "email": "bystander@example.com", "password": PASSWORD }),
        )
        .await;
    let bystander = started.elapsed();
    let mut busy = 0;
    for task in flood {
        let (status, retry_after, took) = task.await.unwrap();
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::SERVICE_UNAVAILABLE,
            "{status}"
        );
        if status == StatusCode::SERVICE_UNAVAILABLE {
            busy += 1;
            assert!(retry_after, "503 carries Retry-After");
            assert!(
                took < Duration::from_secs(3),
                "refused at once, not after queueing: {took:?}"
            );
        }
    }
    assert!(
        busy > 0,
        "a saturated hasher answers 503 instead of queueing without end"
    );
    // The bystander either got in, or was told at once to retry: never stuck behind the flood.
    assert!(
        res.status() == StatusCode::OK || res.status() == StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        res.status()
    );
    assert!(
        bystander < Duration::from_secs(3),
        "another user's login took {bystander:?}"
    );
}

#[tokio::test]
async fn an_over_long_email_never_reaches_the_limiter() {
    let app = spawn_app_with(|c| c.auth_rate_limit_per_min = 1000).await;
    let long = format!("{}@example.com", "a".repeat(60 * 1024));
    for _ in 0..20 {
        let res = app
            .post_json(
                "/api/auth/login",
                &json!({ "email": long, "password": "x" }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // Only the address's bucket was written: no bucket per (over-long) account.
    let buckets: i64 = app.with_conn(|c| rate_limits::table.count().get_result(c).unwrap());
    assert_eq!(buckets, 1);
}

#[tokio::test]
async fn refresh_token_rows_stay_bounded_however_often_a_session_rotates() {
    let app = spawn_app_with(|c| c.refresh_reuse_grace = Duration::ZERO).await;
    let user = app.api_signup("rotor@example.com").await;
    let mut refresh = user.refresh.clone();
    let mut used = Vec::new();
    for _ in 0..30 {
        let res = app
            .post_json("/api/auth/refresh", &json!({ "refresh_token": refresh }))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        used.push(refresh);
        refresh = res.json::<serde_json::Value>().await.unwrap()["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    let rows: i64 = app.with_conn(|c| refresh_tokens::table.count().get_result(c).unwrap());
    assert!(rows <= 9, "{rows} rows for one session after 30 rotations");
    // Reuse of a recent token is still detected (the session is revoked).
    let replay = app
        .post_json(
            "/api/auth/refresh",
            &json!({ "refresh_token": used.last().unwrap() }),
        )
        .await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    let after = app
        .post_json("/api/auth/refresh", &json!({ "refresh_token": refresh }))
        .await;
    assert_eq!(
        after.status(),
        StatusCode::UNAUTHORIZED,
        "the session was revoked"
    );
}

#[tokio::test]
async fn task_writes_racing_an_account_deletion_never_answer_5xx() {
    let app = spawn_app().await;
    for round in 0..3 {
        let user = app.api_signup(&format!("race{round}@example.com")).await;
        let writes: Vec<_> = (0..40)
            .map(|i| {
                let (url, token) = (app.url("/api/tasks"), user.access.clone());
                tokio::spawn(async move {
                    browser()
                        .post(url)
                        .bearer_auth(token)
                        .json(&json!({ "title": format!("task {i}") }))
                        .send()
                        .await
                        .unwrap()
                        .status()
                })
            })
            .collect();
        let deleted = app
            .bearer(
                Method::DELETE,
                "/api/auth/account",
                &user.access,
                Some(&json!({ "password": PASSWORD })),
            )
            .await;
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
        for w in writes {
            let status = w.await.unwrap();
            assert!(
                status == StatusCode::CREATED || status == StatusCode::UNAUTHORIZED,
                "a write racing the deletion answered {status}"
            );
        }
    }
}
