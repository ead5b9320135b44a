//! `PUBLIC_URL`: the external base URL. Links in mail and the WebAuthn origin
//! and relying-party id are built from it, never from a request's `Host`.

use std::net::{IpAddr, SocketAddr};

use anyhow::bail;

/// A base URL such as `https://tasks.example.com` (no path, no trailing slash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    /// Accepts `http(s)://host[:port]` with an optional trailing slash.
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let url = raw.trim().trim_end_matches('/');
        let Some(rest) = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
        else {
            bail!("PUBLIC_URL must start with http:// or https://, not '{raw}'");
        };
        let bad =
            |c: char| c.is_whitespace() || c.is_control() || matches!(c, '/' | '?' | '#' | '@');
        if rest.is_empty() || rest.chars().any(bad) {
            bail!("PUBLIC_URL must be a scheme and a host (and port), like https://tasks.example.com, not '{raw}'");
        }
        Ok(Self(url.to_owned()))
    }

    /// The default for a bound address: `http://localhost:<port>` on loopback
    /// (browsers refuse passkeys on IP-address origins), else `http://<addr>`.
    pub fn for_bound(addr: SocketAddr) -> Self {
        if addr.ip().is_loopback() {
            Self(format!("http://localhost:{}", addr.port()))
        } else {
            Self(format!("http://{addr}"))
        }
    }

    /// The default for a configured (not yet bound) `BIND_ADDR`, for commands
    /// that do not listen (the admin CLI).
    pub fn for_bind_addr(bind_addr: &str) -> Self {
        match bind_addr.parse::<SocketAddr>() {
            Ok(addr) => Self::for_bound(addr),
            Err(_) => Self(format!("http://{bind_addr}")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `self` + a path that starts with `/`.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    /// The host part, without port or brackets.
    pub fn host(&self) -> &str {
        let rest = self.0.split_once("://").map_or(&self.0[..], |(_, r)| r);
        if let Some(v6) = rest.strip_prefix('[') {
            return v6.split(']').next().unwrap_or(v6);
        }
        rest.split(':').next().unwrap_or(rest)
    }

    /// True when the host is an IP address (passkeys cannot work there).
    pub fn host_is_ip(&self) -> bool {
        self.host().parse::<IpAddr>().is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bases_and_refuses_paths() {
        assert_eq!(
            PublicUrl::parse("https://a.example/").unwrap().as_str(),
            "https://a.example"
        );
        assert!(PublicUrl::parse("ftp://a").is_err());
        assert!(PublicUrl::parse("https://a.example/app").is_err());
        assert!(PublicUrl::parse("https://").is_err());
        let u = PublicUrl::parse("http://[::1]:8080").unwrap();
        assert_eq!(u.host(), "::1");
        assert!(u.host_is_ip());
        assert_eq!(
            PublicUrl::parse("http://localhost:9").unwrap().host(),
            "localhost"
        );
    }

    #[test]
    fn loopback_binds_default_to_localhost() {
        let u = PublicUrl::for_bound("127.0.0.1:8080".parse().unwrap());
        assert_eq!(u.as_str(), "http://localhost:8080");
        assert!(!u.host_is_ip());
        let u = PublicUrl::for_bound("10.1.2.3:80".parse().unwrap());
        assert_eq!(u.as_str(), "http://10.1.2.3:80");
        assert!(u.host_is_ip());
    }
}
