//! The auth cookies: `tg_access` and `tg_refresh`, HttpOnly, Path=/,
//! SameSite=Lax, and `Secure` with the `__Host-` prefix unless COOKIE_SECURE=false.

use actix_web::cookie::{time, Cookie, SameSite};

/// Cookie names for this deployment (the `__Host-` prefix depends on COOKIE_SECURE).
#[derive(Debug, Clone)]
pub struct CookieNames {
    pub access: &'static str,
    pub refresh: &'static str,
    /// actix-session's encrypted cookie, which carries the CSRF token.
    pub session: &'static str,
    pub secure: bool,
}

impl CookieNames {
    pub fn new(secure: bool) -> Self {
        if secure {
            Self {
                access: "__Host-tg_access",
                refresh: "__Host-tg_refresh",
                session: "__Host-tg_session",
                secure,
            }
        } else {
            Self {
                access: "tg_access",
                refresh: "tg_refresh",
                session: "tg_session",
                secure,
            }
        }
    }

    fn build(&self, name: &'static str, value: String, max_age_secs: i64) -> Cookie<'static> {
        Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .max_age(time::Duration::seconds(max_age_secs))
            .finish()
    }

    /// Both cookies for a freshly issued token pair.
    pub fn set(
        &self,
        access: &str,
        access_ttl: u64,
        refresh: &str,
        refresh_ttl: i64,
    ) -> [Cookie<'static>; 2] {
        let access_ttl = i64::try_from(access_ttl).unwrap_or(i64::MAX);
        [
            self.build(self.access, access.to_owned(), access_ttl),
            self.build(self.refresh, refresh.to_owned(), refresh_ttl),
        ]
    }

    /// Cookies that make the browser forget both (same attributes, Max-Age=0).
    pub fn clear(&self) -> [Cookie<'static>; 2] {
        [
            self.build(self.access, String::new(), 0),
            self.build(self.refresh, String::new(), 0),
        ]
    }
}

/// Cookies a handler or extractor wants set on this response; the
/// `http::headers` middleware adds them once the handler has answered.
#[derive(Debug, Default, Clone)]
pub struct PendingCookies(pub Vec<Cookie<'static>>);
