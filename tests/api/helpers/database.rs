//! Fresh databases for tests, and their removal.
//!
//! The engine under test is PostgreSQL when `TEST_DATABASE_URL` is set
//! (scripts/test sets it for its second run), else SQLite. Each test gets a
//! database of its own: a file in the test's temporary folder, or a new
//! PostgreSQL database. A PostgreSQL database made here is dropped (`DROP
//! DATABASE … WITH (FORCE)`, which also ends connections a server still
//! holds) when the thread that made it ends: libtest runs each test on a
//! thread of its own and joins it, so that is when the test ends, passed or
//! panicked.
//!
//! Also compiled into the library's mail tests (`src/mail/tests/mod.rs`), so
//! it uses nothing from the rest of the harness.

use std::cell::RefCell;
use std::path::Path;

use diesel::{Connection, PgConnection, RunQueryDsl};

/// True when this run is against PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty())
}

/// A new, empty database for one test: `file_name` in `dir` on SQLite, a new
/// PostgreSQL database (dropped when the test ends) under `TEST_DATABASE_URL`.
pub fn fresh_database_in(dir: &Path, file_name: &str) -> String {
    if on_postgres() {
        let base = std::env::var("TEST_DATABASE_URL").unwrap_or_default();
        fresh_postgres_database(&base)
    } else {
        dir.join(file_name).display().to_string()
    }
}

/// Creates an empty database on the server `base` points at and returns its
/// URL; it is dropped when the current test ends.
pub fn fresh_postgres_database(base: &str) -> String {
    let name = format!("tg_{}", uuid::Uuid::new_v4().simple());
    let mut conn =
        PgConnection::establish(base).expect("TEST_DATABASE_URL must accept connections");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .expect("CREATE DATABASE");
    CREATED.with(|created| {
        created.borrow_mut().0.push(Created {
            server: base.to_owned(),
            name: name.clone(),
        })
    });
    let (server, _) = base
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL ends in /dbname");
    format!("{server}/{name}")
}

/// A database this thread made, and the URL it was made through.
struct Created {
    server: String,
    name: String,
}

/// The databases the current test made; dropping it drops them.
#[derive(Default)]
struct DropOnExit(Vec<Created>);

impl Drop for DropOnExit {
    fn drop(&mut self) {
        for Created { server, name } in self.0.drain(..) {
            // A server a test stopped itself (outage tests) is simply gone.
            if let Ok(mut conn) = PgConnection::establish(&server) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn);
            }
        }
    }
}

thread_local! {
    static CREATED: RefCell<DropOnExit> = RefCell::new(DropOnExit::default());
}
