//! The sign-up and sign-in pages: their forms as a browser submits them,
//! where a successful form leads (never off-site), and what a refused one
//! shows (the form again, no cookie, no password echoed).

use crate::helpers::*;

use reqwest::header::COOKIE;
use reqwest::StatusCode;

#[tokio::test]
async fn root_sends_a_signed_out_visitor_to_login_and_a_signed_in_user_to_tasks() {
    let app = spawn_app().await;
    let res = app.page(&browser(), "/").await;
    match res.status() {
        StatusCode::SEE_OTHER => assert_eq!(location(&res), "/login"),
        StatusCode::OK => assert!(is_html(&res), "a landing page is HTML"),
        other => panic!("GET / signed out: {other}"),
    }
    let WebUser { client, .. } = app.web_user("root@example.com").await;
    let res = app.page(&client, "/").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/tasks");
}

#[tokio::test]
async fn signup_form_posts_to_signup_with_the_contract_field_names_and_a_hidden_csrf_token() {
    let app = spawn_app().await;
    let html = app.page_text(&browser(), "/signup").await;
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
    let html = app.page_text(&browser(), "/login").await;
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
    let html = app.page_text(&client, "/login?next=%2Faccount").await;
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

#[tokio::test]
async fn signup_success_redirects_to_tasks_and_sets_both_auth_cookies() {
    let app = spawn_app().await;
    let client = browser();
    let res = app.web_signup(&client, "new@example.com").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/tasks");
    let cookies = set_cookies(&res);
    for name in ["tg_access", "tg_refresh"] {
        let c = cookie(&res, name).unwrap_or_else(|| panic!("{name} not set: {cookies:?}"));
        assert!(!is_clearing(&c), "{cookies:?}");
        assert!(c.http_only(), "{name} not HttpOnly: {cookies:?}");
        assert_eq!(c.path(), Some("/"), "{name}: {cookies:?}");
        assert!(c.same_site_lax(), "{name} not SameSite=Lax: {cookies:?}");
    }
    let access = cookie_value(&res, "tg_access").unwrap();
    assert_eq!(
        app.me_status(&access).await,
        StatusCode::OK,
        "the access cookie is a working token"
    );
    let html = app.page_text(&client, "/tasks").await;
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
        !sets_live(&res, "tg_access") && !sets_live(&res, "tg_refresh"),
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
    let res = app
        .post_form(
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
        app.login("weak@example.com", weak).await.status(),
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
    let res = app
        .post_form(
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
        app.login("taken@example.com", other_password)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("taken@example.com", PASSWORD).await.status(),
        StatusCode::OK,
        "owner unaffected"
    );
}

#[tokio::test]
async fn signup_name_with_a_nul_character_is_refused_with_422() {
    let app = spawn_app().await;
    let client = browser();
    let csrf = app.csrf_from(&client, "/signup").await;
    let res = app
        .post_form(
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
    assert!(!sets_live(&res, "tg_access"));
    assert_eq!(
        app.login("nulname@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

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
            sets_live(&res, "tg_access") && sets_live(&res, "tg_refresh"),
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
            !sets_live(&res, "tg_access") && !sets_live(&res, "tg_refresh"),
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

#[tokio::test]
async fn logout_redirects_to_login_clears_cookies_and_revokes_the_session() {
    let app = spawn_app().await;
    let WebUser {
        client,
        access,
        refresh,
        ..
    } = app.web_user("logout@example.com").await;
    let csrf = app.csrf_from(&client, "/tasks").await;
    let res = app
        .post_form(&client, "/logout", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login");
    let cookies = set_cookies(&res);
    assert!(
        clears(&res, "tg_access"),
        "tg_access not cleared: {cookies:?}"
    );
    assert!(
        clears(&res, "tg_refresh"),
        "tg_refresh not cleared: {cookies:?}"
    );

    let res = app.page(&client, "/tasks").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "signed out");

    let res = app.me(&access).await;
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
