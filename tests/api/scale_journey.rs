//! Many processes, one deployment: three real taskgate processes on one
//! database run the whole user journey concurrently — sign-ups, logins,
//! refreshes, task writes, personal access tokens, revocations — with each
//! step sent to a different process. Afterwards every acknowledged write is
//! there, no session revoked through one process was accepted by another
//! after 2 s, and no request got a 5xx. The rate limits hold once for the
//! whole deployment, whichever process an attempt reaches.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

/// Every request's outcome, for the totals and the p99.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    server_errors: Vec<String>,
}

struct Cluster {
    bases: Vec<String>,
    tally: Arc<Mutex<Tally>>,
}

impl Cluster {
    /// Sends one request to process `n % 3`.
    async fn send(
        &self,
        n: usize,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let base = &self.bases[n % self.bases.len()];
        let mut req = browser().request(method.clone(), format!("{base}{path}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let started = Instant::now();
        let res = req.send().await.unwrap();
        let status = res.status();
        let json = res.json().await.unwrap_or(Value::Null);
        let mut tally = self.tally.lock().unwrap();
        tally.latencies.push(started.elapsed());
        if status.is_server_error() {
            tally
                .server_errors
                .push(format!("{method} {path} via {base}: {status} {json}"));
        }
        (status, json)
    }
}

/// What one virtual user leaves behind to check afterwards.
struct Outcome {
    access: String,
    pat: String,
    tasks: Vec<String>,
    revoked: Vec<(String, Instant)>,
}

async fn journey(cluster: Arc<Cluster>, user: usize, until: Instant) -> Outcome {
    let email = format!("user{user}@example.com");
    let mut step = user;
    let mut next = || {
        step += 1;
        step
    };
    let (status, body) = cluster
        .send(
            next(),
            Method::POST,
            "/api/auth/signup",
            None,
            Some(json!({ "email": email, "password": PASSWORD })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut access = body["access_token"].as_str().unwrap().to_owned();
    let mut refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let (status, body) = cluster
        .send(
            next(),
            Method::POST,
            "/api/auth/tokens",
            Some(&access),
            Some(json!({ "name": "script", "scopes": ["tasks:read", "tasks:write"] })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let pat = body["token"].as_str().unwrap().to_owned();
    let (mut tasks, mut revoked) = (Vec::new(), Vec::new());
    let mut round = 0;
    while Instant::now() < until {
        round += 1;
        // Task writes, through the session and through the PAT.
        for credential in [&access, &pat] {
            let (status, body) = cluster
                .send(
                    next(),
                    Method::POST,
                    "/api/tasks",
                    Some(credential),
                    Some(json!({ "title": format!("u{user} r{round}") })),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            tasks.push(body["id"].as_str().unwrap().to_owned());
        }
        let (status, _) = cluster
            .send(next(), Method::GET, "/api/tasks?limit=5", Some(&pat), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        // Refresh, then a second login whose session is revoked at once.
        let (status, body) = cluster
            .send(
                next(),
                Method::POST,
                "/api/auth/refresh",
                None,
                Some(json!({ "refresh_token": refresh })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        access = body["access_token"].as_str().unwrap().to_owned();
        refresh = body["refresh_token"].as_str().unwrap().to_owned();
        let (status, body) = cluster
            .send(
                next(),
                Method::POST,
                "/api/auth/login",
                None,
                Some(json!({ "email": email, "password": PASSWORD })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let doomed = body["access_token"].as_str().unwrap().to_owned();
        let (status, _) = cluster
            .send(
                next(),
                Method::POST,
                "/api/auth/logout",
                Some(&doomed),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        revoked.push((doomed, Instant::now()));
    }
    Outcome {
        access,
        pat,
        tasks,
        revoked,
    }
}

#[tokio::test]
async fn three_processes_run_the_whole_journey_concurrently_and_stay_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_url(&dir);
    let env = [("AUTH_RATE_LIMIT_PER_MIN", "0")];
    // One first, so the others find the schema migrated (operators run `taskgate migrate` once).
    let first = ServerProcess::start(&db, &env).await;
    let (second, third) = tokio::join!(
        ServerProcess::start(&db, &env),
        ServerProcess::start(&db, &env)
    );
    let cluster = Arc::new(Cluster {
        bases: vec![
            first.address.clone(),
            second.address.clone(),
            third.address.clone(),
        ],
        tally: Arc::default(),
    });

    // One SQLite file serialises every write of the three processes; fewer
    // users keep its writers from queueing past the busy timeout on a loaded
    // test machine. PostgreSQL takes the full load.
    let user_count = if on_postgres() { 9 } else { 5 };
    let until = Instant::now() + Duration::from_secs(8);
    let users: Vec<_> = (0..user_count)
        .map(|u| tokio::spawn(journey(cluster.clone(), u, until)))
        .collect();
    let mut outcomes = Vec::new();
    for u in users {
        outcomes.push(u.await.unwrap());
    }

    // Revocations: refused by every process once 2 s have passed.
    for outcome in &outcomes {
        for (token, at) in &outcome.revoked {
            let settle = (*at + Duration::from_secs(2)).saturating_duration_since(Instant::now());
            tokio::time::sleep(settle).await;
            for n in 0..3 {
                let (status, _) = cluster
                    .send(n, Method::GET, "/api/auth/me", Some(token), None)
                    .await;
                assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "a revoked session accepted by process {n}"
                );
            }
        }
    }
    // Every acknowledged write is there, seen from every process.
    let mut written = 0;
    for outcome in &outcomes {
        for n in 0..3 {
            let (status, body) = cluster
                .send(
                    n,
                    Method::GET,
                    "/api/tasks?limit=200",
                    Some(&outcome.access),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            let ids: Vec<&str> = body["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap())
                .collect();
            assert_eq!(
                body["total"].as_i64().unwrap() as usize,
                outcome.tasks.len()
            );
            for id in &outcome.tasks {
                assert!(
                    ids.contains(&id.as_str()) || outcome.tasks.len() > 200,
                    "task {id} lost"
                );
            }
        }
        let (status, _) = cluster
            .send(1, Method::GET, "/api/auth/me", Some(&outcome.pat), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        written += outcome.tasks.len();
    }

    let tally = cluster.tally.lock().unwrap();
    assert!(
        tally.server_errors.is_empty(),
        "5xx answers: {:#?}",
        tally.server_errors
    );
    let mut latencies = tally.latencies.clone();
    latencies.sort_unstable();
    let p99 = latencies[latencies.len() * 99 / 100];
    let p50 = latencies[latencies.len() / 2];
    notice(&format!(
        "scale journey ({}): 3 processes, {user_count} users, {} requests, {} task writes, {} revocations, 0 errors, p50 {:.1} ms, p99 {:.1} ms",
        if on_postgres() { "PostgreSQL" } else { "SQLite" },
        latencies.len(),
        written,
        outcomes.iter().map(|o| o.revoked.len()).sum::<usize>(),
        p50.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0,
    ));
}

#[tokio::test]
async fn the_rate_limits_hold_once_across_processes() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_url(&dir);
    let env = [
        ("AUTH_RATE_LIMIT_PER_MIN", "4"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ];
    let one = ServerProcess::start(&db, &env).await;
    let two = ServerProcess::start(&db, &env).await;
    let servers = [&one, &two];
    let attempt = |n: usize, ip: &str, email: &str| {
        browser()
            .post(servers[n % 2].url("/api/auth/login"))
            .header("x-forwarded-for", ip.to_owned())
            .json(&json!({ "email": email, "password": "wrong password" }))
            .send()
    };
    // Per IP: 4 attempts a minute for the whole deployment, alternating processes.
    for n in 0..4 {
        let res = attempt(n, "203.0.113.9", &format!("nobody{n}@example.com"))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    for n in 4..6 {
        let res = attempt(n, "203.0.113.9", "nobody@example.com")
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "attempt {n}: N processes do not allow N budgets"
        );
    }
    // Per account: 4 failed sign-ins a minute whatever the address or process.
    for n in 0..4 {
        let res = attempt(n, &format!("198.51.100.{n}"), "victim@example.com")
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let res = attempt(5, "198.51.100.77", "victim@example.com")
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}
