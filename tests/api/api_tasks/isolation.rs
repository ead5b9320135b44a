//! Isolation between users: another user's task is exactly a missing one.

use super::*;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn another_users_task_is_404_exactly_like_a_missing_or_malformed_id() {
    let (app, alice) = spawn_app().await.with_user().await;
    let bob = app.api_signup("bob@example.com").await;
    let secret = app.api_create_task(&alice.access, "alice's secret").await;
    let alice_id = id_of(&secret);
    let missing = uuid::Uuid::new_v4().to_string();
    let ids = [alice_id.as_str(), missing.as_str(), "not-a-uuid", "1"];

    for (method, body) in [
        (Method::GET, None),
        (
            Method::PATCH,
            Some(json!({ "title": "hacked", "completed": true })),
        ),
        (Method::DELETE, None),
    ] {
        let mut answers = Vec::new();
        for id in ids {
            let res = app
                .bearer(
                    method.clone(),
                    &format!("/api/tasks/{id}"),
                    &bob.access,
                    body.as_ref(),
                )
                .await;
            answers.push((id, status_and_body(res).await));
        }

        let (_, first) = &answers[0];
        assert_eq!(first.0, StatusCode::NOT_FOUND, "{method} {answers:?}");
        let parsed: Value = serde_json::from_str(&first.1).unwrap();
        assert_eq!(parsed["error"]["code"], "not_found");
        for (id, answer) in &answers {
            assert_eq!(
                answer, first,
                "{method} {id} differs from another user's task"
            );
        }
    }
    assert_eq!(task(&app, &alice.access, &alice_id).await, secret);
}

#[tokio::test]
async fn another_users_list_never_includes_my_tasks() {
    let (app, alice) = spawn_app().await.with_user().await;
    let bob = app.api_signup("bob@example.com").await;
    let a1 = app.api_create_task(&alice.access, "alice one").await;
    let a2 = app.api_create_task(&alice.access, "alice two").await;
    patch(
        &app,
        &alice.access,
        &id_of(&a2),
        json!({ "completed": true }),
    )
    .await;
    let b1 = app.api_create_task(&bob.access, "bob one").await;

    let bob_all = list(&app, &bob.access, "").await;
    let bob_done = list(&app, &bob.access, "?completed=true").await;
    let bob_open = list(&app, &bob.access, "?completed=false&limit=200").await;
    let alice_all = list(&app, &alice.access, "").await;

    assert_eq!(bob_all["total"], 1);
    assert_eq!(bob_all["tasks"][0], b1);
    assert_eq!(bob_done, json!({ "tasks": [], "total": 0 }));
    assert_eq!(bob_open["total"], 1);
    assert_eq!(alice_all["total"], 2);
    let bob_text = format!("{bob_all}{bob_done}{bob_open}");
    for a in [&a1, &a2] {
        assert!(!bob_text.contains(&id_of(a)), "bob sees {a}");
    }
    assert!(!bob_text.contains("alice"));
}

#[tokio::test]
async fn another_users_patch_and_delete_leave_my_task_unchanged() {
    let (app, alice) = spawn_app().await.with_user().await;
    let bob = app.api_signup("bob@example.com").await;
    let res = create(
        &app,
        &alice.access,
        json!({ "title": "mine", "description": "private" }),
    )
    .await;
    let original: Value = res.json().await.unwrap();
    let id = id_of(&original);

    let p = patch(
        &app,
        &bob.access,
        &id,
        json!({ "title": "pwned", "description": null, "completed": true }),
    )
    .await;
    let d = delete(&app, &bob.access, &id).await;

    assert_eq!(p.status(), StatusCode::NOT_FOUND);
    assert_eq!(d.status(), StatusCode::NOT_FOUND);
    assert_eq!(task(&app, &alice.access, &id).await, original);
    assert_eq!(list(&app, &alice.access, "").await["total"], 1);
}

/// Workers remember pages they answered; a remembered page belongs to the
/// user it was read for. Alice's page, asked again and again with the same
/// query, is never what Bob gets, in either order, and each sees their own
/// write at once.
#[tokio::test]
async fn a_remembered_page_is_only_ever_its_owners() {
    let (app, alice) = spawn_app().await.with_user().await;
    let bob = app.api_signup("bob@example.com").await;
    app.api_create_task(&alice.access, "alice's secret").await;

    for _ in 0..5 {
        let alice_page = list(&app, &alice.access, "").await;
        let bob_page = list(&app, &bob.access, "").await;
        assert_eq!(alice_page["total"], 1);
        assert_eq!(bob_page, json!({ "tasks": [], "total": 0 }));
    }
    app.api_create_task(&bob.access, "bob's own").await;
    for _ in 0..5 {
        let bob_page = list(&app, &bob.access, "").await;
        let alice_page = list(&app, &alice.access, "").await;
        assert_eq!(bob_page["total"], 1);
        assert_eq!(bob_page["tasks"][0]["title"], "bob's own");
        assert_eq!(alice_page["total"], 1);
        assert_eq!(alice_page["tasks"][0]["title"], "alice's secret");
    }
}
