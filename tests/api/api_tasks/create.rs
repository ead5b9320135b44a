//! Creating a task and reading it back: the shape, the `Location`, and what
//! a title or description may hold.

use super::*;

use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::{json, Value};

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
