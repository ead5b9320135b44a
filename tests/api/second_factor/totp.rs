//! TOTP enrolment, recovery codes and turning two-factor off, over the API.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::*;

#[tokio::test]
async fn enrolment_gives_a_160_bit_secret_sealed_at_rest_and_confirm_turns_two_factor_on() {
    let ca = spawn_clocked(|_| {}).await;
    let user = ca.app.api_signup("ann+2fa@example.com").await;

    let res = authed(
        &ca.app,
        Method::POST,
        "/api/auth/2fa/totp",
        &user.access,
        json!({ "password": PASSWORD }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    let secret = body["secret"].as_str().unwrap();
    assert!(secret.len() >= 32 && !secret.contains('='), "{secret}");
    assert!(base32_decode(secret).len() >= 20, "at least 160 bits");
    assert_eq!(
        body["otpauth_uri"],
        format!(
            "otpauth://totp/taskgate:ann%2B2fa@example.com?secret={secret}&issuer=taskgate&algorithm=SHA1&digits=6&period=30"
        )
    );

    // Pending: stored sealed, two-factor still off, login still one step.
    let row = user_row(&ca.pool, &user.email);
    let sealed = row.totp_secret_sealed.clone().unwrap();
    assert!(
        !sealed.contains(secret),
        "the secret is not stored in clear"
    );
    let hex: String = base32_decode(secret)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!sealed.to_lowercase().contains(&hex));
    assert!(!row.totp_enabled);
    let me: Value = authed(
        &ca.app,
        Method::GET,
        "/api/auth/me",
        &user.access,
        Value::Null,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(me["two_factor"], false);
    let login: Value = password_step(&ca.app, &user.email)
        .await
        .json()
        .await
        .unwrap();
    assert!(login["access_token"].is_string());

    // A wrong code does not confirm; the right one does, with ten codes.
    let wrong = authed(
        &ca.app,
        Method::POST,
        "/api/auth/2fa/totp/confirm",
        &user.access,
        json!({ "code": "000000" }),
    )
    .await;
    assert_error(wrong, StatusCode::FORBIDDEN, "forbidden").await;
    let code = code_now(secret, &ca.clock);
    let res = authed(
        &ca.app,
        Method::POST,
        "/api/auth/2fa/totp/confirm",
        &user.access,
        json!({ "code": code }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    let codes: Vec<&str> = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 10);
    let mut distinct = codes.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 10);
    for c in &codes {
        let plain: String = c.chars().filter(|c| *c != '-').collect();
        // 24 characters of a 32-letter alphabet: 120 bits (at least 80; 112 for a plain hash).
        assert_eq!(plain.len(), 24, "{c}");
    }
    let me: Value = authed(
        &ca.app,
        Method::GET,
        "/api/auth/me",
        &user.access,
        Value::Null,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(me["two_factor"], true);
    assert_eq!(mails_to(&ca.pool, &user.email), ["two_factor_enabled"]);

    // Recovery codes are stored hashed only.
    let mut conn = ca.pool.get().unwrap();
    let stored: Vec<String> = {
        use diesel::prelude::*;
        use taskgate::db::schema::recovery_codes::dsl as rc;
        rc::recovery_codes
            .select(rc::code_hash)
            .load(&mut conn.inner)
            .unwrap()
    };
    assert_eq!(stored.len(), 10);
    for c in &codes {
        let plain: String = c.chars().filter(|c| *c != '-').collect();
        assert!(stored.iter().all(|h| !h.contains(&plain) && h.len() == 64));
    }

    // Enrolling again while on is refused; confirming again too.
    let again = authed(
        &ca.app,
        Method::POST,
        "/api/auth/2fa/totp",
        &user.access,
        json!({ "password": PASSWORD }),
    )
    .await;
    assert_error(again, StatusCode::CONFLICT, "conflict").await;
    let code = next_code(secret, &ca.clock);
    let again = authed(
        &ca.app,
        Method::POST,
        "/api/auth/2fa/totp/confirm",
        &user.access,
        json!({ "code": code }),
    )
    .await;
    assert_error(again, StatusCode::CONFLICT, "conflict").await;
}

#[tokio::test]
async fn enrolling_needs_the_right_password_and_wrong_ones_count_against_the_account() {
    let ca = spawn_clocked(|c| {
        c.auth_rate_limit_per_min = 3;
        c.trusted_proxies = vec![taskgate::config::TrustedProxy::parse("127.0.0.1").unwrap()];
    })
    .await;
    let user = ca.app.api_signup("bob@example.com").await;
    // Each attempt from another client IP: only the per-account budget can refuse.
    let enrol = |password: &'static str, ip: &'static str| {
        let (url, token) = (ca.app.url("/api/auth/2fa/totp"), user.access.clone());
        async move {
            browser()
                .post(url)
                .bearer_auth(token)
                .header("x-forwarded-for", ip)
                .json(&json!({ "password": password }))
                .send()
                .await
                .unwrap()
        }
    };
    for ip in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        assert_error(
            enrol("not the password", ip).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    let limited = enrol(PASSWORD, "192.0.2.4").await;
    assert!(limited.headers().contains_key("retry-after"));
    assert_error(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert!(user_row(&ca.pool, &user.email).totp_secret_sealed.is_none());
}

#[tokio::test]
async fn regenerating_needs_password_and_code_and_kills_the_old_set() {
    let ca = spawn_clocked(|_| {}).await;
    let tf = two_factor_user(&ca, "carol@example.com").await;
    let path = "/api/auth/2fa/recovery-codes";
    let token = &tf.user.access;

    let code = next_code(&tf.secret, &ca.clock);
    let res = authed(
        &ca.app,
        Method::POST,
        path,
        token,
        json!({ "password": "wrong password!", "code": code }),
    )
    .await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = authed(
        &ca.app,
        Method::POST,
        path,
        token,
        json!({ "password": PASSWORD, "code": "123456" }),
    )
    .await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = authed(
        &ca.app,
        Method::POST,
        path,
        token,
        json!({ "password": PASSWORD }),
    )
    .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    let res = authed(
        &ca.app,
        Method::POST,
        path,
        token,
        json!({ "password": PASSWORD, "code": code }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let fresh: Vec<String> = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !tf.codes.contains(c)));
    assert_eq!(
        mails_to(&ca.pool, &tf.user.email),
        ["two_factor_enabled", "recovery_codes_regenerated"]
    );

    // The same TOTP step cannot be used again; a recovery code can regenerate too.
    let res = authed(
        &ca.app,
        Method::POST,
        path,
        token,
        json!({ "password": PASSWORD, "code": code }),
    )
    .await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;

    // At sign-in an old code is refused, a new one works.
    let mfa = mfa_token(&ca.app, &tf.user.email).await;
    assert_error(
        recovery_step(&ca.app, &mfa, &tf.codes[0]).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_eq!(
        recovery_step(&ca.app, &mfa, &fresh[0]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn turning_off_needs_password_and_a_totp_or_recovery_code() {
    let ca = spawn_clocked(|_| {}).await;
    let tf = two_factor_user(&ca, "dan@example.com").await;
    let token = &tf.user.access.clone();
    let off = |body: Value| {
        let (app, token) = (&ca.app, token.clone());
        async move { authed(app, Method::DELETE, "/api/auth/2fa/totp", &token, body).await }
    };

    // The step used to enable is spent: a replay of it is refused.
    let used = code_now(&tf.secret, &ca.clock);
    assert_error(
        off(json!({ "password": PASSWORD, "code": used })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_error(
        off(json!({ "password": PASSWORD, "code": "aaaa-bbbb-cccc-dddd-eeee-ffff" })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let fresh = next_code(&tf.secret, &ca.clock);
    assert_error(
        off(json!({ "password": "not my password", "code": fresh })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert!(user_row(&ca.pool, &tf.user.email).totp_enabled);

    // A recovery code, typed sloppily, turns it off.
    let sloppy = tf.codes[3].replace('-', " ").to_uppercase();
    assert_eq!(
        off(json!({ "password": PASSWORD, "code": sloppy }))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let row = user_row(&ca.pool, &tf.user.email);
    assert!(!row.totp_enabled && row.totp_secret_sealed.is_none());
    assert_eq!(
        mails_to(&ca.pool, &tf.user.email),
        ["two_factor_enabled", "two_factor_disabled"]
    );
    let login: Value = password_step(&ca.app, &tf.user.email)
        .await
        .json()
        .await
        .unwrap();
    assert!(login["access_token"].is_string(), "one step again: {login}");
    assert_error(
        off(json!({ "password": PASSWORD, "code": fresh })).await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;

    // On again with a new secret, then off with a TOTP code.
    let tf = turn_on(&ca, tf.user.clone()).await;
    let code = next_code(&tf.secret, &ca.clock);
    assert_eq!(
        off(json!({ "password": PASSWORD, "code": code }))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn two_factor_endpoints_need_a_session() {
    let ca = spawn_clocked(|_| {}).await;
    for (method, path) in [
        (Method::POST, "/api/auth/2fa/totp"),
        (Method::POST, "/api/auth/2fa/totp/confirm"),
        (Method::POST, "/api/auth/2fa/recovery-codes"),
        (Method::DELETE, "/api/auth/2fa/totp"),
    ] {
        let res = browser()
            .request(method.clone(), ca.app.url(path))
            .json(&json!({ "password": PASSWORD, "code": "123456" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
    }
}
