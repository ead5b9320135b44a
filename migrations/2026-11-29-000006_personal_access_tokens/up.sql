-- Personal access tokens (contract section 7): long-lived, scoped credentials
-- for scripts. Only the SHA-256 of the token is stored (the token carries 256
-- random bits, so a fast hash is enough). A revoked token keeps its row
-- (revoked_at set) for 30 days, so presenting it is logged as use after
-- revocation rather than as an unknown token; housekeeping deletes it then.
-- scopes: space-separated, from tasks:read, tasks:write, introspect.
CREATE TABLE personal_access_tokens (
    id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE UNIQUE INDEX personal_access_tokens_token_hash_key ON personal_access_tokens (token_hash);
CREATE INDEX personal_access_tokens_user_id_idx ON personal_access_tokens (user_id, created_at);
