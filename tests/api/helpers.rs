//! `spawn_app` and friends: start the real `Application` on port 0 with a
//! fresh SQLite file, and talk to it over HTTP like a browser or a script.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use taskgate::config::{Config, DatabaseUrl};
use taskgate::{Application, Services};
use tempfile::TempDir;

/// The secret every in-process test app signs with (tests forge tokens with it).
pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
/// A password that passes the rules.
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub port: u16,
    pub db_path: PathBuf,
    /// The database the app uses (a SQLite path or a PostgreSQL URL).
    pub database_url: String,
    /// A pool of its own on the app's database, for arranging and inspecting rows.
    pub pool: taskgate::db::Pool,
    /// The metrics listener's port, when METRICS_ADDR was set.
    pub metrics_port: Option<u16>,
    /// A client with a cookie jar that does not follow redirects.
    pub client: Client,
    pub dir: TempDir,
}

/// A browser-like client: cookie jar on, redirects off.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// The engine under test: a fresh PostgreSQL database per test when
/// `TEST_DATABASE_URL` is set (scripts/test sets it for its second run), else
/// a fresh SQLite file in `dir`.
pub fn fresh_database_url(dir: &TempDir) -> String {
    static ANNOUNCE: std::sync::Once = std::sync::Once::new();
    ANNOUNCE.call_once(|| {
        notice(if on_postgres() {
            "NOTE: this run tests PostgreSQL (TEST_DATABASE_URL is set)"
        } else {
            "NOTE: this run tests SQLite only; PostgreSQL is SKIPPED here \
             (set TEST_DATABASE_URL, or run scripts/test, which starts a throwaway cluster)"
        });
    });
    match std::env::var("TEST_DATABASE_URL") {
        Ok(base) if !base.is_empty() => fresh_postgres_database(&base),
        _ => dir.path().join("taskgate.db").display().to_string(),
    }
}

/// Creates an empty database on the server `base` points at; returns its URL.
pub fn fresh_postgres_database(base: &str) -> String {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let name = format!("tg_{}", uuid::Uuid::new_v4().simple());
    let mut conn =
        PgConnection::establish(base).expect("TEST_DATABASE_URL must accept connections");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .expect("CREATE DATABASE");
    let (server, _) = base
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL ends in /dbname");
    format!("{server}/{name}")
}

/// True when this run is against PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty())
}

/// The configuration tests start from: defaults, except plain-http cookies,
/// no rate limit, a fixed secret, port 0 and a fresh database.
pub fn test_config(dir: &TempDir) -> Config {
    let vars: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", fresh_database_url(dir)),
        ("BIND_ADDR", "127.0.0.1:0".to_owned()),
        ("JWT_SECRET", TEST_SECRET.to_owned()),
        ("COOKIE_SECURE", "false".to_owned()),
        ("AUTH_RATE_LIMIT_PER_MIN", "0".to_owned()),
        // Never the default `data/mail` beside the repository (PostgreSQL runs).
        ("MAIL_DIR", dir.path().join("mail").display().to_string()),
    ]);
    Config::from_lookup(|k| vars.get(k).cloned()).expect("test config")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app after `adjust` has changed the test configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_with_services(adjust, Services::default()).await
}

/// [`spawn_app_with`], with adjusted outside services (e.g. a mail worker
/// that retries within a test's patience).
pub async fn spawn_app_with_services(
    adjust: impl FnOnce(&mut Config),
    services: Services,
) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(&dir);
    adjust(&mut config);
    let (db_path, database_url) = match &config.database_url {
        DatabaseUrl::Sqlite(p) => (p.clone(), p.display().to_string()),
        DatabaseUrl::Postgres(url) => (PathBuf::new(), url.clone()),
    };
    let pool = taskgate::db::build_pool(&config).expect("test pool");
    let app = Application::build_with(config, services)
        .await
        .expect("app builds");
    let port = app.port();
    let metrics_port = app.metrics_port();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        db_path,
        database_url,
        pool,
        metrics_port,
        client: browser(),
        dir,
    }
}

/// A user signed up over the API, with its token pair.
#[derive(Debug, Clone)]
pub struct ApiUser {
    pub id: String,
    pub email: String,
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// POST JSON without credentials.
    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Any method with a Bearer token and an optional JSON body.
    pub async fn bearer(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut req = browser().request(method, self.url(path)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("request")
    }

    /// Signs up over the API and returns the user with its tokens.
    pub async fn api_signup(&self, email: &str) -> ApiUser {
        let res = self
            .post_json(
                "/api/auth/signup",
                &json!({ "email": email, "password": PASSWORD }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "signup {email}");
        let body: Value = res.json().await.expect("json");
        ApiUser {
            id: body["user"]["id"].as_str().expect("id").to_owned(),
            email: body["user"]["email"].as_str().expect("email").to_owned(),
            access: body["access_token"].as_str().expect("access").to_owned(),
            refresh: body["refresh_token"].as_str().expect("refresh").to_owned(),
        }
    }

    /// Creates a task over the API and returns its JSON.
    pub async fn api_create_task(&self, token: &str, title: &str) -> Value {
        let res = self
            .bearer(
                reqwest::Method::POST,
                "/api/tasks",
                token,
                Some(&json!({ "title": title })),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json().await.expect("json")
    }

    /// GETs a page with `client` and returns the CSRF token found in its form.
    pub async fn csrf_from(&self, client: &Client, path: &str) -> String {
        let html = client
            .get(self.url(path))
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("text");
        csrf_in(&html).unwrap_or_else(|| panic!("no csrf_token on {path}"))
    }

    /// Signs up through the HTML form with `client` (its jar then holds the auth cookies).
    pub async fn web_signup(&self, client: &Client, email: &str) -> Response {
        let csrf = self.csrf_from(client, "/signup").await;
        client
            .post(self.url("/signup"))
            .form(&[
                ("name", "Test"),
                ("email", email),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ])
            .send()
            .await
            .expect("post")
    }

    /// Signs in through the HTML form with `client`.
    pub async fn web_login(
        &self,
        client: &Client,
        email: &str,
        password: &str,
        next: Option<&str>,
    ) -> Response {
        let csrf = self.csrf_from(client, "/login").await;
        let mut form = vec![
            ("email", email),
            ("password", password),
            ("csrf_token", csrf.as_str()),
        ];
        if let Some(n) = next {
            form.push(("next", n));
        }
        client
            .post(self.url("/login"))
            .form(&form)
            .send()
            .await
            .expect("post")
    }
}

/// The value of the first `name="csrf_token"` hidden input in `html`.
pub fn csrf_in(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf_token\" value=\"")?;
    let rest = &html[at + "name=\"csrf_token\" value=\"".len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// Every `Set-Cookie` header of a response.
pub fn set_cookies(res: &Response) -> Vec<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

/// Path to the built binary, for tests that need real processes.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_taskgate")
}

/// A free loopback port (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A real `taskgate serve` process, killed when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub address: String,
    /// Every line the process has written to stderr (JSON log lines).
    pub logs: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ServerProcess {
    /// Starts the binary with test defaults plus `env` and waits for `/healthz`.
    /// It binds port 0 and the port is read from its "listening" log line, so
    /// parallel tests can never talk to each other's servers.
    pub async fn start(database_url: &str, env: &[(&str, &str)]) -> ServerProcess {
        let mut cmd = std::process::Command::new(binary());
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", database_url)
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("JWT_SECRET", TEST_SECRET)
            .env("COOKIE_SECURE", "false")
            .env("AUTH_RATE_LIMIT_PER_MIN", "0")
            .env("RUST_LOG", "info")
            .env("LOG_FORMAT", "json")
            // Not `data/mail` in the repository when DATABASE_URL is PostgreSQL.
            .env(
                "MAIL_DIR",
                std::env::temp_dir().join(format!("taskgate-test-mail-{}", uuid::Uuid::new_v4())),
            )
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn taskgate");
        let stderr = child.stderr.take().expect("stderr piped");
        let (tx, rx) = std::sync::mpsc::channel();
        let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = logs.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            // Keep draining after the port is found, or the child blocks on a full pipe.
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if let Some(port) = v["fields"]["port"].as_u64() {
                        let _ = tx.send(port);
                    }
                }
                sink.lock().expect("log sink").push(line);
            }
        });
        let port = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("taskgate printed no listening port");
        let server = ServerProcess {
            child,
            address: format!("http://127.0.0.1:{port}"),
            logs,
        };
        server.wait_healthy(Duration::from_secs(30)).await;
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Polls `/healthz` until it answers 200 (panics after `limit`).
    pub async fn wait_healthy(&self, limit: Duration) {
        let client = browser();
        let start = std::time::Instant::now();
        loop {
            if let Ok(r) = client.get(self.url("/healthz")).send().await {
                if r.status() == StatusCode::OK {
                    return;
                }
            }
            assert!(
                start.elapsed() < limit,
                "taskgate did not become healthy at {}",
                self.address
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The audit events logged so far, as JSON objects.
    pub fn audit_events(&self) -> Vec<Value> {
        self.logs
            .lock()
            .expect("log sink")
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["target"] == "audit")
            .collect()
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Prints a line past libtest's output capture, so a skipped check is
/// visible in every run, not only in failing ones.
pub fn notice(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

impl TestApp {
    /// Runs `f` on a connection to the app's database (arranging or inspecting rows).
    pub fn with_conn<T>(&self, f: impl FnOnce(&mut taskgate::db::AnyConnection) -> T) -> T {
        let mut conn = self.pool.get().expect("test connection");
        let pooled: &mut taskgate::db::connection::PooledConn = &mut conn;
        f(&mut pooled.inner)
    }
}

/// Polls `check` every 50 ms until it returns `Some`, or panics after `limit`.
pub async fn wait_until<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = std::time::Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The decoded JSON of a JWT's segment (0 header, 1 claims).
pub fn jwt_part(token: &str, index: usize) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(index).expect("a JWT segment");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// Personal access tokens (issue 12).
impl TestApp {
    /// Creates a personal access token over the API with a session's access
    /// token; returns its id and secret.
    pub async fn api_create_pat(&self, access: &str, scopes: &[&str]) -> (String, String) {
        let res = self
            .bearer(
                reqwest::Method::POST,
                "/api/auth/tokens",
                access,
                Some(&json!({ "name": "test token", "scopes": scopes })),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "create token");
        let body: Value = res.json().await.expect("json");
        (
            body["id"].as_str().expect("id").to_owned(),
            body["token"].as_str().expect("token").to_owned(),
        )
    }

    /// Runs one SQL statement on the app's database, for a state no request
    /// can make (a token that has expired); returns the rows it changed.
    pub fn execute_sql(&self, sql: &str) -> usize {
        use diesel::RunQueryDsl;
        self.with_conn(|conn| diesel::sql_query(sql).execute(conn).expect("sql"))
    }
}
