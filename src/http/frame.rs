//! The frame every request passes through first (the outermost middleware).
//! It is one hand-written `Service`, so a request pays one allocation for it
//! instead of one per concern and per `from_fn` layer:
//! - a request id: `X-Request-Id` when it looks sane, else a fresh random
//!   UUID; echoed in the response;
//! - the client IP, worked out once (a request extension, see `ClientIp`);
//! - a `request` span carrying both, so audit events logged by handlers carry
//!   them too; nothing is formatted for it while `info` is filtered out;
//! - compressed request bodies refused with 415 (see `encoding`);
//! - the security headers and `Cache-Control: no-store` (see `headers`), and
//!   the cookies the guard queued;
//! - one log line per request (method, route pattern, status, latency) and,
//!   when `METRICS_ADDR` is set, the request metrics.

use std::fmt;
use std::future::{ready, Ready};
use std::net::IpAddr;
use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::{web, Error, HttpMessage};
use futures_util::future::LocalBoxFuture;
use rand::RngCore;
use tracing::Instrument;

use crate::auth::client::{client_ip, ClientIp};
use crate::http::{encoding, headers};
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The middleware: `App::wrap(Frame)`, outermost.
pub struct Frame;

impl<S, B> Transform<S, ServiceRequest> for Frame
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = FrameService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(FrameService { service }))
    }
}

/// [`Frame`] around the app's services.
pub struct FrameService<S> {
    service: S,
}

/// What the frame needs of the state, read once per request.
#[derive(Clone, Copy)]
struct Settings {
    metered: bool,
    https: bool,
}

impl<S, B> Service<ServiceRequest> for FrameService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        let (settings, ip) = match req.app_data::<web::Data<AppState>>() {
            Some(state) => (
                Settings {
                    metered: state.config.metrics_addr.is_some(),
                    https: state.cookies.secure,
                },
                Some(client_ip(req.request(), &state.config.trusted_proxies)),
            ),
            None => (
                Settings {
                    metered: false,
                    https: false,
                },
                None,
            ),
        };
        if let Some(ip) = ip {
            req.extensions_mut().insert(ClientIp(ip));
        }
        let id = request_id(&req);
        let span = tracing::info_span!(
            "request",
            request_id = %Shown(&id),
            client_ip = %OptionalIp(ip)
        );
        let method = req.method().clone();
        let inner = if encoding::is_encoded(&req) {
            Err(encoding::refuse(req))
        } else {
            let _entered = span.enter();
            Ok(self.service.call(req))
        };
        Box::pin(async move {
            let result = match inner {
                Ok(call) => call
                    .instrument(span.clone())
                    .await
                    .map(ServiceResponse::map_into_left_body),
                Err(refused) => Ok(refused.map_into_right_body()),
            };
            let _entered = span.enter();
            finish(result, settings, id, &method, started)
        })
    }
}

/// Everything after the response is known: headers, metrics, the log line.
fn finish<B: MessageBody>(
    result: Result<ServiceResponse<B>, Error>,
    settings: Settings,
    id: HeaderValue,
    method: &Method,
    started: Instant,
) -> Result<ServiceResponse<B>, Error> {
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut res = match result {
        Ok(res) => res,
        Err(e) => {
            tracing::error!(method = %method, error = %e, latency_ms, "request failed");
            return Err(e);
        }
    };
    headers::secure(&mut res, settings.https)?;
    let status = res.status();
    if settings.metered {
        let route = res.request().match_pattern();
        crate::metrics::observe_request(
            route.as_deref().unwrap_or(UNMATCHED),
            method,
            status,
            latency_ms / 1000.0,
        );
    }
    let route = Route(&res);
    if status.is_server_error() {
        tracing::error!(method = %method, route = %route, status = status.as_u16(), latency_ms, "request");
    } else {
        tracing::info!(method = %method, route = %route, status = status.as_u16(), latency_ms, "request");
    }
    res.headers_mut().insert(REQUEST_ID, id);
    Ok(res)
}

/// The route-pattern label of a request that matched no route.
const UNMATCHED: &str = "(unmatched)";

/// The request's route pattern, worked out only if a log line is written.
struct Route<'a, B>(&'a ServiceResponse<B>);

impl<B> fmt::Display for Route<'_, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.request().match_pattern() {
            Some(pattern) => f.write_str(&pattern),
            None => f.write_str(UNMATCHED),
        }
    }
}

/// A header value known to be visible ASCII, shown as text.
struct Shown<'a>(&'a HeaderValue);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.to_str().unwrap_or_default())
    }
}

/// The client IP, or nothing when the state is missing.
struct OptionalIp(Option<IpAddr>);

impl fmt::Display for OptionalIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(ip) => ip.fmt(f),
            None => Ok(()),
        }
    }
}

/// The client's `X-Request-Id` if it is short and plain (so it cannot forge
/// log lines or smuggle markup), else a fresh one.
fn request_id(req: &ServiceRequest) -> HeaderValue {
    let plain = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.');
    match req.headers().get(&REQUEST_ID) {
        Some(id) if !id.is_empty() && id.len() <= 128 && id.as_bytes().iter().all(plain) => {
            id.clone()
        }
        _ => fresh_id(),
    }
}

/// A random (version 4) UUID from the thread's CSPRNG: no system call per
/// request, unlike `Uuid::new_v4`, and formatted without a `String`.
fn fresh_id() -> HeaderValue {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let text = uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .encode_lower(&mut text);
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_ids_are_version_4_uuids_and_differ() {
        let a = fresh_id();
        let b = fresh_id();
        assert_ne!(a, b);
        let parsed = uuid::Uuid::parse_str(a.to_str().unwrap()).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(a.to_str().unwrap(), parsed.hyphenated().to_string());
    }
}
