//! `TRUSTED_PROXIES`: the addresses whose `X-Forwarded-For` is believed.

use std::net::IpAddr;

use anyhow::Context;

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

impl TrustedProxy {
    /// A comma-separated list; empty entries are ignored.
    pub fn parse_list(raw: &str) -> anyhow::Result<Vec<Self>> {
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Self::parse)
            .collect()
    }
}
