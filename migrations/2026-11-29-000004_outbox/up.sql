-- Mail leaves through this table: a request only inserts a
-- row; a background worker claims due rows, delivers them and records the outcome.
-- body_sealed holds the text body encrypted by the application (it may carry a
-- link with a token) and is set to NULL once the message is sent or given up.
CREATE TABLE outbox (
    id TEXT NOT NULL PRIMARY KEY,
    to_addr TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_sealed TEXT,
    carries_token BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_by TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);

-- The worker's claim query: due pending rows, oldest first.
CREATE INDEX outbox_status_due ON outbox (status, next_attempt_at);
-- The per-address limit on token-carrying mails.
CREATE INDEX outbox_to_addr_created ON outbox (to_addr, created_at);
