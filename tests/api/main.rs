//! Integration tests: the real app on a random port over HTTP, a fresh SQLite file per test.

mod helpers;
mod smoke;
mod api_auth;
mod api_tasks;
mod token_attacks;
mod pages;
mod processes;
