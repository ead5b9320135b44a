//! The personal access tokens page (`/account/tokens`): the form and its field
//! names, the token shown once, revocation, CSRF, and isolation between users.

use reqwest::header::{CACHE_CONTROL, COOKIE, LOCATION};
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

use crate::helpers::*;

/// The new token in the page's read-only field, if the page shows one.
fn shown_token(html: &str) -> Option<String> {
    let at = html.find("id=\"new_token\"")?;
    let tag = &html[html[..at].rfind("<input")?..];
    let tag = &tag[..tag.find('>')?];
    assert!(tag.contains(" readonly"), "{tag}");
    let value = &tag[tag.find("value=\"")? + 7..];
    Some(value[..value.find('"')?].to_owned())
}

/// The ids in the page's revoke forms, in page order.
fn revoke_ids(html: &str) -> Vec<String> {
    html.split("action=\"/account/tokens/")
        .skip(1)
        .filter_map(|rest| rest.split_once("/revoke\"").map(|(id, _)| id.to_owned()))
        .collect()
}

async fn page(app: &TestApp, client: &Client) -> String {
    let res = client.get(app.url("/account/tokens")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CACHE_CONTROL], "no-store");
    res.text().await.unwrap()
}

async fn create(app: &TestApp, client: &Client, form: &[(&str, &str)]) -> (StatusCode, String) {
    let csrf = app.csrf_from(client, "/account/tokens").await;
    let mut fields = form.to_vec();
    fields.push(("csrf_token", &csrf));
    let res = client
        .post(app.url("/account/tokens"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

async fn signed_in(app: &TestApp, email: &str) -> Client {
    let client = browser();
    let res = app.web_signup(&client, email).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    client
}

#[tokio::test]
async fn the_tokens_page_creates_a_token_shows_it_once_and_revokes_it() {
    let app = spawn_app().await;
    let client = signed_in(&app, "page-tokens@example.com").await;
    let account = page_of(&app, &client, "/account").await;
    assert!(
        account.contains("href=\"/account/tokens\""),
        "linked from the account page"
    );

    let html = page(&app, &client).await;
    for field in [
        "name=\"name\"",
        "name=\"scope_tasks_read\"",
        "name=\"scope_tasks_write\"",
        "name=\"scope_introspect\"",
        "name=\"expires_in_days\"",
        "name=\"csrf_token\"",
        "action=\"/account/tokens\"",
    ] {
        assert!(html.contains(field), "{field} missing");
    }
    assert!(shown_token(&html).is_none());

    let (status, html) = create(
        &app,
        &client,
        &[
            ("name", "page script"),
            ("scope_tasks_write", "on"),
            ("expires_in_days", "30"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let token = shown_token(&html).expect("the new token is shown");
    assert!(token.starts_with("tgp_"));
    assert!(html.contains("page script"));
    assert!(html.contains("tasks:write"));
    let res = app.bearer(Method::GET, "/api/tasks", &token, None).await;
    assert_eq!(res.status(), StatusCode::OK, "the shown token works");
    let res = app
        .bearer(
            Method::POST,
            "/api/tasks",
            &token,
            Some(&serde_json::json!({ "title": "x" })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let again = page(&app, &client).await;
    assert!(!again.contains(&token), "shown only once");
    assert!(shown_token(&again).is_none());
    assert!(again.contains("page script"));
    let ids = revoke_ids(&again);
    assert_eq!(ids.len(), 1);

    let csrf = app.csrf_from(&client, "/account/tokens").await;
    let res = client
        .post(app.url(&format!("/account/tokens/{}/revoke", ids[0])))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/account/tokens");
    let res = app.bearer(Method::GET, "/api/tasks", &token, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "revoked at once");
    let after = page(&app, &client).await;
    assert!(revoke_ids(&after).is_empty());
    assert!(after.contains("Token revoked"));
}

async fn page_of(app: &TestApp, client: &Client, path: &str) -> String {
    client
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_create_form_refuses_bad_input_and_keeps_what_was_typed() {
    let app = spawn_app().await;
    let client = signed_in(&app, "page-rules@example.com").await;

    let (status, html) = create(
        &app,
        &client,
        &[("name", "no scopes"), ("expires_in_days", "90")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Scopes:"), "names the field");
    assert!(html.contains("value=\"no scopes\""), "the name is kept");
    assert!(shown_token(&html).is_none());

    let long = "n".repeat(101);
    for form in [
        vec![("name", long.as_str()), ("scope_tasks_read", "on")],
        vec![("name", ""), ("scope_tasks_read", "on")],
        vec![("name", "bell\u{7}"), ("scope_tasks_read", "on")],
        vec![
            ("name", "days"),
            ("scope_tasks_read", "on"),
            ("expires_in_days", "366"),
        ],
        vec![
            ("name", "days"),
            ("scope_tasks_read", "on"),
            ("expires_in_days", "soon"),
        ],
    ] {
        let (status, html) = create(&app, &client, &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
        assert!(shown_token(&html).is_none());
    }
    assert!(
        revoke_ids(&page(&app, &client).await).is_empty(),
        "nothing was made"
    );
}

#[tokio::test]
async fn the_token_forms_need_the_csrf_token() {
    let app = spawn_app().await;
    let client = signed_in(&app, "page-csrf@example.com").await;
    let (_, html) = create(
        &app,
        &client,
        &[("name", "kept"), ("scope_tasks_read", "on")],
    )
    .await;
    let token = shown_token(&html).unwrap();
    let id = revoke_ids(&page(&app, &client).await)[0].clone();
    let foreign = app.csrf_from(&browser(), "/login").await;

    for csrf in [None, Some(foreign.as_str()), Some("garbage")] {
        let mut form = vec![("name", "sneaky"), ("scope_tasks_write", "on")];
        form.extend(csrf.map(|c| ("csrf_token", c)));
        let res = client
            .post(app.url("/account/tokens"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "create with {csrf:?}");
        let revoke: Vec<(&str, &str)> = csrf.map(|c| ("csrf_token", c)).into_iter().collect();
        let res = client
            .post(app.url(&format!("/account/tokens/{id}/revoke")))
            .form(&revoke)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "revoke with {csrf:?}");
    }
    assert_eq!(
        revoke_ids(&page(&app, &client).await),
        [id],
        "nothing made or revoked"
    );
    let res = app.bearer(Method::GET, "/api/tasks", &token, None).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn another_users_token_is_404_on_the_revoke_form() {
    let app = spawn_app().await;
    let alice = signed_in(&app, "page-alice@example.com").await;
    let mallory = signed_in(&app, "page-mallory@example.com").await;
    let (_, html) = create(
        &app,
        &alice,
        &[("name", "alice's"), ("scope_tasks_read", "on")],
    )
    .await;
    let token = shown_token(&html).unwrap();
    let id = revoke_ids(&page(&app, &alice).await)[0].clone();

    let mallorys_page = page(&app, &mallory).await;
    assert!(!mallorys_page.contains("alice&#x27;s") && !mallorys_page.contains("alice's"));
    let csrf = app.csrf_from(&mallory, "/account/tokens").await;
    for target in [id.as_str(), "00000000-0000-0000-0000-000000000000", "nope"] {
        let res = mallory
            .post(app.url(&format!("/account/tokens/{target}/revoke")))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{target}");
    }
    let res = app.bearer(Method::GET, "/api/tasks", &token, None).await;
    assert_eq!(res.status(), StatusCode::OK, "alice's token still works");
}

#[tokio::test]
async fn a_pat_cannot_open_or_use_the_tokens_page() {
    let app = spawn_app().await;
    let user = app.api_signup("page-pat@example.com").await;
    let (_, pat) = app
        .api_create_pat(&user.access, &["tasks:write", "introspect"])
        .await;

    let plain = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let by_header = plain
        .get(app.url("/account/tokens"))
        .bearer_auth(&pat)
        .send()
        .await
        .unwrap();
    let by_cookie = plain
        .get(app.url("/account/tokens"))
        .header(COOKIE, format!("tg_access={pat}"))
        .send()
        .await
        .unwrap();
    for res in [by_header, by_cookie] {
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(res.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/login"));
    }
    let res = app
        .bearer(Method::GET, "/api/auth/tokens", &pat, None)
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let listed: Value = app
        .bearer(Method::GET, "/api/auth/tokens", &user.access, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["tokens"].as_array().unwrap().len(), 1);
}
