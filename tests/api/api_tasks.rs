use crate::helpers::*;

use reqwest::header::{CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Private helpers
// ---------------------------------------------------------------------------

async fn get(app: &TestApp, token: &str, path: &str) -> Response {
    app.bearer(Method::GET, path, token, None).await
}

async fn create(app: &TestApp, token: &str, body: Value) -> Response {
    app.bearer(Method::POST, "/api/tasks", token, Some(&body))
        .await
}

async fn patch(app: &TestApp, token: &str, id: &str, body: Value) -> Response {
    app.bearer(
        Method::PATCH,
        &format!("/api/tasks/{id}"),
        token,
        Some(&body),
    )
    .await
}

async fn delete(app: &TestApp, token: &str, id: &str) -> Response {
    app.bearer(Method::DELETE, &format!("/api/tasks/{id}"), token, None)
        .await
}

async fn task(app: &TestApp, token: &str, id: &str) -> Value {
    let res = get(app, token, &format!("/api/tasks/{id}")).await;
    assert_eq!(res.status(), StatusCode::OK, "GET task {id}");
    res.json().await.unwrap()
}

async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let res = get(app, token, &format!("/api/tasks{query}")).await;
    assert_eq!(res.status(), StatusCode::OK, "list {query}");
    res.json().await.unwrap()
}

fn titles(list: &Value) -> Vec<String> {
    list["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect()
}

fn id_of(task: &Value) -> String {
    task["id"].as_str().unwrap().to_owned()
}

fn assert_task_shape(t: &Value) {
    let obj = t.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "completed",
            "created_at",
            "description",
            "id",
            "title",
            "updated_at"
        ],
        "task shape: {t}"
    );
    assert!(
        uuid::Uuid::parse_str(t["id"].as_str().unwrap()).is_ok(),
        "{t}"
    );
    assert!(t["title"].is_string(), "{t}");
    assert!(
        t["description"].is_string() || t["description"].is_null(),
        "{t}"
    );
    assert!(t["completed"].is_boolean(), "{t}");
    assert!(is_rfc3339_utc(t["created_at"].as_str().unwrap()), "{t}");
    assert!(is_rfc3339_utc(t["updated_at"].as_str().unwrap()), "{t}");
}

fn time(t: &Value, key: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(t[key].as_str().unwrap()).unwrap()
}

async fn status_and_body(res: Response) -> (StatusCode, String) {
    (res.status(), res.text().await.unwrap())
}

// ---------------------------------------------------------------------------
// Create and read
// ---------------------------------------------------------------------------

#[tokio::test]
async fn creating_a_task_is_201_with_location_and_the_task_shape() {
    let (app, user) = spawn_app().await.with_user().await;

    let res = create(
        &app,
        &user.access,
        json!({ "title": "Buy milk", "description": "2 litres" }),
    )
    .await;

    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = res.json().await.unwrap();
    assert_task_shape(&body);
    assert_eq!(location, Some(format!("/api/tasks/{}", id_of(&body))));
    assert_eq!(body["title"], "Buy milk");
    assert_eq!(body["description"], "2 litres");
    assert_eq!(body["completed"], false);
    assert_eq!(task(&app, &user.access, &id_of(&body)).await, body);
}

#[tokio::test]
async fn the_location_header_points_at_the_created_task() {
    let (app, user) = spawn_app().await.with_user().await;
    let res = create(&app, &user.access, json!({ "title": "follow me" })).await;
    let location = res.headers()[LOCATION].to_str().unwrap().to_owned();
    let created: Value = res.json().await.unwrap();

    let fetched = get(&app, &user.access, &location).await;

    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(fetched.json::<Value>().await.unwrap(), created);
}

#[tokio::test]
async fn the_title_is_trimmed_and_a_missing_or_null_description_is_null() {
    let (app, user) = spawn_app().await.with_user().await;

    let trimmed = create(&app, &user.access, json!({ "title": "  \t spaced  \n" })).await;
    let null_desc = create(
        &app,
        &user.access,
        json!({ "title": "x", "description": null }),
    )
    .await;

    assert_eq!(trimmed.status(), StatusCode::CREATED);
    let t: Value = trimmed.json().await.unwrap();
    assert_eq!(t["title"], "spaced");
    assert!(t["description"].is_null(), "{t}");
    assert_eq!(null_desc.status(), StatusCode::CREATED);
    let n: Value = null_desc.json().await.unwrap();
    assert!(n["description"].is_null(), "{n}");
}

#[tokio::test]
async fn an_empty_whitespace_or_over_long_title_is_422_with_fields_title() {
    let (app, user) = spawn_app().await.with_user().await;
    let too_long = "t".repeat(201);
    let too_long_unicode = "é".repeat(201);

    for title in [
        "",
        "   ",
        "\t\n ",
        too_long.as_str(),
        too_long_unicode.as_str(),
    ] {
        let res = create(&app, &user.access, json!({ "title": title })).await;

        assert_invalid_field(res, "title", &format!("title of {} chars", title.len())).await;
    }
    assert_eq!(list(&app, &user.access, "").await["total"], 0);
}

#[tokio::test]
async fn a_title_of_200_characters_and_a_description_of_2000_are_accepted() {
    let (app, user) = spawn_app().await.with_user().await;
    let title = "é".repeat(200);
    let description = "ü".repeat(2000);

    let res = create(
        &app,
        &user.access,
        json!({ "title": title, "description": description }),
    )
    .await;

    assert_eq!(res.status(), StatusCode::CREATED);
    let t: Value = res.json().await.unwrap();
    assert_eq!(t["title"], title.as_str());
    assert_eq!(t["description"], description.as_str());
}

#[tokio::test]
async fn a_description_of_2001_characters_is_422_with_fields_description() {
    let (app, user) = spawn_app().await.with_user().await;

    let res = create(
        &app,
        &user.access,
        json!({ "title": "ok", "description": "d".repeat(2001) }),
    )
    .await;

    assert_invalid_field(res, "description", "2001 chars").await;
    assert_eq!(list(&app, &user.access, "").await["total"], 0);
}

#[tokio::test]
async fn a_nul_character_in_a_title_or_description_is_422() {
    let (app, user) = spawn_app().await.with_user().await;
    let t = app.api_create_task(&user.access, "clean").await;

    let create_title = create(&app, &user.access, json!({ "title": "a\u{0}b" })).await;
    let create_desc = create(
        &app,
        &user.access,
        json!({ "title": "ok", "description": "a\u{0}b" }),
    )
    .await;
    let patch_title = patch(&app, &user.access, &id_of(&t), json!({ "title": "\u{0}" })).await;

    assert_invalid_field(create_title, "title", "create title").await;
    assert_invalid_field(create_desc, "description", "create description").await;
    assert_invalid_field(patch_title, "title", "patch title").await;
    assert_eq!(list(&app, &user.access, "").await["total"], 1);
    assert_eq!(task(&app, &user.access, &id_of(&t)).await, t);
}

#[tokio::test]
async fn strings_with_sql_template_metacharacters_and_emoji_round_trip_byte_for_byte() {
    let (app, user) = spawn_app().await.with_user().await;
    let samples = [
        "'; DROP TABLE tasks; --",
        "Robert'); DELETE FROM users WHERE ('1'='1",
        "{{ 7*7 }} {% if true %}x{% endif %} ${7*7} #{7*7} <%= 7*7 %>",
        "<script>alert(\"x\")</script> &amp; &lt;",
        "emoji 😀👍🏽 family 👨\u{200d}👩\u{200d}👧 flag 🇫🇷",
        "back\\slash \"quotes\" `ticks` %s %n %x %%",
        "RTL \u{202e}txet\u{202c} combining e\u{301} zero\u{200b}width",
    ];
    let description = "  leading and trailing spaces kept  \n\tline two\r\n'; --  ";

    for title in samples {
        let res = create(
            &app,
            &user.access,
            json!({ "title": title, "description": description }),
        )
        .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{title}");
        let created: Value = res.json().await.unwrap();

        let fetched = task(&app, &user.access, &id_of(&created)).await;

        assert_eq!(fetched["title"], title);
        assert_eq!(fetched["description"], description);
    }
    let all = list(&app, &user.access, "").await;
    assert_eq!(titles(&all), samples);
}

// ---------------------------------------------------------------------------
// Listing
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Update and delete
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Isolation between users
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Error handling
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let (app, user) = spawn_app().await.with_user().await;
    let t = app.api_create_task(&user.access, "t").await;

    let plain = browser()
        .post(app.url("/api/tasks"))
        .bearer_auth(&user.access)
        .header(CONTENT_TYPE, "text/plain")
        .body(r#"{"title":"sneaky"}"#)
        .send()
        .await
        .unwrap();
    let form = browser()
        .patch(app.url(&format!("/api/tasks/{}", id_of(&t))))
        .bearer_auth(&user.access)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("title=sneaky")
        .send()
        .await
        .unwrap();
    let none = browser()
        .post(app.url("/api/tasks"))
        .bearer_auth(&user.access)
        .body(r#"{"title":"sneaky"}"#)
        .send()
        .await
        .unwrap();
    let signup = browser()
        .post(app.url("/api/auth/signup"))
        .header(CONTENT_TYPE, "text/plain")
        .body(r#"{"email":"b@example.com","password":"correct horse battery staple"}"#)
        .send()
        .await
        .unwrap();

    for (res, what) in [
        (plain, "text/plain"),
        (form, "form"),
        (none, "no content type"),
        (signup, "signup text/plain"),
    ] {
        assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{what}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unsupported_media_type", "{what}");
    }
    let all = list(&app, &user.access, "").await;
    assert_eq!(titles(&all), ["t"]);
}

#[tokio::test]
async fn a_body_over_64_kib_is_413() {
    let (app, user) = spawn_app().await.with_user().await;

    let res = create(
        &app,
        &user.access,
        json!({ "title": "big", "description": "x".repeat(65 * 1024) }),
    )
    .await;

    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    assert_eq!(list(&app, &user.access, "").await["total"], 0);
}

#[tokio::test]
async fn malformed_json_is_400() {
    let (app, user) = spawn_app().await.with_user().await;

    for raw in [
        r#"{"title": "#,
        "{title: 'x'}",
        "not json at all",
        r#"{"title":"x"}}"#,
    ] {
        let res = browser()
            .post(app.url("/api/tasks"))
            .bearer_auth(&user.access)
            .header(CONTENT_TYPE, "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();

        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{raw}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_request", "{raw}");
    }
    assert_eq!(list(&app, &user.access, "").await["total"], 0);
}

#[tokio::test]
async fn non_utf8_json_bodies_are_refused_without_a_server_error() {
    let (app, user) = spawn_app().await.with_user().await;

    let res = browser()
        .post(app.url("/api/tasks"))
        .bearer_auth(&user.access)
        .header(CONTENT_TYPE, "application/json")
        .body(b"{\"title\":\"\xff\xfe\"}".to_vec())
        .send()
        .await
        .unwrap();

    assert!(res.status().is_client_error(), "{}", res.status());
    assert_eq!(list(&app, &user.access, "").await["total"], 0);
}

#[tokio::test]
async fn an_unknown_api_path_is_a_json_not_found() {
    let (app, user) = spawn_app().await.with_user().await;

    let authed = get(&app, &user.access, "/api/does-not-exist").await;
    let nested = get(&app, &user.access, "/api/tasks/a/b/c").await;
    let anonymous = browser()
        .get(app.url("/api/nothing/here"))
        .send()
        .await
        .unwrap();

    for (res, what) in [
        (authed, "authed"),
        (nested, "nested"),
        (anonymous, "anonymous"),
    ] {
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{what}");
        let ct = res.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
        assert!(ct.starts_with("application/json"), "{what}: {ct}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{what}");
        assert!(body["error"]["message"].is_string(), "{what}");
    }
}

#[tokio::test]
async fn unauthenticated_requests_are_401_with_a_bare_bearer_challenge() {
    let (app, user) = spawn_app().await.with_user().await;
    let t = app.api_create_task(&user.access, "t").await;
    let task_path = format!("/api/tasks/{}", id_of(&t));
    let requests = [
        (Method::GET, "/api/tasks".to_owned(), None),
        (
            Method::POST,
            "/api/tasks".to_owned(),
            Some(json!({ "title": "x" })),
        ),
        (Method::GET, task_path.clone(), None),
        (
            Method::PATCH,
            task_path.clone(),
            Some(json!({ "title": "x" })),
        ),
        (Method::DELETE, task_path.clone(), None),
        (Method::GET, "/api/auth/me".to_owned(), None),
        (Method::GET, "/api/auth/sessions".to_owned(), None),
        (Method::POST, "/api/auth/logout".to_owned(), None),
    ];

    for (method, path, body) in requests {
        let mut req = reqwest::Client::new().request(method.clone(), app.url(&path));
        if let Some(b) = &body {
            req = req.json(b);
        }
        let res = req.send().await.unwrap();

        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        let www = res
            .headers()
            .get(WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            www.as_deref(),
            Some(r#"Bearer realm="taskgate""#),
            "{method} {path}"
        );
        let json: Value = res.json().await.unwrap();
        assert_eq!(json["error"]["code"], "unauthorized", "{method} {path}");
    }
    assert_eq!(task(&app, &user.access, &id_of(&t)).await, t);
}
