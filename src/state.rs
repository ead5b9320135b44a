//! Shared application state, built once at start and handed to every handler.

use anyhow::Context;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha512;

use crate::auth::audit::AuditKey;
use crate::auth::cookies::CookieNames;
use crate::auth::limits::AuthLimits;
use crate::auth::password::Hasher;
use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::db::Pool;

/// What handlers share: the pool, the configuration and the key material.
pub struct AppState {
    pub pool: Pool,
    pub config: Config,
    pub tokens: TokenKeys,
    pub hasher: Hasher,
    pub cookies: CookieNames,
    /// Login and sign-up rate limits.
    pub limits: AuthLimits,
    /// Key for the encrypted cookie that carries the CSRF token (actix-session).
    pub session_key: actix_web::cookie::Key,
    /// Keys the hashes that stand for unknown accounts in audit lines.
    pub audit: AuditKey,
    pub session_ttl: chrono::Duration,
    pub session_idle: chrono::Duration,
}

impl AppState {
    /// Builds the state; `config.jwt_secret` must already be resolved.
    pub fn new(pool: Pool, config: Config) -> anyhow::Result<Self> {
        let secret = config
            .jwt_secret
            .clone()
            .context("JWT secret not resolved")?;
        let secret = secret.expose_secret().as_bytes();
        let tokens = TokenKeys::new(secret, config.access_token_ttl);
        let session_key =
            actix_web::cookie::Key::from(&derive_key(secret, b"taskgate cookie-session key")?);
        let to_chrono =
            |d: std::time::Duration| chrono::Duration::from_std(d).context("lifetime out of range");
        Ok(Self {
            pool,
            tokens,
            hasher: Hasher::new(config.max_concurrent_hashes)?,
            cookies: CookieNames::new(config.cookie_secure),
            limits: AuthLimits::new(config.auth_rate_limit_per_min),
            session_key,
            audit: AuditKey::new(first_32(&derive_key(secret, b"taskgate audit key")?)),
            session_ttl: to_chrono(config.session_ttl)?,
            session_idle: to_chrono(config.session_idle)?,
            config,
        })
    }
}

fn first_32(key: &[u8; 64]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&key[..32]);
    out
}

/// A 64-byte key for a separate purpose, derived from the JWT secret so
/// operators manage one secret (HMAC-SHA512 as a KDF with a fixed label).
fn derive_key(secret: &[u8], label: &[u8]) -> anyhow::Result<[u8; 64]> {
    let mut mac = Hmac::<Sha512>::new_from_slice(secret).context("bad key length")?;
    mac.update(label);
    Ok(mac.finalize().into_bytes().into())
}
