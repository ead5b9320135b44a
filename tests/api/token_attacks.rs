//! Attacks on HS256 tokens (`JWT_ALG=HS256`, where the secret is shared by
//! design): forging works only with the real secret, and every other trick is
//! refused. The EdDSA default is attacked in `eddsa.rs`.

use crate::helpers::*;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use reqwest::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use sha2::{Sha256, Sha384, Sha512};

/// Every test here runs a server that signs with HS256.
async fn spawn_app() -> TestApp {
    spawn_app_with(|c| c.jwt_alg = taskgate::config::JwtAlg::Hs256).await
}

// ---------------------------------------------------------------------------
// Private helpers: decoding real tokens and forging new ones
// ---------------------------------------------------------------------------

const OTHER_KEY: &[u8] = b"an-attackers-key-that-is-not-ours-0123456789";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn segment(v: &Value) -> String {
    b64(&serde_json::to_vec(v).unwrap())
}

fn decode_segment(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn mac(alg: &str, key: &[u8], msg: &[u8]) -> Vec<u8> {
    match alg {
        "HS256" => {
            let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
            m.update(msg);
            m.finalize().into_bytes().to_vec()
        }
        "HS384" => {
            let mut m = Hmac::<Sha384>::new_from_slice(key).unwrap();
            m.update(msg);
            m.finalize().into_bytes().to_vec()
        }
        "HS512" => {
            let mut m = Hmac::<Sha512>::new_from_slice(key).unwrap();
            m.update(msg);
            m.finalize().into_bytes().to_vec()
        }
        other => panic!("no MAC for {other}"),
    }
}

/// Any header and claims, HMAC-signed with `mac_alg` (whatever `header.alg` says).
fn forge(header: &Value, claims: &Value, mac_alg: &str, key: &[u8]) -> String {
    let signing_input = format!("{}.{}", segment(header), segment(claims));
    let sig = b64(&mac(mac_alg, key, signing_input.as_bytes()));
    format!("{signing_input}.{sig}")
}

/// The standard header, signed with our secret: what a valid token looks like.
fn hs256(claims: &Value) -> String {
    forge(
        &json!({ "alg": "HS256", "typ": "JWT" }),
        claims,
        "HS256",
        TEST_SECRET.as_bytes(),
    )
}

/// The claims of a real access token with a fresh time window and `jti`.
fn fresh_claims(real_access: &str) -> Value {
    let mut c = decode_segment(real_access, 1);
    let t = now();
    c["iat"] = json!(t);
    c["nbf"] = json!(t);
    c["exp"] = json!(t + 600);
    c["jti"] = json!(uuid::Uuid::new_v4().to_string());
    c
}

async fn me(app: &TestApp, token: &str) -> Response {
    app.bearer(Method::GET, "/api/auth/me", token, None).await
}

/// 401, `error="invalid_token"`, the JSON `unauthorized` error: never a 500.
async fn assert_refused(app: &TestApp, token: &str, what: &str) {
    let res = me(app, token).await;
    assert_refused_response(res, what).await;
}

async fn assert_refused_response(res: Response, what: &str) {
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{what}");
    let www = res
        .headers()
        .get(WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        www.starts_with("Bearer") && www.contains(r#"realm="taskgate""#),
        "{what}: WWW-Authenticate was {www:?}"
    );
    assert!(
        www.contains(r#"error="invalid_token""#),
        "{what}: WWW-Authenticate was {www:?}"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized", "{what}: {body}");
}

async fn assert_accepted(app: &TestApp, token: &str, user_id: &str, what: &str) {
    let res = me(app, token).await;
    assert_eq!(res.status(), StatusCode::OK, "{what}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["id"], user_id, "{what}");
}

// ---------------------------------------------------------------------------
// What a real token looks like, and a control showing forging works
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_issued_access_token_is_an_hs256_jwt_with_exactly_the_contract_claims() {
    let app = spawn_app().await;
    let before = now();

    let user = app.api_signup("real@example.com").await;

    let header = decode_segment(&user.access, 0);
    assert_eq!(header, json!({ "alg": "HS256", "typ": "JWT" }));
    let claims = decode_segment(&user.access, 1);
    let mut keys: Vec<&str> = claims
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["aud", "exp", "iat", "iss", "jti", "nbf", "sid", "sub"],
        "{claims}"
    );
    assert_eq!(claims["sub"], user.id.as_str());
    assert_eq!(claims["iss"], "taskgate");
    assert_eq!(claims["aud"], "taskgate");
    assert!(uuid::Uuid::parse_str(claims["sid"].as_str().unwrap()).is_ok());
    assert!(!claims["jti"].as_str().unwrap().is_empty());
    let iat = claims["iat"].as_i64().unwrap();
    let nbf = claims["nbf"].as_i64().unwrap();
    let exp = claims["exp"].as_i64().unwrap();
    assert!(
        iat >= before - 1 && iat <= now() + 1,
        "iat {iat} near {before}"
    );
    assert!(nbf <= iat + 1, "nbf {nbf} iat {iat}");
    assert_eq!(exp - iat, 900, "default ACCESS_TOKEN_TTL_SECS");
    let signing_input = user.access.rsplit_once('.').unwrap().0;
    let expected_sig = b64(&mac(
        "HS256",
        TEST_SECRET.as_bytes(),
        signing_input.as_bytes(),
    ));
    assert_eq!(
        user.access.rsplit_once('.').unwrap().1,
        expected_sig,
        "signed with the configured secret"
    );
}

#[tokio::test]
async fn each_issued_token_has_its_own_jti() {
    let app = spawn_app().await;
    let user = app.api_signup("jti@example.com").await;
    let res = app
        .post_json(
            "/api/auth/login",
            &json!({ "email": "jti@example.com", "password": PASSWORD }),
        )
        .await;
    let second: Value = res.json().await.unwrap();

    let a = decode_segment(&user.access, 1);
    let b = decode_segment(second["access_token"].as_str().unwrap(), 1);

    assert_ne!(a["jti"], b["jti"]);
    assert_ne!(a["sid"], b["sid"]);
}

#[tokio::test]
async fn a_correctly_forged_token_with_the_real_secret_is_accepted() {
    // Control for every test below: the forging helpers produce tokens the
    // server accepts, so a refusal there is caused by the one thing changed.
    let app = spawn_app().await;
    let user = app.api_signup("control@example.com").await;
    let claims = fresh_claims(&user.access);

    let manual = hs256(&claims);
    let with_crate = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .unwrap();

    assert_accepted(&app, &manual, &user.id, "manual HS256").await;
    assert_accepted(&app, &with_crate, &user.id, "jsonwebtoken HS256").await;
}

// ---------------------------------------------------------------------------
// Algorithm and signature attacks
// ---------------------------------------------------------------------------

#[tokio::test]
async fn alg_none_tokens_are_refused_in_every_capitalization() {
    let app = spawn_app().await;
    let user = app.api_signup("none@example.com").await;
    let claims = fresh_claims(&user.access);
    let real_sig = user.access.rsplit_once('.').unwrap().1.to_owned();

    for alg in ["none", "None", "NONE", "nOnE", ""] {
        let header = json!({ "alg": alg, "typ": "JWT" });
        let unsigned = format!("{}.{}", segment(&header), segment(&claims));

        assert_refused(
            &app,
            &format!("{unsigned}."),
            &format!("alg {alg:?}, empty sig"),
        )
        .await;
        assert_refused(&app, &unsigned, &format!("alg {alg:?}, no sig segment")).await;
        assert_refused(
            &app,
            &format!("{unsigned}.{real_sig}"),
            &format!("alg {alg:?}, someone else's sig"),
        )
        .await;
        let hmac_signed = forge(&header, &claims, "HS256", TEST_SECRET.as_bytes());
        assert_refused(&app, &hmac_signed, &format!("alg {alg:?}, HMAC sig")).await;
    }
    // The session itself is fine: only the forged tokens were refused.
    assert_accepted(&app, &user.access, &user.id, "real token").await;
}

#[tokio::test]
async fn a_token_with_its_signature_stripped_is_refused() {
    let app = spawn_app().await;
    let user = app.api_signup("strip@example.com").await;
    let (signing_input, _) = user.access.rsplit_once('.').unwrap();

    assert_refused(&app, &format!("{signing_input}."), "empty signature").await;
    assert_refused(&app, signing_input, "two segments").await;
    assert_refused(&app, &format!("{signing_input}.AAAA"), "short signature").await;
    assert_refused(
        &app,
        &format!("{signing_input}.{}", b64(&[0u8; 32])),
        "zero signature",
    )
    .await;
    assert_accepted(&app, &user.access, &user.id, "real token").await;
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_refused() {
    let app = spawn_app().await;
    let user = app.api_signup("key@example.com").await;
    let claims = fresh_claims(&user.access);

    let manual = forge(
        &json!({ "alg": "HS256", "typ": "JWT" }),
        &claims,
        "HS256",
        OTHER_KEY,
    );
    let with_crate = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(OTHER_KEY),
    )
    .unwrap();
    let empty_key = forge(
        &json!({ "alg": "HS256", "typ": "JWT" }),
        &claims,
        "HS256",
        b"",
    );

    assert_refused(&app, &manual, "other key").await;
    assert_refused(&app, &with_crate, "other key via jsonwebtoken").await;
    assert_refused(&app, &empty_key, "empty key").await;
}

#[tokio::test]
async fn hs384_and_hs512_tokens_signed_with_the_right_secret_are_refused() {
    let app = spawn_app().await;
    let user = app.api_signup("algs@example.com").await;
    let claims = fresh_claims(&user.access);
    let key = EncodingKey::from_secret(TEST_SECRET.as_bytes());

    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let token = encode(&Header::new(alg), &claims, &key).unwrap();

        assert_refused(&app, &token, &format!("{alg:?}")).await;
    }
    // A header that claims HS256 over a longer MAC is refused too.
    for mac_alg in ["HS384", "HS512"] {
        let token = forge(
            &json!({ "alg": "HS256", "typ": "JWT" }),
            &claims,
            mac_alg,
            TEST_SECRET.as_bytes(),
        );
        assert_refused(&app, &token, &format!("HS256 header, {mac_alg} MAC")).await;
    }
}

#[tokio::test]
async fn asymmetric_algorithm_headers_with_the_secret_as_key_are_refused() {
    // Algorithm confusion: an RS/ES/PS header over an HMAC made with our secret.
    let app = spawn_app().await;
    let user = app.api_signup("confuse@example.com").await;
    let claims = fresh_claims(&user.access);

    for alg in ["RS256", "ES256", "PS256", "EdDSA", "HS1", "hs256"] {
        let token = forge(
            &json!({ "alg": alg, "typ": "JWT" }),
            &claims,
            "HS256",
            TEST_SECRET.as_bytes(),
        );

        assert_refused(&app, &token, alg).await;
    }
}

// ---------------------------------------------------------------------------
// Time claims
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_token_expired_beyond_the_30_second_leeway_is_refused() {
    let app = spawn_app().await;
    let user = app.api_signup("exp@example.com").await;

    for age in [35, 120, 86_400] {
        let mut claims = fresh_claims(&user.access);
        claims["iat"] = json!(now() - 900 - age);
        claims["nbf"] = json!(now() - 900 - age);
        claims["exp"] = json!(now() - age);

        assert_refused(&app, &hs256(&claims), &format!("expired {age}s ago")).await;
    }
}

#[tokio::test]
async fn a_token_expired_by_only_10_seconds_is_accepted_within_the_leeway() {
    let app = spawn_app().await;
    let user = app.api_signup("leeway@example.com").await;
    let mut claims = fresh_claims(&user.access);
    claims["iat"] = json!(now() - 910);
    claims["nbf"] = json!(now() - 910);
    claims["exp"] = json!(now() - 10);

    assert_accepted(&app, &hs256(&claims), &user.id, "expired 10s ago").await;
}

#[tokio::test]
async fn a_token_not_valid_until_60_seconds_from_now_is_refused() {
    let app = spawn_app().await;
    let user = app.api_signup("nbf@example.com").await;
    let mut claims = fresh_claims(&user.access);
    claims["nbf"] = json!(now() + 60);
    claims["exp"] = json!(now() + 960);

    assert_refused(&app, &hs256(&claims), "nbf in 60s").await;
}

#[tokio::test]
async fn tokens_missing_exp_or_nbf_are_refused() {
    let app = spawn_app().await;
    let user = app.api_signup("missing@example.com").await;

    for claim in ["exp", "nbf"] {
        let mut claims = fresh_claims(&user.access);
        claims.as_object_mut().unwrap().remove(claim);

        assert_refused(&app, &hs256(&claims), &format!("no {claim}")).await;
    }
    for (claim, value) in [
        ("exp", json!(null)),
        ("exp", json!("tomorrow")),
        ("nbf", json!(null)),
    ] {
        let mut claims = fresh_claims(&user.access);
        claims[claim] = value.clone();

        assert_refused(&app, &hs256(&claims), &format!("{claim} = {value}")).await;
    }
}

// ---------------------------------------------------------------------------
// Issuer, audience and identity claims
// ---------------------------------------------------------------------------

#[tokio::test]
async fn tokens_with_a_wrong_or_missing_issuer_or_audience_are_refused() {
    let app = spawn_app().await;
    let user = app.api_signup("issaud@example.com").await;
    let cases = [
        ("iss", Some(json!("evil"))),
        ("iss", Some(json!("Taskgate"))),
        ("iss", Some(json!(""))),
        ("iss", None),
        ("aud", Some(json!("evil"))),
        ("aud", Some(json!(["evil"]))),
        ("aud", Some(json!(""))),
        ("aud", None),
    ];

    for (claim, value) in cases {
        let mut claims = fresh_claims(&user.access);
        match &value {
            Some(v) => claims[claim] = v.clone(),
            None => {
                claims.as_object_mut().unwrap().remove(claim);
            }
        }

        assert_refused(&app, &hs256(&claims), &format!("{claim} = {value:?}")).await;
    }
}

#[tokio::test]
async fn a_tampered_payload_naming_another_user_is_refused() {
    let app = spawn_app().await;
    let alice = app.api_signup("alice@example.com").await;
    let bob = app.api_signup("bob@example.com").await;
    app.api_create_task(&bob.access, "bob's secret").await;
    let (header, rest) = alice.access.split_once('.').unwrap();
    let (_, sig) = rest.split_once('.').unwrap();
    let mut claims = decode_segment(&alice.access, 1);
    claims["sub"] = json!(bob.id);
    let tampered = format!("{header}.{}.{sig}", segment(&claims));
    let mut both = claims.clone();
    both["sid"] = decode_segment(&bob.access, 1)["sid"].clone();
    let tampered_both = format!("{header}.{}.{sig}", segment(&both));

    assert_refused(&app, &tampered, "sub changed to bob").await;
    assert_refused(&app, &tampered_both, "sub and sid changed to bob").await;
    let tasks = app.bearer(Method::GET, "/api/tasks", &tampered, None).await;
    assert_refused_response(tasks, "bob's tasks with tampered token").await;
}

#[tokio::test]
async fn a_validly_signed_token_with_an_unknown_session_id_is_refused() {
    let app = spawn_app().await;
    let user = app.api_signup("sid@example.com").await;

    for sid in [
        json!(uuid::Uuid::new_v4().to_string()),
        json!("not-a-uuid"),
        json!(""),
        json!(42),
    ] {
        let mut claims = fresh_claims(&user.access);
        claims["sid"] = sid.clone();

        assert_refused(&app, &hs256(&claims), &format!("sid {sid}")).await;
    }
    let mut no_sid = fresh_claims(&user.access);
    no_sid.as_object_mut().unwrap().remove("sid");
    assert_refused(&app, &hs256(&no_sid), "no sid").await;
}

#[tokio::test]
async fn a_validly_signed_token_pairing_one_users_id_with_another_users_session_is_refused() {
    let app = spawn_app().await;
    let alice = app.api_signup("alice@example.com").await;
    let bob = app.api_signup("bob@example.com").await;
    let mut claims = fresh_claims(&alice.access);
    claims["sid"] = decode_segment(&bob.access, 1)["sid"].clone();

    assert_refused(&app, &hs256(&claims), "alice's sub, bob's sid").await;
}

#[tokio::test]
async fn a_validly_signed_token_with_an_unknown_or_missing_subject_is_refused() {
    let app = spawn_app().await;
    let user = app.api_signup("sub@example.com").await;

    for sub in [
        Some(json!(uuid::Uuid::new_v4().to_string())),
        Some(json!("' OR 1=1 --")),
        Some(json!(0)),
        None,
    ] {
        let mut claims = fresh_claims(&user.access);
        match &sub {
            Some(s) => claims["sub"] = s.clone(),
            None => {
                claims.as_object_mut().unwrap().remove("sub");
            }
        }

        assert_refused(&app, &hs256(&claims), &format!("sub {sub:?}")).await;
    }
}

#[tokio::test]
async fn tokens_of_a_deleted_user_are_refused_even_when_freshly_signed() {
    let app = spawn_app().await;
    let user = app.api_signup("gone@example.com").await;
    let claims = fresh_claims(&user.access);
    let res = app
        .bearer(
            Method::DELETE,
            "/api/auth/account",
            &user.access,
            Some(&json!({ "password": PASSWORD })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    assert_refused(&app, &user.access, "issued token").await;
    assert_refused(&app, &hs256(&claims), "freshly signed token").await;
    let tasks = app
        .bearer(Method::GET, "/api/tasks", &hs256(&claims), None)
        .await;
    assert_refused_response(tasks, "tasks with the deleted user's token").await;
}

// ---------------------------------------------------------------------------
// Malformed tokens and headers
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_huge_token_is_refused_without_a_server_error() {
    let app = spawn_app().await;
    let user = app.api_signup("huge@example.com").await;
    let mut claims = fresh_claims(&user.access);
    // Padding chosen so the whole token, base64 and all, is about 100 KB.
    claims["pad"] = json!("A".repeat(74 * 1024));
    let huge_signed = hs256(&claims);
    let huge_junk = "a".repeat(100 * 1024);

    assert!(
        (100_000..110_000).contains(&huge_signed.len()),
        "{}",
        huge_signed.len()
    );
    assert_refused(&app, &huge_signed, "100 KB validly signed").await;
    assert_refused(&app, &huge_junk, "100 KB junk").await;
    assert_accepted(&app, &user.access, &user.id, "server still serves").await;
}

#[tokio::test]
async fn tokens_with_non_base64_or_malformed_segments_are_refused() {
    let app = spawn_app().await;
    let user = app.api_signup("junk@example.com").await;
    let (h, rest) = user.access.split_once('.').unwrap();
    let (p, s) = rest.split_once('.').unwrap();
    let junk = [
        "x".to_owned(),
        "...".to_owned(),
        "a.b.c".to_owned(),
        "!!!.@@@.###".to_owned(),
        format!("{h}.{p}.{s}.{s}"),
        format!("{h}!.{p}.{s}"),
        format!("{h}.{p}*.{s}"),
        format!("{h}.{p}.{s}~~"),
        format!("{h}==.{p}.{s}"),
        format!("{}.{p}.{s}", b64(b"not json")),
        format!("{h}.{}.{s}", b64(b"not json")),
        format!("{h}.{}.{s}", b64(b"[1,2,3]")),
        format!("{}.{p}.{s}", b64(b"{\"alg\":\"HS256\",\"typ\":\"JWT\"")),
        "Bearer".to_owned(),
        format!("{s}.{p}.{h}"),
    ];

    for token in &junk {
        assert_refused(&app, token, token).await;
    }
    assert_accepted(&app, &user.access, &user.id, "real token").await;
}

#[tokio::test]
async fn a_bearer_header_with_non_ascii_bytes_is_refused_without_a_server_error() {
    let app = spawn_app().await;
    let mut value = b"Bearer ".to_vec();
    value.extend_from_slice(b"\xff\xfe\x80abc.def.ghi");
    let header = HeaderValue::from_bytes(&value).unwrap();

    let res = reqwest::Client::new()
        .get(app.url("/api/auth/me"))
        .header(AUTHORIZATION, header)
        .send()
        .await
        .unwrap();

    assert_refused_response(res, "non-ASCII bearer").await;
}

#[tokio::test]
async fn a_typ_other_than_jwt_is_refused() {
    let app = spawn_app().await;
    let user = app.api_signup("typ@example.com").await;
    let claims = fresh_claims(&user.access);

    for typ in ["JWS", "JOSE", "at+jwt", "none", ""] {
        let token = forge(
            &json!({ "alg": "HS256", "typ": typ }),
            &claims,
            "HS256",
            TEST_SECRET.as_bytes(),
        );

        assert_refused(&app, &token, &format!("typ {typ:?}")).await;
    }
}

#[tokio::test]
async fn key_source_headers_never_make_another_key_acceptable() {
    let app = spawn_app().await;
    let user = app.api_signup("jku@example.com").await;
    let claims = fresh_claims(&user.access);
    let jwk = json!({
        "kty": "oct",
        "k": b64(OTHER_KEY),
        "alg": "HS256",
        "kid": "attacker"
    });
    let headers = [
        json!({ "alg": "HS256", "typ": "JWT", "jku": "http://127.0.0.1:1/jwks.json" }),
        json!({ "alg": "HS256", "typ": "JWT", "x5u": "http://127.0.0.1:1/cert.pem" }),
        json!({ "alg": "HS256", "typ": "JWT", "kid": "attacker" }),
        json!({ "alg": "HS256", "typ": "JWT", "kid": "../../../../dev/null" }),
        json!({ "alg": "HS256", "typ": "JWT", "kid": "' UNION SELECT 'key' --" }),
        json!({ "alg": "HS256", "typ": "JWT", "jwk": jwk }),
        json!({
            "alg": "HS256", "typ": "JWT", "kid": "attacker",
            "jku": "http://127.0.0.1:1/jwks.json", "jwk": jwk
        }),
    ];

    for header in &headers {
        let token = forge(header, &claims, "HS256", OTHER_KEY);

        assert_refused(&app, &token, &header.to_string()).await;
    }
    // The same headers with an empty key (what a `/dev/null` kid would yield).
    let token = forge(&headers[3], &claims, "HS256", b"");
    assert_refused(&app, &token, "kid to /dev/null with empty key").await;
}

#[tokio::test]
async fn a_refresh_token_is_not_accepted_as_an_access_token() {
    let app = spawn_app().await;
    let user = app.api_signup("swap@example.com").await;

    assert_refused(&app, &user.refresh, "refresh token as bearer").await;
}

#[tokio::test]
async fn forged_tokens_are_refused_on_task_routes_too() {
    let app = spawn_app().await;
    let user = app.api_signup("routes@example.com").await;
    let task = app.api_create_task(&user.access, "target").await;
    let task_path = format!("/api/tasks/{}", task["id"].as_str().unwrap());
    let claims = fresh_claims(&user.access);
    let wrong_key = forge(
        &json!({ "alg": "HS256", "typ": "JWT" }),
        &claims,
        "HS256",
        OTHER_KEY,
    );
    let none = format!(
        "{}.{}.",
        segment(&json!({ "alg": "none", "typ": "JWT" })),
        segment(&claims)
    );

    for token in [&wrong_key, &none] {
        for (method, path, body) in [
            (Method::GET, "/api/tasks", None),
            (Method::POST, "/api/tasks", Some(json!({ "title": "x" }))),
            (Method::GET, task_path.as_str(), None),
            (
                Method::PATCH,
                task_path.as_str(),
                Some(json!({ "title": "x" })),
            ),
            (Method::DELETE, task_path.as_str(), None),
            (Method::POST, "/api/auth/logout", None),
        ] {
            let res = app.bearer(method.clone(), path, token, body.as_ref()).await;

            assert_refused_response(res, &format!("{method} {path}")).await;
        }
    }
    let now = app
        .bearer(Method::GET, &task_path, &user.access, None)
        .await;
    assert_eq!(now.status(), StatusCode::OK);
    assert_eq!(now.json::<Value>().await.unwrap(), task);
}

#[tokio::test]
async fn a_payload_with_duplicate_claims_is_refused_even_when_correctly_signed() {
    let app = spawn_app().await;
    let victim = app.api_signup("dup-victim@example.com").await;
    let attacker = app.api_signup("dup-attacker@example.com").await;
    let c = fresh_claims(&attacker.access);
    let victim_sub = decode_segment(&victim.access, 1)["sub"].clone();
    // Hand-written JSON: a parser that keeps the last `sub` would see the victim.
    let payload = format!(
        r#"{{"sub":{},"sid":{},"iat":{},"nbf":{},"exp":{},"iss":"taskgate","aud":"taskgate","jti":{},"sub":{}}}"#,
        c["sub"], c["sid"], c["iat"], c["nbf"], c["exp"], c["jti"], victim_sub
    );
    let signing_input = format!(
        "{}.{}",
        segment(&json!({ "alg": "HS256", "typ": "JWT" })),
        b64(payload.as_bytes())
    );
    let token = format!(
        "{signing_input}.{}",
        b64(&mac(
            "HS256",
            TEST_SECRET.as_bytes(),
            signing_input.as_bytes()
        ))
    );
    assert_refused(&app, &token, "duplicate sub claim").await;
}
