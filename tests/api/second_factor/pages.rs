//! The two-factor pages: enrolling on /account/2fa (QR code, secret, codes
//! shown once), the /login → /login/2fa continuation, recovery codes, new
//! codes and turning it off, all through forms with CSRF tokens.

use base64::Engine;
use reqwest::{Client, Response, StatusCode};

use super::*;

fn location(res: &Response) -> &str {
    res.headers()["location"].to_str().unwrap()
}

async fn get_html(ca: &ClockedApp, client: &Client, path: &str) -> (StatusCode, String) {
    let res = client.get(ca.app.url(path)).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

async fn post_form(
    ca: &ClockedApp,
    client: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> Response {
    let csrf = ca.app.csrf_from(client, "/login").await;
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf_token", &csrf));
    client
        .post(ca.app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The text between `start` and the next `end`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let at = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {html}"))
        + start.len();
    &html[at..at + html[at..].find(end).unwrap()]
}

/// The recovery codes a page shows.
fn shown_codes(html: &str) -> Vec<String> {
    html.split("<li><code>")
        .skip(1)
        .map(|s| s[..s.find("</code>").unwrap()].to_owned())
        .collect()
}

fn has_auth_cookie(res: &Response) -> bool {
    set_cookies(res)
        .iter()
        .any(|c| c.starts_with("tg_access=") && !c.starts_with("tg_access=;"))
}

#[tokio::test]
async fn two_factor_through_the_pages_from_enrolment_to_turning_it_off() {
    let ca = spawn_clocked(|_| {}).await;
    let client = browser();
    let email = "lea@example.com";
    assert_eq!(
        ca.app.web_signup(&client, email).await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, account) = get_html(&ca, &client, "/account").await;
    assert!(
        account.contains("href=\"/account/2fa\"") && account.contains("href=\"/account/passkeys\"")
    );

    // Off: a password form. Forms without the CSRF token are refused.
    let (status, html) = get_html(&ca, &client, "/account/2fa").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("action=\"/account/2fa/enrol\"") && !html.contains("<script"));
    let forged = client
        .post(ca.app.url("/account/2fa/enrol"))
        .form(&[("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let wrong = post_form(
        &ca,
        &client,
        "/account/2fa/enrol",
        &[("password", "not my password")],
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert!(wrong.text().await.unwrap().contains("role=\"alert\""));
    let res = post_form(
        &ca,
        &client,
        "/account/2fa/enrol",
        &[("password", PASSWORD)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/account/2fa");

    // Pending: the QR code is a server-made SVG data URI; the secret is shown as text.
    let res = client.get(ca.app.url("/account/2fa")).send().await.unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    let src = between(&html, "<img class=\"qr\" src=\"", "\"");
    let b64 = src
        .strip_prefix("data:image/svg+xml;base64,")
        .expect("an SVG data URI");
    let svg = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap();
    assert!(svg.contains("<svg") && !svg.contains("<script"));
    let secret: String = between(&html, "id=\"totp-secret\">", "</code>")
        .split_whitespace()
        .collect();
    assert_eq!(base32_decode(&secret).len(), 20);
    assert!(!html.contains("<script"));

    let res = post_form(&ca, &client, "/account/2fa/confirm", &[("code", "000000")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let code = code_now(&secret, &ca.clock);
    let res = post_form(&ca, &client, "/account/2fa/confirm", &[("code", &code)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let codes = shown_codes(&res.text().await.unwrap());
    assert_eq!(codes.len(), 10);
    // Shown once: a reload does not show them again.
    let (_, html) = get_html(&ca, &client, "/account/2fa").await;
    assert!(shown_codes(&html).is_empty());
    assert!(html.contains("10 of 10 recovery codes left"), "{html}");

    // Sign out, sign in: the password leads to /login/2fa, without a session.
    let res = post_form(&ca, &client, "/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = ca
        .app
        .web_login(&client, email, PASSWORD, Some("/account"))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login/2fa");
    assert!(!has_auth_cookie(&res));
    let res = client.get(ca.app.url("/tasks")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "not signed in yet");
    let (status, html) = get_html(&ca, &client, "/login/2fa").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"code\"") && html.contains("name=\"recovery_code\""));
    assert!(
        !html.contains("mfa_token"),
        "the token stays in the session"
    );

    let res = post_form(&ca, &client, "/login/2fa", &[("code", "000000")]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains("not correct"));
    let code = next_code(&secret, &ca.clock);
    let res = post_form(&ca, &client, "/login/2fa", &[("code", &code)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/account", "on to next");
    assert!(has_auth_cookie(&res));
    let (status, _) = get_html(&ca, &client, "/tasks").await;
    assert_eq!(status, StatusCode::OK);

    // New recovery codes: password and a code; the old set dies.
    let code = next_code(&secret, &ca.clock);
    let res = post_form(
        &ca,
        &client,
        "/account/2fa/recovery-codes",
        &[("password", PASSWORD), ("code", &code)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let fresh = shown_codes(&res.text().await.unwrap());
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !codes.contains(c)));

    // A recovery code through the form; an old one is refused.
    post_form(&ca, &client, "/logout", &[]).await;
    let res = ca.app.web_login(&client, email, PASSWORD, None).await;
    assert_eq!(location(&res), "/login/2fa");
    let res = post_form(&ca, &client, "/login/2fa", &[("recovery_code", &codes[0])]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = post_form(&ca, &client, "/login/2fa", &[("recovery_code", &fresh[0])]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/tasks");
    let (_, html) = get_html(&ca, &client, "/account/2fa").await;
    assert!(html.contains("9 of 10 recovery codes left"));

    // Off: a wrong code is refused, password and a recovery code turn it off.
    let res = post_form(
        &ca,
        &client,
        "/account/2fa/disable",
        &[("password", PASSWORD), ("code", &fresh[0])],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "a spent code");
    let res = post_form(
        &ca,
        &client,
        "/account/2fa/disable",
        &[("password", PASSWORD), ("code", &fresh[1])],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = get_html(&ca, &client, "/account/2fa").await;
    assert!(
        html.contains("Two-factor sign-in is off.")
            && html.contains("action=\"/account/2fa/enrol\"")
    );
    assert_eq!(
        mails_to(&ca.pool, email),
        [
            "two_factor_enabled",
            "recovery_codes_regenerated",
            "two_factor_disabled"
        ]
    );
}

#[tokio::test]
async fn the_second_step_page_needs_a_pending_sign_in_that_has_not_expired() {
    let ca = spawn_clocked(|_| {}).await;
    let tf = two_factor_user(&ca, "max@example.com").await;
    let client = browser();
    let res = client.get(ca.app.url("/login/2fa")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login");
    let res = post_form(&ca, &client, "/login/2fa", &[("code", "123456")]).await;
    assert_eq!(location(&res), "/login");

    let res = ca
        .app
        .web_login(&client, &tf.user.email, PASSWORD, None)
        .await;
    assert_eq!(location(&res), "/login/2fa");
    let res = post_form(&ca, &client, "/login/2fa", &[("code", "")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    ca.clock.advance(301);
    let code = code_now(&tf.secret, &ca.clock);
    let res = post_form(&ca, &client, "/login/2fa", &[("code", &code)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login");
    assert!(!has_auth_cookie(&res));
    let (_, html) = get_html(&ca, &client, "/login").await;
    assert!(html.contains("expired"), "{html}");
}
