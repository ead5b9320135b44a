use crate::helpers::*;

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION};
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{json, Value};

const NEW_PASSWORD: &str = "an entirely new passphrase 42";

// ---------------------------------------------------------------- helpers

/// A client without a cookie jar that does not follow redirects: cookies are
/// read from `Set-Cookie` and sent back by hand.
fn plain_client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

fn location(res: &Response) -> String {
    res.headers()
        .get(LOCATION)
        .map(|v| v.to_str().expect("ascii location").to_owned())
        .unwrap_or_default()
}

fn header(res: &Response, name: reqwest::header::HeaderName) -> String {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

/// The `Set-Cookie` header that sets `name`, if any.
fn cookie_line<'a>(cookies: &'a [String], name: &str) -> Option<&'a str> {
    cookies.iter().map(String::as_str).find(|c| {
        c.split(';')
            .next()
            .and_then(|pair| pair.split_once('='))
            .is_some_and(|(n, _)| n.trim() == name)
    })
}

/// The value `Set-Cookie` gives `name`, if it sets it.
fn cookie_value(cookies: &[String], name: &str) -> Option<String> {
    let line = cookie_line(cookies, name)?;
    let pair = line.split(';').next()?;
    Some(pair.split_once('=')?.1.trim().to_owned())
}

/// The attributes of a `Set-Cookie` line, lower-cased, without the name=value pair.
fn cookie_attrs(line: &str) -> Vec<String> {
    line.split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

/// True when the cookie is told to go away: empty value, `Max-Age=0` or an expiry in the past.
fn is_clearing(line: &str) -> bool {
    let value_empty = line
        .split(';')
        .next()
        .and_then(|p| p.split_once('='))
        .is_none_or(|(_, v)| v.trim().is_empty() || v.trim() == "\"\"");
    let attrs = cookie_attrs(line);
    let max_age_zero = attrs.iter().any(|a| {
        a.strip_prefix("max-age=")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .is_some_and(|v| v <= 0)
    });
    let expired = attrs
        .iter()
        .any(|a| a.starts_with("expires=") && a.contains("1970"));
    value_empty || max_age_zero || expired
}

/// True when the response sets `name` to a usable value.
fn sets_live(cookies: &[String], name: &str) -> bool {
    cookie_line(cookies, name).is_some_and(|l| !is_clearing(l))
}

/// True when the response makes the browser forget `name`.
fn clears(cookies: &[String], name: &str) -> bool {
    cookie_line(cookies, name).is_some_and(is_clearing)
}

/// A hand-kept cookie jar for `plain_client`.
#[derive(Default, Debug)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn absorb(&mut self, res: &Response) {
        for line in set_cookies(res) {
            let Some((name, value)) = line.split(';').next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            if is_clearing(&line) {
                self.0.remove(name.trim());
            } else {
                self.0
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Decodes HTML character references (named, decimal and hex).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let decoded = after.find(';').filter(|&end| end <= 10).and_then(|end| {
            let entity = &after[..end];
            let ch = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            ch.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The HTML of the first `<form>` whose action is exactly `action`.
fn form_html<'a>(html: &'a str, action: &str) -> Option<&'a str> {
    let needle = format!("action=\"{action}\"");
    let at = html.find(&needle)?;
    let start = html[..at].rfind("<form")?;
    let end = at + html[at..].find("</form>")?;
    Some(&html[start..end])
}

/// The value of attribute `name` in one tag's text.
fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=\"");
    let mut from = 0;
    while let Some(i) = tag[from..].find(&needle) {
        let at = from + i;
        let preceded_by_space = tag[..at].ends_with(|c: char| c.is_ascii_whitespace());
        if preceded_by_space {
            let rest = &tag[at + needle.len()..];
            return Some(unescape(&rest[..rest.find('"')?]));
        }
        from = at + needle.len();
    }
    None
}

#[derive(Debug)]
struct Input {
    kind: String,
    name: String,
    value: String,
}

/// Every `<input>` and `<textarea>` of a form.
fn inputs(form: &str) -> Vec<Input> {
    let mut found = Vec::new();
    for tag_name in ["<input", "<textarea"] {
        let mut rest = form;
        while let Some(i) = rest.find(tag_name) {
            let tag_start = &rest[i..];
            let end = tag_start.find('>').unwrap_or(tag_start.len());
            let tag = &tag_start[..end];
            let kind = if tag_name == "<textarea" {
                "textarea".to_owned()
            } else {
                attr(tag, "type")
                    .unwrap_or_else(|| "text".to_owned())
                    .to_ascii_lowercase()
            };
            if let Some(name) = attr(tag, "name") {
                found.push(Input {
                    kind,
                    name,
                    value: attr(tag, "value").unwrap_or_default(),
                });
            }
            rest = &tag_start[end..];
        }
    }
    found
}

/// The hidden fields of a form, as a browser would submit them.
fn hidden_fields(form: &str) -> Vec<(String, String)> {
    inputs(form)
        .into_iter()
        .filter(|i| i.kind == "hidden")
        .map(|i| (i.name, i.value))
        .collect()
}

/// The ids in `/{prefix}/{id}/{suffix}` form actions, in page order.
fn ids_in(html: &str, prefix: &str, suffix: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = html;
    let needle = format!("action=\"{prefix}");
    while let Some(i) = rest.find(&needle) {
        let after = &rest[i + needle.len()..];
        let end = after.find('"').unwrap_or(after.len());
        if let Some(id) = after[..end].strip_suffix(suffix) {
            ids.push(id.to_owned());
        }
        rest = &after[end..];
    }
    ids
}

async fn get_page(app: &TestApp, client: &Client, path: &str) -> Response {
    client.get(app.url(path)).send().await.expect("get")
}

async fn page_text(app: &TestApp, client: &Client, path: &str) -> String {
    let res = get_page(app, client, path).await;
    assert_eq!(res.status(), StatusCode::OK, "GET {path}");
    res.text().await.expect("text")
}

async fn post_form(app: &TestApp, client: &Client, path: &str, form: &[(&str, &str)]) -> Response {
    client
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .expect("post")
}

/// A browser signed up through the form; returns it and the access and refresh cookie values.
async fn web_user(app: &TestApp, email: &str) -> (Client, String, String) {
    let client = browser();
    let res = app.web_signup(&client, email).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "web signup {email}");
    let cookies = set_cookies(&res);
    let access = cookie_value(&cookies, "tg_access").expect("tg_access set on signup");
    let refresh = cookie_value(&cookies, "tg_refresh").expect("tg_refresh set on signup");
    (client, access, refresh)
}

/// A second browser signed in as `email`; returns it and its access cookie value.
async fn web_login_user(app: &TestApp, email: &str, password: &str) -> (Client, String) {
    let client = browser();
    let res = app.web_login(&client, email, password, None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "web login {email}");
    let access = cookie_value(&set_cookies(&res), "tg_access").expect("tg_access set on login");
    (client, access)
}

async fn status_of_token(app: &TestApp, token: &str) -> StatusCode {
    app.bearer(Method::GET, "/api/auth/me", token, None)
        .await
        .status()
}

async fn api_login_status(app: &TestApp, email: &str, password: &str) -> StatusCode {
    plain_client()
        .post(app.url("/api/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("login")
        .status()
}

async fn api_tasks(app: &TestApp, token: &str) -> Value {
    let res = app.bearer(Method::GET, "/api/tasks", token, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("json")
}

/// A real CSRF token that belongs to a different visitor.
async fn foreign_csrf(app: &TestApp) -> String {
    app.csrf_from(&browser(), "/login").await
}

/// Posts `form` to `path` once without `csrf_token`, once with another
/// visitor's token and once with garbage; each must be 403.
async fn assert_csrf_refused(app: &TestApp, client: &Client, path: &str, form: &[(&str, &str)]) {
    let foreign = foreign_csrf(app).await;
    let mut variants: Vec<(&str, Vec<(&str, &str)>)> = vec![("missing", form.to_vec())];
    let mut with_foreign = form.to_vec();
    with_foreign.push(("csrf_token", &foreign));
    variants.push(("another visitor's", with_foreign));
    let mut with_garbage = form.to_vec();
    with_garbage.push(("csrf_token", "not-a-token"));
    variants.push(("garbage", with_garbage));
    let mut with_empty = form.to_vec();
    with_empty.push(("csrf_token", ""));
    variants.push(("empty", with_empty));
    for (what, fields) in variants {
        let res = post_form(app, client, path, &fields).await;
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "POST {path} with {what} csrf_token"
        );
        let cookies = set_cookies(&res);
        assert!(
            !sets_live(&cookies, "tg_access") && !sets_live(&cookies, "tg_refresh"),
            "POST {path} with {what} csrf_token set auth cookies: {cookies:?}"
        );
    }
}

fn csp_script_sources(csp: &str) -> Option<String> {
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    let find = |name: &str| {
        directives
            .iter()
            .find(|d| {
                d.split_whitespace()
                    .next()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .map(|d| d.to_ascii_lowercase())
    };
    find("script-src").or_else(|| find("default-src"))
}

fn assert_security_headers(res: &Response, what: &str) {
    let csp = header(res, reqwest::header::CONTENT_SECURITY_POLICY);
    assert!(!csp.is_empty(), "{what}: no Content-Security-Policy");
    let script = csp_script_sources(&csp).unwrap_or_else(|| {
        panic!("{what}: CSP restricts no scripts (no script-src or default-src): {csp}")
    });
    assert!(
        !script.contains("'unsafe-inline'"),
        "{what}: CSP allows inline script: {csp}"
    );
    assert!(
        !script.contains('*'),
        "{what}: CSP allows scripts from anywhere: {csp}"
    );
    assert_eq!(
        header(res, reqwest::header::X_CONTENT_TYPE_OPTIONS).to_ascii_lowercase(),
        "nosniff",
        "{what}: X-Content-Type-Options"
    );
    let xfo = header(res, reqwest::header::X_FRAME_OPTIONS).to_ascii_lowercase();
    let csp_lower = csp.to_ascii_lowercase();
    let frame_ancestors_none = csp_lower
        .split(';')
        .map(str::trim)
        .any(|d| d.starts_with("frame-ancestors") && d.contains("'none'"));
    assert!(
        xfo == "deny" || frame_ancestors_none,
        "{what}: framing allowed (X-Frame-Options {xfo:?}, CSP {csp})"
    );
    assert!(
        !header(res, reqwest::header::REFERRER_POLICY).is_empty(),
        "{what}: no Referrer-Policy"
    );
}

fn is_html(res: &Response) -> bool {
    header(res, CONTENT_TYPE)
        .to_ascii_lowercase()
        .starts_with("text/html")
}

// ---------------------------------------------------------------- GET /

#[tokio::test]
async fn root_sends_a_signed_out_visitor_to_login_and_a_signed_in_user_to_tasks() {
    let app = spawn_app().await;
    let res = get_page(&app, &browser(), "/").await;
    match res.status() {
        StatusCode::SEE_OTHER => assert_eq!(location(&res), "/login"),
        StatusCode::OK => assert!(is_html(&res), "a landing page is HTML"),
        other => panic!("GET / signed out: {other}"),
    }
    let (client, _, _) = web_user(&app, "root@example.com").await;
    let res = get_page(&app, &client, "/").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/tasks");
}

// ---------------------------------------------------------------- forms

#[tokio::test]
async fn signup_form_posts_to_signup_with_the_contract_field_names_and_a_hidden_csrf_token() {
    let app = spawn_app().await;
    let html = page_text(&app, &browser(), "/signup").await;
    let form = form_html(&html, "/signup").expect("a form with action=\"/signup\"");
    assert!(
        form.to_ascii_lowercase().contains("method=\"post\""),
        "signup form method: {form}"
    );
    let fields = inputs(form);
    for name in ["name", "email", "password"] {
        assert!(
            fields.iter().any(|i| i.name == name),
            "signup form lacks {name}: {fields:?}"
        );
    }
    let csrf = fields
        .iter()
        .find(|i| i.name == "csrf_token")
        .expect("csrf_token input");
    assert_eq!(csrf.kind, "hidden");
    assert!(
        csrf.value.len() >= 16,
        "csrf token too short: {:?}",
        csrf.value
    );
}

#[tokio::test]
async fn login_form_posts_to_login_with_the_contract_field_names_and_a_hidden_csrf_token() {
    let app = spawn_app().await;
    let html = page_text(&app, &browser(), "/login").await;
    let form = form_html(&html, "/login").expect("a form with action=\"/login\"");
    assert!(
        form.to_ascii_lowercase().contains("method=\"post\""),
        "login form method: {form}"
    );
    let fields = inputs(form);
    for name in ["email", "password"] {
        assert!(
            fields.iter().any(|i| i.name == name),
            "login form lacks {name}: {fields:?}"
        );
    }
    let csrf = fields
        .iter()
        .find(|i| i.name == "csrf_token")
        .expect("csrf_token input");
    assert_eq!(csrf.kind, "hidden");
    assert!(
        csrf.value.len() >= 16,
        "csrf token too short: {:?}",
        csrf.value
    );
}

#[tokio::test]
async fn login_form_keeps_next_so_submitting_it_as_rendered_lands_there() {
    let app = spawn_app().await;
    app.api_signup("next@example.com").await;
    let client = browser();
    let html = page_text(&app, &client, "/login?next=%2Faccount").await;
    let form = form_html(&html, "/login").expect("login form");
    let mut fields = hidden_fields(form);
    assert!(
        fields.iter().any(|(_, v)| v == "/account"),
        "next not kept in the form: {fields:?}"
    );
    fields.push(("email".into(), "next@example.com".into()));
    fields.push(("password".into(), PASSWORD.into()));
    let res = client
        .post(app.url("/login"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/account");
}

// ---------------------------------------------------------------- POST /signup

#[tokio::test]
async fn signup_success_redirects_to_tasks_and_sets_both_auth_cookies() {
    let app = spawn_app().await;
    let client = browser();
    let res = app.web_signup(&client, "new@example.com").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/tasks");
    let cookies = set_cookies(&res);
    for name in ["tg_access", "tg_refresh"] {
        let line =
            cookie_line(&cookies, name).unwrap_or_else(|| panic!("{name} not set: {cookies:?}"));
        assert!(!is_clearing(line), "{line}");
        let attrs = cookie_attrs(line);
        assert!(attrs.contains(&"httponly".to_owned()), "{line}");
        assert!(attrs.contains(&"path=/".to_owned()), "{line}");
        assert!(attrs.contains(&"samesite=lax".to_owned()), "{line}");
    }
    let access = cookie_value(&cookies, "tg_access").unwrap();
    assert_eq!(
        status_of_token(&app, &access).await,
        StatusCode::OK,
        "the access cookie is a working token"
    );
    let html = page_text(&app, &client, "/tasks").await;
    assert!(html.contains("new@example.com"));
}

/// A refused sign-up: `status`, no auth cookie, the form again with the
/// email kept and the password echoed nowhere in the page.
async fn assert_signup_form_again(
    res: reqwest::Response,
    status: StatusCode,
    email: &str,
    password: &str,
) {
    assert_eq!(res.status(), status);
    let cookies = set_cookies(&res);
    assert!(
        !sets_live(&cookies, "tg_access") && !sets_live(&cookies, "tg_refresh"),
        "{cookies:?}"
    );
    let html = res.text().await.unwrap();
    let form = form_html(&html, "/signup").expect("the form again");
    let fields = inputs(form);
    let find = |name: &str| {
        fields
            .iter()
            .find(|i| i.name == name)
            .map(|i| i.value.clone())
    };
    assert_eq!(find("email").expect("email input"), email, "email kept");
    assert_eq!(
        find("password").expect("password input"),
        "",
        "password echoed in the form"
    );
    assert!(
        !html.contains(password),
        "password echoed somewhere in the page"
    );
}

#[tokio::test]
async fn signup_with_a_common_password_is_422_with_the_form_again_the_email_kept_and_no_cookie() {
    let app = spawn_app().await;
    let client = browser();
    let csrf = app.csrf_from(&client, "/signup").await;
    let weak = "qwertyuiop";
    let res = post_form(
        &app,
        &client,
        "/signup",
        &[
            ("name", "Weak"),
            ("email", "weak@example.com"),
            ("password", weak),
            ("csrf_token", &csrf),
        ],
    )
    .await;
    assert_signup_form_again(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "weak@example.com",
        weak,
    )
    .await;
    assert_eq!(
        api_login_status(&app, "weak@example.com", weak).await,
        StatusCode::UNAUTHORIZED,
        "no account made"
    );
}

#[tokio::test]
async fn signup_with_a_taken_email_is_409_with_the_form_again_the_email_kept_and_no_cookie() {
    let app = spawn_app().await;
    app.api_signup("taken@example.com").await;
    let client = browser();
    let csrf = app.csrf_from(&client, "/signup").await;
    let other_password = "a different but fine passphrase";
    let res = post_form(
        &app,
        &client,
        "/signup",
        &[
            ("name", "Again"),
            ("email", "taken@example.com"),
            ("password", other_password),
            ("csrf_token", &csrf),
        ],
    )
    .await;
    assert_signup_form_again(
        res,
        StatusCode::CONFLICT,
        "taken@example.com",
        other_password,
    )
    .await;
    assert_eq!(
        api_login_status(&app, "taken@example.com", other_password).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api_login_status(&app, "taken@example.com", PASSWORD).await,
        StatusCode::OK,
        "owner unaffected"
    );
}

// ---------------------------------------------------------------- POST /login

#[tokio::test]
async fn login_with_a_local_next_redirects_there_and_sets_cookies() {
    let app = spawn_app().await;
    app.api_signup("local@example.com").await;
    for next in ["/account", "/tasks?completed=true"] {
        let client = browser();
        let res = app
            .web_login(&client, "local@example.com", PASSWORD, Some(next))
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "next {next}");
        assert_eq!(location(&res), next);
        let cookies = set_cookies(&res);
        assert!(
            sets_live(&cookies, "tg_access") && sets_live(&cookies, "tg_refresh"),
            "{cookies:?}"
        );
    }
}

#[tokio::test]
async fn login_never_redirects_to_another_site_whatever_next_says() {
    let app = spawn_app().await;
    app.api_signup("redirect@example.com").await;
    for next in [
        "//evil.com",
        "/\\evil.com",
        "https://evil.com",
        "/\t/evil.com",
        "javascript:alert(1)",
        "///evil.com",
        "\\\\evil.com",
        "evil.com",
        "",
    ] {
        let client = browser();
        let res = app
            .web_login(&client, "redirect@example.com", PASSWORD, Some(next))
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "next {next:?}");
        assert_eq!(location(&res), "/tasks", "next {next:?}");
    }
}

#[tokio::test]
async fn login_failure_is_401_with_the_same_page_for_an_unknown_email_and_a_wrong_password() {
    let app = spawn_app().await;
    app.api_signup("known@example.com").await;
    let client = browser();
    let mut pages = Vec::new();
    for (email, password) in [
        ("nobody@example.com", PASSWORD),
        ("known@example.com", "wrong password here"),
    ] {
        let res = app.web_login(&client, email, password, None).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{email}");
        assert!(is_html(&res), "the form again as HTML");
        let cookies = set_cookies(&res);
        assert!(
            !sets_live(&cookies, "tg_access") && !sets_live(&cookies, "tg_refresh"),
            "{cookies:?}"
        );
        let html = res.text().await.unwrap();
        assert!(form_html(&html, "/login").is_some(), "the login form again");
        assert!(!html.contains(password), "password echoed");
        let csrf = csrf_in(&html).unwrap_or_default();
        pages.push(html.replace(email, "EMAIL").replace(&csrf, "CSRF"));
    }
    assert_eq!(
        pages[0], pages[1],
        "unknown email and wrong password must read the same"
    );
}

// ---------------------------------------------------------------- /tasks

#[tokio::test]
async fn tasks_page_sends_a_signed_out_visitor_to_login_with_next() {
    let app = spawn_app().await;
    let res = get_page(&app, &browser(), "/tasks").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login?next=%2Ftasks");
}

#[tokio::test]
async fn creating_toggling_and_deleting_a_task_through_forms_shows_on_the_list() {
    let app = spawn_app().await;
    let (client, access, _) = web_user(&app, "tasks@example.com").await;
    let csrf = app.csrf_from(&client, "/tasks").await;

    let res = post_form(
        &app,
        &client,
        "/tasks",
        &[
            ("title", "Buy milk"),
            ("description", "two litres"),
            ("csrf_token", &csrf),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/tasks");
    let html = page_text(&app, &client, "/tasks").await;
    assert!(
        html.contains("Buy milk") && html.contains("two litres"),
        "new task on the page"
    );
    let ids = ids_in(&html, "/tasks/", "/toggle");
    assert_eq!(ids.len(), 1, "one toggle form: {ids:?}");
    let id = ids[0].clone();
    assert_eq!(ids_in(&html, "/tasks/", "/delete"), vec![id.clone()]);

    let listed = api_tasks(&app, &access).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["tasks"][0]["id"], id.as_str());
    assert_eq!(listed["tasks"][0]["completed"], false);

    let res = post_form(
        &app,
        &client,
        &format!("/tasks/{id}/toggle"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/tasks");
    assert_eq!(
        api_tasks(&app, &access).await["tasks"][0]["completed"],
        true
    );
    let after_toggle = page_text(&app, &client, "/tasks").await;
    assert_ne!(
        after_toggle.replace(&csrf, ""),
        html.replace(&csrf, ""),
        "the page shows the task's new state"
    );

    let res = post_form(
        &app,
        &client,
        &format!("/tasks/{id}/toggle"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        api_tasks(&app, &access).await["tasks"][0]["completed"],
        false,
        "toggle flips back"
    );

    let res = post_form(
        &app,
        &client,
        &format!("/tasks/{id}/delete"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/tasks");
    let html = page_text(&app, &client, "/tasks").await;
    assert!(!html.contains("Buy milk"), "deleted task still on the page");
    assert!(ids_in(&html, "/tasks/", "/toggle").is_empty());
    assert_eq!(api_tasks(&app, &access).await["total"], 0);
}

#[tokio::test]
async fn another_users_task_cannot_be_toggled_or_deleted_through_forms() {
    let app = spawn_app().await;
    let owner = app.api_signup("owner@example.com").await;
    let task = app.api_create_task(&owner.access, "Owner's secret").await;
    let id = task["id"].as_str().unwrap().to_owned();
    let (intruder, _, _) = web_user(&app, "intruder@example.com").await;
    let csrf = app.csrf_from(&intruder, "/tasks").await;

    for action in ["toggle", "delete"] {
        let res = post_form(
            &app,
            &intruder,
            &format!("/tasks/{id}/{action}"),
            &[("csrf_token", &csrf)],
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "{action} of another user's task"
        );
        let body = res.text().await.unwrap();
        assert!(!body.contains("Owner's secret") && !body.contains("Owner&#39;s secret"));
    }
    let res = app
        .bearer(
            Method::GET,
            &format!("/api/tasks/{id}"),
            &owner.access,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "owner's task still exists");
    let still: Value = res.json().await.unwrap();
    assert_eq!(still["completed"], false, "owner's task unchanged");
    assert_eq!(still["title"], "Owner's secret");
    let page = page_text(&app, &intruder, "/tasks").await;
    assert!(!page.contains(&id), "intruder sees no foreign task");

    // Ids that are not UUIDs or do not exist answer the same.
    for bogus in ["not-a-uuid", "00000000-0000-0000-0000-000000000000"] {
        let res = post_form(
            &app,
            &intruder,
            &format!("/tasks/{bogus}/toggle"),
            &[("csrf_token", &csrf)],
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{bogus}");
    }
}

#[tokio::test]
async fn task_title_with_a_nul_character_is_refused_with_422() {
    let app = spawn_app().await;
    let (client, access, _) = web_user(&app, "nul@example.com").await;
    let csrf = app.csrf_from(&client, "/tasks").await;
    for (title, description) in [("bad\u{0}title", ""), ("fine title", "bad\u{0}description")] {
        let res = post_form(
            &app,
            &client,
            "/tasks",
            &[
                ("title", title),
                ("description", description),
                ("csrf_token", &csrf),
            ],
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{title:?} / {description:?}"
        );
    }
    assert_eq!(api_tasks(&app, &access).await["total"], 0, "nothing stored");
}

#[tokio::test]
async fn signup_name_with_a_nul_character_is_refused_with_422() {
    let app = spawn_app().await;
    let client = browser();
    let csrf = app.csrf_from(&client, "/signup").await;
    let res = post_form(
        &app,
        &client,
        "/signup",
        &[
            ("name", "Nul\u{0}Name"),
            ("email", "nulname@example.com"),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!sets_live(&set_cookies(&res), "tg_access"));
    assert_eq!(
        api_login_status(&app, "nulname@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
}

// ---------------------------------------------------------------- CSRF on every form

#[tokio::test]
async fn signup_and_login_forms_refuse_a_missing_or_wrong_csrf_token() {
    let app = spawn_app().await;
    app.api_signup("exists@example.com").await;
    let client = browser();
    // The visitor has a session (and a token) of their own, so "wrong" really is wrong.
    app.csrf_from(&client, "/signup").await;
    assert_csrf_refused(
        &app,
        &client,
        "/signup",
        &[
            ("name", "X"),
            ("email", "csrf-signup@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(
        api_login_status(&app, "csrf-signup@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "no account was created"
    );
    assert_csrf_refused(
        &app,
        &client,
        "/login",
        &[("email", "exists@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(
        get_page(&app, &client, "/tasks").await.status(),
        StatusCode::SEE_OTHER,
        "still signed out"
    );
}

#[tokio::test]
async fn logout_form_refuses_a_missing_or_wrong_csrf_token() {
    let app = spawn_app().await;
    let (client, access, _) = web_user(&app, "csrf-logout@example.com").await;
    assert_csrf_refused(&app, &client, "/logout", &[]).await;
    assert_eq!(
        status_of_token(&app, &access).await,
        StatusCode::OK,
        "session not revoked"
    );
    assert_eq!(
        get_page(&app, &client, "/tasks").await.status(),
        StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test]
async fn task_forms_refuse_a_missing_or_wrong_csrf_token() {
    let app = spawn_app().await;
    let (client, access, _) = web_user(&app, "csrf-tasks@example.com").await;
    assert_csrf_refused(
        &app,
        &client,
        "/tasks",
        &[("title", "Forged"), ("description", "")],
    )
    .await;
    assert_eq!(
        api_tasks(&app, &access).await["total"],
        0,
        "no task created"
    );

    let task = app.api_create_task(&access, "Keep me").await;
    let id = task["id"].as_str().unwrap();
    assert_csrf_refused(&app, &client, &format!("/tasks/{id}/toggle"), &[]).await;
    assert_csrf_refused(&app, &client, &format!("/tasks/{id}/delete"), &[]).await;
    let listed = api_tasks(&app, &access).await;
    assert_eq!(listed["total"], 1, "task not deleted");
    assert_eq!(listed["tasks"][0]["completed"], false, "task not toggled");
}

#[tokio::test]
async fn account_forms_refuse_a_missing_or_wrong_csrf_token() {
    let app = spawn_app().await;
    let email = "csrf-account@example.com";
    let (client, access, _) = web_user(&app, email).await;
    let (_other, other_access) = web_login_user(&app, email, PASSWORD).await;
    let html = page_text(&app, &client, "/account").await;
    let sessions = ids_in(&html, "/account/sessions/", "/revoke");
    assert_eq!(sessions.len(), 2, "{sessions:?}");

    assert_csrf_refused(
        &app,
        &client,
        "/account/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", NEW_PASSWORD),
        ],
    )
    .await;
    for sid in &sessions {
        assert_csrf_refused(
            &app,
            &client,
            &format!("/account/sessions/{sid}/revoke"),
            &[],
        )
        .await;
    }
    assert_csrf_refused(&app, &client, "/account/delete", &[("password", PASSWORD)]).await;

    assert_eq!(status_of_token(&app, &access).await, StatusCode::OK);
    assert_eq!(
        status_of_token(&app, &other_access).await,
        StatusCode::OK,
        "no session revoked"
    );
    assert_eq!(
        api_login_status(&app, email, PASSWORD).await,
        StatusCode::OK,
        "password unchanged, account kept"
    );
    assert_eq!(
        api_login_status(&app, email, NEW_PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
}

// ---------------------------------------------------------------- POST /logout

#[tokio::test]
async fn logout_redirects_to_login_clears_cookies_and_revokes_the_session() {
    let app = spawn_app().await;
    let (client, access, refresh) = web_user(&app, "logout@example.com").await;
    let csrf = app.csrf_from(&client, "/tasks").await;
    let res = post_form(&app, &client, "/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login");
    let cookies = set_cookies(&res);
    assert!(
        clears(&cookies, "tg_access"),
        "tg_access not cleared: {cookies:?}"
    );
    assert!(
        clears(&cookies, "tg_refresh"),
        "tg_refresh not cleared: {cookies:?}"
    );

    let res = get_page(&app, &client, "/tasks").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "signed out");

    let res = app.bearer(Method::GET, "/api/auth/me", &access, None).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "old access token replayed as Bearer"
    );
    let res = plain_client()
        .get(app.url("/api/tasks"))
        .header(COOKIE, format!("tg_access={access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "old access token replayed as a cookie"
    );
    let res = plain_client()
        .get(app.url("/tasks"))
        .header(COOKIE, format!("tg_refresh={refresh}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "old refresh cookie replayed"
    );
    assert!(location(&res).starts_with("/login"), "{}", location(&res));
}

// ---------------------------------------------------------------- /account

#[tokio::test]
async fn account_page_lists_every_session_marks_the_current_one_and_offers_revoke_forms() {
    let app = spawn_app().await;
    let email = "sessions@example.com";
    let (client, _, _) = web_user(&app, email).await;
    let (_second, _) = web_login_user(&app, email, PASSWORD).await;

    let res = get_page(&app, &client, "/account").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let ids = ids_in(&html, "/account/sessions/", "/revoke");
    assert_eq!(ids.len(), 2, "two sessions with revoke forms: {ids:?}");
    for id in &ids {
        let form = form_html(&html, &format!("/account/sessions/{id}/revoke")).unwrap();
        assert!(
            hidden_fields(form)
                .iter()
                .any(|(n, v)| n == "csrf_token" && !v.is_empty()),
            "{form}"
        );
    }
    let form = form_html(&html, "/account/password").expect("change-password form");
    let names: Vec<String> = inputs(form).into_iter().map(|i| i.name).collect();
    for name in ["current_password", "new_password", "csrf_token"] {
        assert!(
            names.iter().any(|n| n == name),
            "password form lacks {name}: {names:?}"
        );
    }

    let listed: Value = client
        .get(app.url("/api/auth/sessions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let current = listed["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .and_then(|s| s["id"].as_str())
        .expect("a current session")
        .to_owned();
    assert!(
        ids.contains(&current),
        "current session {current} not on the page: {ids:?}"
    );

    // The part of the page that belongs to each session: from the start of the
    // first row (or the end of the previous session's revoke form) to the end
    // of this session's revoke form.
    let first = html.find("action=\"/account/sessions/").unwrap();
    let mut from = html[..first]
        .rfind("<tr")
        .or_else(|| html[..first].rfind("<li"))
        .unwrap_or(first);
    let mut segments = Vec::new();
    for id in &ids {
        let action = format!("action=\"/account/sessions/{id}/revoke\"");
        let at = html.find(&action).unwrap();
        let end = at + html[at..].find("</form>").unwrap();
        segments.push((id.clone(), html[from..end].to_ascii_lowercase()));
        from = end;
    }
    let marked =
        |s: &str| s.contains("current") || s.contains("this session") || s.contains("this device");
    for (id, segment) in &segments {
        if *id == current {
            assert!(marked(segment), "current session not marked: {segment}");
        } else {
            assert!(
                !marked(segment),
                "another session marked as current: {segment}"
            );
        }
    }
}

#[tokio::test]
async fn revoking_my_other_session_from_the_account_page_signs_it_out() {
    let app = spawn_app().await;
    let email = "revoke@example.com";
    let (client, access, _) = web_user(&app, email).await;
    let (second, second_access) = web_login_user(&app, email, PASSWORD).await;

    let listed: Value = second
        .get(app.url("/api/auth/sessions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second_id = listed["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .and_then(|s| s["id"].as_str())
        .unwrap()
        .to_owned();

    let csrf = app.csrf_from(&client, "/account").await;
    let res = post_form(
        &app,
        &client,
        &format!("/account/sessions/{second_id}/revoke"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert!(
        res.status().is_redirection() || res.status().is_success(),
        "revoke: {}",
        res.status()
    );

    assert_eq!(
        status_of_token(&app, &second_access).await,
        StatusCode::UNAUTHORIZED,
        "revoked session's token"
    );
    let res = get_page(&app, &second, "/tasks").await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "revoked browser is signed out (refresh refused too)"
    );
    assert!(location(&res).starts_with("/login"));

    assert_eq!(
        status_of_token(&app, &access).await,
        StatusCode::OK,
        "my own session lives on"
    );
    let html = page_text(&app, &client, "/account").await;
    assert_eq!(ids_in(&html, "/account/sessions/", "/revoke").len(), 1);
}

#[tokio::test]
async fn revoking_another_users_session_from_the_account_page_is_404() {
    let app = spawn_app().await;
    let victim = app.api_signup("victim@example.com").await;
    let res = app
        .bearer(Method::GET, "/api/auth/sessions", &victim.access, None)
        .await;
    let listed: Value = res.json().await.unwrap();
    let victim_sid = listed["sessions"][0]["id"].as_str().unwrap().to_owned();

    let (client, _, _) = web_user(&app, "attacker@example.com").await;
    let csrf = app.csrf_from(&client, "/account").await;
    let res = post_form(
        &app,
        &client,
        &format!("/account/sessions/{victim_sid}/revoke"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        status_of_token(&app, &victim.access).await,
        StatusCode::OK,
        "victim's session untouched"
    );
    let res = post_form(
        &app,
        &client,
        "/account/sessions/not-a-session/revoke",
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn changing_the_password_with_a_wrong_current_one_is_403_and_changes_nothing() {
    let app = spawn_app().await;
    let email = "pw-wrong@example.com";
    let (client, access, _) = web_user(&app, email).await;
    let (_second, second_access) = web_login_user(&app, email, PASSWORD).await;
    let csrf = app.csrf_from(&client, "/account").await;
    let res = post_form(
        &app,
        &client,
        "/account/password",
        &[
            ("current_password", "not my password"),
            ("new_password", NEW_PASSWORD),
            ("csrf_token", &csrf),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(is_html(&res));
    let html = res.text().await.unwrap();
    assert!(
        !html.contains(NEW_PASSWORD) && !html.contains("not my password"),
        "passwords echoed"
    );
    assert_eq!(
        api_login_status(&app, email, PASSWORD).await,
        StatusCode::OK,
        "old password still works"
    );
    assert_eq!(
        api_login_status(&app, email, NEW_PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(status_of_token(&app, &access).await, StatusCode::OK);
    assert_eq!(
        status_of_token(&app, &second_access).await,
        StatusCode::OK,
        "other session kept"
    );
}

#[tokio::test]
async fn changing_the_password_revokes_my_other_sessions_and_keeps_this_one() {
    let app = spawn_app().await;
    let email = "pw-change@example.com";
    let (client, _, _) = web_user(&app, email).await;
    let (second, second_access) = web_login_user(&app, email, PASSWORD).await;
    let csrf = app.csrf_from(&client, "/account").await;
    let res = post_form(
        &app,
        &client,
        "/account/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", NEW_PASSWORD),
            ("csrf_token", &csrf),
        ],
    )
    .await;
    assert!(
        res.status().is_redirection() || res.status().is_success(),
        "change password: {}",
        res.status()
    );

    assert_eq!(
        status_of_token(&app, &second_access).await,
        StatusCode::UNAUTHORIZED,
        "other session revoked"
    );
    let res = get_page(&app, &second, "/tasks").await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "other browser signed out, its refresh cookie too"
    );
    assert_eq!(
        get_page(&app, &client, "/tasks").await.status(),
        StatusCode::OK,
        "this session kept"
    );
    assert_eq!(
        api_login_status(&app, email, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "old password"
    );
    assert_eq!(
        api_login_status(&app, email, NEW_PASSWORD).await,
        StatusCode::OK,
        "new password"
    );
}

#[tokio::test]
async fn deleting_the_account_with_a_wrong_password_is_403_and_keeps_it() {
    let app = spawn_app().await;
    let email = "del-wrong@example.com";
    let (client, access, _) = web_user(&app, email).await;
    app.api_create_task(&access, "still here").await;
    let csrf = app.csrf_from(&client, "/account").await;
    let res = post_form(
        &app,
        &client,
        "/account/delete",
        &[("password", "not my password"), ("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        !clears(&set_cookies(&res), "tg_access"),
        "cookies cleared on a refused deletion"
    );
    assert_eq!(status_of_token(&app, &access).await, StatusCode::OK);
    assert_eq!(api_tasks(&app, &access).await["total"], 1);
    assert_eq!(
        api_login_status(&app, email, PASSWORD).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn deleting_the_account_redirects_to_signup_clears_cookies_and_login_then_fails() {
    let app = spawn_app().await;
    let email = "delete@example.com";
    let (client, access, refresh) = web_user(&app, email).await;
    app.api_create_task(&access, "goes away").await;
    let csrf = app.csrf_from(&client, "/account").await;
    let res = post_form(
        &app,
        &client,
        "/account/delete",
        &[("password", PASSWORD), ("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/signup");
    let cookies = set_cookies(&res);
    assert!(
        clears(&cookies, "tg_access") && clears(&cookies, "tg_refresh"),
        "{cookies:?}"
    );

    assert_eq!(
        status_of_token(&app, &access).await,
        StatusCode::UNAUTHORIZED
    );
    let res = plain_client()
        .get(app.url("/tasks"))
        .header(COOKIE, format!("tg_refresh={refresh}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "refresh cookie of the deleted account"
    );
    assert_eq!(
        api_login_status(&app, email, PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    let res = app.web_login(&browser(), email, PASSWORD, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // The same address can sign up afresh and finds none of the old tasks.
    let again = app.api_signup(email).await;
    assert_eq!(api_tasks(&app, &again.access).await["total"], 0);
}

// ---------------------------------------------------------------- cookies

#[tokio::test]
async fn secure_cookies_use_the_host_prefix_and_every_attribute() {
    let app = spawn_app_with(|c| c.cookie_secure = true).await;
    let client = plain_client();
    let mut jar = Jar::default();
    let res = client.get(app.url("/signup")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    jar.absorb(&res);
    let csrf = csrf_in(&res.text().await.unwrap()).expect("csrf token");
    let res = client
        .post(app.url("/signup"))
        .header(COOKIE, jar.header())
        .form(&[
            ("name", "Sec"),
            ("email", "secure@example.com"),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookies = set_cookies(&res);
    for name in ["__Host-tg_access", "__Host-tg_refresh"] {
        let line =
            cookie_line(&cookies, name).unwrap_or_else(|| panic!("{name} not set: {cookies:?}"));
        assert!(!is_clearing(line), "{line}");
        let attrs = cookie_attrs(line);
        for want in ["httponly", "secure", "path=/", "samesite=lax"] {
            assert!(
                attrs.iter().any(|a| a == want),
                "{name} lacks {want}: {line}"
            );
        }
        assert!(
            !attrs.iter().any(|a| a.starts_with("domain=")),
            "__Host- cookies carry no Domain: {line}"
        );
    }
    assert!(
        cookie_line(&cookies, "tg_access").is_none()
            && cookie_line(&cookies, "tg_refresh").is_none()
    );
    jar.absorb(&res);
    let res = client
        .get(app.url("/tasks"))
        .header(COOKIE, jar.header())
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the __Host- cookies sign the user in"
    );
}

#[tokio::test]
async fn a_missing_access_cookie_is_renewed_from_the_refresh_cookie_and_reuse_is_detected() {
    // Strict: no grace window (REFRESH_REUSE_GRACE_SECS=0).
    let app = spawn_app_with(|c| c.refresh_reuse_grace = std::time::Duration::ZERO).await;
    let client = plain_client();
    let mut jar = Jar::default();
    let res = client.get(app.url("/signup")).send().await.unwrap();
    jar.absorb(&res);
    let csrf = csrf_in(&res.text().await.unwrap()).unwrap();
    let res = client
        .post(app.url("/signup"))
        .header(COOKIE, jar.header())
        .form(&[
            ("name", "R"),
            ("email", "refresh@example.com"),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    jar.absorb(&res);
    let old_refresh = jar.0.get("tg_refresh").cloned().expect("tg_refresh");
    // Everything but the auth cookies: the session cookie that carries the CSRF token.
    jar.0.retain(|k, _| k != "tg_access" && k != "tg_refresh");
    let session_cookie = jar.header();
    let with_refresh = |r: &str| {
        if session_cookie.is_empty() {
            format!("tg_refresh={r}")
        } else {
            format!("{session_cookie}; tg_refresh={r}")
        }
    };

    let res = client
        .get(app.url("/tasks"))
        .header(COOKIE, with_refresh(&old_refresh))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "page served from the refresh cookie alone"
    );
    let cookies = set_cookies(&res);
    assert!(
        sets_live(&cookies, "tg_access"),
        "new tg_access: {cookies:?}"
    );
    assert!(
        sets_live(&cookies, "tg_refresh"),
        "new tg_refresh: {cookies:?}"
    );
    let new_access = cookie_value(&cookies, "tg_access").unwrap();
    let new_refresh = cookie_value(&cookies, "tg_refresh").unwrap();
    assert_ne!(new_refresh, old_refresh, "refresh token rotated");
    assert_eq!(
        status_of_token(&app, &new_access).await,
        StatusCode::OK,
        "the new access cookie works"
    );

    // The used refresh token again: reuse detection.
    let res = client
        .get(app.url("/tasks"))
        .header(COOKIE, with_refresh(&old_refresh))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "reused refresh token");
    assert!(location(&res).starts_with("/login"), "{}", location(&res));
    // ... which revokes the whole session, including the rotated tokens.
    let res = client
        .get(app.url("/tasks"))
        .header(COOKIE, with_refresh(&new_refresh))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "rotated refresh token after reuse"
    );
    assert_eq!(
        status_of_token(&app, &new_access).await,
        StatusCode::UNAUTHORIZED,
        "access after reuse"
    );
}

/// The access token re-signed with the test secret, its lifetime long over.
fn expired_copy(token: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("jwt payload");
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("claims");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    claims["iat"] = json!(now - 3600);
    claims["nbf"] = json!(now - 3600);
    claims["exp"] = json!(now - 600);
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .expect("sign")
}

#[tokio::test]
async fn an_expired_access_cookie_is_renewed_from_the_refresh_cookie() {
    let app = spawn_app().await;
    let client = plain_client();
    let mut jar = Jar::default();
    let res = client.get(app.url("/signup")).send().await.unwrap();
    jar.absorb(&res);
    let csrf = csrf_in(&res.text().await.unwrap()).unwrap();
    let res = client
        .post(app.url("/signup"))
        .header(COOKIE, jar.header())
        .form(&[
            ("name", "E"),
            ("email", "expired@example.com"),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    jar.absorb(&res);
    let access = jar.0.get("tg_access").cloned().expect("tg_access");
    let expired = expired_copy(&access);
    assert_eq!(
        status_of_token(&app, &expired).await,
        StatusCode::UNAUTHORIZED,
        "the forged copy is expired"
    );
    jar.0.insert("tg_access".into(), expired.clone());

    let res = client
        .get(app.url("/tasks"))
        .header(COOKIE, jar.header())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookies = set_cookies(&res);
    assert!(
        sets_live(&cookies, "tg_access") && sets_live(&cookies, "tg_refresh"),
        "{cookies:?}"
    );
    let renewed = cookie_value(&cookies, "tg_access").unwrap();
    assert_ne!(renewed, expired);
    assert_eq!(status_of_token(&app, &renewed).await, StatusCode::OK);
}

// ---------------------------------------------------------------- headers

#[tokio::test]
async fn every_html_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let visitor = browser();
    let mut responses = vec![
        ("GET /login", get_page(&app, &visitor, "/login").await),
        ("GET /signup", get_page(&app, &visitor, "/signup").await),
        (
            "GET /no-such-page",
            get_page(&app, &visitor, "/no-such-page").await,
        ),
        (
            "POST /login without csrf",
            post_form(&app, &visitor, "/login", &[("email", "a@b.c")]).await,
        ),
    ];
    app.api_signup("headers@example.com").await;
    responses.push((
        "POST /login failed",
        app.web_login(&visitor, "headers@example.com", "wrong pass word", None)
            .await,
    ));
    let (client, _, _) = web_user(&app, "headers2@example.com").await;
    responses.push(("GET /tasks", get_page(&app, &client, "/tasks").await));
    responses.push(("GET /account", get_page(&app, &client, "/account").await));
    let csrf = app.csrf_from(&client, "/tasks").await;
    responses.push((
        "POST /tasks invalid",
        post_form(
            &app,
            &client,
            "/tasks",
            &[("title", "   "), ("csrf_token", &csrf)],
        )
        .await,
    ));
    responses.push((
        "POST toggle of a missing task",
        post_form(
            &app,
            &client,
            "/tasks/00000000-0000-0000-0000-000000000000/toggle",
            &[("csrf_token", &csrf)],
        )
        .await,
    ));
    for (what, res) in &responses {
        if what.starts_with("GET /login")
            || what.starts_with("GET /signup")
            || what.starts_with("GET /tasks")
        {
            assert!(is_html(res), "{what} is HTML");
        }
        if is_html(res) {
            assert_security_headers(res, what);
        }
    }
    assert!(responses.iter().filter(|(_, r)| is_html(r)).count() >= 5);
}

#[tokio::test]
async fn signed_in_pages_are_never_cached() {
    let app = spawn_app().await;
    let (client, _, _) = web_user(&app, "cache@example.com").await;
    for path in ["/tasks", "/account"] {
        let res = get_page(&app, &client, path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let cache = header(&res, CACHE_CONTROL).to_ascii_lowercase();
        assert!(
            cache.split(',').any(|d| d.trim() == "no-store"),
            "{path}: Cache-Control {cache:?}"
        );
    }
}

// ---------------------------------------------------------------- XSS

#[tokio::test]
async fn a_task_title_with_markup_is_shown_escaped() {
    let app = spawn_app().await;
    let (client, _, _) = web_user(&app, "xss@example.com").await;
    let csrf = app.csrf_from(&client, "/tasks").await;
    let title = "<script>alert(1)</script>";
    let description = "\"><img src=x onerror=alert(2)>";
    let res = post_form(
        &app,
        &client,
        "/tasks",
        &[
            ("title", title),
            ("description", description),
            ("csrf_token", &csrf),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = page_text(&app, &client, "/tasks").await;
    assert!(!html.contains(title), "raw script tag in the page");
    assert!(!html.contains("<img src=x"), "raw img tag in the page");
    assert!(unescape(&html).contains(title), "title shown, escaped");
    assert!(
        unescape(&html).contains(description),
        "description shown, escaped"
    );
}

#[tokio::test]
async fn a_name_and_email_with_markup_are_shown_escaped_in_the_signup_form() {
    let app = spawn_app().await;
    let client = browser();
    let csrf = app.csrf_from(&client, "/signup").await;
    let hostile = "\"><img src=x onerror=alert(1)>";
    // A refused signup puts the values back into the form.
    let res = post_form(
        &app,
        &client,
        "/signup",
        &[
            ("name", hostile),
            ("email", &format!("{hostile}@example.com")),
            ("password", "short"),
            ("csrf_token", &csrf),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(!html.contains("<img"), "raw markup echoed: {html}");
    let form = form_html(&html, "/signup").unwrap();
    let fields = inputs(form);
    let name = fields
        .iter()
        .find(|i| i.name == "name")
        .expect("name input");
    assert_eq!(name.value, hostile, "the name is kept, escaped");

    // A successful signup with that name: no page shows it raw.
    let client = browser();
    let csrf = app.csrf_from(&client, "/signup").await;
    let res = post_form(
        &app,
        &client,
        "/signup",
        &[
            ("name", hostile),
            ("email", "named@example.com"),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    for path in ["/tasks", "/account"] {
        let html = page_text(&app, &client, path).await;
        assert!(!html.contains("<img"), "{path}: raw markup");
    }
}
