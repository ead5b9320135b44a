//! Shared application state, built once at start and handed to every handler.

use anyhow::Context;
use secrecy::ExposeSecret;

use crate::auth::audit::AuditKey;
use crate::auth::cookies::CookieNames;
use crate::auth::limits::AuthLimits;
use crate::auth::passkeys::{Passkeys, Unavailable};
use crate::auth::password::Hasher;
use crate::auth::tokens::keyring::KeyRing;
use crate::auth::tokens::TokenKeys;
use crate::clock::Clock;
use crate::config::{Config, JwtAlg, PublicUrl};
use crate::db::connection::PooledConn;
use crate::db::Pool;
use crate::mail::{self, MailSettings, Outbox};
use crate::secrets::{Purpose, Sealer, ServerKeys};

/// What handlers share: the pool, the configuration and the key material.
pub struct AppState {
    pub pool: Pool,
    pub config: Config,
    /// The external base URL (links in mail, the WebAuthn origin).
    pub public_url: PublicUrl,
    pub tokens: TokenKeys,
    pub hasher: Hasher,
    pub cookies: CookieNames,
    /// Login and sign-up rate limits.
    pub limits: AuthLimits,
    /// Key for the encrypted cookie that carries the CSRF token (actix-session).
    pub session_key: actix_web::cookie::Key,
    /// Keys the hashes that stand for unknown accounts in audit lines.
    pub audit: AuditKey,
    /// Every key derived from the server secret, for the flows that seal data.
    pub keys: ServerKeys,
    /// Where flows queue mail; this process's worker delivers it.
    pub outbox: Outbox,
    /// `MAIL_FROM` and the transport (`SMTP_URL`, or `.eml` files in `MAIL_DIR`).
    pub mail: MailSettings,
    pub session_ttl: chrono::Duration,
    pub session_idle: chrono::Duration,
    /// What the second-factor flows take as "now" (TOTP steps, mfa token and
    /// WebAuthn ceremony expiry); a manual clock in tests.
    pub clock: Clock,
    /// The WebAuthn relying party for `public_url`, or why passkeys cannot work there.
    pub passkeys: Result<Passkeys, Unavailable>,
}

impl AppState {
    /// Builds the state from a resolved secret.
    pub fn new(
        pool: Pool,
        config: Config,
        keys: ServerKeys,
        public_url: PublicUrl,
    ) -> anyhow::Result<Self> {
        let tokens = token_keys(&pool, &config, &keys)?;
        let smtp_url = config
            .smtp_url
            .as_ref()
            .map(|s| s.expose_secret().to_owned());
        let mail = MailSettings::from_values(
            smtp_url.as_deref(),
            config.mail_dir(),
            Some(&config.mail_from),
        )?;
        let to_chrono =
            |d: std::time::Duration| chrono::Duration::from_std(d).context("lifetime out of range");
        Ok(Self {
            pool,
            tokens,
            hasher: Hasher::new(config.max_concurrent_hashes)?,
            cookies: CookieNames::new(config.cookie_secure),
            limits: AuthLimits::new(config.auth_rate_limit_per_min),
            session_key: actix_web::cookie::Key::from(&keys.cookie_key()),
            audit: AuditKey::new(keys.audit_key()),
            session_ttl: to_chrono(config.session_ttl)?,
            session_idle: to_chrono(config.session_idle)?,
            clock: Clock::system(),
            passkeys: Passkeys::new(public_url.as_str()),
            public_url,
            outbox: mail::outbox_for(&keys),
            mail,
            keys,
            config,
        })
    }

    /// The state for code that does not listen (admin commands, tests,
    /// benchmarks): the secret resolved as `serve` would, `PUBLIC_URL` or the
    /// default for `BIND_ADDR`.
    pub fn with_pool(pool: Pool, config: Config) -> anyhow::Result<Self> {
        let keys = ServerKeys::from_secret(&crate::secrets::resolve(&config)?);
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| PublicUrl::for_bind_addr(&config.bind_addr));
        Self::new(pool, config, keys, public_url)
    }

    /// A sealer for data kept encrypted in the database.
    pub fn sealer(&self, purpose: Purpose) -> Sealer {
        self.keys.sealer(purpose)
    }
}

/// The access-token keys `JWT_ALG` asks for; with EdDSA, the key ring is
/// opened from the database (at start, before serving).
fn token_keys(pool: &Pool, config: &Config, keys: &ServerKeys) -> anyhow::Result<TokenKeys> {
    let ttl = config.access_token_ttl;
    Ok(match config.jwt_alg {
        JwtAlg::Hs256 => TokenKeys::hs256(keys.hs256(), ttl),
        JwtAlg::EdDsa => {
            let mut conn = pool.get().context("cannot get a database connection")?;
            let pooled: &mut PooledConn = &mut conn;
            let ring = KeyRing::open(&mut pooled.inner, keys, ttl, config.jwt_key_rotation_days)
                .context("cannot load the signing keys")?;
            TokenKeys::eddsa(ring, ttl)
        }
    })
}
