-- The refresh-reuse grace (REFRESH_REUSE_GRACE_SECS): a used token remembers
-- which token replaced it (by hash) and, for the grace window only, that
-- token sealed with a key derived from JWT_SECRET, so a second presentation
-- within the window gets the same successor instead of revoking the session.
ALTER TABLE refresh_tokens ADD COLUMN successor_hash TEXT;
ALTER TABLE refresh_tokens ADD COLUMN successor_sealed TEXT;
