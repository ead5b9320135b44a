//! Configuration read from the environment.
//!
//! `Config::from_env` reads process variables once, at start; everything else
//! receives a `Config`, so tests build one by hand and change what they need.

mod database_url;
mod parse;
mod proxies;
mod public_url;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use secrecy::{ExposeSecret, SecretString};

pub use database_url::DatabaseUrl;
use parse::{number, parse_bool, secs};
pub use proxies::{canonical, TrustedProxy};
pub use public_url::PublicUrl;

/// Longest accepted token or session lifetime (ten years): keeps date arithmetic far from overflow.
pub const MAX_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// How access tokens are signed (`JWT_ALG`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwtAlg {
    /// Ed25519 keys kept (encrypted) in the database, published as a JWKS.
    EdDsa,
    /// `JWT_SECRET` itself, for deployments whose other services share it.
    Hs256,
}

/// Every knob taskgate has; see `.env.example` for the meaning of each.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub bind_addr: String,
    /// `None` means "generate and keep beside the SQLite file" (refused with PostgreSQL).
    pub jwt_secret: Option<SecretString>,
    pub jwt_alg: JwtAlg,
    /// Days between scheduled signing-key rotations; 0 = only `taskgate keys rotate`.
    pub jwt_key_rotation_days: u32,
    /// `None`: derived from the bound address once the port is known.
    pub public_url: Option<PublicUrl>,
    /// `None`: mail is written as `.eml` files into `mail_dir`.
    pub smtp_url: Option<SecretString>,
    /// `None`: `<database folder>/mail` (`data/mail` with PostgreSQL).
    pub mail_dir: Option<PathBuf>,
    pub mail_from: String,
    pub require_verified_email: bool,
    /// Where `/metrics` is served; `None` turns metrics off.
    pub metrics_addr: Option<String>,
    /// A refresh token presented again this soon after its first use gets the
    /// same answer instead of revoking the session; zero is strict.
    pub refresh_reuse_grace: Duration,
    /// Whether a worker may answer a page of tasks it answered in the last
    /// second again while the owner's tasks are unchanged (see
    /// `http::api::tasks::page_cache`). Off for databases that other programs
    /// write tasks into, whose changes bump no version.
    pub remember_task_pages: bool,
    pub cookie_secure: bool,
    /// A request body must arrive within this long (at most 60 s).
    pub body_read_timeout: Duration,
    pub access_token_ttl: Duration,
    pub session_ttl: Duration,
    pub session_idle: Duration,
    /// Attempts per client IP per minute, and failed sign-ins per account per minute; 0 disables both.
    pub auth_rate_limit_per_min: u32,
    pub trusted_proxies: Vec<TrustedProxy>,
    pub database_pool_size: u32,
    pub database_connect_timeout: Duration,
    /// How many Argon2id computations may run at once (each holds ~19 MiB).
    pub max_concurrent_hashes: usize,
}

impl Config {
    /// Reads the process environment (after dotenvy has loaded `.env`).
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let get = |key: &str| lookup(key).filter(|v| !v.trim().is_empty());
        let database_url =
            DatabaseUrl::parse(&get("DATABASE_URL").unwrap_or_else(|| "data/taskgate.db".into()))?;
        let config = Self {
            database_url,
            bind_addr: get("BIND_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into()),
            jwt_secret: get("JWT_SECRET").map(SecretString::from),
            jwt_alg: match get("JWT_ALG").as_deref().map(str::trim) {
                None | Some("EdDSA") => JwtAlg::EdDsa,
                Some("HS256") => JwtAlg::Hs256,
                Some(other) => bail!("JWT_ALG must be EdDSA or HS256, not '{other}'"),
            },
            jwt_key_rotation_days: number(&get, "JWT_KEY_ROTATION_DAYS", 30)?,
            public_url: get("PUBLIC_URL")
                .map(|u| PublicUrl::parse(&u))
                .transpose()?,
            smtp_url: get("SMTP_URL").map(SecretString::from),
            mail_dir: get("MAIL_DIR").map(PathBuf::from),
            mail_from: get("MAIL_FROM").unwrap_or_else(|| "taskgate <no-reply@localhost>".into()),
            require_verified_email: parse_bool(&get, "REQUIRE_VERIFIED_EMAIL", false)?,
            metrics_addr: get("METRICS_ADDR"),
            refresh_reuse_grace: secs(&get, "REFRESH_REUSE_GRACE_SECS", 10)?,
            remember_task_pages: parse_bool(&get, "REMEMBER_TASK_PAGES", true)?,
            cookie_secure: parse_bool(&get, "COOKIE_SECURE", true)?,
            body_read_timeout: secs(&get, "BODY_READ_TIMEOUT_SECS", 30)?,
            access_token_ttl: secs(&get, "ACCESS_TOKEN_TTL_SECS", 900)?,
            session_ttl: secs(&get, "SESSION_TTL_SECS", 2_592_000)?,
            session_idle: secs(&get, "SESSION_IDLE_SECS", 604_800)?,
            auth_rate_limit_per_min: number(&get, "AUTH_RATE_LIMIT_PER_MIN", 10)?,
            trusted_proxies: TrustedProxy::parse_list(&get("TRUSTED_PROXIES").unwrap_or_default())?,
            database_pool_size: number(&get, "DATABASE_POOL_SIZE", 8)?,
            database_connect_timeout: secs(&get, "DATABASE_CONNECT_TIMEOUT_SECS", 5)?,
            max_concurrent_hashes: default_hash_concurrency(),
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks what a single variable cannot: ranges and the secret's length.
    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(secret) = &self.jwt_secret {
            if secret.expose_secret().len() < 32 {
                bail!("JWT_SECRET must be at least 32 bytes");
            }
        } else if matches!(self.database_url, DatabaseUrl::Postgres(_)) {
            bail!("JWT_SECRET must be set when DATABASE_URL is PostgreSQL (every process must share it)");
        }
        for (name, d) in [
            ("ACCESS_TOKEN_TTL_SECS", self.access_token_ttl),
            ("SESSION_TTL_SECS", self.session_ttl),
            ("SESSION_IDLE_SECS", self.session_idle),
        ] {
            if d.is_zero() || d > MAX_LIFETIME {
                bail!(
                    "{name} must be between 1 and {} seconds",
                    MAX_LIFETIME.as_secs()
                );
            }
        }
        if self.body_read_timeout.is_zero() || self.body_read_timeout > Duration::from_secs(60) {
            bail!("BODY_READ_TIMEOUT_SECS must be between 1 and 60");
        }
        if self.refresh_reuse_grace > Duration::from_secs(300) {
            bail!("REFRESH_REUSE_GRACE_SECS must be at most 300");
        }
        if self.jwt_key_rotation_days > 3650 {
            bail!("JWT_KEY_ROTATION_DAYS must be at most 3650");
        }
        if self.database_pool_size == 0 {
            bail!("DATABASE_POOL_SIZE must be at least 1");
        }
        Ok(())
    }

    /// The folder `.eml` files go to when no SMTP relay is configured.
    pub fn mail_dir(&self) -> PathBuf {
        if let Some(dir) = &self.mail_dir {
            return dir.clone();
        }
        match &self.database_url {
            DatabaseUrl::Sqlite(db) => db
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("mail"), |p| p.join("mail")),
            DatabaseUrl::Postgres(_) => PathBuf::from("data/mail"),
        }
    }
}

fn default_hash_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> anyhow::Result<Config> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_match_the_contract() {
        let c = config(&[]).unwrap();
        assert_eq!(
            c.database_url,
            DatabaseUrl::Sqlite("data/taskgate.db".into())
        );
        assert_eq!(c.bind_addr, "127.0.0.1:8080");
        assert!(c.cookie_secure);
        assert_eq!(c.access_token_ttl, Duration::from_secs(900));
        assert_eq!(c.session_ttl, Duration::from_secs(2_592_000));
        assert_eq!(c.session_idle, Duration::from_secs(604_800));
        assert_eq!(c.auth_rate_limit_per_min, 10);
        assert!(c.trusted_proxies.is_empty());
        assert_eq!(c.jwt_alg, JwtAlg::EdDsa);
        assert_eq!(c.jwt_key_rotation_days, 30);
        assert_eq!(c.refresh_reuse_grace, Duration::from_secs(10));
        assert_eq!(c.mail_from, "taskgate <no-reply@localhost>");
        assert!(!c.require_verified_email);
        assert_eq!(c.mail_dir(), std::path::PathBuf::from("data/mail"));
    }

    #[test]
    fn short_secret_and_postgres_without_secret_are_refused() {
        assert!(config(&[("JWT_SECRET", "short")]).is_err());
        assert!(config(&[("DATABASE_URL", "postgres://u@localhost/db")]).is_err());
        assert!(config(&[("DATABASE_URL", "postgresql:db")]).is_err());
        assert!(config(&[("JWT_ALG", "RS256")]).is_err());
        assert!(config(&[("JWT_ALG", "HS256")]).is_ok());
    }

    #[test]
    fn bad_numbers_and_booleans_are_refused() {
        assert!(config(&[("COOKIE_SECURE", "maybe")]).is_err());
        assert!(config(&[("ACCESS_TOKEN_TTL_SECS", "-1")]).is_err());
        assert!(config(&[("AUTH_RATE_LIMIT_PER_MIN", "ten")]).is_err());
        assert!(config(&[("TRUSTED_PROXIES", "10.0.0.1, nope")]).is_err());
    }

    #[test]
    fn trusted_proxy_blocks_match_addresses() {
        let block = TrustedProxy::parse("10.0.0.0/8").unwrap();
        assert!(block.contains("10.1.2.3".parse().unwrap()));
        assert!(block.contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!block.contains("11.0.0.1".parse().unwrap()));
        let one = TrustedProxy::parse("::1").unwrap();
        assert!(one.contains("::1".parse().unwrap()));
        assert!(TrustedProxy::parse("10.0.0.0/33").is_err());
    }
}
