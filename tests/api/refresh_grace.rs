//! The refresh-reuse grace (REFRESH_REUSE_GRACE_SECS, default 10 s): two tabs
//! or a retried request presenting the same refresh token get the same
//! successor instead of signing the user out; after the grace, or once the
//! successor has been used, a repeat is reuse and revokes the session.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

async fn refresh_at(base: &str, token: &str) -> (StatusCode, Value) {
    let res = browser()
        .post(format!("{base}/api/auth/refresh"))
        .json(&json!({ "refresh_token": token }))
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn refresh_of(body: &Value) -> String {
    body["refresh_token"].as_str().unwrap().to_owned()
}

async fn me_ok(app: &TestApp, access: &str) -> bool {
    app.bearer(Method::GET, "/api/auth/me", access, None)
        .await
        .status()
        == StatusCode::OK
}

#[tokio::test]
async fn concurrent_presentations_within_the_grace_all_get_the_same_successor() {
    let app = spawn_app().await;
    let user = app.api_signup("tabs@example.com").await;
    let tabs: Vec<_> = (0..6)
        .map(|_| {
            let (base, token) = (app.address.clone(), user.refresh.clone());
            tokio::spawn(async move { refresh_at(&base, &token).await })
        })
        .collect();
    let mut successors = Vec::new();
    for tab in tabs {
        let (status, body) = tab.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(me_ok(&app, body["access_token"].as_str().unwrap()).await);
        successors.push(refresh_of(&body));
    }
    successors.dedup();
    assert_eq!(successors.len(), 1, "one live refresh token, not a fork");
    // The session goes on with that one token.
    let (status, next) = refresh_at(&app.address, &successors[0]).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(refresh_of(&next), successors[0]);
}

#[tokio::test]
async fn a_repeat_after_the_successor_was_used_is_reuse_and_revokes_the_session() {
    let app = spawn_app().await;
    let user = app.api_signup("moved-on@example.com").await;
    let (_, first) = refresh_at(&app.address, &user.refresh).await;
    let (status, second) = refresh_at(&app.address, &refresh_of(&first)).await;
    assert_eq!(status, StatusCode::OK);
    // Within the grace, but the chain has moved on: not a second tab any more.
    let (status, _) = refresh_at(&app.address, &user.refresh).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = refresh_at(&app.address, &refresh_of(&second)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the session is revoked");
    assert!(!me_ok(&app, second["access_token"].as_str().unwrap()).await);
}

#[tokio::test]
async fn after_the_grace_a_repeat_revokes_the_session() {
    let app = spawn_app_with(|c| c.refresh_reuse_grace = Duration::from_secs(1)).await;
    let user = app.api_signup("late@example.com").await;
    let (status, first) = refresh_at(&app.address, &user.refresh).await;
    assert_eq!(status, StatusCode::OK);
    let (status, again) = refresh_at(&app.address, &user.refresh).await;
    assert_eq!(status, StatusCode::OK, "within the grace");
    assert_eq!(refresh_of(&again), refresh_of(&first));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, _) = refresh_at(&app.address, &user.refresh).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = refresh_at(&app.address, &refresh_of(&first)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the session is revoked");
}

#[tokio::test]
async fn a_zero_grace_is_strict() {
    let app = spawn_app_with(|c| c.refresh_reuse_grace = Duration::ZERO).await;
    let user = app.api_signup("strict@example.com").await;
    let (status, first) = refresh_at(&app.address, &user.refresh).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = refresh_at(&app.address, &user.refresh).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = refresh_at(&app.address, &refresh_of(&first)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn two_tabs_loading_pages_with_an_expired_access_cookie_stay_signed_in() {
    let app = spawn_app().await;
    let user = app.api_signup("pages@example.com").await;
    let cookie = format!("tg_refresh={}", user.refresh);
    let tabs: Vec<_> = (0..2)
        .map(|_| {
            let (url, cookie) = (app.url("/tasks"), cookie.clone());
            tokio::spawn(async move {
                browser()
                    .get(url)
                    .header("cookie", cookie)
                    .send()
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut refreshed = Vec::new();
    for tab in tabs {
        let res = tab.await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "the page loads, signed in");
        let set = set_cookies(&res);
        let refresh = set
            .iter()
            .find_map(|c| c.strip_prefix("tg_refresh="))
            .map(|c| c.split(';').next().unwrap().to_owned())
            .expect("a new refresh cookie");
        refreshed.push(refresh);
    }
    assert_eq!(
        refreshed[0], refreshed[1],
        "both tabs hold the same live token"
    );
    let res = browser()
        .get(app.url("/tasks"))
        .header("cookie", format!("tg_refresh={}", refreshed[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "and the browser stays signed in"
    );
}

#[tokio::test]
async fn the_grace_holds_across_processes_on_one_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_url(&dir);
    let one = ServerProcess::start(&db, &[]).await;
    let two = ServerProcess::start(&db, &[]).await;
    let signup: Value = browser()
        .post(one.url("/api/auth/signup"))
        .json(&json!({ "email": "procs@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = refresh_of(&signup);
    let (a, b) = tokio::join!(
        refresh_at(&one.address, &token),
        refresh_at(&two.address, &token)
    );
    assert_eq!(a.0, StatusCode::OK, "{}", a.1);
    assert_eq!(b.0, StatusCode::OK, "{}", b.1);
    assert_eq!(refresh_of(&a.1), refresh_of(&b.1));
}
