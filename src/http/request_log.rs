//! One log line per request (method, route pattern, status, latency) inside a
//! span that carries the request id and client IP, so audit events logged by handlers carry
//! it too. The id comes from `X-Request-Id` when it looks sane, else a new
//! UUID, and is echoed in the response.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use actix_web::HttpMessage;
use tracing::Instrument;

use crate::auth::client::{client_ip, ClientIp};
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A client-supplied id is kept only if it is short and plain, so it cannot
/// forge log lines or smuggle markup.
fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let id = req.headers().get(&REQUEST_ID)?.to_str().ok()?;
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    (!id.is_empty() && id.len() <= 128 && id.chars().all(plain)).then(|| id.to_owned())
}

/// Middleware (for `middleware::from_fn`), outermost.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = incoming_id(&req).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = req.method().to_string();
    let metered = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.config.metrics_addr.is_some());
    // The client IP goes on the span so every event of this request carries it.
    let client_ip = req
        .app_data::<web::Data<AppState>>()
        .map(|state| client_ip(req.request(), &state.config.trusted_proxies));
    if let Some(ip) = client_ip {
        req.extensions_mut().insert(ClientIp(ip));
    }
    let client_ip = client_ip.map(|ip| ip.to_string()).unwrap_or_default();
    let span = tracing::info_span!("request", request_id = %id, client_ip = %client_ip);
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let _entered = span.enter();
    match result {
        Ok(mut res) => {
            let route = res
                .request()
                .match_pattern()
                .unwrap_or_else(|| "(unmatched)".to_owned());
            let status = res.status().as_u16();
            if metered {
                let code = res.status();
                let labels = [route.as_str(), method.as_str(), code.as_str()];
                let m = crate::metrics::get();
                m.requests.with_label_values(&labels).inc();
                m.latency
                    .with_label_values(&labels)
                    .observe(latency_ms / 1000.0);
            }
            if status >= 500 {
                tracing::error!(method, route, status, latency_ms, "request");
            } else {
                tracing::info!(method, route, status, latency_ms, "request");
            }
            if let Ok(value) = HeaderValue::from_str(&id) {
                res.headers_mut().insert(REQUEST_ID, value);
            }
            Ok(res)
        }
        Err(e) => {
            tracing::error!(method, error = %e, latency_ms, "request failed");
            Err(e)
        }
    }
}
