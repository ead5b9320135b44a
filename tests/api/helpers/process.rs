//! Real `taskgate` processes: `serve` (`ServerProcess`, killed when dropped)
//! and one-shot commands (`cli`). Each runs with a clean environment (only
//! what the test sets) from a folder without a `.env`.
//!
//! A server binds port 0 and the test reads the port from its "listening"
//! log line, so parallel tests never talk to each other's servers (a port
//! found free and then released could be taken before the server binds it).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use tempfile::TempDir;

use super::app::{browser, TEST_SECRET};

/// How long a debug build may take to migrate and answer `/healthz`.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Path to the built binary.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_taskgate")
}

/// `taskgate` (add the subcommand and its arguments) on `database_url`, with
/// the test secret, a clean environment and `RUST_LOG=warn`, run from the
/// system's temporary folder.
pub fn cli(database_url: &str) -> Command {
    let mut cmd = Command::new(binary());
    cmd.env_clear()
        .current_dir(std::env::temp_dir())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("JWT_SECRET", TEST_SECRET)
        .env("RUST_LOG", "warn");
    cmd
}

/// How to run `taskgate serve`: the database, the folder it runs in, and
/// the environment on top of the test defaults. Kept by the server, so it
/// can be started again the same way.
#[derive(Clone)]
pub struct Launch {
    database_url: String,
    dir: Option<PathBuf>,
    secret: bool,
    log_level: &'static str,
    env: Vec<(String, String)>,
    /// A folder for `MAIL_DIR` and the working directory when `dir` is not set.
    scratch: Arc<TempDir>,
}

impl Launch {
    pub fn new(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            dir: None,
            secret: true,
            log_level: "info",
            env: Vec::new(),
            scratch: Arc::new(tempfile::tempdir().expect("tempdir")),
        }
    }

    /// Runs in `dir` (the default is a fresh empty folder).
    pub fn dir(mut self, dir: &Path) -> Self {
        self.dir = Some(dir.to_owned());
        self
    }

    /// No `JWT_SECRET`: the process finds or makes its own.
    pub fn without_secret(mut self) -> Self {
        self.secret = false;
        self
    }

    pub fn log_level(mut self, level: &'static str) -> Self {
        self.log_level = level;
        self
    }

    /// One more variable (set after the defaults, so it wins).
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The command, without a subcommand and without stdio settings (the
    /// folder it runs in lives as long as this `Launch`).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(binary());
        cmd.env_clear()
            .current_dir(self.dir.as_deref().unwrap_or(self.scratch.path()))
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &self.database_url)
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("COOKIE_SECURE", "false")
            .env("AUTH_RATE_LIMIT_PER_MIN", "0")
            .env("RUST_LOG", self.log_level)
            // Not `data/mail` in the repository when DATABASE_URL is PostgreSQL.
            .env("MAIL_DIR", self.scratch.path().join("mail"));
        if self.secret {
            cmd.env("JWT_SECRET", TEST_SECRET);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Starts `taskgate serve` and waits until `/healthz` answers 200.
    pub async fn start(self) -> ServerProcess {
        let mut child = self
            .command()
            .arg("serve")
            // Read for the port; a test's own LOG_FORMAT would break that.
            .env("LOG_FORMAT", "json")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn taskgate");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        drain(
            child.stdout.take().expect("stdout piped"),
            stdout.clone(),
            None,
        );
        drain(
            child.stderr.take().expect("stderr piped"),
            logs.clone(),
            Some(tx),
        );
        let deadline = Instant::now() + START_TIMEOUT;
        let port = loop {
            if let Ok(port) = rx.recv_timeout(Duration::from_millis(100)) {
                break port;
            }
            if let Some(status) = child.try_wait().expect("try_wait") {
                let logs = logs.lock().expect("log sink").join("\n");
                panic!("taskgate exited early ({status}): {logs}");
            }
            assert!(
                Instant::now() < deadline,
                "taskgate printed no listening port"
            );
        };
        let server = ServerProcess {
            child,
            address: format!("http://127.0.0.1:{port}"),
            logs,
            stdout,
            launch: self,
        };
        server.wait_healthy(START_TIMEOUT).await;
        server
    }
}

/// Reads `from` line by line into `sink` until it closes (a full pipe would
/// block the child); sends the port of the "listening" log line to `port`.
fn drain(
    from: impl std::io::Read + Send + 'static,
    sink: Arc<Mutex<Vec<String>>>,
    port: Option<std::sync::mpsc::Sender<u16>>,
) {
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(from).lines().map_while(Result::ok) {
            if let (Some(tx), Ok(v)) = (&port, serde_json::from_str::<Value>(&line)) {
                if let Some(p) = v["fields"]["port"]
                    .as_u64()
                    .and_then(|p| u16::try_from(p).ok())
                {
                    let _ = tx.send(p);
                }
            }
            sink.lock().expect("log sink").push(line);
        }
    });
}

/// A running `taskgate serve`, killed (and reaped) when dropped.
pub struct ServerProcess {
    pub child: Child,
    pub address: String,
    /// Every line the process has written to stderr (JSON log lines).
    pub logs: Arc<Mutex<Vec<String>>>,
    /// Every line it has written to stdout.
    pub stdout: Arc<Mutex<Vec<String>>>,
    launch: Launch,
}

impl ServerProcess {
    /// Starts the binary with test defaults plus `env` and waits for `/healthz`.
    pub async fn start(database_url: &str, env: &[(&str, &str)]) -> ServerProcess {
        env.iter()
            .fold(Launch::new(database_url), |l, (k, v)| l.env(k, v))
            .start()
            .await
    }

    /// Another process started exactly as this one was (same database,
    /// folder and environment).
    pub async fn start_another(&self) -> ServerProcess {
        self.launch.clone().start().await
    }

    /// SIGKILL, then the same launch again: a crash and a restart.
    pub async fn crash_and_restart(mut self) -> ServerProcess {
        self.kill9();
        self.start_another().await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.address
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port")
    }

    /// Polls `/healthz` until it answers 200 (panics after `limit`).
    pub async fn wait_healthy(&self, limit: Duration) {
        let client = browser();
        let start = Instant::now();
        loop {
            if let Ok(r) = client.get(self.url("/healthz")).send().await {
                if r.status() == StatusCode::OK {
                    return;
                }
            }
            assert!(
                start.elapsed() < limit,
                "taskgate did not become healthy at {}: {}",
                self.address,
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Everything written to stderr so far, one line per log line.
    pub fn log_text(&self) -> String {
        self.logs.lock().expect("log sink").join("\n")
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

    /// Sends a signal (`"TERM"`, `"INT"`, …) with kill(1).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits for the process to exit by itself, up to `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
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

/// Runs `cmd` to completion (killing it after `timeout`); returns its
/// status and stderr.
pub fn run_to_exit(mut cmd: Command, timeout: Duration) -> (ExitStatus, String) {
    use std::io::Read;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("taskgate did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    (status, stderr)
}

/// A loopback port that was free a moment ago (bound, read, released), for
/// outside programs that cannot bind port 0 and report it (chromedriver).
/// Never for taskgate itself: another test could take the port in between.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
