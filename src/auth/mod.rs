//! Everything security-sensitive: password hashing, tokens, the request
//! guard, CSRF, auth cookies, and the account flows built from them.

pub mod client;
pub mod cookies;
pub mod csrf;
pub mod guard;
pub mod limits;
pub mod passkeys;
pub mod password;
pub mod service;
pub mod tokens;

pub use guard::{ApiUser, Authenticated, MaybeUser, PageUser};
