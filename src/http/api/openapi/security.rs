//! How callers authenticate, as the document states it: the `bearer`, `pat`
//! and `cookie` schemes, and the CSRF header cookie-authenticated writes need.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as Document;
use utoipa::{IntoParams, Modify};

use super::super::tokens;

/// The ways to authenticate: operations that need a user list `bearer` and
/// `cookie`, and `pat` with its scope where personal access tokens work.
pub struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The `access_token` from sign-up, login or refresh. \
                         Needs no CSRF token.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme("pat", tokens::pat_scheme());
        components.add_security_scheme("cookie", cookie_scheme("tg_access"));
    }
}

pub fn cookie_scheme(name: &str) -> SecurityScheme {
    SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
        name.to_owned(),
        "The HttpOnly access cookie set by the web login (`__Host-tg_access` when \
         COOKIE_SECURE is on). Cookie-authenticated POST, PUT, PATCH and DELETE \
         requests must also send the header `X-CSRF-Token` with the page's CSRF \
         token, else 403."
            .to_owned(),
    )))
}

/// The CSRF header that cookie-authenticated writes need; Bearer requests ignore it.
#[derive(IntoParams)]
#[into_params(names("X-CSRF-Token"), parameter_in = Header)]
pub struct CsrfHeader(
    /// Required when authenticating with the cookie: the page's CSRF token.
    #[param(nullable = false)]
    pub Option<String>,
);
