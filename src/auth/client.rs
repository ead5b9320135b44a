//! Who is asking: the client IP (socket peer, or `X-Forwarded-For` only from
//! trusted proxies) and the user agent, for rate limits, sessions and audit logs.

use std::net::IpAddr;

use std::convert::Infallible;
use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use crate::auth::limits::DeferredIpCount;
use crate::config::{canonical, TrustedProxy};
use crate::state::AppState;

/// The client IP of this request, once computed (a request extension).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

/// Request origin facts recorded on sessions and in audit events.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: IpAddr,
    pub user_agent: Option<String>,
    /// On the sign-in routes: the IP's attempt count, left for the sign-in
    /// to take together with the account's (see `auth::limits::login`).
    pub deferred_ip: Option<DeferredIpCount>,
}

impl ClientInfo {
    /// The facts of `req`, with the deployment's trusted proxies.
    pub fn of(req: &HttpRequest) -> Self {
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map_or(&[][..], |s| &s.config.trusted_proxies[..]);
        Self::from_parts(req, trusted)
    }

    fn from_parts(req: &HttpRequest, trusted: &[TrustedProxy]) -> Self {
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| {
                ua.chars()
                    .filter(|c| !c.is_control())
                    .take(256)
                    .collect::<String>()
            })
            .filter(|ua| !ua.is_empty());
        Self {
            ip: client_ip(req, trusted),
            user_agent,
            deferred_ip: req.extensions().get::<DeferredIpCount>().cloned(),
        }
    }
}

/// Handlers name `ClientInfo` in their signature to get the request's origin
/// facts (the client IP was worked out once by the request-log middleware).
impl FromRequest for ClientInfo {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req)))
    }
}

/// The socket peer, unless it is a trusted proxy: then the right-most address
/// in `X-Forwarded-For` that is not itself trusted. A client can prepend
/// anything to that header, so only hops added by our own proxies are believed.
///
/// Worked out once per request: the request-log middleware stores the
/// answer as [`ClientIp`] and later callers read it back.
pub fn client_ip(req: &HttpRequest, trusted: &[TrustedProxy]) -> IpAddr {
    if let Some(ClientIp(ip)) = req.extensions().get::<ClientIp>() {
        return *ip;
    }
    let peer = req
        .peer_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |a| canonical(a.ip()));
    forwarded_client(peer, req, trusted)
}

fn forwarded_client(peer: IpAddr, req: &HttpRequest, trusted: &[TrustedProxy]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|t| t.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = canonical(ip);
                if !is_trusted(client) {
                    break;
                }
            }
            // A garbled hop ends the trusted chain; the last good address stands.
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_ignored_from_untrusted_peers() {
        let req = TestRequest::default()
            .insert_header(("x-forwarded-for", "1.2.3.4"))
            .to_http_request();
        assert_eq!(forwarded_client(ip("9.9.9.9"), &req, &[]), ip("9.9.9.9"));
    }

    #[test]
    fn right_most_untrusted_hop_is_the_client() {
        let trusted = [TrustedProxy::parse("10.0.0.0/8").unwrap()];
        let req = TestRequest::default()
            .insert_header(("x-forwarded-for", "6.6.6.6, 5.5.5.5, 10.0.0.2"))
            .to_http_request();
        assert_eq!(
            forwarded_client(ip("10.0.0.1"), &req, &trusted),
            ip("5.5.5.5")
        );
    }
}
