//! Configuration read from the environment (CONTRACT.md section 1).
//!
//! `Config::from_env` is the only reader of process variables; everything else
//! receives a `Config`, so tests build one by hand and change what they need.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use secrecy::{ExposeSecret, SecretString};

/// Where the data lives; the URL scheme decides the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// Embedded SQLite file; its parent folder is created at start.
    Sqlite(PathBuf),
    /// A PostgreSQL connection string (`postgres://` or `postgresql://`).
    Postgres(String),
}

impl DatabaseUrl {
    /// Picks the engine from the scheme; anything without a PostgreSQL scheme is a file path.
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let raw = raw.trim();
        if raw.is_empty() {
            bail!("DATABASE_URL is empty");
        }
        let lower = raw.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if lower.starts_with("postgres:") || lower.starts_with("postgresql:") {
            bail!("DATABASE_URL looks like PostgreSQL but lacks '//' (use postgres://user:pass@host/db)");
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    /// The SQLite file, when that is the engine.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Self::Sqlite(p) => Some(p),
            Self::Postgres(_) => None,
        }
    }
}

/// A trusted proxy: one address or a CIDR block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedProxy {
    network: IpAddr,
    prefix: u8,
}

impl TrustedProxy {
    /// Parses `10.0.0.1` or `10.0.0.0/8` or `::1`.
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let (addr, prefix) = match raw.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (raw, None),
        };
        let network: IpAddr = addr
            .trim()
            .parse()
            .with_context(|| format!("TRUSTED_PROXIES: '{raw}' is not an IP address"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .with_context(|| format!("TRUSTED_PROXIES: '{raw}' has a bad prefix length"))?,
            None => max,
        };
        Ok(Self { network, prefix })
    }

    /// True when `ip` falls inside this block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (canonical(self.network), ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses compare as IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Longest accepted token or session lifetime (ten years): keeps date arithmetic far from overflow.
pub const MAX_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Every knob taskgate has; see `.env.example` for the meaning of each.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub bind_addr: String,
    /// `None` means "generate and keep beside the SQLite file" (refused with PostgreSQL).
    pub jwt_secret: Option<SecretString>,
    pub cookie_secure: bool,
    pub access_token_ttl: Duration,
    pub session_ttl: Duration,
    pub session_idle: Duration,
    /// Login + signup attempts per client IP per minute; 0 disables the limit.
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
        let bind_addr = get("BIND_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into());
        let jwt_secret = get("JWT_SECRET").map(SecretString::from);
        let config = Self {
            database_url,
            bind_addr,
            jwt_secret,
            cookie_secure: parse_bool(&get, "COOKIE_SECURE", true)?,
            access_token_ttl: secs(&get, "ACCESS_TOKEN_TTL_SECS", 900)?,
            session_ttl: secs(&get, "SESSION_TTL_SECS", 2_592_000)?,
            session_idle: secs(&get, "SESSION_IDLE_SECS", 604_800)?,
            auth_rate_limit_per_min: number(&get, "AUTH_RATE_LIMIT_PER_MIN", 10)?,
            trusted_proxies: get("TRUSTED_PROXIES")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(TrustedProxy::parse)
                .collect::<anyhow::Result<_>>()?,
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
        if self.database_pool_size == 0 {
            bail!("DATABASE_POOL_SIZE must be at least 1");
        }
        Ok(())
    }
}

fn default_hash_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn parse_bool(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    default: bool,
) -> anyhow::Result<bool> {
    match get(key).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if matches!(v.as_str(), "true" | "1" | "yes" | "on") => Ok(true),
        Some(v) if matches!(v.as_str(), "false" | "0" | "no" | "off") => Ok(false),
        Some(v) => bail!("{key} must be true or false, not '{v}'"),
    }
}

fn number<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    default: T,
) -> anyhow::Result<T> {
    match get(key) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .ok()
            .with_context(|| format!("{key} must be a non-negative whole number, not '{v}'")),
    }
}

fn secs(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    default: u64,
) -> anyhow::Result<Duration> {
    number(get, key, default).map(Duration::from_secs)
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
    }

    #[test]
    fn short_secret_and_postgres_without_secret_are_refused() {
        assert!(config(&[("JWT_SECRET", "short")]).is_err());
        assert!(config(&[("DATABASE_URL", "postgres://u@localhost/db")]).is_err());
        assert!(config(&[("DATABASE_URL", "postgresql:db")]).is_err());
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
