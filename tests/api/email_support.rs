//! What the email tests share: the app wired to an in-test SMTP sink with a
//! mail worker that retries within a test's patience, reading what arrived,
//! and a direct line to the database for what a user cannot do (age a link).
#![allow(dead_code)]

use std::time::Duration;

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use taskgate::config::Config;
use taskgate::db::{self, AnyConnection};
use taskgate::mail::{RetryPolicy, WorkerSettings};
use taskgate::Services;
use tempfile::TempDir;

use crate::helpers::*;
use crate::smtp_sink::{Received, SmtpSink};

/// How long a test waits for a mail that should come.
pub const MAIL_WAIT: Duration = Duration::from_secs(15);

/// The app with its relay, its configuration and a pool on its database.
pub struct MailApp {
    pub app: TestApp,
    pub sink: SmtpSink,
    pub config: Config,
    pub pool: db::Pool,
    _dir: TempDir,
}

/// A worker that polls and retries every fraction of a second.
pub fn quick_worker() -> Services {
    Services {
        mail_worker: WorkerSettings {
            retry: RetryPolicy {
                first_delay: Duration::from_millis(200),
                factor: 1,
                max_delay: Duration::from_millis(200),
                max_attempts: 50,
            },
            lease: Duration::from_secs(20),
            idle_poll: Duration::from_millis(200),
        },
        ..Services::default()
    }
}

impl MailApp {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts the sink and the app (`SMTP_URL` pointing at the sink) after
    /// `adjust` has changed the configuration.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let sink = SmtpSink::start().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = test_config(&dir);
        config.smtp_url = Some(sink.url().into());
        adjust(&mut config);
        let wanted = config.clone();
        let app = spawn_app_with_services(|c| *c = wanted, quick_worker()).await;
        let pool = db::build_pool(&config).expect("pool");
        Self {
            app,
            sink,
            config,
            pool,
            _dir: dir,
        }
    }

    /// `DATABASE_URL` of the app, for the command line.
    pub fn database_url(&self) -> String {
        match &self.config.database_url {
            taskgate::config::DatabaseUrl::Sqlite(path) => path.display().to_string(),
            taskgate::config::DatabaseUrl::Postgres(url) => url.clone(),
        }
    }

    /// Runs `f` on the app's database.
    pub fn sql<T>(&self, f: impl FnOnce(&mut AnyConnection) -> T) -> T {
        let mut conn = self.pool.get().expect("connection");
        let conn: &mut db::connection::PooledConn = &mut conn;
        f(&mut conn.inner)
    }

    /// Every message received so far for `to`.
    pub fn mails_to(&self, to: &str) -> Vec<Received> {
        self.sink
            .messages()
            .into_iter()
            .filter(|m| m.rcpt_to.iter().any(|r| r == to))
            .collect()
    }

    /// Waits for the `n`th (1-based) message to `to` whose subject contains
    /// `subject`, and returns it.
    pub async fn nth_mail(&self, to: &str, subject: &str, n: usize) -> Received {
        let matching = |all: &[Received]| -> Vec<Received> {
            all.iter()
                .filter(|m| m.rcpt_to.iter().any(|r| r == to))
                .filter(|m| m.header("Subject").is_some_and(|s| s.contains(subject)))
                .cloned()
                .collect()
        };
        let all = self
            .sink
            .wait_for(|all| matching(all).len() >= n, MAIL_WAIT)
            .await;
        matching(&all).swap_remove(n - 1)
    }

    /// Waits for the first message to `to` with `subject` in its subject.
    pub async fn mail(&self, to: &str, subject: &str) -> Received {
        self.nth_mail(to, subject, 1).await
    }

    /// POST JSON with `token` as Bearer when given.
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut req = browser().post(self.app.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    /// POST without a body, with `token` as Bearer when given.
    pub async fn post_empty(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = browser().post(self.app.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    /// `POST /api/auth/password/forgot`, checked to be 202 `{}`.
    pub async fn forgot(&self, email: &str) {
        let res = self
            .post(
                "/api/auth/password/forgot",
                None,
                &json!({ "email": email }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        assert_eq!(res.json::<Value>().await.expect("json"), json!({}));
    }

    /// Asks for a reset and returns the token of the `n`th reset mail.
    pub async fn reset_token(&self, email: &str, n: usize) -> String {
        self.forgot(email).await;
        let mail = self.nth_mail(email, "Reset your password", n).await;
        mail.token("/reset-password").expect("a reset link")
    }

    /// The token of the sign-up's verification mail to `email`.
    pub async fn verify_token(&self, email: &str, n: usize) -> String {
        let mail = self.nth_mail(email, "Confirm your email address", n).await;
        mail.token("/verify-email").expect("a verification link")
    }

    /// `GET /api/auth/me` with `token`.
    pub async fn me(&self, token: &str) -> Response {
        self.app.me(token).await
    }

    /// Logs in over the API; returns the status and the body.
    pub async fn login(&self, email: &str, password: &str) -> (StatusCode, Value) {
        let res = self
            .post(
                "/api/auth/login",
                None,
                &json!({ "email": email, "password": password }),
            )
            .await;
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Rows of the outbox for `to`: (kind, status).
    pub fn outbox_for(&self, to: &str) -> Vec<(String, String)> {
        use diesel::prelude::*;
        use taskgate::db::schema::outbox;
        let to = to.to_owned();
        self.sql(move |conn| {
            outbox::table
                .filter(outbox::to_addr.eq(to))
                .order(outbox::created_at.asc())
                .select((outbox::kind, outbox::status))
                .load::<(String, String)>(conn)
                .expect("outbox rows")
        })
    }
}
