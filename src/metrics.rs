//! Prometheus metrics for operators: counted always (an atomic add), served
//! only when `METRICS_ADDR` is set, on that separate listener — the public
//! listener has no `/metrics`.

use std::sync::OnceLock;

use actix_web::http::{Method, StatusCode};

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

/// Every metric taskgate exports.
pub struct Metrics {
    registry: Registry,
    /// Requests by route pattern, method and status.
    pub requests: IntCounterVec,
    /// Latency by route pattern, method and status, in seconds.
    pub latency: HistogramVec,
    pub signups: IntCounter,
    /// Sign-ins by outcome: success, failure, throttled, second_factor (a
    /// password accepted, a code asked for), email_not_verified.
    pub logins: IntCounterVec,
    /// Refreshes by outcome: rotated, repeated (within the grace), refused.
    pub refreshes: IntCounterVec,
    pub refresh_reuse: IntCounter,
    /// Requests refused by a rate limit, by which one: ip or account.
    pub rate_limited: IntCounterVec,
    /// Mail deliveries by status: sent, retry, failed.
    pub mails: IntCounterVec,
    pub second_factor_failures: IntCounter,
    /// Database connections checked out of this process's pool (at scrape).
    pub pool_in_use: IntGauge,
    /// Password hashes waiting for a turn (at scrape).
    pub hashes_waiting: IntGauge,
}

fn counter(registry: &Registry, name: &str, help: &str) -> IntCounter {
    let c =
        IntCounter::new(name, help).unwrap_or_else(|e| unreachable!("static metric {name}: {e}"));
    registry
        .register(Box::new(c.clone()))
        .unwrap_or_else(|e| unreachable!("{name}: {e}"));
    c
}

fn counter_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels)
        .unwrap_or_else(|e| unreachable!("static metric {name}: {e}"));
    registry
        .register(Box::new(c.clone()))
        .unwrap_or_else(|e| unreachable!("{name}: {e}"));
    c
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    let g = IntGauge::new(name, help).unwrap_or_else(|e| unreachable!("static metric {name}: {e}"));
    registry
        .register(Box::new(g.clone()))
        .unwrap_or_else(|e| unreachable!("{name}: {e}"));
    g
}

impl Metrics {
    fn new() -> Self {
        let registry = Registry::new_custom(Some("taskgate".into()), None)
            .unwrap_or_else(|e| unreachable!("registry: {e}"));
        let route = ["route", "method", "status"];
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "Request latency by route")
                .buckets(vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ]),
            &route,
        )
        .unwrap_or_else(|e| unreachable!("latency: {e}"));
        registry
            .register(Box::new(latency.clone()))
            .unwrap_or_else(|e| unreachable!("latency: {e}"));
        let metrics = Self {
            requests: counter_vec(
                &registry,
                "http_requests_total",
                "Requests by route",
                &route,
            ),
            latency,
            signups: counter(&registry, "signups_total", "Accounts created"),
            logins: counter_vec(
                &registry,
                "logins_total",
                "Sign-ins by outcome",
                &["outcome"],
            ),
            refreshes: counter_vec(
                &registry,
                "refreshes_total",
                "Refreshes by outcome",
                &["outcome"],
            ),
            refresh_reuse: counter(
                &registry,
                "refresh_token_reuse_total",
                "Refresh tokens replayed (sessions revoked)",
            ),
            rate_limited: counter_vec(
                &registry,
                "rate_limited_total",
                "Requests refused by a rate limit",
                &["limit"],
            ),
            mails: counter_vec(
                &registry,
                "mails_total",
                "Mail delivery attempts by status",
                &["status"],
            ),
            second_factor_failures: counter(
                &registry,
                "second_factor_failures_total",
                "Wrong second-factor codes",
            ),
            pool_in_use: gauge(
                &registry,
                "db_pool_connections_in_use",
                "Database connections in use",
            ),
            hashes_waiting: gauge(
                &registry,
                "password_hashes_waiting",
                "Password hashes waiting for a turn",
            ),
            registry,
        };
        // Every known label shows from the start (at 0), so dashboards and
        // alerts never meet a missing series.
        for (vec, labels) in [
            (
                &metrics.logins,
                &[
                    "success",
                    "failure",
                    "throttled",
                    "second_factor",
                    "email_not_verified",
                ][..],
            ),
            (&metrics.refreshes, &["rotated", "repeated", "refused"][..]),
            (&metrics.rate_limited, &["ip", "account"][..]),
            (&metrics.mails, &["sent", "retry", "failed"][..]),
        ] {
            for label in labels {
                vec.with_label_values(&[label]);
            }
        }
        metrics
    }

    /// The metrics in Prometheus's text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding our own registry into a Vec cannot fail.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// Counts one answered request and its latency (the request frame calls this
/// when `METRICS_ADDR` is set).
pub fn observe_request(route: &str, method: &Method, status: StatusCode, secs: f64) {
    let m = get();
    let labels = [route, method.as_str(), status.as_str()];
    m.requests.with_label_values(&labels).inc();
    m.latency.with_label_values(&labels).observe(secs);
}

/// The process's metrics.
pub fn get() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}
