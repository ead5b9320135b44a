//! What every page carries: security headers (CSP without inline script,
//! nosniff, no framing, a referrer policy), no caching once signed in, and
//! user input shown escaped.

use crate::helpers::*;

use reqwest::{Response, StatusCode};

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

#[tokio::test]
async fn every_html_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let visitor = browser();
    let mut responses = vec![
        ("GET /login", app.page(&visitor, "/login").await),
        ("GET /signup", app.page(&visitor, "/signup").await),
        (
            "GET /no-such-page",
            app.page(&visitor, "/no-such-page").await,
        ),
        (
            "POST /login without csrf",
            app.post_form(&visitor, "/login", &[("email", "a@b.c")])
                .await,
        ),
    ];
    app.api_signup("headers@example.com").await;
    responses.push((
        "POST /login failed",
        app.web_login(&visitor, "headers@example.com", "wrong pass word", None)
            .await,
    ));
    let WebUser { client, .. } = app.web_user("headers2@example.com").await;
    responses.push(("GET /tasks", app.page(&client, "/tasks").await));
    responses.push(("GET /account", app.page(&client, "/account").await));
    let csrf = app.csrf_from(&client, "/tasks").await;
    responses.push((
        "POST /tasks invalid",
        app.post_form(
            &client,
            "/tasks",
            &[("title", "   "), ("csrf_token", &csrf)],
        )
        .await,
    ));
    responses.push((
        "POST toggle of a missing task",
        app.post_form(
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
    let (app, user) = spawn_app().await.with_web_user().await;
    for path in ["/tasks", "/account"] {
        let res = app.page(&user.client, path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_no_store(&res, path);
    }
}

#[tokio::test]
async fn a_task_title_with_markup_is_shown_escaped() {
    let app = spawn_app().await;
    let WebUser { client, .. } = app.web_user("xss@example.com").await;
    let csrf = app.csrf_from(&client, "/tasks").await;
    let title = "<script>alert(1)</script>";
    let description = "\"><img src=x onerror=alert(2)>";
    let res = app
        .post_form(
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
    let html = app.page_text(&client, "/tasks").await;
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
    let res = app
        .post_form(
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
    let res = app
        .post_form(
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
        let html = app.page_text(&client, path).await;
        assert!(!html.contains("<img"), "{path}: raw markup");
    }
}
