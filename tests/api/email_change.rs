//! Changing the address: the confirmation at the new address, the notice at
//! the old one, what a confirmation revokes, through the API and the pages.

use reqwest::header::{LOCATION, REFERRER_POLICY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::email_support::*;
use crate::helpers::*;

const CONFIRM_SUBJECT: &str = "Confirm your new email address";
const NOTICE_SUBJECT: &str = "A change of your email address was requested";

async fn change(
    mail: &MailApp,
    access: &str,
    new_email: &str,
    password: &str,
) -> reqwest::Response {
    mail.app
        .bearer(
            Method::POST,
            "/api/auth/email",
            access,
            Some(&json!({ "new_email": new_email, "password": password })),
        )
        .await
}

#[tokio::test]
async fn an_email_change_is_confirmed_at_the_new_address_and_signs_out_other_sessions() {
    let mail = MailApp::start().await;
    let asking = mail.app.api_signup("old@example.com").await;
    let (_, other) = mail.login("old@example.com", PASSWORD).await;
    let other_access = other["access_token"].as_str().unwrap().to_owned();
    mail.app.api_signup("taken@example.com").await;

    let res = change(&mail, &asking.access, "new@example.com", "not my password").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = change(&mail, &asking.access, "taken@example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = change(&mail, &asking.access, "Old@Example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = change(&mail, &asking.access, "not an address", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let res = change(&mail, &asking.access, "New@Example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({}));
    let confirm = mail.mail("new@example.com", CONFIRM_SUBJECT).await;
    let notice = mail.mail("old@example.com", NOTICE_SUBJECT).await;
    assert!(
        notice.body().contains("n***@example.com"),
        "{}",
        notice.body()
    );
    assert!(!notice.body().contains("new@example.com"));
    assert!(
        notice.token("/confirm-email").is_none(),
        "the old address gets no link"
    );
    let token = confirm.token("/confirm-email").unwrap();

    // Nothing changes before the link is used.
    let me: Value = mail.me(&asking.access).await.json().await.unwrap();
    assert_eq!(me["email"], "old@example.com");
    let res = mail
        .post("/api/auth/email/verify", None, &json!({ "token": token }))
        .await;
    assert_invalid_token(res, "a change token at the verify endpoint").await;

    let res = mail
        .post("/api/auth/email/confirm", None, &json!({ "token": token }))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let me: Value = mail.me(&asking.access).await.json().await.unwrap();
    assert_eq!(me["email"], "new@example.com", "the asking session stays");
    assert_eq!(me["email_verified"], true);
    assert_eq!(
        mail.me(&other_access).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let (status, _) = mail.login("old@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = mail.login("new@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let res = mail
        .post("/api/auth/email/confirm", None, &json!({ "token": token }))
        .await;
    assert_invalid_token(res, "a used change link").await;
}

#[tokio::test]
async fn links_sent_to_the_old_address_die_with_the_change() {
    let mail = MailApp::start().await;
    let user = mail.app.api_signup("before@example.com").await;
    let reset = mail.reset_token("before@example.com", 1).await;
    let res = change(&mail, &user.access, "after@example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let token = mail
        .mail("after@example.com", CONFIRM_SUBJECT)
        .await
        .token("/confirm-email")
        .unwrap();
    let res = mail
        .post("/api/auth/email/confirm", None, &json!({ "token": token }))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = mail
        .post(
            "/api/auth/password/reset",
            None,
            &json!({ "token": reset, "new_password": "a fine new passphrase" }),
        )
        .await;
    assert_invalid_token(res, "a reset link sent to the old address").await;
}

#[tokio::test]
async fn a_confirmation_is_refused_with_409_when_the_address_was_taken_meanwhile() {
    let mail = MailApp::start().await;
    let user = mail.app.api_signup("slow@example.com").await;
    let res = change(&mail, &user.access, "wanted@example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let token = mail
        .mail("wanted@example.com", CONFIRM_SUBJECT)
        .await
        .token("/confirm-email")
        .unwrap();
    mail.app.api_signup("wanted@example.com").await;

    let res = mail
        .post("/api/auth/email/confirm", None, &json!({ "token": token }))
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let me: Value = mail.me(&user.access).await.json().await.unwrap();
    assert_eq!(me["email"], "slow@example.com");
}

#[tokio::test]
async fn an_email_change_through_the_pages() {
    let mail = MailApp::start().await;
    let client = browser();
    mail.app.web_signup(&client, "pageold@example.com").await;
    let other_device = browser();
    mail.app
        .web_login(&other_device, "pageold@example.com", PASSWORD, None)
        .await;

    let account = client.get(mail.app.url("/account")).send().await.unwrap();
    assert!(account
        .text()
        .await
        .unwrap()
        .contains("href=\"/account/email\""));
    let html = client
        .get(mail.app.url("/account/email"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("pageold@example.com") && html.contains("not verified"));
    let csrf = csrf_in(&html).unwrap();
    let post = |password: &'static str| {
        client
            .post(mail.app.url("/account/email"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("new_email", "pagenew@example.com"),
                ("password", password),
            ])
            .send()
    };
    let res = post("wrong wrong wrong").await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("value=\"pagenew@example.com\""));
    let res = post(PASSWORD).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/account");

    let link = mail
        .mail("pagenew@example.com", CONFIRM_SUBJECT)
        .await
        .link("/confirm-email")
        .unwrap();
    let path = &link[link.find("/confirm-email").unwrap()..];
    let res = client.get(mail.app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[REFERRER_POLICY], "no-referrer");
    let html = res.text().await.unwrap();
    assert!(html.contains("action=\"/confirm-email\""));
    let res = client
        .post(mail.app.url("/confirm-email"))
        .form(&[
            ("csrf_token", csrf_in(&html).unwrap().as_str()),
            ("token", hidden_value(&html, "token").unwrap().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/account");

    let html = client
        .get(mail.app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("pagenew@example.com"), "{html}");
    let res = other_device
        .get(mail.app.url("/tasks"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the other device is signed out"
    );
}
