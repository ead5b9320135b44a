//! PostgreSQL going away: requests fail fast with 503 (never hang or crash),
//! and the server recovers by itself when the database is back. Runs its own
//! throwaway cluster, so stopping it disturbs no other test. Needs the
//! PostgreSQL server binaries, which `scripts/test` passes as TEST_PG_BIN.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

struct Cluster {
    bin: String,
    run_as: Vec<String>,
    data: String,
}

impl Cluster {
    fn pg(&self, tool: &str, args: &[&str]) {
        let (program, pre) = match self.run_as.split_first() {
            Some((p, rest)) => (p.clone(), rest.to_vec()),
            None => (format!("{}/{tool}", self.bin), Vec::new()),
        };
        let mut cmd = Command::new(program);
        cmd.args(pre);
        if !self.run_as.is_empty() {
            cmd.arg(format!("{}/{tool}", self.bin));
        }
        let out = cmd.args(args).output().expect("run a PostgreSQL tool");
        assert!(
            out.status.success(),
            "{tool} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start(&self, port: u16, socket_dir: &Path) {
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off",
            socket_dir.display()
        );
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data,
                "-l",
                &format!("{}.log", self.data),
                "-w",
                "-o",
                &opts,
                "start",
            ],
        );
    }

    fn stop(&self) {
        self.pg("pg_ctl", &["-D", &self.data, "-m", "fast", "-w", "stop"]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{} {}/pg_ctl -D {} -m immediate stop",
                self.run_as.join(" "),
                self.bin,
                self.data
            ))
            .output();
    }
}

#[tokio::test]
async fn requests_get_503_while_postgres_is_down_and_succeed_again_when_it_returns() {
    let Ok(bin) = std::env::var("TEST_PG_BIN") else {
        notice(
            "SKIPPED: outage test needs TEST_PG_BIN (the PostgreSQL run of scripts/test sets it)",
        );
        return;
    };
    let run_as: Vec<String> = std::env::var("TEST_PG_RUN_AS")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    if !run_as.is_empty() {
        let status = Command::new("chown")
            .arg("postgres")
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success());
    }
    let cluster = Cluster {
        bin,
        run_as,
        data: dir.path().join("data").display().to_string(),
    };
    cluster.pg(
        "initdb",
        &[
            "-D",
            &cluster.data,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        ],
    );
    let port = free_port();
    cluster.start(port, dir.path());
    let url = fresh_postgres_database(&format!("postgres://postgres@127.0.0.1:{port}/postgres"));
    let server = ServerProcess::start(&url, &[("DATABASE_CONNECT_TIMEOUT_SECS", "1")]).await;
    let body: Value = browser()
        .post(server.url("/api/auth/signup"))
        .json(&json!({ "email": "outage@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(server.get_tasks(&token).await.status(), StatusCode::OK);

    cluster.stop();
    let started = Instant::now();
    let res = server.get_tasks(&token).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a dead database must not hang requests"
    );
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "unavailable");
    assert_eq!(
        browser()
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let page = browser().get(server.url("/login")).send().await.unwrap();
    assert!(page.status().is_success() || page.status() == StatusCode::SERVICE_UNAVAILABLE);

    cluster.start(port, dir.path());
    let back = Instant::now();
    loop {
        let status = server.get_tasks(&token).await.status();
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "only 503 while recovering"
        );
        assert!(
            back.elapsed() < Duration::from_secs(15),
            "taskgate did not recover after PostgreSQL returned"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The process survived the outage: same server, still healthy.
    server.wait_healthy(Duration::from_secs(5)).await;
}
