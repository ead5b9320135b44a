//! Logging: `tracing` with `RUST_LOG` (default `info`); `LOG_FORMAT=json` for JSON lines.
//! Nothing logs a password, a token or a secret: those types never print.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; call once, at start.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    // Colour only for a terminal: files and log shippers get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // Already installed (tests start many apps in one process): keep the first.
    drop(result);
}
