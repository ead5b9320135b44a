//! Integration tests: the real app on a random port over HTTP, a fresh SQLite file per test.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod api_account;
mod api_cookies;
mod api_login;
mod api_sessions;
mod api_signup;
mod api_tasks;
mod audit;
mod cli;
mod diesel_cli;
mod eddsa;
mod email_change;
mod email_delivery;
mod email_reset;
mod email_support;
mod email_verify;
mod helpers;
mod metrics;
mod openapi;
mod outage;
mod pages_account;
mod pages_auth;
mod pages_cookies;
mod pages_csrf;
mod pages_security;
mod pages_tasks;
mod processes;
mod rate_limits;
mod refresh_grace;
mod review_input;
mod review_limits;
mod scale_journey;
mod scale_out;
mod second_factor;
mod security;
mod smoke;
mod smtp_sink;
mod token_attacks;
mod verifiers;
// Personal access tokens and introspection.
mod introspect;
mod pat_cli;
mod pat_pages;
mod pats;
