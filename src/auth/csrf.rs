//! CSRF protection: a random token kept in the encrypted actix-session cookie,
//! rendered into every form and sent back as `csrf_token` (forms) or
//! `X-CSRF-Token` (cookie-authenticated API writes).

use actix_session::Session;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::error::Fault;

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
    let expected = session.get::<String>(KEY).ok().flatten();
    match (expected, presented) {
        (Some(e), Some(p)) if !p.is_empty() => bool::from(e.as_bytes().ct_eq(p.as_bytes())),
        _ => false,
    }
}
