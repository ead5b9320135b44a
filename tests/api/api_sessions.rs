//! `GET /api/auth/sessions` and `DELETE /api/auth/sessions/{id}`: only the
//! caller's own sessions, and a deleted session's tokens are refused.

use crate::helpers::*;

use reqwest::{Method, StatusCode};
use serde_json::Value;

fn current_session_id(list: &[Value]) -> String {
    let current: Vec<&Value> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1, "exactly one current session: {list:?}");
    current[0]["id"].as_str().unwrap().to_owned()
}

// ---------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------

#[tokio::test]
async fn sessions_list_marks_the_callers_session_current_and_grows_with_each_login() {
    let app = spawn_app().await;
    let user = app.api_signup("lea@example.com").await;

    let first = app.sessions(&user.access).await;
    let (second_access, _) = app.login_tokens("lea@example.com", PASSWORD).await;
    let from_first = app.sessions(&user.access).await;
    let from_second = app.sessions(&second_access).await;

    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["current"], true);
    for s in &first {
        for key in ["id", "created_at", "last_used_at", "user_agent", "current"] {
            assert!(s.get(key).is_some(), "missing {key} in {s}");
        }
        assert!(is_rfc3339_utc(s["created_at"].as_str().unwrap()), "{s}");
        assert!(is_rfc3339_utc(s["last_used_at"].as_str().unwrap()), "{s}");
    }
    assert_eq!(from_first.len(), 2);
    assert_eq!(from_second.len(), 2);
    let first_id = current_session_id(&from_first);
    let second_id = current_session_id(&from_second);
    assert_eq!(first_id, first[0]["id"].as_str().unwrap());
    assert_ne!(first_id, second_id);
}

#[tokio::test]
async fn sessions_list_never_shows_another_users_sessions() {
    let (app, alice) = spawn_app().await.with_user().await;
    let bob = app.api_signup("bob@example.com").await;
    app.login_tokens("bob@example.com", PASSWORD).await;

    let alice_list = app.sessions(&alice.access).await;
    let bob_list = app.sessions(&bob.access).await;

    assert_eq!(alice_list.len(), 1);
    assert_eq!(bob_list.len(), 2);
    let bob_ids: Vec<&Value> = bob_list.iter().map(|s| &s["id"]).collect();
    assert!(!bob_ids.contains(&&alice_list[0]["id"]));
}

#[tokio::test]
async fn deleting_one_of_my_sessions_is_204_and_refuses_its_tokens() {
    let app = spawn_app().await;
    let user = app.api_signup("mia@example.com").await;
    let (other_access, other_refresh) = app.login_tokens("mia@example.com", PASSWORD).await;
    let other_id = current_session_id(&app.sessions(&other_access).await);

    let res = app
        .bearer(
            Method::DELETE,
            &format!("/api/auth/sessions/{other_id}"),
            &user.access,
            None,
        )
        .await;

    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_token_refused(app.me(&other_access).await, "revoked session's access").await;
    assert_eq!(
        app.refresh(&other_refresh).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.me(&user.access).await.status(), StatusCode::OK);
    let left = app.sessions(&user.access).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_ne!(left[0]["id"], other_id.as_str());
}

#[tokio::test]
async fn deleting_my_current_session_signs_this_token_out() {
    let (app, user) = spawn_app().await.with_user().await;
    let id = current_session_id(&app.sessions(&user.access).await);

    let res = app
        .bearer(
            Method::DELETE,
            &format!("/api/auth/sessions/{id}"),
            &user.access,
            None,
        )
        .await;

    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_token_refused(app.me(&user.access).await, "own revoked session").await;
    assert_eq!(
        app.refresh(&user.refresh).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn deleting_another_users_session_is_404_and_leaves_it_alive() {
    let (app, alice) = spawn_app().await.with_user().await;
    let bob = app.api_signup("bob@example.com").await;
    let bob_session = current_session_id(&app.sessions(&bob.access).await);

    let res = app
        .bearer(
            Method::DELETE,
            &format!("/api/auth/sessions/{bob_session}"),
            &alice.access,
            None,
        )
        .await;

    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(app.me(&bob.access).await.status(), StatusCode::OK);
    assert_eq!(app.sessions(&bob.access).await.len(), 1);
}

#[tokio::test]
async fn deleting_a_garbage_or_unknown_session_id_is_404() {
    let (app, user) = spawn_app().await.with_user().await;
    let random = uuid::Uuid::new_v4().to_string();

    for id in ["not-a-session", "1", "%27%20OR%201%3D1--", random.as_str()] {
        let res = app
            .bearer(
                Method::DELETE,
                &format!("/api/auth/sessions/{id}"),
                &user.access,
                None,
            )
            .await;

        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{id}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{id}");
    }
    assert_eq!(app.me(&user.access).await.status(), StatusCode::OK);
}
