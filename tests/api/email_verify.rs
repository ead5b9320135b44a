//! Verifying an address: the mail sign-up sends, its link through the API and
//! through the page (only the button verifies), resending, and the
//! `REQUIRE_VERIFIED_EMAIL` gate through the API and the pages.

use reqwest::header::{LOCATION, REFERRER_POLICY, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use taskgate::config::PublicUrl;

use crate::email_support::*;
use crate::helpers::*;

const SUBJECT: &str = "Confirm your email address";

async fn email_verified(mail: &MailApp, access: &str) -> bool {
    let me: Value = mail.me(access).await.json().await.unwrap();
    me["email_verified"].as_bool().expect("email_verified")
}

#[tokio::test]
async fn sign_up_mails_a_link_from_public_url_that_verifies_the_address_once() {
    let mail = MailApp::start_with(|c| {
        c.public_url = Some(PublicUrl::parse("https://tasks.example.test").unwrap());
    })
    .await;
    // A forged Host must not end up in the link.
    let res = browser()
        .post(mail.app.url("/api/auth/signup"))
        .header("Host", "evil.example")
        .json(&json!({ "email": "Vera@Example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(body["user"]["email_verified"], false);

    let message = mail.mail("vera@example.com", SUBJECT).await;
    let link = message.link("/verify-email").unwrap();
    assert!(
        link.starts_with("https://tasks.example.test/verify-email?token="),
        "{link}"
    );
    assert!(!message.body().contains("evil.example"));
    let token = message.token("/verify-email").unwrap();
    assert!(token.len() >= 43, "256 bits or more: {token}");

    let res = mail
        .post("/api/auth/email/verify", None, &json!({ "token": token }))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(email_verified(&mail, &access).await);

    let again = mail
        .post("/api/auth/email/verify", None, &json!({ "token": token }))
        .await;
    assert_invalid_token(again, "a used link").await;
    for garbage in ["", "nope", &"x".repeat(5000), "../../etc/passwd"] {
        let res = mail
            .post("/api/auth/email/verify", None, &json!({ "token": garbage }))
            .await;
        assert_invalid_token(res, "an unknown token").await;
    }
}

#[tokio::test]
async fn the_verify_page_shows_a_button_and_only_its_post_verifies() {
    let mail = MailApp::start().await;
    let user = mail.app.api_signup("page@example.com").await;
    let token = mail.verify_token("page@example.com", 1).await;
    let client = browser();
    let page = format!("/verify-email?token={token}");

    // A link scanner (GET, twice) changes nothing.
    for _ in 0..2 {
        let res = client.get(mail.app.url(&page)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[REFERRER_POLICY], "no-referrer");
        let html = res.text().await.unwrap();
        assert!(html.contains("action=\"/verify-email\""), "{html}");
        assert_eq!(
            hidden_value(&html, "token").as_deref(),
            Some(token.as_str())
        );
    }
    assert!(!email_verified(&mail, &user.access).await);

    let csrf = mail.app.csrf_from(&client, &page).await;
    let res = client
        .post(mail.app.url("/verify-email"))
        .form(&[("csrf_token", csrf.as_str()), ("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(email_verified(&mail, &user.access).await);

    // The used link: a page that says so and offers a new one.
    let res = client.get(mail.app.url(&page)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.headers()[REFERRER_POLICY], "no-referrer");
    let html = res.text().await.unwrap();
    assert!(html.contains("no longer valid"), "{html}");
    assert!(html.contains("action=\"/verify-email/resend\""), "{html}");

    // Without the CSRF token the POST is refused and changes nothing.
    let res = browser()
        .post(mail.app.url("/verify-email"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn resend_answers_202_always_and_the_newest_link_replaces_the_older() {
    let mail = MailApp::start().await;
    let user = mail.app.api_signup("resend@example.com").await;
    let first = mail.verify_token("resend@example.com", 1).await;

    // Signed in: no body.
    let res = mail
        .post_empty("/api/auth/email/verify/resend", Some(&user.access))
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({}));
    let second = mail.verify_token("resend@example.com", 2).await;
    assert_ne!(first, second);
    let res = mail
        .post_empty("/api/auth/email/verify/resend", Some("not-a-token"))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "a refused token is not 'signed out'"
    );

    let res = mail
        .post("/api/auth/email/verify", None, &json!({ "token": first }))
        .await;
    assert_invalid_token(res, "a superseded link").await;
    let res = mail
        .post("/api/auth/email/verify", None, &json!({ "token": second }))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    // Signed out: the same 202 for a verified, an unknown and a malformed-case address.
    for email in [
        "resend@example.com",
        "nobody@example.com",
        "ReSend@Example.COM",
    ] {
        let res = mail
            .post(
                "/api/auth/email/verify/resend",
                None,
                &json!({ "email": email }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED, "{email}");
        assert_eq!(res.json::<Value>().await.unwrap(), json!({}));
    }
    let res = mail
        .post(
            "/api/auth/email/verify/resend",
            None,
            &json!({ "email": "not an address" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(
        mail.mails_to("resend@example.com").len(),
        2,
        "verified: nothing more"
    );
    assert!(mail.mails_to("nobody@example.com").is_empty());
}

#[tokio::test]
async fn signed_out_resend_reaches_an_unverified_account() {
    let mail = MailApp::start().await;
    mail.app.api_signup("later@example.com").await;
    mail.verify_token("later@example.com", 1).await;
    let res = mail
        .post(
            "/api/auth/email/verify/resend",
            None,
            &json!({ "email": " Later@example.com " }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let token = mail.verify_token("later@example.com", 2).await;
    let res = mail
        .post("/api/auth/email/verify", None, &json!({ "token": token }))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn require_verified_email_gates_sign_in_through_the_api() {
    let mail = MailApp::start_with(|c| c.require_verified_email = true).await;
    let res = mail
        .post(
            "/api/auth/signup",
            None,
            &json!({ "email": "gate@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(res.headers().get(SET_COOKIE).is_none(), "no cookies");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body.as_object().unwrap().len(), 1, "only the user: {body}");
    assert_eq!(body["user"]["email"], "gate@example.com");
    assert_eq!(body["user"]["email_verified"], false);

    let (status, body) = mail.login("gate@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "email_not_verified");
    assert!(body.get("access_token").is_none());
    let (status, body) = mail.login("gate@example.com", "wrong password here").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a wrong password says nothing more"
    );
    assert_eq!(body["error"]["code"], "unauthorized");

    let token = mail.verify_token("gate@example.com", 1).await;
    let res = mail
        .post("/api/auth/email/verify", None, &json!({ "token": token }))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, body) = mail.login("gate@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user"]["email_verified"], true);
}

#[tokio::test]
async fn require_verified_email_gates_sign_in_through_the_pages() {
    let mail = MailApp::start_with(|c| c.require_verified_email = true).await;
    let client = browser();
    let res = mail.app.web_signup(&client, "pages@example.com").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        !set_cookies(&res)
            .iter()
            .any(|c| c.contains("tg_access") || c.contains("tg_refresh")),
        "no auth cookie"
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("Check your inbox"), "{html}");
    assert!(html.contains("pages@example.com"));

    let res = mail
        .app
        .web_login(&client, "pages@example.com", PASSWORD, None)
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!set_cookies(&res).iter().any(|c| c.contains("tg_access")));
    let html = res.text().await.unwrap();
    assert!(html.contains("Confirm your email address first"), "{html}");
    assert!(html.contains("action=\"/verify-email/resend\""), "{html}");

    // The resend button, as the browser would press it.
    let csrf = csrf_in(&html).unwrap();
    let res = client
        .post(mail.app.url("/verify-email/resend"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", "pages@example.com"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let link = mail
        .nth_mail("pages@example.com", SUBJECT, 2)
        .await
        .link("/verify-email")
        .unwrap();
    let path = link
        .split_once("/verify-email")
        .map(|(_, q)| format!("/verify-email{q}"))
        .unwrap();
    let html = client
        .get(mail.app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden_value(&html, "token").unwrap();
    let res = client
        .post(mail.app.url("/verify-email"))
        .form(&[
            ("csrf_token", csrf_in(&html).unwrap().as_str()),
            ("token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/login");

    let res = mail
        .app
        .web_login(&client, "pages@example.com", PASSWORD, None)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/tasks");
}

#[tokio::test]
async fn a_link_at_the_wrong_endpoint_is_refused_and_not_used_up() {
    let mail = MailApp::start().await;
    let user = mail.app.api_signup("wrong@example.com").await;
    let verify = mail.verify_token("wrong@example.com", 1).await;
    let reset = mail.reset_token("wrong@example.com", 1).await;

    let res = mail
        .post(
            "/api/auth/password/reset",
            None,
            &json!({ "token": verify, "new_password": "a fine new passphrase" }),
        )
        .await;
    assert_invalid_token(res, "a verification token used to reset").await;
    let res = mail
        .post("/api/auth/email/confirm", None, &json!({ "token": verify }))
        .await;
    assert_invalid_token(res, "a verification token used to confirm a change").await;
    let res = mail
        .post("/api/auth/email/verify", None, &json!({ "token": reset }))
        .await;
    assert_invalid_token(res, "a reset token used to verify").await;

    let res = mail
        .post("/api/auth/email/verify", None, &json!({ "token": verify }))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "still valid");
    assert!(email_verified(&mail, &user.access).await);
    let res = mail
        .post(
            "/api/auth/password/reset",
            None,
            &json!({ "token": reset, "new_password": "a fine new passphrase" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "still valid");
}
