//! The metrics listener (`METRICS_ADDR`): `GET /metrics` in Prometheus text,
//! on its own port so the public listener never serves it.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::Context;

use crate::metrics;
use crate::state::AppState;

/// Binds and builds the metrics server when `METRICS_ADDR` is set; returns its port.
pub fn serve(state: &web::Data<AppState>) -> anyhow::Result<Option<(u16, Server)>> {
    let Some(addr) = state.config.metrics_addr.clone() else {
        return Ok(None);
    };
    let listener = TcpListener::bind(&addr)
        .with_context(|| format!("METRICS_ADDR: cannot listen on {addr}"))?;
    let port = listener
        .local_addr()
        .context("metrics listener has no address")?
        .port();
    let state = state.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(scrape))
            .default_service(web::to(HttpResponse::NotFound))
    })
    .workers(1)
    .listen(listener)
    .context("cannot start the metrics server")?
    .disable_signals()
    .run();
    tracing::info!(metrics_port = port, "metrics listening");
    Ok(Some((port, server)))
}

/// The gauges are read at scrape time; the rest counts as it happens.
async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    let m = metrics::get();
    let pool = state.pool.state();
    m.pool_in_use.set(i64::from(
        pool.connections.saturating_sub(pool.idle_connections),
    ));
    m.hashes_waiting
        .set(i64::try_from(state.hasher.waiting()).unwrap_or(i64::MAX));
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(m.render())
}
