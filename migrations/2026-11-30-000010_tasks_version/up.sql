-- Bumped by every write to the user's tasks, in the write's own transaction
-- (db::tasks), so a page of them remembered by a worker can be checked with
-- one small read, whichever process made the write.
ALTER TABLE users ADD COLUMN tasks_version BIGINT NOT NULL DEFAULT 0;
