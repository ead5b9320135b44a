//! Interoperability, for real: a Python service (PyJWT's `PyJWKClient`) and a
//! Node service (`jose`'s `createRemoteJWKSet` + `jwtVerify`), each given only
//! taskgate's JWKS URL, issuer and audience, verify a token a running taskgate
//! issued — and both refuse it once a rotation has retired its key and the
//! token has expired. Needs Debian's python3-jwt + python3-cryptography and
//! `npm ci` in tests/verifiers (scripts/test and .ci/run see to both); without
//! them the test is SKIPPED, unless REQUIRE_VERIFIERS=1.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::*;

fn verifiers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/verifiers")
}

/// The two verifier commands, or why they cannot run here.
fn verifiers() -> Result<[(&'static str, Command); 2], String> {
    let dir = verifiers_dir();
    let python_ok = Command::new("/usr/bin/python3")
        .args(["-c", "import jwt, cryptography"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !python_ok {
        return Err("/usr/bin/python3 with python3-jwt and python3-cryptography".into());
    }
    if !dir.join("node_modules/jose").is_dir() {
        return Err("node with `npm ci` run in tests/verifiers".into());
    }
    let mut python = Command::new("/usr/bin/python3");
    python.arg(dir.join("verify.py"));
    let mut node = Command::new("node");
    node.arg(dir.join("verify.mjs"));
    Ok([("PyJWT", python), ("jose", node)])
}

fn run(cmd: &mut Command, jwks_url: &str, token: &str) -> (bool, String) {
    let out = cmd.arg(jwks_url).arg(token).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text.trim().to_owned())
}

#[tokio::test]
async fn python_and_node_verify_a_taskgate_token_and_refuse_it_once_its_key_is_retired() {
    if let Err(missing) = verifiers() {
        assert!(
            std::env::var("REQUIRE_VERIFIERS").as_deref() != Ok("1"),
            "REQUIRE_VERIFIERS=1 but this machine lacks {missing}"
        );
        notice(&format!(
            "SKIPPED: the JWT verifier interop test needs {missing}"
        ));
        return;
    }
    let app = spawn_app_with(|c| c.access_token_ttl = Duration::from_secs(8)).await;
    let user = app.api_signup("interop@example.com").await;
    let jwks_url = app.url("/.well-known/jwks.json");

    for (name, mut cmd) in verifiers().unwrap() {
        let (ok, said) = run(&mut cmd, &jwks_url, &user.access);
        assert!(ok, "{name} refused a fresh token: {said}");
        assert_eq!(said, user.id, "{name} printed the subject");
    }

    // Rotate, as an operator would after a suspected leak.
    let out = Command::new(binary())
        .args(["keys", "rotate"])
        .env_clear()
        .env("DATABASE_URL", &app.database_url)
        .env("JWT_SECRET", TEST_SECRET)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let old_kid = jwt_part(&user.access, 0)["kid"]
        .as_str()
        .unwrap()
        .to_owned();

    // The old key stays published until the last token it signed has expired
    // (8 s here, plus the 30 s leeway), then leaves the JWKS.
    let client = browser();
    wait_until(
        Duration::from_secs(60),
        "the retired key to leave the JWKS",
        || async {
            let keys: Value = client.get(&jwks_url).send().await.ok()?.json().await.ok()?;
            let kids: Vec<&str> = keys["keys"]
                .as_array()?
                .iter()
                .filter_map(|k| k["kid"].as_str())
                .collect();
            (!kids.is_empty() && !kids.contains(&old_kid.as_str())).then_some(())
        },
    )
    .await;
    for (name, mut cmd) in verifiers().unwrap() {
        let (ok, said) = run(&mut cmd, &jwks_url, &user.access);
        assert!(
            !ok,
            "{name} still accepted a token of a retired key: {said}"
        );
    }
}
