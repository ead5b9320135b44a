//! `GET /api/openapi.json` and `GET /api/docs`: the document matches the
//! router, names both security schemes, and the docs page loads from us alone.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;
use taskgate::http::api::ROUTES;

use crate::helpers::{spawn_app, TestApp};

async fn fetch_document(app: &TestApp) -> Value {
    let res = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    res.json().await.unwrap()
}

/// `(METHOD, path)` for every operation in the document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let paths = doc["paths"].as_object().expect("paths object");
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

#[tokio::test]
async fn openapi_document_is_version_3_1() {
    let app = spawn_app().await;

    let doc = fetch_document(&app).await;

    let version = doc["openapi"].as_str().expect("openapi field");
    assert!(version.starts_with("3.1."), "openapi = {version}");
    assert_eq!(doc["info"]["title"], "taskgate");
}

#[tokio::test]
async fn openapi_document_lists_exactly_the_routes_the_router_serves() {
    let app = spawn_app().await;

    let doc = fetch_document(&app).await;

    // `ROUTES` is generated from the same table `api::scope()` is built from.
    let mut served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(served.len(), ROUTES.len(), "duplicate route in ROUTES");
    served.insert(("GET".to_owned(), "/healthz".to_owned()));
    let documented = operations(&doc);
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in the document: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "in the document but not served: {unserved:?}"
    );
}

#[tokio::test]
async fn every_route_in_the_route_table_reaches_its_handler() {
    // Without credentials or a body every listed route answers from its handler
    // or extractors (200, 401, 415), never the scope's 404 or 405 fallbacks.
    let app = spawn_app().await;

    for (method, path) in ROUTES {
        let url = app.url(&path.replace("{id}", "00000000-0000-0000-0000-000000000000"));
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let res = app.client.request(method, url).send().await.unwrap();
        assert!(
            ![StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED].contains(&res.status()),
            "{path}: {}",
            res.status()
        );
    }
}

#[tokio::test]
async fn another_method_on_a_listed_path_is_405_with_allow() {
    let app = spawn_app().await;

    let res = app
        .client
        .request(reqwest::Method::PUT, app.url("/api/tasks"))
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.headers()["allow"], "GET, POST");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn openapi_document_describes_bearer_and_cookie_security() {
    let app = spawn_app().await;

    let doc = fetch_document(&app).await;

    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["bearer"]["bearerFormat"], "JWT");
    assert_eq!(schemes["cookie"]["type"], "apiKey");
    assert_eq!(schemes["cookie"]["in"], "cookie");
    // The test app runs with COOKIE_SECURE=false, so no `__Host-` prefix.
    assert_eq!(schemes["cookie"]["name"], "tg_access");
    let cookie_text = schemes["cookie"]["description"].as_str().unwrap();
    assert!(cookie_text.contains("X-CSRF-Token"), "{cookie_text}");
    let create = &doc["paths"]["/api/tasks"]["post"];
    assert_eq!(
        create["security"],
        serde_json::json!([{ "bearer": [] }, { "cookie": [] }, { "pat": ["tasks:write"] }])
    );
    // Personal access tokens: their own scheme, with the scope each operation needs.
    assert_eq!(schemes["pat"]["scheme"], "bearer");
    let list = &doc["paths"]["/api/tasks"]["get"];
    assert_eq!(
        list["security"][2],
        serde_json::json!({ "pat": ["tasks:read"] })
    );
    let introspect = &doc["paths"]["/api/auth/introspect"]["post"];
    assert_eq!(
        introspect["security"],
        serde_json::json!([{ "pat": ["introspect"] }])
    );
    let tokens = &doc["paths"]["/api/auth/tokens"]["post"];
    assert_eq!(
        tokens["security"],
        serde_json::json!([{ "bearer": [] }, { "cookie": [] }]),
        "a token cannot make tokens"
    );
}

#[tokio::test]
async fn openapi_error_responses_share_one_schema_and_carry_their_headers() {
    let app = spawn_app().await;

    let doc = fetch_document(&app).await;

    let responses = doc["components"]["responses"].as_object().unwrap();
    for (name, response) in responses {
        assert_eq!(
            response["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody",
            "{name}"
        );
    }
    assert!(responses["Unauthorized"]["headers"]["WWW-Authenticate"].is_object());
    assert!(responses["RateLimited"]["headers"]["Retry-After"].is_object());
    let detail = &doc["components"]["schemas"]["ErrorDetail"];
    assert!(detail["properties"]["fields"].is_object());
    // Every operation under /api documents 500, and each authenticated one 401.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["responses"]["500"].is_object(),
                "{method} {path}: no 500"
            );
            if op.get("security").is_some() {
                assert!(
                    op["responses"]["401"].is_object(),
                    "{method} {path}: no 401"
                );
            }
        }
    }
}

#[tokio::test]
async fn docs_page_and_its_assets_are_served_by_taskgate() {
    let app = spawn_app().await;

    let res = app.client.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    let html = res.text().await.unwrap();

    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|s| s.ends_with(".js") || s.ends_with(".css"))
        .collect();
    assert!(assets.iter().any(|a| a.ends_with(".js")), "{html}");
    assert!(assets.iter().any(|a| a.ends_with(".css")), "{html}");
    for asset in assets {
        // Same origin only: no CDN, no protocol-relative URL.
        assert!(
            asset.starts_with('/') && !asset.starts_with("//"),
            "{asset} is not served by taskgate"
        );
        let res = app.client.get(app.url(asset)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{asset}");
        let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
        let expected = if asset.ends_with(".js") {
            "javascript"
        } else {
            "text/css"
        };
        assert!(kind.contains(expected), "{asset}: {kind}");
        let body = res.text().await.unwrap();
        assert!(!body.is_empty(), "{asset} is empty");
        if asset.ends_with("swagger-initializer.js") {
            assert!(body.contains("/api/openapi.json"), "{body}");
            // The standalone layout's top bar has an inline <style> our CSP blocks.
            assert!(body.contains(r#""layout": "BaseLayout""#), "{body}");
        }
    }
}
