//! Micro-benchmarks of the request guard (BENCHMARKS.md):
//!
//! - `hs256_verify` / `hs256_verify_tampered`: access-token verification alone
//!   with `JWT_ALG=HS256` (signature + strict claims), a good and a bad signature;
//! - `eddsa_verify_cold`: the same with `JWT_ALG=EdDSA` (the default) for a
//!   token this thread has not verified yet: a full Ed25519 check (each call
//!   takes the next of 5000 distinct tokens, more than the per-thread memory
//!   of verified tokens holds, so none is remembered when it comes round again);
//! - `eddsa_verify_warm`: the same token again, answered from that memory;
//! - `eddsa_verify_tampered`: a bad signature (never remembered: always a full check);
//! - `check_access_warm`: the full guard (EdDSA), verification plus the
//!   session check, warm (a real session in a temporary SQLite file, the same
//!   pool and blocking thread pool a server worker uses): mostly answered by
//!   the two per-thread caches, with a database read once a second;
//! - `check_access_db`: the same with the session cache made useless before each call
//!   (`session_cache::note_local_change`, what a local revocation does), so every
//!   call reads the session row on the blocking pool.
//!
//! `cargo bench --bench guard` runs criterion (mean/median), then times
//! `GUARD_SAMPLES` (default 20000) single calls of each and prints p50/p90/p99/p99.9,
//! which criterion does not report. `GUARD_SAMPLES_ONLY=1` skips criterion.
//! Under `cargo test --all-targets` (no `--bench` argument) it only checks
//! that each measured call works, a few times.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark may panic: that is how it fails

use std::hint::black_box;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use criterion::Criterion;
use taskgate::auth::client::ClientInfo;
use taskgate::auth::guard::{check_access, Via};
use taskgate::auth::service::{self, Signup};
use taskgate::config::Config;
use taskgate::state::AppState;

/// Distinct EdDSA tokens for `eddsa_verify_cold`: more than the 4096 a
/// thread remembers, so a token is never remembered when its turn comes again.
const COLD_TOKENS: usize = 5000;

struct Fixture {
    _dir: tempfile::TempDir,
    /// `JWT_ALG=EdDSA` (the default), as a server runs.
    state: AppState,
    token: String,
    tampered: String,
    /// Tokens of the same session, each verified for the first time when used.
    cold: Vec<String>,
    /// `JWT_ALG=HS256` on the same database, and a token of the same session.
    hs256: AppState,
    hs256_token: String,
    hs256_tampered: String,
    rt: tokio::runtime::Runtime,
}

fn state(db: &str, alg: &str) -> AppState {
    let config = Config::from_lookup(|key| match key {
        "DATABASE_URL" => Some(db.to_owned()),
        "JWT_SECRET" => Some("guard-benchmark-secret-guard-benchmark-secret".into()),
        "JWT_ALG" => Some(alg.to_owned()),
        _ => None,
    })
    .unwrap();
    let pool = taskgate::db::build_pool(&config).unwrap();
    taskgate::db::run_migrations(&pool).unwrap();
    AppState::with_pool(pool, config).unwrap()
}

/// The token with one signature character changed.
fn tamper(token: &str) -> String {
    let mut tampered = token.to_owned().into_bytes();
    let i = tampered.len() - 10;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(tampered).unwrap()
}

/// A migrated temporary SQLite database with one user and one live session.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("guard.db").display().to_string();
    let state = state(&db, "EdDSA");
    // Like an actix worker: a current-thread runtime whose blocking pool runs Diesel.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = ClientInfo {
        ip: IpAddr::from([127, 0, 0, 1]),
        user_agent: Some("guard-bench".into()),
        deferred_ip: None,
    };
    let signup = Signup::parse("guard@example.com", "a benchmark passphrase 42".into(), "")
        .map_err(|e| format!("{e:?}"))
        .unwrap();
    let issued = rt
        .block_on(service::signup(&state, signup, &client))
        .unwrap();
    let service::SignupOutcome::Signed(issued) = issued else {
        panic!("REQUIRE_VERIFIED_EMAIL is off in this benchmark");
    };
    let token = issued.access_token;
    let tampered = tamper(&token);
    assert!(state.tokens.verify(&token).is_some());
    assert!(state.tokens.verify(&tampered).is_none());
    assert!(rt
        .block_on(check_access(&state, &token, Via::Bearer))
        .is_ok());
    let (user, session) = (issued.user.id, issued.session_id);
    let cold: Vec<String> = (0..COLD_TOKENS)
        .map(|_| state.tokens.issue(user, session).unwrap())
        .collect();
    let hs256 = self::state(&db, "HS256");
    let hs256_token = hs256.tokens.issue(user, session).unwrap();
    let hs256_tampered = tamper(&hs256_token);
    assert!(hs256.tokens.verify(&hs256_token).is_some());
    assert!(hs256.tokens.verify(&hs256_tampered).is_none());
    assert!(
        hs256.tokens.verify(&token).is_none(),
        "no algorithm confusion"
    );
    Fixture {
        _dir: dir,
        state,
        token,
        tampered,
        cold,
        hs256,
        hs256_token,
        hs256_tampered,
        rt,
    }
}

/// Cycles through the cold tokens.
struct Cold<'a> {
    tokens: &'a [String],
    next: usize,
}

impl<'a> Cold<'a> {
    fn new(tokens: &'a [String]) -> Self {
        Self { tokens, next: 0 }
    }

    fn token(&mut self) -> &'a str {
        let t = &self.tokens[self.next];
        self.next = (self.next + 1) % self.tokens.len();
        t
    }
}

fn criterion_benches(c: &mut Criterion, f: &Fixture) {
    let mut group = c.benchmark_group("guard");
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("hs256_verify", |b| {
        b.iter(|| black_box(f.hs256.tokens.verify(black_box(&f.hs256_token))))
    });
    group.bench_function("hs256_verify_tampered", |b| {
        b.iter(|| black_box(f.hs256.tokens.verify(black_box(&f.hs256_tampered))))
    });
    let mut cold = Cold::new(&f.cold);
    group.bench_function("eddsa_verify_cold", |b| {
        b.iter(|| black_box(f.state.tokens.verify(black_box(cold.token()))))
    });
    group.bench_function("eddsa_verify_warm", |b| {
        b.iter(|| black_box(f.state.tokens.verify(black_box(&f.token))))
    });
    group.bench_function("eddsa_verify_tampered", |b| {
        b.iter(|| black_box(f.state.tokens.verify(black_box(&f.tampered))))
    });
    group.bench_function("check_access_warm", |b| {
        b.iter(|| {
            f.rt.block_on(check_access(&f.state, black_box(&f.token), Via::Bearer))
                .unwrap()
        })
    });
    group.bench_function("check_access_db", |b| {
        b.iter(|| {
            taskgate::db::session_cache::note_local_change();
            f.rt.block_on(check_access(&f.state, black_box(&f.token), Via::Bearer))
                .unwrap()
        })
    });
    group.finish();
}

/// Times `n` single calls and returns the sorted durations in nanoseconds.
fn sample(n: usize, mut call: impl FnMut()) -> Vec<u64> {
    for _ in 0..n / 10 {
        call(); // warm-up
    }
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        call();
        out.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }
    out.sort_unstable();
    out
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p / 100.0).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn report(name: &str, sorted: &[u64]) -> String {
    let mean = sorted.iter().sum::<u64>() as f64 / sorted.len() as f64 / 1000.0;
    println!(
        "{name:<22} n={:<6} mean {mean:8.2} µs  p50 {:8.2} µs  p90 {:8.2} µs  p99 {:8.2} µs  p99.9 {:8.2} µs  max {:9.2} µs",
        sorted.len(),
        pct(sorted, 50.0),
        pct(sorted, 90.0),
        pct(sorted, 99.0),
        pct(sorted, 99.9),
        sorted[sorted.len() - 1] as f64 / 1000.0,
    );
    format!(
        "\"{name}\":{{\"n\":{},\"mean_us\":{mean:.2},\"p50_us\":{:.2},\"p90_us\":{:.2},\"p99_us\":{:.2},\"p999_us\":{:.2}}}",
        sorted.len(),
        pct(sorted, 50.0),
        pct(sorted, 90.0),
        pct(sorted, 99.0),
        pct(sorted, 99.9)
    )
}

fn main() {
    let f = fixture();
    if !std::env::args().any(|a| a == "--bench") {
        // `cargo test --all-targets`: a smoke run, not a measurement.
        for i in 0..3 {
            assert!(f.state.tokens.verify(&f.token).is_some());
            assert!(f.state.tokens.verify(&f.cold[i]).is_some());
            assert!(f.state.tokens.verify(&f.tampered).is_none());
            assert!(f.hs256.tokens.verify(&f.hs256_token).is_some());
            assert!(f.hs256.tokens.verify(&f.hs256_tampered).is_none());
            taskgate::db::session_cache::note_local_change();
            f.rt.block_on(check_access(&f.state, &f.token, Via::Bearer))
                .unwrap();
        }
        return;
    }
    if std::env::var_os("GUARD_SAMPLES_ONLY").is_none() {
        let mut c = Criterion::default().configure_from_args();
        criterion_benches(&mut c, &f);
        c.final_summary();
    }
    let n: usize = std::env::var("GUARD_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    println!(
        "\nsingle-call latency ({n} calls each, after {} warm-up calls):",
        n / 10
    );
    let hs256 = sample(n, || {
        black_box(f.hs256.tokens.verify(black_box(&f.hs256_token)));
    });
    let hs256_tampered = sample(n, || {
        black_box(f.hs256.tokens.verify(black_box(&f.hs256_tampered)));
    });
    let mut cold = Cold::new(&f.cold);
    let eddsa_cold = sample(n / 4, || {
        black_box(f.state.tokens.verify(black_box(cold.token())));
    });
    let eddsa_warm = sample(n, || {
        black_box(f.state.tokens.verify(black_box(&f.token)));
    });
    let eddsa_tampered = sample(n / 4, || {
        black_box(f.state.tokens.verify(black_box(&f.tampered)));
    });
    let guard = sample(n, || {
        f.rt.block_on(check_access(&f.state, black_box(&f.token), Via::Bearer))
            .unwrap();
    });
    let db_read = sample(n / 4, || {
        taskgate::db::session_cache::note_local_change();
        f.rt.block_on(check_access(&f.state, black_box(&f.token), Via::Bearer))
            .unwrap();
    });
    let parts = [
        report("hs256_verify", &hs256),
        report("hs256_verify_tampered", &hs256_tampered),
        report("eddsa_verify_cold", &eddsa_cold),
        report("eddsa_verify_warm", &eddsa_warm),
        report("eddsa_verify_tampered", &eddsa_tampered),
        report("check_access_warm", &guard),
        report("check_access_db", &db_read),
    ];
    println!("GUARDJSON {{{}}}", parts.join(","));
}
