//! The reference a login is compared against: the CPU time of one Argon2id
//! hash at the contract's parameters (m = 19456 KiB, t = 2, p = 1), computed
//! with the same crate and build profile as the server, on one thread.
//!
//! `cargo bench --bench argon2_ref` prints one `ARGON2JSON {…}` line
//! (bench/run reads it). `ARGON2_REF_HASHES` sets how many hashes are timed.
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

fn main() {
    let hashes: u32 = std::env::var("ARGON2_REF_HASHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
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
    for _ in 0..hashes {
        hash_once();
    }
    let cpu = thread_cpu_ns() - cpu0;
    let wall = wall0.elapsed();
    let per = |total: f64| total / f64::from(hashes);
    println!(
        "ARGON2JSON {{\"hashes\":{hashes},\"cpu_ms_per_hash\":{:.3},\"wall_ms_per_hash\":{:.3}}}",
        per(cpu as f64 / 1e6),
        per(wall.as_secs_f64() * 1e3)
    );
}
