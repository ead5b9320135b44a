//! The account page: the session list with revoke forms, changing the
//! password and deleting the account.

use crate::helpers::*;

use reqwest::header::COOKIE;
use reqwest::{Method, StatusCode};
use serde_json::Value;

const NEW_PASSWORD: &str = "an entirely new passphrase 42";

#[tokio::test]
async fn account_page_lists_every_session_marks_the_current_one_and_offers_revoke_forms() {
    let app = spawn_app().await;
    let email = "sessions@example.com";
    let WebUser { client, .. } = app.web_user(email).await;
    let (_second, _) = app.web_login_user(email, PASSWORD).await;

    let res = app.page(&client, "/account").await;
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
    let WebUser { client, access, .. } = app.web_user(email).await;
    let (second, second_access) = app.web_login_user(email, PASSWORD).await;

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
    let res = app
        .post_form(
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
        app.me_status(&second_access).await,
        StatusCode::UNAUTHORIZED,
        "revoked session's token"
    );
    let res = app.page(&second, "/tasks").await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "revoked browser is signed out (refresh refused too)"
    );
    assert!(location(&res).starts_with("/login"));

    assert_eq!(
        app.me_status(&access).await,
        StatusCode::OK,
        "my own session lives on"
    );
    let html = app.page_text(&client, "/account").await;
    assert_eq!(ids_in(&html, "/account/sessions/", "/revoke").len(), 1);
}

#[tokio::test]
async fn revoking_another_users_session_from_the_account_page_is_404() {
    let (app, victim) = spawn_app().await.with_user().await;
    let res = app
        .bearer(Method::GET, "/api/auth/sessions", &victim.access, None)
        .await;
    let listed: Value = res.json().await.unwrap();
    let victim_sid = listed["sessions"][0]["id"].as_str().unwrap().to_owned();

    let WebUser { client, .. } = app.web_user("attacker@example.com").await;
    let csrf = app.csrf_from(&client, "/account").await;
    let res = app
        .post_form(
            &client,
            &format!("/account/sessions/{victim_sid}/revoke"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.me_status(&victim.access).await,
        StatusCode::OK,
        "victim's session untouched"
    );
    let res = app
        .post_form(
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
    let WebUser { client, access, .. } = app.web_user(email).await;
    let (_second, second_access) = app.web_login_user(email, PASSWORD).await;
    let csrf = app.csrf_from(&client, "/account").await;
    let res = app
        .post_form(
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
        app.login(email, PASSWORD).await.status(),
        StatusCode::OK,
        "old password still works"
    );
    assert_eq!(
        app.login(email, NEW_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.me_status(&access).await, StatusCode::OK);
    assert_eq!(
        app.me_status(&second_access).await,
        StatusCode::OK,
        "other session kept"
    );
}

#[tokio::test]
async fn changing_the_password_revokes_my_other_sessions_and_keeps_this_one() {
    let app = spawn_app().await;
    let email = "pw-change@example.com";
    let WebUser { client, .. } = app.web_user(email).await;
    let (second, second_access) = app.web_login_user(email, PASSWORD).await;
    let csrf = app.csrf_from(&client, "/account").await;
    let res = app
        .post_form(
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
        app.me_status(&second_access).await,
        StatusCode::UNAUTHORIZED,
        "other session revoked"
    );
    let res = app.page(&second, "/tasks").await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "other browser signed out, its refresh cookie too"
    );
    assert_eq!(
        app.page(&client, "/tasks").await.status(),
        StatusCode::OK,
        "this session kept"
    );
    assert_eq!(
        app.login(email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "old password"
    );
    assert_eq!(
        app.login(email, NEW_PASSWORD).await.status(),
        StatusCode::OK,
        "new password"
    );
}

#[tokio::test]
async fn deleting_the_account_with_a_wrong_password_is_403_and_keeps_it() {
    let app = spawn_app().await;
    let email = "del-wrong@example.com";
    let WebUser { client, access, .. } = app.web_user(email).await;
    app.api_create_task(&access, "still here").await;
    let csrf = app.csrf_from(&client, "/account").await;
    let res = app
        .post_form(
            &client,
            "/account/delete",
            &[("password", "not my password"), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        !clears(&res, "tg_access"),
        "cookies cleared on a refused deletion"
    );
    assert_eq!(app.me_status(&access).await, StatusCode::OK);
    assert_eq!(app.api_tasks(&access).await["total"], 1);
    assert_eq!(app.login(email, PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn deleting_the_account_redirects_to_signup_clears_cookies_and_login_then_fails() {
    let app = spawn_app().await;
    let email = "delete@example.com";
    let WebUser {
        client,
        access,
        refresh,
        ..
    } = app.web_user(email).await;
    app.api_create_task(&access, "goes away").await;
    let csrf = app.csrf_from(&client, "/account").await;
    let res = app
        .post_form(
            &client,
            "/account/delete",
            &[("password", PASSWORD), ("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/signup");
    let cookies = set_cookies(&res);
    assert!(
        clears(&res, "tg_access") && clears(&res, "tg_refresh"),
        "{cookies:?}"
    );

    assert_eq!(app.me_status(&access).await, StatusCode::UNAUTHORIZED);
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
        app.login(email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = app.web_login(&browser(), email, PASSWORD, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // The same address can sign up afresh and finds none of the old tasks.
    let again = app.api_signup(email).await;
    assert_eq!(app.api_tasks(&again.access).await["total"], 0);
}
