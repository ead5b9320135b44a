//! `POST /api/auth/introspect` (RFC 7662): who may ask, how the token is
//! sent, and that `active` is true only for a token taskgate would accept
//! right now — for every kind of token and every way a token dies.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::header::{CONTENT_TYPE, COOKIE};
use reqwest::{Method, Response, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::pats::{assert_insufficient_scope, assert_invalid_token};

/// Asks with `caller` about `token` (JSON body).
async fn introspect(app: &TestApp, caller: &str, token: &str) -> Value {
    let res = app
        .bearer(
            Method::POST,
            "/api/auth/introspect",
            caller,
            Some(&json!({ "token": token })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "introspect");
    res.json().await.unwrap()
}

fn inactive() -> Value {
    json!({ "active": false })
}

fn claims(access: &str) -> Value {
    let payload = access.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn epoch(rfc3339: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339.as_str().unwrap())
        .unwrap()
        .timestamp()
}

async fn raw(
    app: &TestApp,
    caller: Option<&str>,
    content_type: Option<&str>,
    body: &str,
) -> Response {
    let mut req = browser().post(app.url("/api/auth/introspect"));
    if let Some(c) = caller {
        req = req.bearer_auth(c);
    }
    if let Some(t) = content_type {
        req = req.header(CONTENT_TYPE, t);
    }
    req.body(body.to_owned()).send().await.unwrap()
}

#[tokio::test]
async fn only_a_pat_with_the_introspect_scope_may_introspect() {
    let app = spawn_app().await;
    let user = app.api_signup("resource-server@example.com").await;
    let (_, tasks_only) = app.api_create_pat(&user.access, &["tasks:write"]).await;
    let body = json!({ "token": user.access }).to_string();

    let res = raw(&app, None, Some("application/json"), &body).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "no credentials");
    let res = raw(&app, Some(&user.access), Some("application/json"), &body).await;
    assert_insufficient_scope(res, "introspect", "a session's access token").await;
    let res = raw(&app, Some(&tasks_only), Some("application/json"), &body).await;
    assert_insufficient_scope(res, "introspect", "a PAT without the scope").await;
    let forged = taskgate::auth::pat_token::generate();
    let res = raw(
        &app,
        Some(forged.token.expose_secret()),
        Some("application/json"),
        &body,
    )
    .await;
    assert_invalid_token(res, "an unknown PAT").await;

    let client = browser();
    app.web_signup(&client, "cookie-introspect@example.com")
        .await;
    let csrf = app.csrf_from(&client, "/account").await;
    let res = client
        .post(app.url("/api/auth/introspect"))
        .header("x-csrf-token", csrf)
        .json(&json!({ "token": user.access }))
        .send()
        .await
        .unwrap();
    assert_insufficient_scope(res, "introspect", "a cookie session").await;
}

#[tokio::test]
async fn an_access_token_is_active_with_its_claims_until_its_session_ends() {
    let app = spawn_app().await;
    let user = app.api_signup("introspected@example.com").await;
    let (_, caller) = app.api_create_pat(&user.access, &["introspect"]).await;
    let other = app.api_signup("someone-else@example.com").await;

    let found = introspect(&app, &caller, &other.access).await;

    let c = claims(&other.access);
    assert_eq!(
        found,
        json!({
            "active": true, "token_type": "access_token", "sub": other.id,
            "sid": c["sid"], "iat": c["iat"], "exp": c["exp"],
            "iss": "taskgate", "aud": "taskgate",
        })
    );

    let res = app
        .bearer(Method::POST, "/api/auth/logout", &other.access, None)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        introspect(&app, &caller, &other.access).await,
        inactive(),
        "after logout"
    );
    assert_eq!(
        introspect(&app, &caller, &other.refresh).await,
        inactive(),
        "a refresh token"
    );
}

#[tokio::test]
async fn a_pat_is_active_with_its_scopes_until_revoked_or_expired() {
    let app = spawn_app().await;
    let user = app.api_signup("pat-introspected@example.com").await;
    let (_, caller) = app.api_create_pat(&user.access, &["introspect"]).await;
    let res = app
        .bearer(
            Method::POST,
            "/api/auth/tokens",
            &user.access,
            Some(&json!({ "name": "script", "scopes": ["tasks:write", "tasks:read"], "expires_in_days": 7 })),
        )
        .await;
    let made: Value = res.json().await.unwrap();
    let (id, token) = (
        made["id"].as_str().unwrap(),
        made["token"].as_str().unwrap(),
    );

    let found = introspect(&app, &caller, token).await;
    assert_eq!(
        found,
        json!({
            "active": true, "token_type": "personal_access_token", "sub": user.id,
            "scope": "tasks:read tasks:write",
            "iat": epoch(&made["created_at"]), "exp": epoch(&made["expires_at"]),
            "iss": "taskgate", "aud": "taskgate",
        })
    );
    let itself = introspect(&app, &caller, &caller).await;
    assert_eq!(
        itself["scope"], "introspect",
        "the caller may introspect itself"
    );

    let res = app
        .bearer(
            Method::DELETE,
            &format!("/api/auth/tokens/{id}"),
            &user.access,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        introspect(&app, &caller, token).await,
        inactive(),
        "revoked"
    );

    let (expiring_id, expiring) = app.api_create_pat(&user.access, &["tasks:read"]).await;
    assert_eq!(introspect(&app, &caller, &expiring).await["active"], true);
    app.execute_sql(&format!(
        "UPDATE personal_access_tokens SET expires_at = '2000-01-01 00:00:00' WHERE id = '{expiring_id}'"
    ));
    assert_eq!(
        introspect(&app, &caller, &expiring).await,
        inactive(),
        "expired"
    );
}

#[tokio::test]
async fn garbage_forgeries_and_tampered_tokens_are_inactive() {
    let app = spawn_app().await;
    let user = app.api_signup("garbage@example.com").await;
    let (_, caller) = app.api_create_pat(&user.access, &["introspect"]).await;
    // One character in the middle of the signature changed.
    let (signed, signature) = user.access.rsplit_once('.').unwrap();
    let mut signature = signature.to_owned().into_bytes();
    let i = signature.len() / 2;
    signature[i] = if signature[i] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{signed}.{}", String::from_utf8(signature).unwrap());
    let mut bad_checksum = caller.clone().into_bytes();
    bad_checksum[12] = if bad_checksum[12] == b'z' { b'y' } else { b'z' };
    let bad_checksum = String::from_utf8(bad_checksum).unwrap();
    let unknown = taskgate::auth::pat_token::generate();
    let long = "x".repeat(10_000);

    for token in [
        "",
        "garbage",
        "a.b.c",
        tampered.as_str(),
        user.refresh.as_str(),
        bad_checksum.as_str(),
        unknown.token.expose_secret(),
        "tgp_",
        long.as_str(),
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    ] {
        assert_eq!(
            introspect(&app, &caller, token).await,
            inactive(),
            "{token:.40}"
        );
    }
}

#[tokio::test]
async fn a_deleted_users_tokens_are_inactive() {
    let app = spawn_app().await;
    let server = app.api_signup("introspecting-service@example.com").await;
    let (_, caller) = app.api_create_pat(&server.access, &["introspect"]).await;
    let leaving = app.api_signup("leaving@example.com").await;
    let (_, leaving_pat) = app.api_create_pat(&leaving.access, &["tasks:read"]).await;
    assert_eq!(
        introspect(&app, &caller, &leaving.access).await["active"],
        true
    );
    assert_eq!(
        introspect(&app, &caller, &leaving_pat).await["active"],
        true
    );

    let res = app
        .bearer(
            Method::DELETE,
            "/api/auth/account",
            &leaving.access,
            Some(&json!({ "password": PASSWORD })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    assert_eq!(introspect(&app, &caller, &leaving.access).await, inactive());
    assert_eq!(introspect(&app, &caller, &leaving_pat).await, inactive());
}

#[tokio::test]
async fn the_token_comes_as_json_or_a_form_and_a_missing_one_is_400() {
    let app = spawn_app().await;
    let user = app.api_signup("forms@example.com").await;
    let (_, caller) = app.api_create_pat(&user.access, &["introspect"]).await;
    let form = format!("token={}&token_type_hint=access_token", user.access);

    let res = raw(
        &app,
        Some(&caller),
        Some("application/x-www-form-urlencoded"),
        &form,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let found: Value = res.json().await.unwrap();
    assert_eq!(found["active"], true);
    assert_eq!(found["sub"], user.id.as_str());

    for (content_type, body) in [
        (Some("application/json"), "{}"),
        (Some("application/json"), r#"{"token": 42}"#),
        (Some("application/json"), r#"{"token": null}"#),
        (Some("application/json"), "[]"),
        (Some("application/json"), "{not json"),
        (
            Some("application/x-www-form-urlencoded"),
            "token_type_hint=access_token",
        ),
        (Some("application/x-www-form-urlencoded"), ""),
        (None, ""),
    ] {
        let res = raw(&app, Some(&caller), content_type, body).await;
        assert_eq!(
            res.status(),
            StatusCode::BAD_REQUEST,
            "{content_type:?} {body}"
        );
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "bad_request");
    }
    let res = raw(&app, Some(&caller), Some("text/plain"), "token=x").await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let res = raw(
        &app,
        Some(&caller),
        Some("application/json"),
        &"x".repeat(70_000),
    )
    .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_pat_in_a_cookie_cannot_introspect() {
    let app = spawn_app().await;
    let user = app.api_signup("cookie-caller@example.com").await;
    let (_, caller) = app.api_create_pat(&user.access, &["introspect"]).await;

    let res = browser()
        .post(app.url("/api/auth/introspect"))
        .header(COOKIE, format!("tg_access={caller}"))
        .json(&json!({ "token": user.access }))
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
