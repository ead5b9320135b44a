#!/usr/bin/python3
"""Verify a taskgate access token as a Python service would: PyJWT with the
JWKS URL, issuer and audience, and nothing else.

Usage: verify.py <jwks_url> <token>
Prints the token's `sub` and exits 0 when it verifies; otherwise prints the
reason on stderr and exits 1. Runs with Debian's python3-jwt (2.6) and
python3-cryptography, or PyPI `pyjwt[crypto]`.
"""

import sys

import jwt


def main(argv):
    if len(argv) != 3:
        print("usage: verify.py <jwks_url> <token>", file=sys.stderr)
        return 1
    jwks_url, token = argv[1], argv[2]
    try:
        key = jwt.PyJWKClient(jwks_url).get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=["EdDSA"],
            audience="taskgate",
            issuer="taskgate",
        )
    except Exception as e:  # any failure is a refusal, with its reason
        print(f"refused: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(claims["sub"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
