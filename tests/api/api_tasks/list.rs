//! Listing tasks: order, totals, the `completed` filter, and paging.

use super::*;

use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_list_is_in_creation_order_with_a_total() {
    let (app, user) = spawn_app().await.with_user().await;
    let names = ["first", "second", "third", "fourth"];
    for name in names {
        app.api_create_task(&user.access, name).await;
    }

    let body = list(&app, &user.access, "").await;

    assert_eq!(body["total"], 4);
    assert_eq!(titles(&body), names);
    for t in body["tasks"].as_array().unwrap() {
        assert_task_shape(t);
    }
}

#[tokio::test]
async fn an_empty_list_is_200_with_total_zero() {
    let (app, user) = spawn_app().await.with_user().await;

    let body = list(&app, &user.access, "").await;

    assert_eq!(body, json!({ "tasks": [], "total": 0 }));
}

#[tokio::test]
async fn the_completed_filter_selects_tasks_and_total_counts_the_matches() {
    let (app, user) = spawn_app().await.with_user().await;
    let mut ids = Vec::new();
    for name in ["one", "two", "three", "four"] {
        ids.push(id_of(&app.api_create_task(&user.access, name).await));
    }
    for id in [&ids[1], &ids[3]] {
        let res = patch(&app, &user.access, id, json!({ "completed": true })).await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    let done = list(&app, &user.access, "?completed=true").await;
    let open = list(&app, &user.access, "?completed=false").await;
    let done_page = list(&app, &user.access, "?completed=true&limit=1&offset=1").await;

    assert_eq!(titles(&done), ["two", "four"]);
    assert_eq!(done["total"], 2);
    assert_eq!(titles(&open), ["one", "three"]);
    assert_eq!(open["total"], 2);
    assert_eq!(titles(&done_page), ["four"]);
    assert_eq!(done_page["total"], 2);
}

#[tokio::test]
async fn limit_and_offset_page_through_the_tasks() {
    let (app, user) = spawn_app().await.with_user().await;
    for i in 0..5 {
        app.api_create_task(&user.access, &format!("t{i}")).await;
    }

    let p1 = list(&app, &user.access, "?limit=2").await;
    let p2 = list(&app, &user.access, "?limit=2&offset=2").await;
    let p3 = list(&app, &user.access, "?limit=2&offset=4").await;
    let past = list(&app, &user.access, "?limit=2&offset=10").await;
    let one = list(&app, &user.access, "?limit=1&offset=0").await;
    let max = list(&app, &user.access, "?limit=200").await;

    assert_eq!(titles(&p1), ["t0", "t1"]);
    assert_eq!(titles(&p2), ["t2", "t3"]);
    assert_eq!(titles(&p3), ["t4"]);
    assert!(titles(&past).is_empty());
    assert_eq!(titles(&one), ["t0"]);
    assert_eq!(max["tasks"].as_array().unwrap().len(), 5);
    for page in [&p1, &p2, &p3, &past, &one, &max] {
        assert_eq!(page["total"], 5, "{page}");
    }
}

#[tokio::test]
async fn the_default_limit_is_50() {
    let (app, user) = spawn_app().await.with_user().await;
    for i in 0..51 {
        app.api_create_task(&user.access, &format!("t{i:02}")).await;
    }

    let body = list(&app, &user.access, "").await;

    assert_eq!(body["total"], 51);
    let got = titles(&body);
    assert_eq!(got.len(), 50);
    assert_eq!(got.first().map(String::as_str), Some("t00"));
    assert_eq!(got.last().map(String::as_str), Some("t49"));
}

#[tokio::test]
async fn out_of_range_or_malformed_list_parameters_are_422_naming_the_parameter() {
    let (app, user) = spawn_app().await.with_user().await;
    let cases = [
        ("?limit=0", "limit"),
        ("?limit=201", "limit"),
        ("?limit=-1", "limit"),
        ("?limit=abc", "limit"),
        ("?limit=1.5", "limit"),
        ("?offset=-1", "offset"),
        ("?offset=abc", "offset"),
        ("?completed=maybe", "completed"),
        ("?completed=1", "completed"),
    ];

    for (query, field) in cases {
        let res = get(&app, &user.access, &format!("/api/tasks{query}")).await;

        assert_invalid_field(res, field, query).await;
    }
}

/// The list reads ids and timestamps straight into their JSON text; each
/// listed task must still be exactly what `GET /api/tasks/{id}` answers
/// (which formats the parsed values), also for text a person or another
/// tool may have stored in another shape, and for escaped user text.
#[tokio::test]
async fn every_listed_task_is_exactly_what_the_task_itself_answers() {
    let (app, user) = spawn_app().await.with_user().await;
    let tricky =
        json!({ "title": "quote \" back \\ ünï ✓ 🚀 </script>", "description": "tab\tnew\nline" });
    assert_eq!(
        create(&app, &user.access, tricky).await.status(),
        StatusCode::CREATED
    );
    let mut ids = Vec::new();
    for name in [
        "plain",
        "whole second",
        "one digit",
        "nine digits",
        "T form",
        "leap day",
    ] {
        ids.push(id_of(&app.api_create_task(&user.access, name).await));
    }
    let toggled = &ids[0];
    let res = patch(&app, &user.access, toggled, json!({ "completed": true })).await;
    assert_eq!(res.status(), StatusCode::OK);
    for (title, stored) in [
        ("whole second", "2026-01-02 03:04:05"),
        ("one digit", "2026-01-02 03:04:05.5"),
        // PostgreSQL keeps microseconds, rounded: this value reads the same on both.
        ("nine digits", "2026-01-02 03:04:05.123456489"),
        ("T form", "2026-01-02T03:04:05.25"),
        ("leap day", "2024-02-29 23:59:59.999999"),
    ] {
        let sql = format!("UPDATE tasks SET created_at = '{stored}', updated_at = '{stored}' WHERE title = '{title}'");
        assert_eq!(app.execute_sql(&sql), 1, "{title}");
    }

    let listed = list(&app, &user.access, "").await;

    let tasks = listed["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 7);
    for task in tasks {
        let res = get(&app, &user.access, &format!("/api/tasks/{}", id_of(task))).await;
        assert_eq!(res.status(), StatusCode::OK);
        let single: Value = res.json().await.unwrap();
        assert_eq!(task, &single);
    }
    let at = |title: &str| {
        let task = tasks.iter().find(|t| t["title"] == title).unwrap();
        task["created_at"].as_str().unwrap().to_owned()
    };
    assert_eq!(at("whole second"), "2026-01-02T03:04:05.000000Z");
    assert_eq!(at("one digit"), "2026-01-02T03:04:05.500000Z");
    assert_eq!(at("nine digits"), "2026-01-02T03:04:05.123456Z");
    assert_eq!(at("T form"), "2026-01-02T03:04:05.250000Z");
    assert_eq!(at("leap day"), "2024-02-29T23:59:59.999999Z");
}

/// Pages are answered from memory while the owner's tasks are unchanged; a
/// write through the API is in the very next page, whatever it changed.
#[tokio::test]
async fn a_page_shows_every_kind_of_write_at_once() {
    let (app, user) = spawn_app().await.with_user().await;
    let token = user.access.as_str();
    let first = id_of(&app.api_create_task(token, "first").await);
    assert_eq!(titles(&list(&app, token, "").await), ["first"]);
    assert_eq!(titles(&list(&app, token, "").await), ["first"]);

    app.api_create_task(token, "second").await;
    assert_eq!(titles(&list(&app, token, "").await), ["first", "second"]);
    let res = patch(&app, token, &first, json!({ "title": "renamed" })).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(titles(&list(&app, token, "").await), ["renamed", "second"]);
    let res = patch(&app, token, &first, json!({ "completed": true })).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        titles(&list(&app, token, "?completed=true").await),
        ["renamed"]
    );
    assert_eq!(list(&app, token, "").await["tasks"][0]["completed"], true);
    let res = app
        .bearer(Method::DELETE, &format!("/api/tasks/{first}"), token, None)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(titles(&list(&app, token, "").await), ["second"]);
}

/// A row changed outside taskgate (SQL by hand) bumps no version: a page
/// remembered before it may be answered for up to a second, never longer.
#[tokio::test]
async fn a_change_made_outside_taskgate_shows_within_a_second() {
    let (app, user) = spawn_app().await.with_user().await;
    let token = user.access.as_str();
    app.api_create_task(token, "before").await;
    assert_eq!(titles(&list(&app, token, "").await), ["before"]);

    assert_eq!(app.execute_sql("UPDATE tasks SET title = 'after'"), 1);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    assert_eq!(titles(&list(&app, token, "").await), ["after"]);
}

#[tokio::test]
async fn with_pages_not_remembered_a_change_made_outside_taskgate_shows_at_once() {
    let (app, user) = spawn_app_with(|c| c.remember_task_pages = false)
        .await
        .with_user()
        .await;
    let token = user.access.as_str();
    app.api_create_task(token, "before").await;
    for _ in 0..3 {
        assert_eq!(titles(&list(&app, token, "").await), ["before"]);
    }

    assert_eq!(app.execute_sql("UPDATE tasks SET title = 'after'"), 1);

    assert_eq!(titles(&list(&app, token, "").await), ["after"]);
}
