//! The diesel CLI and the embedded runner apply the same `migrations/` and
//! recognise each other's bookkeeping; `diesel print-schema` matches the
//! committed `src/db/schema.rs`. Runs on the engine under test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::helpers::*;

fn diesel_cli() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain(std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo/bin")))
        .map(|dir| dir.join("diesel"))
        .find(|p| p.is_file())
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the CLI from a scratch folder (so it neither finds nor rewrites the
/// repository's diesel.toml target) against `url`.
fn diesel(cli: &Path, url: &str, args: &[&str], cwd: &Path) -> Output {
    let out = Command::new(cli)
        .args(args)
        .env("DATABASE_URL", url)
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "diesel {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn taskgate_migrate(url: &str) -> String {
    let out = Command::new(binary())
        .arg("migrate")
        .env_clear()
        .env("DATABASE_URL", url)
        .env("JWT_SECRET", TEST_SECRET)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn the_diesel_cli_and_the_binary_apply_the_same_migrations() {
    let Some(cli) = diesel_cli() else {
        assert!(
            std::env::var("REQUIRE_DIESEL_CLI").is_err(),
            "REQUIRE_DIESEL_CLI is set but no diesel CLI is installed"
        );
        notice("SKIPPED: diesel CLI not installed (cargo install diesel_cli --no-default-features --features \"sqlite-bundled postgres-bundled\")");
        return;
    };
    let migrations = repo().join("migrations");
    let migrations = migrations.to_str().unwrap();

    // CLI first: the binary then finds nothing to do and serves.
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(&dir);
    diesel(
        &cli,
        &url,
        &["migration", "run", "--migration-dir", migrations],
        dir.path(),
    );
    assert!(taskgate_migrate(&url).contains("migrations applied: 0"));
    let server = ServerProcess::start(&url, &[]).await;
    let ready = browser().get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), reqwest::StatusCode::OK);

    // The schema the CLI prints from that database is the committed one.
    let printed = diesel(&cli, &url, &["print-schema"], dir.path());
    let committed = std::fs::read_to_string(repo().join("src/db/schema.rs")).unwrap();
    // PostgreSQL names INTEGER and BIGINT `Int4` and `Int8`: Diesel's aliases
    // of `Integer` and `BigInt`, the names SQLite prints. The same schema.
    let printed = String::from_utf8_lossy(&printed.stdout)
        .replace("-> Int4", "-> Integer")
        .replace("-> Int8", "-> BigInt")
        .replace("Nullable<Int4>", "Nullable<Integer>")
        .replace("Nullable<Int8>", "Nullable<BigInt>");
    assert_eq!(
        printed.trim(),
        committed.trim(),
        "src/db/schema.rs drifted from the migrations"
    );

    // Binary first: the CLI then finds nothing pending.
    let dir2 = tempfile::tempdir().unwrap();
    let url2 = fresh_database_url(&dir2);
    let all = std::fs::read_dir(repo().join("migrations"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    assert!(taskgate_migrate(&url2).contains(&format!("migrations applied: {all}")));
    let pending = diesel(
        &cli,
        &url2,
        &["migration", "pending", "--migration-dir", migrations],
        dir2.path(),
    );
    assert_eq!(String::from_utf8_lossy(&pending.stdout).trim(), "false");
}
