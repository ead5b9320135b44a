//! Middleware that counts attempts per client IP before any parsing, so
//! malformed attempts count too: login, sign-up, and the routes that re-check
//! a password. Over the limit: 429 with `Retry-After`, as JSON under `/api`
//! and as a page elsewhere.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};

use actix_web::HttpMessage;

use crate::auth::client::client_ip;
use crate::auth::limits::{note_ip_refusal, DeferredIpCount};
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
                    note_ip_refusal(ip, req.path());
                    Some(AppError::from(throttled))
                }
                // A count we cannot keep refuses the attempt rather than waving it through.
                Err(fault) => Some(AppError::from(fault)),
            };
            if let Some(limited) = refusal {
                return Ok(refuse(req, limited));
            }
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// [`auth_attempts`] for the sign-in routes: the IP's count is left on the
/// request ([`DeferredIpCount`]) for the sign-in to take in the same write as
/// the account's (`auth::limits::login`). An attempt that did not get that
/// far (a malformed body, a wrong CSRF token) is counted here after its
/// answer, so each attempt counts once either way. An address this process
/// already saw refused is refused at once, before any parsing, as before.
pub async fn login_attempts(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let Some(state) = state.filter(|_| !matches!(*req.method(), Method::GET | Method::HEAD)) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let ip = client_ip(req.request(), &state.config.trusted_proxies);
    if let Some(throttled) = state.limits.refused_ip_locally(ip) {
        note_ip_refusal(ip, req.path());
        return Ok(refuse(req, AppError::from(throttled)));
    }
    let deferred = DeferredIpCount::default();
    req.extensions_mut().insert(deferred.clone());
    let res = next.call(req).await?;
    if deferred.claim() {
        match state.limits.check_ip(&state.pool, ip).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => note_ip_refusal(ip, res.request().path()),
            // The answer is already given; the next attempt meets the limit.
            Err(fault) => tracing::warn!(error = %fault, "could not count a sign-in attempt"),
        }
    }
    Ok(res.map_into_left_body())
}

/// The refusal as JSON under `/api` and as a page elsewhere.
fn refuse<B>(req: ServiceRequest, limited: AppError) -> ServiceResponse<EitherBody<B>> {
    let res = if req.path().starts_with("/api/") {
        ApiError(limited).error_response()
    } else {
        PageError(limited).error_response()
    };
    req.into_response(res).map_into_right_body()
}
