//! EdDSA access tokens (the default): the JWKS and metadata other services
//! use, and every attack on the new surface — algorithm confusion both ways,
//! unknown and borrowed `kid`s, embedded keys, tampered key rows — plus
//! rotation and a changed `JWT_SECRET` across real processes.

use std::process::Command;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::prelude::*;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;
use taskgate::config::JwtAlg;
use taskgate::db::schema::signing_keys;

use crate::helpers::*;

async fn me(app: &TestApp, token: &str) -> StatusCode {
    app.bearer(Method::GET, "/api/auth/me", token, None)
        .await
        .status()
}

async fn jwks(base: &str) -> Value {
    browser()
        .get(format!("{base}/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn kid_of(token: &str) -> String {
    jwt_part(token, 0)["kid"].as_str().unwrap().to_owned()
}

/// The claims of a real token with a fresh window: valid in every way but the signature.
fn fresh_claims(real: &str) -> Value {
    let mut c = jwt_part(real, 1);
    let t = chrono::Utc::now().timestamp();
    c["iat"] = json!(t);
    c["nbf"] = json!(t);
    c["exp"] = json!(t + 600);
    c
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A token with any header and claims, HMAC-SHA256-signed with `key`.
fn hmac_token(header: &Value, claims: &Value, key: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        b64(&serde_json::to_vec(header).unwrap()),
        b64(&serde_json::to_vec(claims).unwrap())
    );
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(input.as_bytes());
    format!("{input}.{}", b64(&m.finalize().into_bytes()))
}

/// An Ed25519 key that is not taskgate's, as jsonwebtoken wants it, and its `x`.
fn foreign_key() -> (EncodingKey, String) {
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let der = key.to_pkcs8_der().unwrap();
    let x = b64(key.verifying_key().as_bytes());
    (EncodingKey::from_ed_der(der.as_bytes()), x)
}

fn ed_token(header: Header, claims: &Value, key: &EncodingKey) -> String {
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

#[tokio::test]
async fn an_issued_token_is_eddsa_with_a_kid_the_jwks_publishes_and_verifies() {
    let app = spawn_app().await;
    let user = app.api_signup("ed@example.com").await;

    let header = jwt_part(&user.access, 0);
    let kid = kid_of(&user.access);
    assert_eq!(header, json!({ "alg": "EdDSA", "typ": "JWT", "kid": kid }));

    let res = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cache = res.headers()["cache-control"].to_str().unwrap().to_owned();
    let max_age: u64 = cache
        .strip_prefix("public, max-age=")
        .unwrap_or_else(|| panic!("Cache-Control: {cache}"))
        .parse()
        .unwrap();
    assert!(max_age > 0 && max_age <= 300, "{cache}");
    let body: Value = res.json().await.unwrap();
    let keys = body["keys"].as_array().unwrap();
    let jwk = keys.iter().find(|k| k["kid"] == kid.as_str()).unwrap();
    assert_eq!(jwk["kty"], "OKP");
    assert_eq!(jwk["crv"], "Ed25519");
    assert_eq!(jwk["alg"], "EdDSA");
    assert_eq!(jwk["use"], "sig");
    for key in keys {
        assert!(key.get("d").is_none(), "no private member: {key}");
        let mut names: Vec<&str> = key
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["alg", "crv", "kid", "kty", "use", "x"]);
    }

    // Anyone can verify the token from the JWKS alone.
    let decoding = DecodingKey::from_ed_components(jwk["x"].as_str().unwrap()).unwrap();
    let mut rules = Validation::new(Algorithm::EdDSA);
    rules.set_audience(&["taskgate"]);
    rules.set_issuer(&["taskgate"]);
    let data = jsonwebtoken::decode::<Value>(&user.access, &decoding, &rules).unwrap();
    assert_eq!(data.claims["sub"], user.id.as_str());
}

#[tokio::test]
async fn metadata_names_absolute_urls_built_from_public_url() {
    let app = spawn_app_with(|c| {
        c.public_url =
            Some(taskgate::config::PublicUrl::parse("https://tasks.example.com").unwrap())
    })
    .await;
    let meta: Value = app
        .client
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["issuer"], "taskgate", "the tokens' iss value");
    assert_eq!(
        meta["jwks_uri"],
        "https://tasks.example.com/.well-known/jwks.json"
    );
    assert_eq!(
        meta["introspection_endpoint"],
        "https://tasks.example.com/api/auth/introspect"
    );
}

#[tokio::test]
async fn an_hs256_server_publishes_no_keys() {
    let app = spawn_app_with(|c| c.jwt_alg = JwtAlg::Hs256).await;
    assert_eq!(jwks(&app.address).await, json!({ "keys": [] }));
}

#[tokio::test]
async fn algorithm_confusion_is_refused_both_ways() {
    let app = spawn_app().await;
    let user = app.api_signup("confused@example.com").await;
    assert_eq!(me(&app, &user.access).await, StatusCode::OK, "control");
    let claims = fresh_claims(&user.access);

    // HS256 signed with JWT_SECRET: valid on an HS256 server, refused here.
    let hs = hmac_token(
        &json!({"alg":"HS256","typ":"JWT"}),
        &claims,
        TEST_SECRET.as_bytes(),
    );
    assert_eq!(
        me(&app, &hs).await,
        StatusCode::UNAUTHORIZED,
        "HS256 with the secret"
    );

    // HS256 keyed with the public key (the classic RS/HS confusion), with and without our kid.
    let x = jwks(&app.address).await["keys"][0]["x"]
        .as_str()
        .unwrap()
        .to_owned();
    for key in [x.as_bytes().to_vec(), URL_SAFE_NO_PAD.decode(&x).unwrap()] {
        for header in [
            json!({"alg":"HS256","typ":"JWT"}),
            json!({"alg":"HS256","typ":"JWT","kid":kid_of(&user.access)}),
        ] {
            let t = hmac_token(&header, &claims, &key);
            assert_eq!(me(&app, &t).await, StatusCode::UNAUTHORIZED, "{header}");
        }
    }

    // And the reverse: an EdDSA token is refused by an HS256 server.
    let hs_app = spawn_app_with(|c| c.jwt_alg = JwtAlg::Hs256).await;
    let hs_user = hs_app.api_signup("hs@example.com").await;
    let (key, _) = foreign_key();
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("anything".into());
    let ed = ed_token(header, &fresh_claims(&hs_user.access), &key);
    assert_eq!(me(&hs_app, &ed).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_kids_borrowed_kids_embedded_keys_and_none_are_refused() {
    let app = spawn_app().await;
    let user = app.api_signup("kids@example.com").await;
    let claims = fresh_claims(&user.access);
    let (key, foreign_x) = foreign_key();
    let ours = kid_of(&user.access);

    let with_kid = |kid: &str| {
        let mut h = Header::new(Algorithm::EdDSA);
        h.kid = Some(kid.to_owned());
        h
    };
    let cases = [
        (
            "an unknown kid",
            ed_token(with_kid("not-a-key-of-ours"), &claims, &key),
        ),
        (
            "another key under our kid",
            ed_token(with_kid(&ours), &claims, &key),
        ),
        (
            "no kid",
            ed_token(Header::new(Algorithm::EdDSA), &claims, &key),
        ),
    ];
    for (what, token) in cases {
        assert_eq!(me(&app, &token).await, StatusCode::UNAUTHORIZED, "{what}");
    }

    // An embedded JWK naming the attacker's key, and a jku/x5u pointing at
    // the attacker's server: never used, never fetched.
    let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let trap_url = format!("http://{}/jwks.json", trap.local_addr().unwrap());
    let mut header = with_kid(&ours);
    header.jwk = Some(
        serde_json::from_value(json!({"kty":"OKP","crv":"Ed25519","x":foreign_x,"kid":ours}))
            .unwrap(),
    );
    header.jku = Some(trap_url.clone());
    header.x5u = Some(trap_url);
    let token = ed_token(header, &claims, &key);
    assert_eq!(
        me(&app, &token).await,
        StatusCode::UNAUTHORIZED,
        "embedded jwk"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        trap.accept().is_err(),
        "taskgate fetched a key URL from a token"
    );

    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(&serde_json::to_vec(&claims).unwrap())
    );
    assert_eq!(me(&app, &none).await, StatusCode::UNAUTHORIZED, "alg none");
}

#[tokio::test]
async fn a_tampered_key_row_is_refused_and_the_server_signs_with_a_new_key() {
    let app = spawn_app().await;
    let user = app.api_signup("tamper@example.com").await;
    let kid = kid_of(&user.access);
    let (_, foreign_x) = foreign_key();
    app.with_conn(|conn| {
        diesel::update(signing_keys::table.find(&kid))
            .set(signing_keys::public_x.eq(&foreign_x))
            .execute(conn)
            .unwrap();
    });
    // Within a reload or two the row fails its checks: the token it signed is refused, not a 500.
    wait_until(
        Duration::from_secs(10),
        "the tampered key to be dropped",
        || async { (me(&app, &user.access).await == StatusCode::UNAUTHORIZED).then_some(()) },
    )
    .await;
    let res = app
        .post_json(
            "/api/auth/login",
            &json!({ "email": "tamper@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "sign-in still works");
    let fresh: Value = res.json().await.unwrap();
    let token = fresh["access_token"].as_str().unwrap();
    assert_ne!(kid_of(token), kid, "a new key signs");
    assert_eq!(me(&app, token).await, StatusCode::OK);
}

/// `taskgate keys …` against the database of a running server.
fn keys_cli(db: &str, secret: &str, args: &[&str]) -> String {
    let out = Command::new(binary())
        .arg("keys")
        .args(args)
        .env_clear()
        .env("DATABASE_URL", db)
        .env("JWT_SECRET", secret)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "keys {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn login(base: &str, email: &str) -> Value {
    let res = browser()
        .post(format!("{base}/api/auth/login"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn me_at(base: &str, token: &str) -> StatusCode {
    browser()
        .get(format!("{base}/api/auth/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn keys_rotate_reaches_every_process_within_5_s_and_logs_nobody_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_url(&dir);
    let one = ServerProcess::start(&db, &[]).await;
    let two = ServerProcess::start(&db, &[]).await;
    let signup = browser()
        .post(one.url("/api/auth/signup"))
        .json(&json!({ "email": "rot@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(signup.status(), StatusCode::CREATED);
    let before = login(&one.address, "rot@example.com").await;
    let old_token = before["access_token"].as_str().unwrap().to_owned();
    let old_kid = kid_of(&old_token);

    let printed = keys_cli(&db, TEST_SECRET, &["rotate"]);
    assert!(printed.contains("new signing key"), "{printed}");
    let listed: Value =
        serde_json::from_str(&keys_cli(&db, TEST_SECRET, &["list", "--json"])).unwrap();
    let new_kid = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] != old_kid.as_str())
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .unwrap();

    for server in [&one, &two] {
        let token = wait_until(Duration::from_secs(5), "the new key to sign", || async {
            let t = login(&server.address, "rot@example.com").await["access_token"]
                .as_str()
                .unwrap()
                .to_owned();
            (kid_of(&t) == new_kid).then_some(t)
        })
        .await;
        // Tokens of the new key work in both processes at once, and so do the old key's.
        for other in [&one, &two] {
            assert_eq!(me_at(&other.address, &token).await, StatusCode::OK);
            assert_eq!(me_at(&other.address, &old_token).await, StatusCode::OK);
        }
    }
    let published = jwks(&one.address).await;
    for kid in [&old_kid, &new_kid] {
        assert!(
            published["keys"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kid"] == kid.as_str()),
            "{kid} published: {published}"
        );
    }
    let table = keys_cli(&db, TEST_SECRET, &["list"]);
    assert!(
        table.contains("retired") && table.contains("current"),
        "{table}"
    );
}

#[tokio::test]
async fn a_changed_jwt_secret_warns_once_signs_with_a_new_key_and_keeps_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_url(&dir);
    let mut first = ServerProcess::start(&db, &[]).await;
    let signup: Value = browser()
        .post(first.url("/api/auth/signup"))
        .json(&json!({ "email": "secret@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let old_access = signup["access_token"].as_str().unwrap().to_owned();
    first.kill9();

    let other_secret = "a-completely-different-secret-0123456789-abcdef";
    let second = ServerProcess::start(&db, &[("JWT_SECRET", other_secret)]).await;
    let warnings: Vec<String> = second
        .logs
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains("JWT_SECRET changed"))
        .cloned()
        .collect();
    assert_eq!(warnings.len(), 1, "one warning line: {warnings:?}");
    assert!(warnings[0].contains("WARN"), "{}", warnings[0]);

    // The session goes on: the old access token still verifies, and the refresh token rotates.
    assert_eq!(me_at(&second.address, &old_access).await, StatusCode::OK);
    let refreshed = browser()
        .post(second.url("/api/auth/refresh"))
        .json(&json!({ "refresh_token": signup["refresh_token"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), StatusCode::OK);
    let refreshed: Value = refreshed.json().await.unwrap();
    let new_access = refreshed["access_token"].as_str().unwrap();
    assert_ne!(kid_of(new_access), kid_of(&old_access));
    assert_eq!(me_at(&second.address, new_access).await, StatusCode::OK);
}
