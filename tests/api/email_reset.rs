//! Forgot password and reset: the mail, the link through the API and the
//! pages, what a reset revokes, and the attacks on the link (reuse, a newer
//! link, expiry, racing uses, enumeration, mail flooding).

use std::time::{Duration, Instant};

use reqwest::header::{LOCATION, REFERRER_POLICY, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::email_support::*;
use crate::helpers::*;

const NEW_PASSWORD: &str = "a completely new passphrase";
const RESET_SUBJECT: &str = "Reset your password";

async fn reset(mail: &MailApp, token: &str, password: &str) -> reqwest::Response {
    mail.post(
        "/api/auth/password/reset",
        None,
        &json!({ "token": token, "new_password": password }),
    )
    .await
}

#[tokio::test]
async fn forgot_then_reset_signs_everyone_out_and_only_the_new_password_works() {
    let mail = MailApp::start().await;
    let first = mail.app.api_signup("reset@example.com").await;
    let (_, second) = mail.login("reset@example.com", PASSWORD).await;
    let second_refresh = second["refresh_token"].as_str().unwrap().to_owned();

    let token = mail.reset_token("reset@example.com", 1).await;
    let message = mail.mail("reset@example.com", RESET_SUBJECT).await;
    assert!(message.body().contains("1 hour"), "{}", message.body());

    // A password that breaks the rules: 422, and the link still works.
    for weak in ["short", "password123", "reset@example.com"] {
        let res = reset(&mail, &token, weak).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{weak}");
        let body: Value = res.json().await.unwrap();
        assert!(
            body["error"]["fields"]["new_password"].is_string(),
            "{body}"
        );
    }

    let res = reset(&mail, &token, NEW_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(
        res.headers().get(SET_COOKIE).is_none(),
        "no session is created"
    );
    assert!(res.text().await.unwrap().is_empty());

    // Every session is gone: access tokens and refresh tokens.
    assert_eq!(
        mail.me(&first.access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = mail
        .post(
            "/api/auth/refresh",
            None,
            &json!({ "refresh_token": second_refresh }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let (status, _) = mail.login("reset@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old password is gone");
    let (status, body) = mail.login("reset@example.com", NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["user"]["email_verified"], true,
        "a reset proves the address"
    );

    let notice = mail
        .mail("reset@example.com", "Your password was reset")
        .await;
    assert!(
        notice.token("/reset-password").is_none(),
        "a notice carries no link token"
    );
}

#[tokio::test]
async fn forgot_and_reset_through_the_pages() {
    let mail = MailApp::start().await;
    let other_device = browser();
    mail.app.web_signup(&other_device, "web@example.com").await;
    let client = browser();

    let login = client.get(mail.app.url("/login")).send().await.unwrap();
    assert!(login
        .text()
        .await
        .unwrap()
        .contains("href=\"/forgot-password\""));
    let csrf = mail.app.csrf_from(&client, "/forgot-password").await;
    let res = client
        .post(mail.app.url("/forgot-password"))
        .form(&[("csrf_token", csrf.as_str()), ("email", "Web@Example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let flash = client.get(mail.app.url("/login")).send().await.unwrap();
    assert!(flash.text().await.unwrap().contains("on its way"));

    let link = mail
        .mail("web@example.com", RESET_SUBJECT)
        .await
        .link("/reset-password")
        .unwrap();
    let path = &link[link.find("/reset-password").unwrap()..];
    let res = client.get(mail.app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[REFERRER_POLICY], "no-referrer");
    let html = res.text().await.unwrap();
    assert!(html.contains("name=\"new_password\""));
    let token = hidden_value(&html, "token").unwrap();
    let csrf = csrf_in(&html).unwrap();

    let res = client
        .post(mail.app.url("/reset-password"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("token", token.as_str()),
            ("new_password", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(
        hidden_value(&html, "token").as_deref(),
        Some(token.as_str())
    );
    assert!(
        !html.contains("value=\"short\""),
        "the password is not echoed"
    );

    let res = client
        .post(mail.app.url("/reset-password"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("token", token.as_str()),
            ("new_password", NEW_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/login");

    // The other device was signed out.
    let res = other_device
        .get(mail.app.url("/tasks"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()[LOCATION]
        .to_str()
        .unwrap()
        .starts_with("/login"));

    let res = mail
        .app
        .web_login(&client, "web@example.com", NEW_PASSWORD, None)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/tasks");
}

#[tokio::test]
async fn a_reset_link_works_once() {
    let mail = MailApp::start().await;
    mail.app.api_signup("once@example.com").await;
    let token = mail.reset_token("once@example.com", 1).await;
    assert_eq!(
        reset(&mail, &token, NEW_PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_invalid_token(
        reset(&mail, &token, "another new passphrase").await,
        "reused",
    )
    .await;
    let (status, _) = mail.login("once@example.com", NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_newer_reset_link_replaces_the_older_one() {
    let mail = MailApp::start().await;
    mail.app.api_signup("newer@example.com").await;
    let older = mail.reset_token("newer@example.com", 1).await;
    let newer = mail.reset_token("newer@example.com", 2).await;
    assert_invalid_token(reset(&mail, &older, NEW_PASSWORD).await, "superseded").await;
    assert_eq!(
        reset(&mail, &newer, NEW_PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn an_expired_reset_link_is_refused_by_the_api_and_the_page() {
    use diesel::prelude::*;
    use taskgate::db::schema::email_tokens;
    let mail = MailApp::start().await;
    mail.app.api_signup("late@example.com").await;
    let token = mail.reset_token("late@example.com", 1).await;
    let past = taskgate::db::now() - chrono::Duration::seconds(1);
    mail.sql(|conn| {
        diesel::update(email_tokens::table.filter(email_tokens::purpose.eq("reset")))
            .set(email_tokens::expires_at.eq(past))
            .execute(conn)
            .unwrap()
    });

    let client = browser();
    let res = client
        .get(mail.app.url(&format!("/reset-password?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.headers()[REFERRER_POLICY], "no-referrer");
    let html = res.text().await.unwrap();
    assert!(html.contains("no longer valid"));
    assert!(
        html.contains("action=\"/forgot-password\""),
        "offers a new link"
    );
    assert!(!html.contains(&token), "the dead token is not echoed");
    assert_invalid_token(reset(&mail, &token, NEW_PASSWORD).await, "expired").await;
}

#[tokio::test]
async fn of_concurrent_uses_of_one_reset_link_exactly_one_wins() {
    let mail = MailApp::start().await;
    mail.app.api_signup("race@example.com").await;
    let token = mail.reset_token("race@example.com", 1).await;
    let attempts = (0..8).map(|i| {
        let (url, token) = (mail.app.url("/api/auth/password/reset"), token.clone());
        tokio::spawn(async move {
            browser()
                .post(url)
                .json(&json!({ "token": token, "new_password": format!("racing passphrase {i}") }))
                .send()
                .await
                .unwrap()
                .status()
        })
    });
    let mut statuses = Vec::new();
    for attempt in attempts.collect::<Vec<_>>() {
        statuses.push(attempt.await.unwrap());
    }
    let won = statuses
        .iter()
        .filter(|s| **s == StatusCode::NO_CONTENT)
        .count();
    let lost = statuses
        .iter()
        .filter(|s| **s == StatusCode::BAD_REQUEST)
        .count();
    assert_eq!((won, lost), (1, 7), "{statuses:?}");
    let logins = futures_ok(&mail).await;
    assert_eq!(logins, 1, "exactly one of the passwords was set");
}

/// How many of the racing passwords sign in.
async fn futures_ok(mail: &MailApp) -> usize {
    let mut ok = 0;
    for i in 0..8 {
        let (status, _) = mail
            .login("race@example.com", &format!("racing passphrase {i}"))
            .await;
        ok += usize::from(status == StatusCode::OK);
    }
    ok
}

#[tokio::test]
async fn forgot_answers_known_and_unknown_addresses_alike() {
    let mail = MailApp::start().await;
    mail.app.api_signup("known@example.com").await;
    let ask = |email: &'static str| {
        let url = mail.app.url("/api/auth/password/forgot");
        async move {
            let started = Instant::now();
            let res = browser()
                .post(url)
                .json(&json!({ "email": email }))
                .send()
                .await
                .unwrap();
            let elapsed = started.elapsed();
            let status = res.status();
            let mut headers: Vec<(String, String)> = res
                .headers()
                .iter()
                .filter(|(n, _)| !["date", "x-request-id"].contains(&n.as_str()))
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
                .collect();
            headers.sort();
            (status, headers, res.text().await.unwrap(), elapsed)
        }
    };
    let (mut known_times, mut unknown_times) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let known = ask("known@example.com").await;
        let unknown = ask("unknown@example.com").await;
        assert_eq!(known.0, StatusCode::ACCEPTED);
        assert_eq!(
            (&known.0, &known.1, &known.2),
            (&unknown.0, &unknown.1, &unknown.2)
        );
        assert_eq!(known.2, "{}");
        known_times.push(known.3);
        unknown_times.push(unknown.3);
    }
    known_times.sort();
    unknown_times.sort();
    let (k, u) = (known_times[1], unknown_times[1]);
    assert!(
        k.abs_diff(u) < Duration::from_millis(50),
        "median times differ: known {k:?}, unknown {u:?}"
    );
    // The sign-up's verification mail and two resets: the hourly limit of 3.
    mail.nth_mail("known@example.com", RESET_SUBJECT, 2).await;
    assert!(mail.mails_to("unknown@example.com").is_empty());

    let res = mail
        .post(
            "/api/auth/password/forgot",
            None,
            &json!({ "email": "nope" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "malformed");
}

#[tokio::test]
async fn at_most_three_link_mails_per_address_per_hour_all_purposes_together() {
    let mail = MailApp::start().await;
    mail.app.api_signup("flood@example.com").await; // 1: verification
    mail.verify_token("flood@example.com", 1).await;
    for _ in 0..4 {
        mail.forgot("flood@example.com").await; // 2, 3, then nothing
    }
    mail.nth_mail("flood@example.com", RESET_SUBJECT, 2).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(mail.mails_to("flood@example.com").len(), 3);
    let kinds: Vec<String> = mail
        .outbox_for("flood@example.com")
        .into_iter()
        .map(|(kind, _)| kind)
        .collect();
    assert_eq!(kinds, ["verify_email", "password_reset", "password_reset"]);

    // The links that were sent still work: the refused requests replaced nothing.
    let last = mail
        .nth_mail("flood@example.com", RESET_SUBJECT, 2)
        .await
        .token("/reset-password")
        .unwrap();
    assert_eq!(
        reset(&mail, &last, NEW_PASSWORD).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn a_password_change_mails_a_notice() {
    let mail = MailApp::start().await;
    let user = mail.app.api_signup("notice@example.com").await;
    let res = mail
        .app
        .bearer(
            Method::POST,
            "/api/auth/password",
            &user.access,
            Some(&json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let notice = mail
        .mail("notice@example.com", "Your password was changed")
        .await;
    assert!(notice.body().contains("If this was not you"));
    assert!(notice.body().contains("/forgot-password"));
}

#[tokio::test]
async fn the_email_token_endpoints_count_against_the_per_ip_limit() {
    let mail = MailApp::start_with(|c| c.auth_rate_limit_per_min = 3).await;
    for path in [
        "/api/auth/password/forgot",
        "/api/auth/password/reset",
        "/api/auth/email/verify",
        "/api/auth/email/verify/resend",
        "/api/auth/email/confirm",
    ] {
        let mail_app = MailApp::start_with(|c| c.auth_rate_limit_per_min = 3).await;
        let mut last = StatusCode::OK;
        for _ in 0..4 {
            last = mail_app
                .post(path, None, &json!({ "token": "x", "email": "a@b.c" }))
                .await
                .status();
        }
        assert_eq!(last, StatusCode::TOO_MANY_REQUESTS, "{path}");
    }
    // The pages too.
    let client = browser();
    let csrf = mail.app.csrf_from(&client, "/forgot-password").await;
    let mut last = StatusCode::OK;
    for _ in 0..4 {
        last = client
            .post(mail.app.url("/forgot-password"))
            .form(&[("csrf_token", csrf.as_str()), ("email", "a@b.c")])
            .send()
            .await
            .unwrap()
            .status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}
