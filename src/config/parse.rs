//! Reading one variable: booleans, whole numbers, seconds; each bad value is
//! one line naming the variable.

use std::time::Duration;

use anyhow::{bail, Context};

pub fn parse_bool(
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

pub fn number<T: std::str::FromStr>(
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

pub fn secs(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    default: u64,
) -> anyhow::Result<Duration> {
    number(get, key, default).map(Duration::from_secs)
}
