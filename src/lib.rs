//! taskgate: an auth-and-data-isolation server. HTML forms with JWT cookies
//! for people, a Bearer JSON API for scripts, per-user tasks for both.
//!
//! Request path: `http::configure` (routes) → extractors (`auth::guard`,
//! `http::extract`) → handler in `http::pages` or `http::api` → `auth::service`
//! and `db::*` → `error` renders failures.

pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod mail;
pub mod maintenance;
pub mod metrics;

pub mod secrets;
pub mod state;
pub mod telemetry;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context;

use config::{Config, PublicUrl};
use secrets::ServerKeys;
use state::AppState;

/// A configured, migrated, bound server that has not started serving yet.
pub struct Application {
    port: u16,
    server: Server,
    /// The `/metrics` listener, when `METRICS_ADDR` is set.
    metrics: Option<(u16, Server)>,
    mail_worker: mail::WorkerHandle,
}

/// The outside services an application uses, for tests to adjust: how the
/// mail worker retries (the relay itself is whatever `SMTP_URL` names), and
/// the clock the second-factor flows read.
#[derive(Debug, Clone, Default)]
pub struct Services {
    pub mail_worker: mail::WorkerSettings,
    /// TOTP steps and mfa-token/WebAuthn-ceremony expiry (system clock by default).
    pub clock: clock::Clock,
}

impl Application {
    /// Resolves the secret, opens the database, runs migrations and binds the
    /// listener (port 0 picks a free port, which tests use).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with(config, Services::default()).await
    }

    /// [`Application::build`] with adjusted [`Services`].
    pub async fn build_with(config: Config, services: Services) -> anyhow::Result<Self> {
        let keys = ServerKeys::from_secret(&secrets::resolve(&config)?);
        let pool = db::build_pool(&config)?;
        let applied = db::run_migrations(&pool)?;
        if applied > 0 {
            tracing::info!(applied, "database migrations applied");
        }
        let listener = TcpListener::bind(&config.bind_addr)
            .with_context(|| format!("cannot listen on {}", config.bind_addr))?;
        let bound = listener.local_addr().context("listener has no address")?;
        let port = bound.port();
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| PublicUrl::for_bound(bound));
        let mut state = AppState::new(pool, config, keys, public_url)?;
        state.clock = services.clock;
        if let Err(why) = &state.passkeys {
            tracing::warn!(public_url = %state.public_url.as_str(), "passkeys are unavailable: {why}");
        }
        let state = web::Data::new(state);
        maintenance::spawn(state.clone());
        auth::tokens::keyring::spawn_refresher(state.clone());
        let mail_worker = mail::start_worker(&state, services.mail_worker)?;
        let metrics = http::metrics::serve(&state)?;
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .configure(|cfg| http::configure(cfg, &state))
                .wrap(http::frame::Frame)
        })
        .listen(listener)
        .context("cannot start the HTTP server")?
        .shutdown_timeout(30)
        .run();
        tracing::info!(port, "taskgate listening");
        Ok(Self {
            port,
            server,
            metrics,
            mail_worker,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the metrics listener, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// Serves until SIGINT or SIGTERM; in-flight requests finish first.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = match self.metrics {
            Some((_, metrics)) => {
                let metrics_handle = metrics.handle();
                tokio::spawn(metrics);
                let served = self.server.await;
                metrics_handle.stop(true).await;
                served
            }
            None => self.server.await,
        };
        self.mail_worker.shutdown().await;
        served
    }
}
