//! The binary as an operator runs it: two processes on one SQLite file,
//! crashes and restarts, the secret file it keeps without `JWT_SECRET`, bad
//! configuration, `migrate`, and SIGTERM with a request in flight.

use crate::helpers::*;

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tempfile::TempDir;

/// A folder with `data/`, where the SQLite database lives. The servers run
/// in the folder itself, which has no `.env`.
struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(dir.path().join("data")).expect("data dir");
        Self { dir }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn db(&self) -> String {
        self.data().join("taskgate.db").display().to_string()
    }

    /// `taskgate serve` on this sandbox's database, run in the sandbox.
    fn launch(&self) -> Launch {
        Launch::new(&self.db()).dir(self.dir.path())
    }
}

async fn titles(server: &ServerProcess, token: &str) -> Vec<String> {
    let res = server.get_tasks(token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    body["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| t["title"].as_str().expect("title").to_owned())
        .collect()
}

/// Files in `dir` that are not the SQLite database or its companions.
fn other_files(dir: &Path, db_name: &str) -> Vec<PathBuf> {
    let companions = [
        db_name.to_owned(),
        format!("{db_name}-wal"),
        format!("{db_name}-shm"),
        format!("{db_name}-journal"),
    ];
    fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .filter(|p| {
            !companions
                .iter()
                .any(|c| p.file_name().is_some_and(|n| n == c.as_str()))
        })
        .collect()
}

/// Reads one HTTP/1.1 response with a `Content-Length` body from `stream`.
fn read_one_response(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).expect("read head");
        assert!(
            n == 1,
            "connection closed mid-head: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        })
        .map_or(0, |(_, v)| v.trim().parse().expect("content-length"));
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).expect("read body");
    head + &String::from_utf8_lossy(&body)
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn two_processes_on_one_sqlite_file_share_tasks_and_see_a_logout_within_two_seconds() {
    let sandbox = Sandbox::new();
    let a = sandbox.launch().start().await;
    let b = a.start_another().await;

    let ApiUser {
        access, refresh, ..
    } = a.api_signup("shared@example.com").await;
    assert_eq!(b.me(&access).await.status(), StatusCode::OK);
    a.api_create_task(&access, "written via A").await;
    b.api_create_task(&access, "written via B").await;
    a.api_create_task(&access, "written via A again").await;
    for (name, server) in [("A", &a), ("B", &b)] {
        let mut seen = titles(server, &access).await;
        seen.sort();
        assert_eq!(
            seen,
            ["written via A", "written via A again", "written via B"],
            "tasks seen by {name}"
        );
    }

    let res = a.logout(&access).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let logged_out = Instant::now();
    loop {
        let status = b.me(&access).await.status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            logged_out.elapsed() <= Duration::from_secs(2),
            "process B still accepts the logged-out session after {:?} ({status})",
            logged_out.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let res = plain_client()
        .post(b.url("/api/auth/refresh"))
        .json(&json!({ "refresh_token": refresh }))
        .send()
        .await
        .expect("refresh");
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "B refuses the logged-out session's refresh token"
    );
}

#[tokio::test]
async fn a_task_answered_with_201_survives_a_kill_9_and_the_old_token_still_works() {
    let sandbox = Sandbox::new();
    let first = sandbox.launch().start().await;
    let ApiUser { access, .. } = first.api_signup("durable@example.com").await;
    let id = first.api_create_task(&access, "must survive").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = first.crash_and_restart().await;
    let res = second
        .bearer(Method::GET, &format!("/api/tasks/{id}"), &access, None)
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "task after restart: {}",
        second.log_text()
    );
    let task: Value = res.json().await.expect("json");
    assert_eq!(task["title"], "must survive");
    assert_eq!(second.me(&access).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn without_jwt_secret_a_0600_secret_file_is_kept_beside_the_database_and_tokens_survive_a_restart(
) {
    let sandbox = Sandbox::new();
    let first = sandbox.launch().without_secret().start().await;
    let extra = other_files(&sandbox.data(), "taskgate.db");
    assert_eq!(
        extra.len(),
        1,
        "one secret file beside the database: {extra:?}"
    );
    let secret_file = extra[0].clone();
    let mode = fs::metadata(&secret_file)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "{} has mode {mode:o}", secret_file.display());
    let secret = fs::read(&secret_file).expect("read secret");
    assert!(
        secret.len() >= 32,
        "secret file holds {} bytes",
        secret.len()
    );

    let ApiUser { access, .. } = first.api_signup("restart@example.com").await;
    let second = first.crash_and_restart().await;
    assert_eq!(
        second.me(&access).await.status(),
        StatusCode::OK,
        "a token issued before the restart"
    );
    assert_eq!(
        fs::read(&secret_file).expect("read secret"),
        secret,
        "the secret is kept, not regenerated"
    );
    assert_eq!(
        other_files(&sandbox.data(), "taskgate.db"),
        vec![secret_file]
    );
}

#[tokio::test]
async fn bad_configuration_exits_non_zero_with_one_line_and_no_panic() {
    struct Case {
        what: &'static str,
        key: &'static str,
        value: &'static str,
        with_secret: bool,
        mention: &'static str,
    }
    let case = |what, key, value, with_secret, mention| Case {
        what,
        key,
        value,
        with_secret,
        mention,
    };
    let cases = [
        case(
            "short JWT_SECRET",
            "JWT_SECRET",
            "s3cr3tXYZ",
            false,
            "JWT_SECRET",
        ),
        case(
            "COOKIE_SECURE=maybe",
            "COOKIE_SECURE",
            "maybe",
            true,
            "COOKIE_SECURE",
        ),
        case(
            "ACCESS_TOKEN_TTL_SECS=abc",
            "ACCESS_TOKEN_TTL_SECS",
            "abc",
            true,
            "ACCESS_TOKEN_TTL_SECS",
        ),
        case(
            "AUTH_RATE_LIMIT_PER_MIN=ten",
            "AUTH_RATE_LIMIT_PER_MIN",
            "ten",
            true,
            "AUTH_RATE_LIMIT_PER_MIN",
        ),
        case(
            "PostgreSQL without JWT_SECRET",
            "DATABASE_URL",
            "postgres://u@127.0.0.1:1/db",
            false,
            "JWT_SECRET",
        ),
        case(
            "unusable BIND_ADDR",
            "BIND_ADDR",
            "not-an-address",
            true,
            "not-an-address",
        ),
    ];
    for Case {
        what,
        key,
        value,
        with_secret,
        mention,
    } in cases
    {
        let sandbox = Sandbox::new();
        let mut launch = sandbox.launch().log_level("warn").env(key, value);
        if !with_secret {
            launch = launch.without_secret();
        }
        let mut cmd = launch.command();
        cmd.arg("serve");
        let (status, stderr) = run_to_exit(cmd, Duration::from_secs(30));
        assert!(!status.success(), "{what}: exited successfully");
        assert!(
            !stderr.contains("panicked"),
            "{what}: panic trace: {stderr}"
        );
        assert!(
            !stderr.contains("RUST_BACKTRACE"),
            "{what}: panic trace: {stderr}"
        );
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(
            lines.len(),
            1,
            "{what}: expected one line on stderr, got: {stderr:?}"
        );
        assert!(
            lines[0].contains(mention),
            "{what}: the message should name {mention}: {stderr:?}"
        );
        assert!(
            !stderr.contains("s3cr3tXYZ"),
            "{what}: the secret's value is echoed: {stderr:?}"
        );
    }
}

#[tokio::test]
async fn migrate_exits_zero_and_creates_the_database_with_its_folder() {
    let sandbox = Sandbox::new();
    let db = sandbox
        .dir
        .path()
        .join("nested")
        .join("deeper")
        .join("taskgate.db");
    let launch = Launch::new(&db.display().to_string()).dir(sandbox.dir.path());
    let (status, stderr) = run_to_exit(
        {
            let mut c = launch.command();
            c.arg("migrate");
            c
        },
        Duration::from_secs(60),
    );
    assert!(status.success(), "migrate failed: {stderr}");
    let meta = fs::metadata(&db).expect("database file created");
    assert!(meta.len() > 0, "database file is empty");
    let (again, stderr) = run_to_exit(
        {
            let mut c = launch.command();
            c.arg("migrate");
            c
        },
        Duration::from_secs(60),
    );
    assert!(
        again.success(),
        "a second migrate (nothing pending) failed: {stderr}"
    );
}

#[tokio::test]
async fn sigterm_makes_serve_exit_cleanly_within_a_few_seconds() {
    let sandbox = Sandbox::new();
    let mut server = sandbox.launch().start().await;
    server.api_signup("sigterm@example.com").await;
    server.signal("TERM");
    let status = server.wait_exit(Duration::from_secs(10));
    let status =
        status.unwrap_or_else(|| panic!("still running 10 s after SIGTERM: {}", server.log_text()));
    assert!(
        status.success(),
        "exit after SIGTERM: {status}: {}",
        server.log_text()
    );
    assert!(
        !server.log_text().contains("panicked"),
        "{}",
        server.log_text()
    );
}

#[tokio::test]
async fn a_request_in_flight_at_sigterm_still_gets_its_answer() {
    let sandbox = Sandbox::new();
    let mut server = sandbox.launch().start().await;
    server.api_signup("inflight@example.com").await;

    let body = json!({ "email": "inflight@example.com", "password": PASSWORD }).to_string();
    let (head, tail) = body.split_at(body.len() / 2);
    let port = server.port();
    let mut stream = TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    // A first, complete request on this keep-alive connection proves a worker holds it.
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    )
    .expect("write healthz");
    let first = read_one_response(&mut stream);
    assert!(
        first.starts_with("HTTP/1.1 200"),
        "healthz on the held connection: {first:?}"
    );
    write!(
        stream,
        "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
        body.len()
    )
    .expect("write head");
    stream.flush().expect("flush");
    // The server has the request line, headers and half the body when the signal arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.signal("TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(tail.as_bytes()).expect("write tail");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "in-flight login after SIGTERM: {answer:?}"
    );
    assert!(answer.contains("access_token"), "{answer:?}");
    drop(stream);
    let status = server
        .wait_exit(Duration::from_secs(10))
        .expect("exits after the request finished");
    assert!(status.success(), "{status}");
}
