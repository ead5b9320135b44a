//! CSRF protection: a random token kept in the encrypted actix-session cookie,
//! rendered into every form and sent back as `csrf_token` (forms) or
//! `X-CSRF-Token` (cookie-authenticated API writes).
//!
//! The session middleware ([`session_layer`]) runs on the pages only. The
//! API's guard reads the token straight from the cookie when (and only when)
//! a cookie-authenticated write needs it ([`verify_cookie`]), decrypted and
//! parsed by actix-session's own cookie jar and store, and writes nothing back.

use actix_session::config::CookieContentSecurity;
use actix_session::storage::{CookieSessionStore, SessionKey, SessionStore};
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::{CookieJar, SameSite};
use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::error::Fault;
use crate::state::AppState;

const KEY: &str = "csrf";

fn fresh() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What a refused form or API write is told.
pub const REFUSED: &str = "missing or invalid CSRF token";

fn internal(e: impl std::fmt::Display) -> Fault {
    Fault::internal(format!("session cookie: {e}"))
}

/// The visitor's token, created on first use.
pub fn token(session: &Session) -> Result<String, Fault> {
    if let Some(t) = session.get::<String>(KEY).ok().flatten() {
        return Ok(t);
    }
    let t = fresh();
    session.insert(KEY, &t).map_err(internal)?;
    Ok(t)
}

/// A new token, on login and logout, so a token seen before sign-in is useless after it.
pub fn rotate(session: &Session) -> Result<String, Fault> {
    session.renew();
    let t = fresh();
    session.insert(KEY, &t).map_err(internal)?;
    Ok(t)
}

/// True when `presented` equals the visitor's token; compared in constant time.
pub fn verify(session: &Session, presented: Option<&str>) -> bool {
    matches_token(session.get::<String>(KEY).ok().flatten(), presented)
}

fn matches_token(expected: Option<String>, presented: Option<&str>) -> bool {
    match (expected, presented) {
        (Some(e), Some(p)) if !p.is_empty() => bool::from(e.as_bytes().ct_eq(p.as_bytes())),
        _ => false,
    }
}

/// The session middleware: an encrypted (private) cookie, `HttpOnly`,
/// `SameSite=Lax`, holding the CSRF token and flash messages.
pub fn session_layer(state: &AppState) -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), state.session_key.clone())
        .cookie_name(state.cookies.session.to_owned())
        .cookie_secure(state.cookies.secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_path("/".to_owned())
        .cookie_content_security(CookieContentSecurity::Private)
        .build()
}

/// [`verify`] for a request outside the session middleware (the API): the
/// token is read from the session cookie as the middleware would read it
/// (decrypted with the same key, parsed by the same store); a missing or
/// undecryptable cookie has no token, so the request is refused.
pub async fn verify_cookie(req: &HttpRequest, state: &AppState, presented: Option<&str>) -> bool {
    matches_token(token_in_cookie(req, state).await, presented)
}

async fn token_in_cookie(req: &HttpRequest, state: &AppState) -> Option<String> {
    let name = state.cookies.session;
    let mut jar = CookieJar::new();
    jar.add_original(req.cookie(name)?);
    let sealed = jar.private(&state.session_key).get(name)?;
    let key = SessionKey::try_from(sealed.value().to_owned()).ok()?;
    let session = CookieSessionStore::default().load(&key).await.ok()??;
    serde_json::from_str(session.get(KEY)?).ok()
}
