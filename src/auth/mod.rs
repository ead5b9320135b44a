//! Everything security-sensitive: password hashing, tokens, the request
//! guard, CSRF, auth cookies, rate limits, and the account flows built from them.

pub mod audit;
pub mod client;
pub mod cookies;
pub mod csrf;
pub mod guard;
pub mod introspection;
pub mod limits;
pub mod passkeys;
pub mod password;
pub mod pat_token;
pub mod recovery_codes;
pub mod service;
pub mod signing;
pub mod tokens;
pub mod totp;

pub use guard::{ApiUser, Authenticated, MaybeUser, PageUser};
