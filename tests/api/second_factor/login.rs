//! The two-step login over the API: the TOTP window at fixed times, replay
//! refusal, the mfa token's single use, five-failure death and five-minute
//! life, recovery codes once each, and wrong codes against the account budget.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::*;

#[tokio::test]
async fn a_correct_password_gives_an_mfa_token_and_no_session_and_the_code_finishes_it() {
    let ca = spawn_clocked(|_| {}).await;
    let tf = two_factor_user(&ca, "erin@example.com").await;

    let res = password_step(&ca.app, &tf.user.email).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(
        set_cookies(&res).iter().all(|c| !c.contains("tg_")),
        "no auth cookie"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["mfa_required"], true);
    assert_eq!(body["methods"], json!(["totp", "recovery_code"]));
    assert!(body.get("access_token").is_none() && body.get("refresh_token").is_none());
    let token = body["mfa_token"].as_str().unwrap();
    assert!(token.len() >= 43, "256 bits: {token}");
    let sessions: Value = authed(
        &ca.app,
        Method::GET,
        "/api/auth/sessions",
        &tf.user.access,
        Value::Null,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        sessions["sessions"].as_array().unwrap().len(),
        1,
        "no new session"
    );

    // The mfa token is not an access token.
    let me = ca
        .app
        .bearer(Method::GET, "/api/auth/me", token, None)
        .await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    // Neither field, or both: 422.
    let res = ca
        .app
        .post_json("/api/auth/login/2fa", &json!({ "mfa_token": token }))
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let both = json!({ "mfa_token": token, "code": "123456", "recovery_code": tf.codes[0] });
    let res = ca.app.post_json("/api/auth/login/2fa", &both).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    let code = next_code(&tf.secret, &ca.clock);
    let res = second_step(&ca.app, token, &code).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let tokens: Value = res.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["user"]["two_factor"], true);
    let access = tokens["access_token"].as_str().unwrap();
    let me = ca
        .app
        .bearer(Method::GET, "/api/auth/me", access, None)
        .await;
    assert_eq!(me.status(), StatusCode::OK);

    // Single use: the token is gone, even with the next valid code.
    let code = next_code(&tf.secret, &ca.clock);
    assert_error(
        second_step(&ca.app, token, &code).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    assert_error(
        second_step(&ca.app, "forged-token", &code).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
}

#[tokio::test]
async fn totp_accepts_one_step_either_side_refuses_two_away_and_never_a_step_twice() {
    let ca = spawn_clocked(|_| {}).await;
    let tf = two_factor_user(&ca, "fay@example.com").await;
    let s = &tf.secret;
    // Ten steps after enrolment, at a fixed offset inside the step.
    ca.clock.set(start_time() + 300);
    let now = step_now(&ca.clock);
    let window: Vec<String> = (now - 1..=now + 1).map(|w| code_at_step(s, w)).collect();
    let outside = |step: i64| {
        let c = code_at_step(s, step);
        // A chance collision with the window (1 in 10^6) would not be a bug.
        (!window.contains(&c)).then_some(c)
    };

    let token = mfa_token(&ca.app, &tf.user.email).await;
    for far in [now - 2, now + 2] {
        if let Some(c) = outside(far) {
            assert_eq!(
                second_step(&ca.app, &token, &c).await.status(),
                StatusCode::UNAUTHORIZED,
                "step {far}"
            );
        }
    }
    assert_eq!(
        second_step(&ca.app, &token, &code_at_step(s, now - 1))
            .await
            .status(),
        StatusCode::OK
    );

    // The previous step is spent; the next one is still good.
    let token = mfa_token(&ca.app, &tf.user.email).await;
    let replay = second_step(&ca.app, &token, &code_at_step(s, now - 1)).await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED, "replay refused");
    assert_eq!(
        second_step(&ca.app, &token, &code_at_step(s, now + 1))
            .await
            .status(),
        StatusCode::OK
    );

    // After step now+1 was accepted, neither it nor an earlier step works.
    let token = mfa_token(&ca.app, &tf.user.email).await;
    for step in [now, now + 1] {
        let res = second_step(&ca.app, &token, &code_at_step(s, step)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "step {step}");
    }
    // Time moves on: the step after is fine (the same token survived 2 failures).
    ca.clock.advance(60);
    let res = second_step(&ca.app, &token, &code_at_step(s, now + 2)).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn two_concurrent_uses_of_one_code_let_exactly_one_through() {
    let ca = spawn_clocked(|_| {}).await;
    let tf = two_factor_user(&ca, "gil@example.com").await;
    let code = next_code(&tf.secret, &ca.clock);
    for (kind, code) in [("totp", code), ("recovery", tf.codes[0].clone())] {
        let mut tokens = Vec::new();
        for _ in 0..4 {
            tokens.push(mfa_token(&ca.app, &tf.user.email).await);
        }
        let attempts = tokens.iter().map(|t| {
            let (app, code) = (&ca.app, code.clone());
            async move {
                if kind == "totp" {
                    second_step(app, t, &code).await.status()
                } else {
                    recovery_step(app, t, &code).await.status()
                }
            }
        });
        let statuses = futures_util::future::join_all(attempts).await;
        let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(ok, 1, "{kind}: {statuses:?}");
        assert!(statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::UNAUTHORIZED));
    }
}

#[tokio::test]
async fn an_mfa_token_dies_after_five_wrong_codes() {
    let ca = spawn_clocked(|_| {}).await;
    let tf = two_factor_user(&ca, "hal@example.com").await;
    let good = next_code(&tf.secret, &ca.clock);
    let wrong = if good == "000000" { "111111" } else { "000000" };

    let token = mfa_token(&ca.app, &tf.user.email).await;
    for _ in 0..4 {
        assert_eq!(
            second_step(&ca.app, &token, wrong).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        second_step(&ca.app, &token, &good).await.status(),
        StatusCode::OK,
        "alive after four"
    );

    let token = mfa_token(&ca.app, &tf.user.email).await;
    for _ in 0..3 {
        assert_eq!(
            second_step(&ca.app, &token, wrong).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let res = recovery_step(&ca.app, &token, "zzzz-zzzz-zzzz-zzzz-zzzz-zzzz").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        second_step(&ca.app, &token, "12345").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Five wrong (of any kind): dead, even for a correct code.
    let good = next_code(&tf.secret, &ca.clock);
    assert_error(
        second_step(&ca.app, &token, &good).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    assert_error(
        recovery_step(&ca.app, &token, &tf.codes[0]).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
}

#[tokio::test]
async fn an_mfa_token_lives_five_minutes() {
    let ca = spawn_clocked(|_| {}).await;
    let tf = two_factor_user(&ca, "ida@example.com").await;
    ca.clock.advance(30);

    let token = mfa_token(&ca.app, &tf.user.email).await;
    ca.clock.advance(299);
    let code = code_now(&tf.secret, &ca.clock);
    assert_eq!(
        second_step(&ca.app, &token, &code).await.status(),
        StatusCode::OK,
        "at 4:59"
    );

    let token = mfa_token(&ca.app, &tf.user.email).await;
    ca.clock.advance(300);
    let code = code_now(&tf.secret, &ca.clock);
    assert_error(
        second_step(&ca.app, &token, &code).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    // The code was not spent on the dead token: a new sign-in can use it.
    let token = mfa_token(&ca.app, &tf.user.email).await;
    assert_eq!(
        second_step(&ca.app, &token, &code).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn each_recovery_code_signs_in_once() {
    let ca = spawn_clocked(|_| {}).await;
    let tf = two_factor_user(&ca, "jo@example.com").await;
    for (i, code) in tf.codes.iter().enumerate() {
        let token = mfa_token(&ca.app, &tf.user.email).await;
        // However it is typed: upper case, spaces for dashes.
        let typed = if i % 2 == 0 {
            code.clone()
        } else {
            code.replace('-', " ").to_uppercase()
        };
        let res = recovery_step(&ca.app, &token, &typed).await;
        assert_eq!(res.status(), StatusCode::OK, "code {i}");
        let token = mfa_token(&ca.app, &tf.user.email).await;
        let again = recovery_step(&ca.app, &token, code).await;
        assert_eq!(
            again.status(),
            StatusCode::UNAUTHORIZED,
            "code {i} a second time"
        );
    }
    // All spent: the app still works.
    let token = mfa_token(&ca.app, &tf.user.email).await;
    let code = next_code(&tf.secret, &ca.clock);
    assert_eq!(
        second_step(&ca.app, &token, &code).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn wrong_codes_count_against_the_account_from_any_address() {
    let ca = spawn_clocked(|c| {
        c.auth_rate_limit_per_min = 4;
        c.trusted_proxies = vec![taskgate::config::TrustedProxy::parse("127.0.0.1").unwrap()];
    })
    .await;
    let tf = two_factor_user(&ca, "kim@example.com").await;
    let from = |ip: &'static str, body: Value, path: &'static str| {
        let url = ca.app.url(path);
        async move {
            browser()
                .post(url)
                .header("x-forwarded-for", ip)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let login = json!({ "email": tf.user.email, "password": PASSWORD });
    let first: Value = from("198.51.100.1", login.clone(), "/api/auth/login")
        .await
        .json()
        .await
        .unwrap();
    let token = first["mfa_token"].as_str().unwrap().to_owned();
    // Four wrong codes, each from another address: the account's budget is spent.
    for (i, ip) in [
        "198.51.100.2",
        "198.51.100.3",
        "198.51.100.4",
        "198.51.100.5",
    ]
    .into_iter()
    .enumerate()
    {
        let wrong = json!({ "mfa_token": token, "code": format!("{:06}", 999_990 + i) });
        let res = from(ip, wrong, "/api/auth/login/2fa").await;
        let status = res.status();
        assert!(
            status == StatusCode::UNAUTHORIZED || status == StatusCode::BAD_REQUEST,
            "{status}"
        );
    }
    let code = next_code(&tf.secret, &ca.clock);
    let fresh: Value = from("198.51.100.6", login.clone(), "/api/auth/login")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        fresh["error"]["code"], "rate_limited",
        "the password step is refused too: {fresh}"
    );
    let res = from(
        "198.51.100.7",
        json!({ "mfa_token": token, "code": code }),
        "/api/auth/login/2fa",
    )
    .await;
    assert!(res.headers().contains_key("retry-after"));
    assert_error(res, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

/// The newest `.eml` in `dir` containing `needle`, waiting for the mail worker.
async fn eml_containing(dir: &std::path::Path, needle: &str) -> String {
    let start = std::time::Instant::now();
    loop {
        let found = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .find(|text| text.contains(needle));
        if let Some(text) = found {
            return text;
        }
        assert!(start.elapsed().as_secs() < 20, "no mail with {needle:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_password_reset_does_not_skip_the_second_factor_and_kills_pending_mfa_tokens() {
    let ca = spawn_clocked(|_| {}).await;
    let tf = two_factor_user(&ca, "pia@example.com").await;
    let before_reset = mfa_token(&ca.app, &tf.user.email).await;

    let res = ca
        .app
        .post_json(
            "/api/auth/password/forgot",
            &json!({ "email": tf.user.email }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let eml = eml_containing(ca.mail.path(), "/reset-password?token=").await;
    let link = eml
        .split_whitespace()
        .find(|w| w.contains("/reset-password?token="))
        .unwrap();
    let token = link.split("token=").nth(1).unwrap();
    let new_password = "a brand new passphrase for pia";
    let res = ca
        .app
        .post_json(
            "/api/auth/password/reset",
            &json!({ "token": token, "new_password": new_password }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    // The new password still leads to the second step, never to a session.
    let res = ca
        .app
        .post_json(
            "/api/auth/login",
            &json!({ "email": tf.user.email, "password": new_password }),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["mfa_required"], true, "{body}");
    assert!(body.get("access_token").is_none());
    let after_reset = body["mfa_token"].as_str().unwrap();

    // A token from before the reset died with the old password.
    let code = next_code(&tf.secret, &ca.clock);
    let res = second_step(&ca.app, &before_reset, &code).await;
    assert_error(res, StatusCode::BAD_REQUEST, "bad_request").await;
    assert_eq!(
        second_step(&ca.app, after_reset, &code).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_personal_access_token_cannot_touch_second_factors_or_passkeys() {
    let ca = spawn_clocked(|_| {}).await;
    let user = ca.app.api_signup("pat@example.com").await;
    let res = authed(
        &ca.app,
        Method::POST,
        "/api/auth/tokens",
        &user.access,
        json!({ "name": "script", "scopes": ["tasks:write", "introspect"] }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let pat: Value = res.json().await.unwrap();
    let pat = pat["token"].as_str().unwrap().to_owned();
    let body = json!({ "password": PASSWORD, "code": "123456" });
    for (method, path) in [
        (Method::POST, "/api/auth/2fa/totp"),
        (Method::POST, "/api/auth/2fa/totp/confirm"),
        (Method::POST, "/api/auth/2fa/recovery-codes"),
        (Method::DELETE, "/api/auth/2fa/totp"),
        (Method::GET, "/api/auth/passkeys"),
        (Method::POST, "/api/auth/passkeys/register/start"),
        (
            Method::DELETE,
            "/api/auth/passkeys/00000000-0000-4000-8000-000000000000",
        ),
    ] {
        let res = authed(&ca.app, method.clone(), path, &pat, body.clone()).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{method} {path}");
        assert_error(res, StatusCode::FORBIDDEN, "insufficient_scope").await;
    }
    // A body of the wrong shape may be refused first (422); never accepted.
    let path = "/api/auth/passkeys/register/finish";
    let status = authed(&ca.app, Method::POST, path, &pat, body.clone())
        .await
        .status();
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::UNPROCESSABLE_ENTITY,
        "{status}"
    );
    assert!(user_row(&ca.pool, &user.email).totp_secret_sealed.is_none());
}
