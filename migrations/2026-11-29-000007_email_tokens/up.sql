-- Single-use links sent by mail (contract section 8): verify an address,
-- reset a password, confirm an email change. Only a SHA-256 hash of each
-- token is stored. A token is bound to one user and one purpose (and, for a
-- change, to the new address and the session that asked for it); used_at is
-- set when it is used, and also when a newer token of the same purpose
-- supersedes it, so "still valid" is one condition: used_at IS NULL and
-- expires_at in the future.
CREATE TABLE email_tokens (
    token_hash TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    new_email TEXT,
    session_id TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

-- Superseding: the unused tokens of one purpose for one user.
CREATE INDEX email_tokens_user_purpose ON email_tokens (user_id, purpose);
