//! Second factors through the real app: TOTP enrolment and the two-step
//! login (API and pages), recovery codes, and passkeys with a software
//! authenticator. The app gets a manual clock, so codes are computed for
//! exact time steps and lifetimes pass without waiting.

mod login;
mod pages;
mod passkeys;
mod totp;

use hmac::{Hmac, Mac};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use sha1::Sha1;
use taskgate::clock::Clock;
use taskgate::config::Config;
use taskgate::db::{outbox, users, Pool};
use taskgate::Services;

use crate::helpers::*;

/// A running app with a manual clock, and what the tests read behind it.
pub struct ClockedApp {
    pub app: TestApp,
    pub clock: Clock,
    pub pool: Pool,
    /// Where `.eml` files go (kept out of the repository on PostgreSQL too).
    pub mail: tempfile::TempDir,
}

/// The start of the current real 30-second step, plus 10 s: the manual clock
/// starts close to real time (so nothing looks expired to the database) and
/// well inside a step.
pub fn start_time() -> i64 {
    let now = chrono::Utc::now().timestamp();
    now - now.rem_euclid(30) + 10
}

/// Spawns the app with a manual clock at [`start_time`] after `adjust`.
pub async fn spawn_clocked(adjust: impl FnOnce(&mut Config)) -> ClockedApp {
    let mail = tempfile::tempdir().expect("tempdir");
    let clock = Clock::manual(start_time());
    let services = Services {
        clock: clock.clone(),
        ..Services::default()
    };
    let app = spawn_app_with_services(
        |c| {
            c.mail_dir = Some(mail.path().to_owned());
            adjust(c);
        },
        services,
    )
    .await;
    ClockedApp {
        pool: app.pool.clone(),
        app,
        clock,
        mail,
    }
}

/// RFC 4648 base32 (no padding) to bytes.
pub fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut out, mut buf, mut bits) = (Vec::new(), 0u32, 0u32);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base32") as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    out
}

/// The six-digit code of `secret` (base32) for time step `step`: RFC 6238
/// with SHA-1, written here from the RFC, independently of the server's.
pub fn code_at_step(secret: &str, step: i64) -> String {
    let key = base32_decode(secret);
    let mut mac = Hmac::<Sha1>::new_from_slice(&key).unwrap();
    mac.update(&(step as u64).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = (h[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes([h[o] & 0x7f, h[o + 1], h[o + 2], h[o + 3]]);
    format!("{:06}", bin % 1_000_000)
}

/// The step the clock is in now.
pub fn step_now(clock: &Clock) -> i64 {
    clock.unix().div_euclid(30)
}

/// The code for the clock's current step.
pub fn code_now(secret: &str, clock: &Clock) -> String {
    code_at_step(secret, step_now(clock))
}

/// Moves the clock one step on (so a fresh code exists) and returns its code.
pub fn next_code(secret: &str, clock: &Clock) -> String {
    clock.advance(30);
    code_now(secret, clock)
}

/// An API request with a Bearer token.
pub async fn authed(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Value,
) -> Response {
    app.bearer(method, path, token, Some(&body)).await
}

/// A user with two-factor on: its TOTP secret and first recovery codes.
pub struct TwoFactorUser {
    pub user: ApiUser,
    pub secret: String,
    pub codes: Vec<String>,
}

/// Enrols and confirms TOTP for `user` over the API at the clock's time.
pub async fn turn_on(ca: &ClockedApp, user: ApiUser) -> TwoFactorUser {
    let res = authed(
        &ca.app,
        Method::POST,
        "/api/auth/2fa/totp",
        &user.access,
        json!({ "password": PASSWORD }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let secret = body["secret"].as_str().unwrap().to_owned();
    let code = code_now(&secret, &ca.clock);
    let res = authed(
        &ca.app,
        Method::POST,
        "/api/auth/2fa/totp/confirm",
        &user.access,
        json!({ "code": code }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let codes = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    TwoFactorUser {
        user,
        secret,
        codes,
    }
}

/// Signs up `email` and turns two-factor on.
pub async fn two_factor_user(ca: &ClockedApp, email: &str) -> TwoFactorUser {
    let user = ca.app.api_signup(email).await;
    turn_on(ca, user).await
}

/// `POST /api/auth/login` with the test password.
pub async fn password_step(app: &TestApp, email: &str) -> Response {
    app.login(email, PASSWORD).await
}

/// The mfa token a correct password yields for a two-factor account.
pub async fn mfa_token(app: &TestApp, email: &str) -> String {
    let res = password_step(app, email).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["mfa_required"], true, "{body}");
    body["mfa_token"].as_str().unwrap().to_owned()
}

/// `POST /api/auth/login/2fa` with a TOTP code.
pub async fn second_step(app: &TestApp, token: &str, code: &str) -> Response {
    app.post_json(
        "/api/auth/login/2fa",
        &json!({ "mfa_token": token, "code": code }),
    )
    .await
}

/// `POST /api/auth/login/2fa` with a recovery code.
pub async fn recovery_step(app: &TestApp, token: &str, code: &str) -> Response {
    app.post_json(
        "/api/auth/login/2fa",
        &json!({ "mfa_token": token, "recovery_code": code }),
    )
    .await
}

/// The kinds of mail queued for `to`, oldest first, leaving out sign-up's
/// verification mail.
pub fn mails_to(pool: &Pool, to: &str) -> Vec<String> {
    let mut conn = pool.get().unwrap();
    let mut kinds: Vec<_> = outbox::list(&mut conn.inner, 1000)
        .unwrap()
        .into_iter()
        .filter(|m| m.to_addr == to && m.kind != "verify_email")
        .collect();
    kinds.sort_by_key(|m| m.created_at);
    kinds.into_iter().map(|m| m.kind).collect()
}

/// The user row, as stored.
pub fn user_row(pool: &Pool, email: &str) -> users::User {
    let mut conn = pool.get().unwrap();
    let email = taskgate::domain::Email::parse(email).unwrap();
    users::find_by_email(&mut conn.inner, &email)
        .unwrap()
        .unwrap()
}
