//! Changing and deleting a task, and what a change may not do.

use super::*;

use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn patch_changes_only_the_fields_sent() {
    let (app, user) = spawn_app().await.with_user().await;
    let res = create(
        &app,
        &user.access,
        json!({ "title": "orig", "description": "desc" }),
    )
    .await;
    let original: Value = res.json().await.unwrap();
    let id = id_of(&original);

    let r1 = patch(&app, &user.access, &id, json!({ "completed": true })).await;
    assert_eq!(r1.status(), StatusCode::OK);
    let after_completed: Value = r1.json().await.unwrap();
    let r2 = patch(&app, &user.access, &id, json!({ "title": "  renamed  " })).await;
    assert_eq!(r2.status(), StatusCode::OK);
    let after_title: Value = r2.json().await.unwrap();
    let r3 = patch(
        &app,
        &user.access,
        &id,
        json!({ "description": "new desc" }),
    )
    .await;
    assert_eq!(r3.status(), StatusCode::OK);
    let after_desc: Value = r3.json().await.unwrap();
    let r4 = patch(
        &app,
        &user.access,
        &id,
        json!({ "title": "all", "description": "three", "completed": false }),
    )
    .await;
    assert_eq!(r4.status(), StatusCode::OK);
    let after_all: Value = r4.json().await.unwrap();

    assert_task_shape(&after_completed);
    assert_eq!(
        (
            &after_completed["title"],
            &after_completed["description"],
            &after_completed["completed"]
        ),
        (&json!("orig"), &json!("desc"), &json!(true))
    );
    assert_eq!(
        (
            &after_title["title"],
            &after_title["description"],
            &after_title["completed"]
        ),
        (&json!("renamed"), &json!("desc"), &json!(true))
    );
    assert_eq!(
        (
            &after_desc["title"],
            &after_desc["description"],
            &after_desc["completed"]
        ),
        (&json!("renamed"), &json!("new desc"), &json!(true))
    );
    assert_eq!(
        (
            &after_all["title"],
            &after_all["description"],
            &after_all["completed"]
        ),
        (&json!("all"), &json!("three"), &json!(false))
    );
    for t in [&after_completed, &after_title, &after_desc, &after_all] {
        assert_eq!(t["id"], original["id"]);
        assert_eq!(t["created_at"], original["created_at"]);
        assert!(time(t, "updated_at") >= time(&original, "updated_at"));
    }
    assert_eq!(task(&app, &user.access, &id).await, after_all);
}

#[tokio::test]
async fn patch_with_a_null_description_clears_it() {
    let (app, user) = spawn_app().await.with_user().await;
    let res = create(
        &app,
        &user.access,
        json!({ "title": "t", "description": "to be cleared" }),
    )
    .await;
    let original: Value = res.json().await.unwrap();

    let res = patch(
        &app,
        &user.access,
        &id_of(&original),
        json!({ "description": null }),
    )
    .await;

    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert!(body["description"].is_null(), "{body}");
    assert_eq!(body["title"], "t");
    assert!(task(&app, &user.access, &id_of(&original)).await["description"].is_null());
}

#[tokio::test]
async fn patch_with_invalid_values_is_422_and_changes_nothing() {
    let (app, user) = spawn_app().await.with_user().await;
    let original = app.api_create_task(&user.access, "keep").await;
    let id = id_of(&original);

    let cases = [
        (json!({ "title": "" }), "title"),
        (json!({ "title": "   " }), "title"),
        (json!({ "title": "x".repeat(201) }), "title"),
        (json!({ "description": "d".repeat(2001) }), "description"),
        (
            json!({ "title": "fine", "description": "d".repeat(2001) }),
            "description",
        ),
    ];
    for (body, field) in cases {
        let res = patch(&app, &user.access, &id, body).await;

        assert_invalid_field(res, field, field).await;
    }
    assert_eq!(task(&app, &user.access, &id).await, original);
}

#[tokio::test]
async fn delete_is_204_and_the_task_is_then_404() {
    let (app, user) = spawn_app().await.with_user().await;
    let doomed = app.api_create_task(&user.access, "doomed").await;
    let kept = app.api_create_task(&user.access, "kept").await;

    let res = delete(&app, &user.access, &id_of(&doomed)).await;

    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let again_get = get(
        &app,
        &user.access,
        &format!("/api/tasks/{}", id_of(&doomed)),
    )
    .await;
    assert_eq!(again_get.status(), StatusCode::NOT_FOUND);
    let again_delete = delete(&app, &user.access, &id_of(&doomed)).await;
    assert_eq!(again_delete.status(), StatusCode::NOT_FOUND);
    let again_patch = patch(&app, &user.access, &id_of(&doomed), json!({ "title": "x" })).await;
    assert_eq!(again_patch.status(), StatusCode::NOT_FOUND);
    let rest = list(&app, &user.access, "").await;
    assert_eq!(rest["total"], 1);
    assert_eq!(rest["tasks"][0], kept);
}
