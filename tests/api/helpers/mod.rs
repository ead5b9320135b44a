//! The one test harness: the real app in-process (`spawn_app`, `TestApp`
//! with its own pool), ready users (`spawn_app().await.with_user().await`),
//! one helper per route the tests use often, shared assertions, real
//! processes (`ServerProcess`, `cli`), and fresh databases that PostgreSQL
//! runs drop when the test ends.
// The browser tests include this harness too and use only a little of it.
#![allow(dead_code, unused_imports)]

mod app;
mod assertions;
mod cookies;
mod database;
mod html;
mod process;
mod routes;

pub use app::*;
pub use assertions::*;
pub use cookies::*;
pub use database::{fresh_postgres_database, on_postgres};
pub use html::*;
pub use process::*;
pub use routes::*;
