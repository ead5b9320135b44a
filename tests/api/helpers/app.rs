//! `spawn_app` and friends: the real `Application` on port 0 with a fresh
//! database, and a pool of the test's own on that database.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::Client;
use taskgate::config::{Config, DatabaseUrl};
use taskgate::{Application, Services};
use tempfile::TempDir;

use super::database::{fresh_database_in, on_postgres};

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

/// A client without a cookie jar that does not follow redirects: it sends
/// exactly the cookies a test puts in its requests.
pub fn plain_client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// The engine under test, fresh for one test (see `database`): a PostgreSQL
/// database under `TEST_DATABASE_URL`, else a SQLite file in `dir`.
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
    fresh_database_in(dir.path(), "taskgate.db")
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

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Runs `f` on a connection to the app's database (arranging or inspecting rows).
    pub fn with_conn<T>(&self, f: impl FnOnce(&mut taskgate::db::AnyConnection) -> T) -> T {
        let mut conn = self.pool.get().expect("test connection");
        let pooled: &mut taskgate::db::connection::PooledConn = &mut conn;
        f(&mut pooled.inner)
    }

    /// Runs one SQL statement on the app's database, for a state no request
    /// can make (a token that has expired); returns the rows it changed.
    pub fn execute_sql(&self, sql: &str) -> usize {
        use diesel::RunQueryDsl;
        self.with_conn(|conn| diesel::sql_query(sql).execute(conn).expect("sql"))
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

/// Prints a line past libtest's output capture, so a skipped check is
/// visible in every run, not only in failing ones.
pub fn notice(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The decoded JSON of a JWT's segment (0 header, 1 claims).
pub fn jwt_part(token: &str, index: usize) -> serde_json::Value {
    use base64::Engine;
    let part = token.split('.').nth(index).expect("a JWT segment");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}
