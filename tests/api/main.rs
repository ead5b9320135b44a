//! Integration tests: the real app on a random port over HTTP, a fresh SQLite file per test.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod api_auth;
mod api_tasks;
mod cli;
mod helpers;
mod outage;
mod pages;
mod processes;
mod scale_out;
mod smoke;
mod token_attacks;
