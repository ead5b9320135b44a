//! The reference a login is compared against: the CPU time of one Argon2id
//! hash at the contract's parameters (m = 19456 KiB, t = 2, p = 1), computed
//! with the same crate and build profile as the server.
//!
//! It is measured twice: on one thread alone, and on as many threads at once
//! as the server hashes concurrently (one per CPU, `Config::max_concurrent_hashes`),
//! because Argon2 is memory-bound and two hashes sharing the caches and the
//! memory bus each take more CPU than one alone: that is how a login's hash runs.
//!
//! `cargo bench --bench argon2_ref` prints one `ARGON2JSON {…}` line
//! (bench/run reads it). `ARGON2_REF_HASHES` sets how many hashes each thread times.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark may panic: that is how it fails

use std::time::Instant;

use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// CPU time this thread has run, in nanoseconds (first field of schedstat).
fn thread_cpu_ns() -> u64 {
    let raw = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    raw.split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .expect("schedstat runtime")
}

/// Hashes `n` times after two warm-up hashes; returns (CPU ms per hash, wall ms per hash).
fn hash_loop(n: u32) -> (f64, f64) {
    let argon2 = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19_456, 2, 1, Some(32)).expect("params"),
    );
    let hash_once = || {
        let salt = SaltString::generate(&mut OsRng);
        let hash = argon2
            .hash_password(b"a benchmark passphrase 42", &salt)
            .expect("hash");
        std::hint::black_box(hash.to_string());
    };
    for _ in 0..2 {
        hash_once(); // warm-up: first allocation of the 19 MiB block buffer
    }
    let (cpu0, wall0) = (thread_cpu_ns(), Instant::now());
    for _ in 0..n {
        hash_once();
    }
    let cpu = (thread_cpu_ns() - cpu0) as f64 / 1e6;
    let wall = wall0.elapsed().as_secs_f64() * 1e3;
    (cpu / f64::from(n), wall / f64::from(n))
}

fn main() {
    // Under `cargo test --all-targets` (no `--bench` argument): one hash, as a smoke run.
    let bench = std::env::args().any(|a| a == "--bench");
    let hashes: u32 = std::env::var("ARGON2_REF_HASHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|_| bench)
        .unwrap_or(if bench { 20 } else { 1 });
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (cpu, wall) = hash_loop(hashes);
    let parallel: Vec<(f64, f64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| s.spawn(|| hash_loop(hashes)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mean =
        |f: fn(&(f64, f64)) -> f64| parallel.iter().map(f).sum::<f64>() / parallel.len() as f64;
    println!(
        "ARGON2JSON {{\"hashes\":{hashes},\"cpu_ms_per_hash\":{cpu:.3},\"wall_ms_per_hash\":{wall:.3},\
         \"parallel_threads\":{threads},\"parallel_cpu_ms_per_hash\":{:.3},\"parallel_wall_ms_per_hash\":{:.3}}}",
        mean(|p| p.0),
        mean(|p| p.1)
    );
}
