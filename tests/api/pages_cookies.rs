//! The auth cookies: `__Host-` names and every attribute when secure, and
//! renewal from the refresh cookie (with reuse detection) when the access
//! cookie is missing or expired. These tests keep the jar themselves.

use crate::helpers::*;

use reqwest::header::COOKIE;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn secure_cookies_use_the_host_prefix_and_every_attribute() {
    let app = spawn_app_with(|c| c.cookie_secure = true).await;
    let client = plain_client();
    let mut jar = Jar::default();
    let res = client.get(app.url("/signup")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    jar.absorb(&res);
    let csrf = csrf_in(&res.text().await.unwrap()).expect("csrf token");
    let res = client
        .post(app.url("/signup"))
        .header(COOKIE, jar.header())
        .form(&[
            ("name", "Sec"),
            ("email", "secure@example.com"),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookies = set_cookies(&res);
    for name in ["__Host-tg_access", "__Host-tg_refresh"] {
        let c = cookie(&res, name).unwrap_or_else(|| panic!("{name} not set: {cookies:?}"));
        assert!(!is_clearing(&c), "{cookies:?}");
        assert!(c.http_only(), "{name} lacks HttpOnly: {cookies:?}");
        assert!(c.secure(), "{name} lacks Secure: {cookies:?}");
        assert_eq!(c.path(), Some("/"), "{name} lacks Path=/: {cookies:?}");
        assert!(c.same_site_lax(), "{name} lacks SameSite=Lax: {cookies:?}");
        assert_eq!(
            c.domain(),
            None,
            "__Host- cookies carry no Domain: {cookies:?}"
        );
    }
    assert!(cookie(&res, "tg_access").is_none() && cookie(&res, "tg_refresh").is_none());
    jar.absorb(&res);
    let res = client
        .get(app.url("/tasks"))
        .header(COOKIE, jar.header())
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the __Host- cookies sign the user in"
    );
}

#[tokio::test]
async fn a_missing_access_cookie_is_renewed_from_the_refresh_cookie_and_reuse_is_detected() {
    // Strict: no grace window (REFRESH_REUSE_GRACE_SECS=0).
    let app = spawn_app_with(|c| c.refresh_reuse_grace = std::time::Duration::ZERO).await;
    let client = plain_client();
    let mut jar = Jar::default();
    let res = client.get(app.url("/signup")).send().await.unwrap();
    jar.absorb(&res);
    let csrf = csrf_in(&res.text().await.unwrap()).unwrap();
    let res = client
        .post(app.url("/signup"))
        .header(COOKIE, jar.header())
        .form(&[
            ("name", "R"),
            ("email", "refresh@example.com"),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    jar.absorb(&res);
    let old_refresh = jar.0.get("tg_refresh").cloned().expect("tg_refresh");
    // Everything but the auth cookies: the session cookie that carries the CSRF token.
    jar.0.retain(|k, _| k != "tg_access" && k != "tg_refresh");
    let session_cookie = jar.header();
    let with_refresh = |r: &str| {
        if session_cookie.is_empty() {
            format!("tg_refresh={r}")
        } else {
            format!("{session_cookie}; tg_refresh={r}")
        }
    };

    let res = client
        .get(app.url("/tasks"))
        .header(COOKIE, with_refresh(&old_refresh))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "page served from the refresh cookie alone"
    );
    let cookies = set_cookies(&res);
    assert!(sets_live(&res, "tg_access"), "new tg_access: {cookies:?}");
    assert!(sets_live(&res, "tg_refresh"), "new tg_refresh: {cookies:?}");
    let new_access = cookie_value(&res, "tg_access").unwrap();
    let new_refresh = cookie_value(&res, "tg_refresh").unwrap();
    assert_ne!(new_refresh, old_refresh, "refresh token rotated");
    assert_eq!(
        app.me_status(&new_access).await,
        StatusCode::OK,
        "the new access cookie works"
    );

    // The used refresh token again: reuse detection.
    let res = client
        .get(app.url("/tasks"))
        .header(COOKIE, with_refresh(&old_refresh))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "reused refresh token");
    assert!(location(&res).starts_with("/login"), "{}", location(&res));
    // ... which revokes the whole session, including the rotated tokens.
    let res = client
        .get(app.url("/tasks"))
        .header(COOKIE, with_refresh(&new_refresh))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "rotated refresh token after reuse"
    );
    assert_eq!(
        app.me_status(&new_access).await,
        StatusCode::UNAUTHORIZED,
        "access after reuse"
    );
}

/// The access token re-signed with the test secret, its lifetime long over.
fn expired_copy(token: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("jwt payload");
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("claims");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    claims["iat"] = json!(now - 3600);
    claims["nbf"] = json!(now - 3600);
    claims["exp"] = json!(now - 600);
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .expect("sign")
}

#[tokio::test]
async fn an_expired_access_cookie_is_renewed_from_the_refresh_cookie() {
    let app = spawn_app().await;
    let client = plain_client();
    let mut jar = Jar::default();
    let res = client.get(app.url("/signup")).send().await.unwrap();
    jar.absorb(&res);
    let csrf = csrf_in(&res.text().await.unwrap()).unwrap();
    let res = client
        .post(app.url("/signup"))
        .header(COOKIE, jar.header())
        .form(&[
            ("name", "E"),
            ("email", "expired@example.com"),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    jar.absorb(&res);
    let access = jar.0.get("tg_access").cloned().expect("tg_access");
    let expired = expired_copy(&access);
    assert_eq!(
        app.me_status(&expired).await,
        StatusCode::UNAUTHORIZED,
        "the forged copy is expired"
    );
    jar.0.insert("tg_access".into(), expired.clone());

    let res = client
        .get(app.url("/tasks"))
        .header(COOKIE, jar.header())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookies = set_cookies(&res);
    assert!(
        sets_live(&res, "tg_access") && sets_live(&res, "tg_refresh"),
        "{cookies:?}"
    );
    let renewed = cookie_value(&res, "tg_access").unwrap();
    assert_ne!(renewed, expired);
    assert_eq!(app.me_status(&renewed).await, StatusCode::OK);
}
