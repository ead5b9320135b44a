//! Assertions many tests share: error answers, token refusals, headers.

use reqwest::header::{HeaderName, CACHE_CONTROL, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Response, StatusCode};
use serde_json::Value;

/// Asserts a JSON error answer's status and `error.code`; returns the body.
pub async fn assert_error(res: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(res.status(), status, "expected {status} {code}");
    let body: Value = res.json().await.expect("a JSON error body");
    assert_eq!(body["error"]["code"], code, "{body}");
    body
}

/// A 422 `validation_failed` whose `fields` names `field`.
pub async fn assert_invalid_field(res: Response, field: &str, what: &str) {
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"]["code"], "validation_failed", "{what}: {body}");
    let reason = body["error"]["fields"][field].as_str().unwrap_or_default();
    assert!(
        !reason.is_empty(),
        "{what}: fields.{field} missing in {body}"
    );
}

/// A 401 for a presented-and-refused token, as RFC 6750 describes it:
/// `WWW-Authenticate: Bearer realm="taskgate", error="invalid_token"` and the
/// JSON `unauthorized` error (never a 500).
pub async fn assert_token_refused(res: Response, what: &str) {
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{what}");
    let www = header(&res, WWW_AUTHENTICATE);
    assert!(
        www.starts_with("Bearer") && www.contains(r#"realm="taskgate""#),
        "{what}: WWW-Authenticate was {www:?}"
    );
    assert!(
        www.contains(r#"error="invalid_token""#),
        "{what}: WWW-Authenticate was {www:?}"
    );
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unauthorized", "{what}: {body}");
}

/// Asserts an API answer is 400 `invalid_token` (a bad emailed link).
pub async fn assert_invalid_token(res: Response, what: &str) {
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{what}");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"]["code"], "invalid_token", "{what}: {body}");
}

/// Asserts the answer may not be stored by any cache.
pub fn assert_no_store(res: &Response, what: &str) {
    let cache = header(res, CACHE_CONTROL).to_ascii_lowercase();
    assert!(
        cache.split(',').any(|d| d.trim() == "no-store"),
        "{what}: Cache-Control {cache:?}"
    );
}

/// A header's value as text, or `""` when it is absent.
pub fn header(res: &Response, name: HeaderName) -> String {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

/// The `Location` header, or `""`.
pub fn location(res: &Response) -> String {
    header(res, LOCATION)
}

/// True for a `text/html` answer.
pub fn is_html(res: &Response) -> bool {
    header(res, CONTENT_TYPE)
        .to_ascii_lowercase()
        .starts_with("text/html")
}

/// An RFC 3339 timestamp in UTC (`…Z`), as the API writes them.
pub fn is_rfc3339_utc(s: &str) -> bool {
    s.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(s).is_ok()
}
