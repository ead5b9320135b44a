//! Rate limits on login and sign-up: per client IP (forms and API share the
//! budget), not spoofable through X-Forwarded-For, and per account.

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use taskgate::config::TrustedProxy;

use crate::helpers::*;

async fn api_login(
    app: &TestApp,
    email: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> Response {
    let mut req = browser()
        .post(app.url("/api/auth/login"))
        .json(&json!({ "email": email, "password": password }));
    if let Some(xff) = forwarded_for {
        req = req.header("x-forwarded-for", xff);
    }
    req.send().await.unwrap()
}

async fn assert_limited(res: Response) {
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=90).contains(&retry), "Retry-After {retry}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
}

#[tokio::test]
async fn logins_and_signups_over_the_per_ip_limit_get_429_for_forms_and_api_alike() {
    let app = spawn_app_with(|c| c.auth_rate_limit_per_min = 3).await;
    for _ in 0..2 {
        assert_eq!(
            api_login(&app, "a@example.com", "wrong password", None)
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let signup = app
        .post_json(
            "/api/auth/signup",
            &json!({ "email": "b@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(
        signup.status(),
        StatusCode::CREATED,
        "the third attempt is still allowed"
    );

    assert_limited(api_login(&app, "b@example.com", PASSWORD, None).await).await;
    let form = browser()
        .post(app.url("/login"))
        .form(&[
            ("email", "b@example.com"),
            ("password", PASSWORD),
            ("csrf_token", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        form.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the HTML form shares the budget"
    );
    assert!(form.headers().contains_key("retry-after"));
    assert!(form.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let signup = app
        .post_json(
            "/api/auth/signup",
            &json!({ "email": "c@example.com", "password": PASSWORD }),
        )
        .await;
    assert_limited(signup).await;
    // Other routes are not limited.
    assert_eq!(
        app.client
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_forged_x_forwarded_for_does_not_escape_the_limit_without_trusted_proxies() {
    let app = spawn_app_with(|c| c.auth_rate_limit_per_min = 2).await;
    for _ in 0..2 {
        api_login(&app, "a@example.com", "wrong password", None).await;
    }
    for spoofed in ["1.2.3.4", "5.6.7.8, 9.9.9.9"] {
        assert_limited(api_login(&app, "a@example.com", "wrong password", Some(spoofed)).await)
            .await;
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client() {
    let app = spawn_app_with(|c| {
        c.auth_rate_limit_per_min = 2;
        c.trusted_proxies = vec![TrustedProxy::parse("127.0.0.1").unwrap()];
    })
    .await;
    for _ in 0..2 {
        api_login(&app, "a@example.com", "wrong password", Some("203.0.113.7")).await;
    }
    assert_limited(api_login(&app, "a@example.com", "wrong password", Some("203.0.113.7")).await)
        .await;
    // Prepending a fake hop does not help: the proxy-added right-most hop counts.
    assert_limited(
        api_login(
            &app,
            "a@example.com",
            "wrong password",
            Some("198.51.100.1, 203.0.113.7"),
        )
        .await,
    )
    .await;
    // A different real client has its own budget (on another account: this
    // one has used its budget of failed sign-ins).
    let other = api_login(&app, "b@example.com", "wrong password", Some("203.0.113.8")).await;
    assert_eq!(other.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn guessing_one_account_from_many_addresses_is_slowed_per_account() {
    let app = spawn_app_with(|c| {
        c.auth_rate_limit_per_min = 10;
        c.trusted_proxies = vec![TrustedProxy::parse("127.0.0.1").unwrap()];
    })
    .await;
    app.api_signup("victim@example.com").await;
    for i in 0..10 {
        let ip = format!("198.51.100.{i}");
        let res = api_login(&app, "victim@example.com", "guess guess guess", Some(&ip)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    assert_limited(
        api_login(
            &app,
            "VICTIM@example.com",
            "guess guess guess",
            Some("198.51.100.99"),
        )
        .await,
    )
    .await;
    // Another account is unaffected.
    app.api_signup("bystander@example.com").await;
    let ok = api_login(
        &app,
        "bystander@example.com",
        PASSWORD,
        Some("198.51.100.99"),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn sign_ins_that_never_reach_the_password_check_still_count_once_per_ip() {
    let app = spawn_app_with(|c| c.auth_rate_limit_per_min = 4).await;
    // A malformed JSON body, a form without its CSRF token, an address too
    // long to be one: each answered on its own terms, each counted once.
    let malformed = browser()
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\":")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let no_csrf = browser()
        .post(app.url("/login"))
        .form(&[("email", "a@example.com"), ("password", "wrong password")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);
    let long = format!("{}@example.com", "a".repeat(300));
    let res = api_login(&app, &long, "wrong password", None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // The fourth attempt reaches the check; the fifth is over the budget.
    let res = api_login(&app, "a@example.com", "wrong password", None).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "each attempt counts once"
    );
    assert_limited(api_login(&app, "a@example.com", "wrong password", None).await).await;
}

#[tokio::test]
async fn successful_sign_ins_give_their_account_slot_back() {
    let app = spawn_app_with(|c| {
        c.auth_rate_limit_per_min = 3;
        c.trusted_proxies = vec![TrustedProxy::parse("127.0.0.1").unwrap()];
    })
    .await;
    app.api_signup("regular@example.com").await;
    // Twice the per-account budget of right passwords, from fresh addresses
    // (the per-IP budget is not what this is about).
    for i in 0..6 {
        let ip = format!("192.0.2.{i}");
        let res = api_login(&app, "regular@example.com", PASSWORD, Some(&ip)).await;
        assert_eq!(res.status(), StatusCode::OK, "sign-in {i}");
    }
    // Failures still count: three, then refused.
    for i in 0..3 {
        let ip = format!("198.51.100.{i}");
        let res = api_login(&app, "regular@example.com", "wrong password", Some(&ip)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "failure {i}");
    }
    assert_limited(api_login(&app, "regular@example.com", PASSWORD, Some("198.51.100.50")).await)
        .await;
}

#[tokio::test]
async fn attempts_on_a_throttled_account_still_count_against_the_address() {
    let app = spawn_app_with(|c| {
        c.auth_rate_limit_per_min = 2;
        c.trusted_proxies = vec![TrustedProxy::parse("127.0.0.1").unwrap()];
    })
    .await;
    for ip in ["198.51.100.1", "198.51.100.2"] {
        let res = api_login(&app, "victim@example.com", "wrong password", Some(ip)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // The account is now refused, from a third address, twice: the
    // address's own budget (2) is spent on it all the same.
    for _ in 0..2 {
        let res = api_login(
            &app,
            "victim@example.com",
            "wrong password",
            Some("203.0.113.7"),
        )
        .await;
        assert_limited(res).await;
    }
    assert_limited(
        api_login(
            &app,
            "other@example.com",
            "wrong password",
            Some("203.0.113.7"),
        )
        .await,
    )
    .await;
    let elsewhere = api_login(
        &app,
        "other@example.com",
        "wrong password",
        Some("203.0.113.8"),
    )
    .await;
    assert_eq!(elsewhere.status(), StatusCode::UNAUTHORIZED);
}
