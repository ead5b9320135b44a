-- Second factors: TOTP recovery codes, pending second steps, passkeys and WebAuthn ceremonies.
--
-- Recovery codes: only a SHA-256 of each code (80 random bits, so a fast hash
-- leaves nothing to brute-force); used_at is set by a conditional UPDATE, so
-- a code is accepted once even when two requests race with it.
CREATE TABLE recovery_codes (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX recovery_codes_user_id ON recovery_codes (user_id);

-- The second step of a two-factor login: a token (stored as its SHA-256) that
-- lives 5 minutes, is deleted when used, and dies after 5 wrong codes.
-- password_stamp is a SHA-256 of the password hash the first step checked:
-- a password change or reset in between kills the challenge.
CREATE TABLE mfa_challenges (
    token_hash TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_stamp TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX mfa_challenges_user_id ON mfa_challenges (user_id);

-- Passkeys (WebAuthn discoverable credentials). passkey is webauthn-rs's
-- Passkey as JSON (public key, counter, backup flags); counter mirrors the
-- signature counter it holds. credential_id (base64url) finds the passkey
-- and its owner at sign-in and is unique across all users.
CREATE TABLE passkeys (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    passkey TEXT NOT NULL,
    counter BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
CREATE UNIQUE INDEX passkeys_credential_id_key ON passkeys (credential_id);
CREATE INDEX passkeys_user_id ON passkeys (user_id);

-- Server-side state of a started WebAuthn ceremony (kind 'register' with the
-- user, or 'login' without one). Deleted in the same transaction that uses
-- it: webauthn-rs itself would accept the same answer twice.
CREATE TABLE webauthn_ceremonies (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX webauthn_ceremonies_expires_at ON webauthn_ceremonies (expires_at);
