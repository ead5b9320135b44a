//! `/.well-known/…`: what another service needs to verify taskgate's access
//! tokens with public keys alone (RFC 7517 JWKS, RFC 8414 metadata).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::auth::signing::JWKS_MAX_AGE;
use crate::auth::tokens::ISSUER;
use crate::state::AppState;

/// Public: the keys that verify access tokens now (next, current and
/// retired-but-unexpired), never a private member. Cacheable for
/// `JWKS_MAX_AGE`: a scheduled key is published two max-ages before it signs.
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={}", JWKS_MAX_AGE.as_secs()),
        ))
        .json(state.tokens.jwks())
}

/// Public: RFC 8414 authorization-server metadata, with absolute URLs built
/// from `PUBLIC_URL` (never from the request's `Host`).
pub async fn metadata(state: web::Data<AppState>) -> HttpResponse {
    let url = &state.public_url;
    HttpResponse::Ok()
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={}", JWKS_MAX_AGE.as_secs()),
        ))
        .json(json!({
            "issuer": ISSUER,
            "jwks_uri": url.join("/.well-known/jwks.json"),
            "introspection_endpoint": url.join("/api/auth/introspect"),
            // Callers present a personal access token with the `introspect` scope.
            "introspection_endpoint_auth_methods_supported": ["bearer"],
            // No OAuth authorization endpoint: sign-in happens on taskgate's own pages and API.
            "response_types_supported": [],
            "service_documentation": url.join("/api/docs"),
        }))
}
