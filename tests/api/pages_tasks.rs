//! The task pages: creating, toggling and deleting through forms, another
//! user's task out of reach, and what the list refuses.

use crate::helpers::*;

use reqwest::{Method, StatusCode};
use serde_json::Value;

#[tokio::test]
async fn tasks_page_sends_a_signed_out_visitor_to_login_with_next() {
    let app = spawn_app().await;
    let res = app.page(&browser(), "/tasks").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login?next=%2Ftasks");
}

#[tokio::test]
async fn creating_toggling_and_deleting_a_task_through_forms_shows_on_the_list() {
    let app = spawn_app().await;
    let WebUser { client, access, .. } = app.web_user("tasks@example.com").await;
    let csrf = app.csrf_from(&client, "/tasks").await;

    let res = app
        .post_form(
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
    let html = app.page_text(&client, "/tasks").await;
    assert!(
        html.contains("Buy milk") && html.contains("two litres"),
        "new task on the page"
    );
    let ids = ids_in(&html, "/tasks/", "/toggle");
    assert_eq!(ids.len(), 1, "one toggle form: {ids:?}");
    let id = ids[0].clone();
    assert_eq!(ids_in(&html, "/tasks/", "/delete"), vec![id.clone()]);

    let listed = app.api_tasks(&access).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["tasks"][0]["id"], id.as_str());
    assert_eq!(listed["tasks"][0]["completed"], false);

    let res = app
        .post_form(
            &client,
            &format!("/tasks/{id}/toggle"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/tasks");
    assert_eq!(app.api_tasks(&access).await["tasks"][0]["completed"], true);
    let after_toggle = app.page_text(&client, "/tasks").await;
    assert_ne!(
        after_toggle.replace(&csrf, ""),
        html.replace(&csrf, ""),
        "the page shows the task's new state"
    );

    let res = app
        .post_form(
            &client,
            &format!("/tasks/{id}/toggle"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.api_tasks(&access).await["tasks"][0]["completed"],
        false,
        "toggle flips back"
    );

    let res = app
        .post_form(
            &client,
            &format!("/tasks/{id}/delete"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/tasks");
    let html = app.page_text(&client, "/tasks").await;
    assert!(!html.contains("Buy milk"), "deleted task still on the page");
    assert!(ids_in(&html, "/tasks/", "/toggle").is_empty());
    assert_eq!(app.api_tasks(&access).await["total"], 0);
}

#[tokio::test]
async fn another_users_task_cannot_be_toggled_or_deleted_through_forms() {
    let (app, owner) = spawn_app().await.with_user().await;
    let task = app.api_create_task(&owner.access, "Owner's secret").await;
    let id = task["id"].as_str().unwrap().to_owned();
    let WebUser {
        client: intruder, ..
    } = app.web_user("intruder@example.com").await;
    let csrf = app.csrf_from(&intruder, "/tasks").await;

    for action in ["toggle", "delete"] {
        let res = app
            .post_form(
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
    let page = app.page_text(&intruder, "/tasks").await;
    assert!(!page.contains(&id), "intruder sees no foreign task");

    // Ids that are not UUIDs or do not exist answer the same.
    for bogus in ["not-a-uuid", "00000000-0000-0000-0000-000000000000"] {
        let res = app
            .post_form(
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
    let WebUser { client, access, .. } = app.web_user("nul@example.com").await;
    let csrf = app.csrf_from(&client, "/tasks").await;
    for (title, description) in [("bad\u{0}title", ""), ("fine title", "bad\u{0}description")] {
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
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{title:?} / {description:?}"
        );
    }
    assert_eq!(app.api_tasks(&access).await["total"], 0, "nothing stored");
}
