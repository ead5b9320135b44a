//! Passkeys through the HTTP API with webauthn-authenticator-rs's software
//! authenticator: registration, the usernameless sign-in, single-use
//! ceremonies, the signature counter, and one user's passkeys kept from another.
//!
//! `SoftPasskey` keeps no resident keys, so (as in the unit tests) the test
//! clears `requireResidentKey` for it, names the credential in
//! `allowCredentials`, and adds the `userHandle` a resident key would return.
//! Everything the server verifies is the authenticator's real output.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use webauthn_authenticator_rs::prelude::Url;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_rs_proto::{CreationChallengeResponse, RequestChallengeResponse};

use super::*;

type Device = WebauthnAuthenticator<SoftPasskey>;

fn device() -> Device {
    WebauthnAuthenticator::new(SoftPasskey::new(true))
}

/// The origin the browser would be on: `PUBLIC_URL`, `http://localhost:<port>`.
fn origin(app: &TestApp) -> Url {
    Url::parse(&format!("http://localhost:{}", app.port)).unwrap()
}

async fn register_start(app: &TestApp, token: &str) -> (String, Value) {
    let res = authed(
        app,
        Method::POST,
        "/api/auth/passkeys/register/start",
        token,
        json!({}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let selection = &body["publicKey"]["authenticatorSelection"];
    assert_eq!(selection["residentKey"], "required");
    assert_eq!(selection["userVerification"], "required");
    (body["ceremony_id"].as_str().unwrap().to_owned(), body)
}

/// The authenticator's answer to a registration start (JSON, as the page sends it).
fn create(dev: &mut Device, app: &TestApp, start: &Value) -> Value {
    let mut options = json!({ "publicKey": start["publicKey"] });
    options["publicKey"]["authenticatorSelection"]["requireResidentKey"] = json!(false);
    let options: CreationChallengeResponse = serde_json::from_value(options).unwrap();
    serde_json::to_value(dev.do_registration(origin(app), options).unwrap()).unwrap()
}

async fn register_finish(
    app: &TestApp,
    token: &str,
    ceremony: &str,
    name: &str,
    credential: &Value,
) -> Response {
    let body = json!({ "ceremony_id": ceremony, "name": name, "credential": credential });
    authed(
        app,
        Method::POST,
        "/api/auth/passkeys/register/finish",
        token,
        body,
    )
    .await
}

/// Registers a passkey named `name` on `dev`; returns its listing and credential id.
async fn register(app: &TestApp, dev: &mut Device, token: &str, name: &str) -> (Value, String) {
    let (ceremony, start) = register_start(app, token).await;
    let credential = create(dev, app, &start);
    let res = register_finish(app, token, &ceremony, name, &credential).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    (
        res.json().await.unwrap(),
        credential["rawId"].as_str().unwrap().to_owned(),
    )
}

async fn login_start(app: &TestApp) -> (String, Value) {
    let res = app
        .post_json("/api/auth/passkeys/login/start", &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["publicKey"]["userVerification"], "required");
    assert_eq!(
        body["publicKey"]["allowCredentials"],
        json!([]),
        "usernameless"
    );
    (body["ceremony_id"].as_str().unwrap().to_owned(), body)
}

/// The authenticator's signed answer to a sign-in start, for credential `raw_id` of `user_id`.
fn assert_with(
    dev: &mut Device,
    app: &TestApp,
    start: &Value,
    raw_id: &str,
    user_id: &str,
) -> Value {
    let mut options = json!({ "publicKey": start["publicKey"] });
    options["publicKey"]["allowCredentials"] = json!([{ "type": "public-key", "id": raw_id }]);
    let options: RequestChallengeResponse = serde_json::from_value(options).unwrap();
    let mut answer =
        serde_json::to_value(dev.do_authentication(origin(app), options).unwrap()).unwrap();
    let handle = uuid::Uuid::parse_str(user_id).unwrap();
    answer["response"]["userHandle"] = json!(URL_SAFE_NO_PAD.encode(handle.as_bytes()));
    answer
}

async fn login_finish(app: &TestApp, ceremony: &str, credential: &Value) -> Response {
    let body = json!({ "ceremony_id": ceremony, "credential": credential });
    browser()
        .post(app.url("/api/auth/passkeys/login/finish"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// A whole passkey sign-in; returns the finish answer.
async fn sign_in(app: &TestApp, dev: &mut Device, raw_id: &str, user_id: &str) -> Response {
    let (ceremony, start) = login_start(app).await;
    let answer = assert_with(dev, app, &start, raw_id, user_id);
    login_finish(app, &ceremony, &answer).await
}

async fn list(app: &TestApp, token: &str) -> Vec<Value> {
    let body: Value = authed(app, Method::GET, "/api/auth/passkeys", token, Value::Null)
        .await
        .json()
        .await
        .unwrap();
    body["passkeys"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_passkey_added_over_the_api_signs_in_without_email_or_password() {
    let app = spawn_app().await;
    let ann = app.api_signup("ann@example.com").await;
    let mut dev = device();
    let (listing, raw_id) = register(&app, &mut dev, &ann.access, "  Laptop ").await;
    assert_eq!(listing["name"], "Laptop");
    assert!(listing["last_used_at"].is_null());
    assert_eq!(
        list(&app, &ann.access).await,
        std::slice::from_ref(&listing)
    );

    let res = sign_in(&app, &mut dev, &raw_id, &ann.id).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let cookies = set_cookies(&res);
    for name in ["tg_access=", "tg_refresh="] {
        assert!(
            cookies
                .iter()
                .any(|c| c.starts_with(name) && c.contains("HttpOnly")),
            "{name}: {cookies:?}"
        );
    }
    let tokens: Value = res.json().await.unwrap();
    assert_eq!(tokens["user"]["id"], ann.id.as_str());
    let access = tokens["access_token"].as_str().unwrap();
    let me = app.bearer(Method::GET, "/api/auth/me", access, None).await;
    assert_eq!(me.status(), StatusCode::OK);
    let after = list(&app, &ann.access).await;
    assert!(after[0]["last_used_at"].is_string(), "{after:?}");

    // And again: the counter moves on.
    assert_eq!(
        sign_in(&app, &mut dev, &raw_id, &ann.id).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_finished_ceremony_cannot_be_finished_again() {
    let app = spawn_app().await;
    let ann = app.api_signup("ann@example.com").await;
    let mut dev = device();
    let (ceremony, start) = register_start(&app, &ann.access).await;
    let credential = create(&mut dev, &app, &start);
    assert_eq!(
        register_finish(&app, &ann.access, &ceremony, "Key", &credential)
            .await
            .status(),
        StatusCode::CREATED
    );
    let replay = register_finish(&app, &ann.access, &ceremony, "Key", &credential).await;
    assert_error(replay, StatusCode::BAD_REQUEST, "bad_request").await;
    assert_eq!(list(&app, &ann.access).await.len(), 1);

    let raw_id = credential["rawId"].as_str().unwrap();
    let (ceremony, start) = login_start(&app).await;
    let answer = assert_with(&mut dev, &app, &start, raw_id, &ann.id);
    assert_eq!(
        login_finish(&app, &ceremony, &answer).await.status(),
        StatusCode::OK
    );
    let replay = login_finish(&app, &ceremony, &answer).await;
    assert_error(replay, StatusCode::BAD_REQUEST, "bad_request").await;

    // The same answer under a new ceremony: the challenge does not match.
    let (other, _) = login_start(&app).await;
    assert_error(
        login_finish(&app, &other, &answer).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // A failed finish uses the ceremony up too.
    let fresh = assert_with(&mut dev, &app, &login_start(&app).await.1, raw_id, &ann.id);
    assert_error(
        login_finish(&app, &other, &fresh).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
}

#[tokio::test]
async fn an_assertion_whose_counter_went_back_is_refused() {
    let app = spawn_app().await;
    let ann = app.api_signup("ann@example.com").await;
    let mut dev = device();
    let (_, raw_id) = register(&app, &mut dev, &ann.access, "Key").await;
    let (first, start1) = login_start(&app).await;
    let older = assert_with(&mut dev, &app, &start1, &raw_id, &ann.id);
    let (second, start2) = login_start(&app).await;
    let newer = assert_with(&mut dev, &app, &start2, &raw_id, &ann.id);
    assert_eq!(
        login_finish(&app, &second, &newer).await.status(),
        StatusCode::OK
    );
    // A valid signature, an unused ceremony, but a counter at or below the stored one.
    assert_error(
        login_finish(&app, &first, &older).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn another_users_passkey_is_404_and_a_deleted_one_no_longer_signs_in() {
    let app = spawn_app().await;
    let ann = app.api_signup("ann@example.com").await;
    let bob = app.api_signup("bob@example.com").await;
    let mut dev = device();
    let (listing, raw_id) = register(&app, &mut dev, &ann.access, "Phone").await;
    let id = listing["id"].as_str().unwrap();

    assert!(list(&app, &bob.access).await.is_empty());
    for path in [
        format!("/api/auth/passkeys/{id}"),
        "/api/auth/passkeys/not-a-uuid".to_owned(),
    ] {
        let res = app.bearer(Method::DELETE, &path, &bob.access, None).await;
        assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    }
    assert_eq!(list(&app, &ann.access).await.len(), 1);
    // Ann's passkey signs in as Ann, whatever user handle is claimed.
    let res = sign_in(&app, &mut dev, &raw_id, &bob.id).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "a handle of another user"
    );

    let res = app
        .bearer(
            Method::DELETE,
            &format!("/api/auth/passkeys/{id}"),
            &ann.access,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(list(&app, &ann.access).await.is_empty());
    let res = sign_in(&app, &mut dev, &raw_id, &ann.id).await;
    assert_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn a_passkey_sign_in_does_not_ask_for_totp() {
    let ca = spawn_clocked(|_| {}).await;
    let tf = two_factor_user(&ca, "tess@example.com").await;
    let mut dev = device();
    let (_, raw_id) = register(&ca.app, &mut dev, &tf.user.access, "Key").await;
    let res = sign_in(&ca.app, &mut dev, &raw_id, &tf.user.id).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["access_token"].is_string() && body.get("mfa_required").is_none(),
        "{body}"
    );
    assert_eq!(body["user"]["two_factor"], true);
}

#[tokio::test]
async fn ceremonies_expire_after_five_minutes() {
    let ca = spawn_clocked(|_| {}).await;
    let ann = ca.app.api_signup("ann@example.com").await;
    let mut dev = device();
    let (ceremony, start) = register_start(&ca.app, &ann.access).await;
    let credential = create(&mut dev, &ca.app, &start);
    ca.clock.advance(301);
    let res = register_finish(&ca.app, &ann.access, &ceremony, "Late", &credential).await;
    assert_error(res, StatusCode::BAD_REQUEST, "bad_request").await;

    let (_, raw_id) = register(&ca.app, &mut dev, &ann.access, "Key").await;
    let (ceremony, start) = login_start(&ca.app).await;
    let answer = assert_with(&mut dev, &ca.app, &start, &raw_id, &ann.id);
    ca.clock.advance(299);
    assert_eq!(
        login_finish(&ca.app, &ceremony, &answer).await.status(),
        StatusCode::OK,
        "at 4:59"
    );
    let (ceremony, start) = login_start(&ca.app).await;
    let answer = assert_with(&mut dev, &ca.app, &start, &raw_id, &ann.id);
    ca.clock.advance(300);
    assert_error(
        login_finish(&ca.app, &ceremony, &answer).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
}

#[tokio::test]
async fn registration_needs_a_session_and_a_name_and_a_bad_name_does_not_use_the_ceremony() {
    let app = spawn_app().await;
    let ann = app.api_signup("ann@example.com").await;
    let res = app
        .post_json("/api/auth/passkeys/register/start", &json!({}))
        .await;
    assert_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let res = app
        .bearer(Method::GET, "/api/auth/passkeys", "garbage", None)
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let mut dev = device();
    let (ceremony, start) = register_start(&app, &ann.access).await;
    let credential = create(&mut dev, &app, &start);
    for bad in ["", "   ", "tab\there", &"x".repeat(101)] {
        let res = register_finish(&app, &ann.access, &ceremony, bad, &credential).await;
        let body = assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(
            body["error"]["fields"]["name"].is_string(),
            "{bad:?}: {body}"
        );
    }
    // Bob cannot finish Ann's ceremony.
    let bob = app.api_signup("bob@example.com").await;
    let res = register_finish(&app, &bob.access, &ceremony, "Mine", &credential).await;
    assert_error(res, StatusCode::BAD_REQUEST, "bad_request").await;
    let res = register_finish(&app, &ann.access, &ceremony, &"x".repeat(100), &credential).await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn with_an_ip_address_public_url_the_server_runs_and_says_why_passkeys_are_off() {
    let app = spawn_app_with(|c| {
        c.public_url = Some(taskgate::config::PublicUrl::parse("http://127.0.0.1:8080").unwrap());
    })
    .await;
    let res = app.client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Passkeys are unavailable on this server") && html.contains("IP address"),
        "{html}"
    );
    assert!(html.contains("disabled>Sign in with a passkey</button>"));
    assert!(
        !html.contains("<script"),
        "no script when there is nothing for it to do"
    );

    let res = app
        .post_json("/api/auth/passkeys/login/start", &json!({}))
        .await;
    let body = assert_error(res, StatusCode::BAD_REQUEST, "bad_request").await;
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("IP address"));

    let client = browser();
    app.web_signup(&client, "ann@example.com").await;
    let html = client
        .get(app.url("/account/passkeys"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Passkeys are unavailable on this server") && html.contains("127.0.0.1"));
}

#[tokio::test]
async fn the_passkey_script_is_a_same_origin_file_and_the_only_script() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/static/js/passkeys.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("navigator.credentials.get"));

    let res = app.client.get(app.url("/login")).send().await.unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    let html = res.text().await.unwrap();
    assert!(html.contains("data-passkey=\"login\""));
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert_eq!(scripts.len(), 1);
    assert!(scripts[0].starts_with(" src=\"/static/js/passkeys.js\" defer></script>"));
}

#[tokio::test]
async fn an_ip_address_public_url_is_warned_about_once_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(&dir);
    let server = ServerProcess::start(&url, &[("PUBLIC_URL", "http://127.0.0.1:8080")]).await;
    for path in ["/login", "/login", "/healthz"] {
        let res = browser().get(server.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    let logs = server.logs.lock().unwrap().clone();
    let warnings: Vec<&String> = logs
        .iter()
        .filter(|l| l.contains("passkeys are unavailable"))
        .collect();
    assert_eq!(warnings.len(), 1, "{logs:#?}");
    assert!(
        warnings[0].contains("IP address") && warnings[0].contains("WARN"),
        "{}",
        warnings[0]
    );
}

#[tokio::test]
async fn with_require_verified_email_a_passkey_of_an_unverified_address_opens_no_session() {
    let first = spawn_app().await;
    let ann = first.api_signup("ann@example.com").await;
    let mut dev = device();
    let (_, raw_id) = register(&first, &mut dev, &ann.access, "Key").await;

    // A second process on the same database, now requiring verified addresses.
    let (database_url, port) = (first.database_url.clone(), first.port);
    let strict = spawn_app_with(move |c| {
        c.database_url = taskgate::config::DatabaseUrl::parse(&database_url).unwrap();
        c.require_verified_email = true;
        let public = format!("http://localhost:{port}");
        c.public_url = Some(taskgate::config::PublicUrl::parse(&public).unwrap());
    })
    .await;
    let (ceremony, start) = login_start(&strict).await;
    // The origin is the first app's, which is both apps' PUBLIC_URL.
    let answer = assert_with(&mut dev, &first, &start, &raw_id, &ann.id);
    let res = login_finish(&strict, &ceremony, &answer).await;
    assert!(set_cookies(&res)
        .iter()
        .all(|c| !c.starts_with("tg_access=")));
    assert_error(res, StatusCode::FORBIDDEN, "email_not_verified").await;
}
