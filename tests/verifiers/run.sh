#!/usr/bin/env bash
# Proves that third-party verifiers accept taskgate's EdDSA tokens from its
# JWKS alone: writes a JWKS and three tokens (valid, expired, and one
# signed by another key under our kid) with the ignored
# unit test `write_verifier_fixtures`, serves the JWKS over loopback with
# python3 -m http.server, and runs PyJWT (verify.py) and Node jose
# (verify.mjs) on each token. Exits non-zero on any unexpected outcome.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."

fixtures=$(mktemp -d /tmp/taskgate-verifiers.XXXXXX)
VERIFIER_FIXTURES="$fixtures" cargo test -q --lib -- --ignored --exact \
  auth::signing::tests::write_verifier_fixtures >/dev/null

[ -d "$here/node_modules/jose" ] || (cd "$here" && npm ci --silent)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$fixtures" >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; rm -rf "$fixtures"' EXIT
for _ in $(seq 50); do
  python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/jwks.json')" 2>/dev/null && break
  sleep 0.1
done
url="http://127.0.0.1:$port/jwks.json"

failed=0
check() { # expected-exit name command...
  local want=$1 name=$2; shift 2
  local got=0 out
  out=$("$@" 2>&1) || got=$?
  if [ "$got" = "$want" ]; then echo "ok   $name (exit $got): $out"
  else echo "FAIL $name: exit $got, wanted $want: $out"; failed=1; fi
}
check 0 "PyJWT  valid  " /usr/bin/python3 "$here/verify.py" "$url" "$(cat "$fixtures/valid.jwt")"
check 1 "PyJWT  expired" /usr/bin/python3 "$here/verify.py" "$url" "$(cat "$fixtures/expired.jwt")"
check 1 "PyJWT  foreign" /usr/bin/python3 "$here/verify.py" "$url" "$(cat "$fixtures/foreign.jwt")"
check 0 "jose   valid  " node "$here/verify.mjs" "$url" "$(cat "$fixtures/valid.jwt")"
check 1 "jose   expired" node "$here/verify.mjs" "$url" "$(cat "$fixtures/expired.jwt")"
check 1 "jose   foreign" node "$here/verify.mjs" "$url" "$(cat "$fixtures/foreign.jwt")"
exit "$failed"
