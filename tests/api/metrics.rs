//! Prometheus metrics: only on the METRICS_ADDR listener, never on the public
//! one, with request counts and latencies by route and status, the account
//! counters and the two gauges.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

async fn scrape(app: &TestApp) -> String {
    let port = app.metrics_port.expect("metrics listener");
    let res = browser()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    res.text().await.unwrap()
}

/// The value of the first sample line that starts with `series`.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"))
}

#[tokio::test]
async fn metrics_are_served_on_their_own_listener_only() {
    let app = spawn_app_with(|c| {
        c.metrics_addr = Some("127.0.0.1:0".into());
        c.refresh_reuse_grace = std::time::Duration::ZERO;
    })
    .await;
    let user = app.api_signup("metered@example.com").await;
    let wrong = app
        .post_json(
            "/api/auth/login",
            &json!({ "email": "metered@example.com", "password": "wrong password" }),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let refreshed = app
        .post_json(
            "/api/auth/refresh",
            &json!({ "refresh_token": user.refresh }),
        )
        .await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let replay = app
        .post_json(
            "/api/auth/refresh",
            &json!({ "refresh_token": user.refresh }),
        )
        .await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);

    let text = scrape(&app).await;
    assert!(
        value(
            &text,
            r#"taskgate_http_requests_total{method="POST",route="/api/auth/signup",status="201"}"#
        ) >= 1.0
    );
    assert!(text.contains(
        r#"taskgate_http_request_duration_seconds_bucket{method="POST",route="/api/auth/login",status="401""#
    ));
    assert!(value(&text, "taskgate_signups_total") >= 1.0);
    assert!(value(&text, r#"taskgate_logins_total{outcome="failure"}"#) >= 1.0);
    assert!(value(&text, r#"taskgate_refreshes_total{outcome="rotated"}"#) >= 1.0);
    assert!(value(&text, "taskgate_refresh_token_reuse_total") >= 1.0);
    assert!(value(&text, "taskgate_db_pool_connections_in_use") >= 0.0);
    assert!(value(&text, "taskgate_password_hashes_waiting") >= 0.0);
    for series in [
        "taskgate_rate_limited_total",
        "taskgate_mails_total",
        "taskgate_second_factor_failures_total",
    ] {
        assert!(
            text.contains(&format!("# TYPE {series} counter")),
            "{series} is declared"
        );
    }

    // The public listener knows nothing of /metrics.
    let public = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    assert!(!public.text().await.unwrap().contains("taskgate_"));
}

#[tokio::test]
async fn without_metrics_addr_there_is_no_metrics_listener() {
    let app = spawn_app().await;
    assert_eq!(app.metrics_port, None);
    let public = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
}
