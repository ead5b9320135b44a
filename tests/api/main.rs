//! Integration tests: the real app on a random port over HTTP, a fresh SQLite file per test.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod api_auth;
mod api_tasks;
mod audit;
mod cli;
mod diesel_cli;
mod eddsa;
mod helpers;
mod metrics;
mod openapi;
mod outage;
mod pages;
mod processes;
mod rate_limits;
mod refresh_grace;
mod review_input;
mod review_limits;
mod scale_out;
mod second_factor;
mod security;
mod smoke;
mod token_attacks;
mod verifiers;
