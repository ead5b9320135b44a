//! Reading `Set-Cookie` with reqwest's own parser (`Response::cookies()`),
//! and a small jar for tests that send cookies by hand (dropping one,
//! swapping in a forged one).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use reqwest::cookie::Cookie;
use reqwest::Response;

/// The cookie named `name` that the response sets, if any.
pub fn cookie<'a>(res: &'a Response, name: &str) -> Option<Cookie<'a>> {
    res.cookies().find(|c| c.name() == name)
}

/// The value the response gives `name`, if it sets it.
pub fn cookie_value(res: &Response, name: &str) -> Option<String> {
    cookie(res, name).map(|c| c.value().to_owned())
}

/// True when the cookie tells the browser to forget it: an empty value,
/// `Max-Age=0`, or an expiry in the past.
pub fn is_clearing(c: &Cookie<'_>) -> bool {
    let value = c.value().trim();
    value.is_empty()
        || value == "\"\""
        || c.max_age() == Some(Duration::ZERO)
        || c.expires().is_some_and(|at| at <= SystemTime::now())
}

/// True when the response sets `name` to a usable value.
pub fn sets_live(res: &Response, name: &str) -> bool {
    cookie(res, name).is_some_and(|c| !is_clearing(&c))
}

/// True when the response makes the browser forget `name`.
pub fn clears(res: &Response, name: &str) -> bool {
    cookie(res, name).is_some_and(|c| is_clearing(&c))
}

/// Every `Set-Cookie` header of a response, for messages.
pub fn set_cookies(res: &Response) -> Vec<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

/// A cookie jar kept by the test, for a `plain_client`.
#[derive(Default, Debug)]
pub struct Jar(pub BTreeMap<String, String>);

impl Jar {
    /// Takes in what the response sets, and forgets what it clears.
    pub fn absorb(&mut self, res: &Response) {
        for c in res.cookies() {
            if is_clearing(&c) {
                self.0.remove(c.name());
            } else {
                self.0.insert(c.name().to_owned(), c.value().to_owned());
            }
        }
    }

    /// The `Cookie` header that sends every cookie in the jar.
    pub fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}
