//! Middleware that counts attempts per client IP before any parsing, so
//! malformed attempts count too: login, sign-up, and the routes that re-check
//! a password. Over the limit: 429 with `Retry-After`, as JSON under `/api`
//! and as a page elsewhere.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};

use crate::auth::client::client_ip;
use crate::error::AppError;
use crate::http::error::{ApiError, PageError};
use crate::state::AppState;

/// For `middleware::from_fn` on the attempt routes; GETs (the forms) are free.
pub async fn auth_attempts(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        if let Some(state) = req.app_data::<web::Data<AppState>>() {
            let ip = client_ip(req.request(), &state.config.trusted_proxies);
            let refusal = match state.limits.check_ip(&state.pool, ip).await {
                Ok(Ok(())) => None,
                Ok(Err(throttled)) => {
                    tracing::warn!(target: "audit", event = "auth_rate_limited", client_ip = %ip, path = req.path());
                    crate::metrics::get()
                        .rate_limited
                        .with_label_values(&["ip"])
                        .inc();
                    Some(AppError::from(throttled))
                }
                // A count we cannot keep refuses the attempt rather than waving it through.
                Err(fault) => Some(AppError::from(fault)),
            };
            if let Some(limited) = refusal {
                let res = if req.path().starts_with("/api/") {
                    ApiError(limited).error_response()
                } else {
                    PageError(limited).error_response()
                };
                return Ok(req.into_response(res).map_into_right_body());
            }
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
