-- Rate-limit buckets shared by every process on this database (README,
-- "Rate limits"). One row per GCRA bucket:
--   bucket: SHA-256 hex of the limited key ("ip:…", "account:…"), so an
--           attacker's long or odd keys cost 64 characters each, no more;
--   tat:    theoretical arrival time, unix microseconds. A row whose tat has
--           passed is a full bucket, the same as no row: housekeeping deletes it.
CREATE TABLE rate_limits (
    bucket TEXT NOT NULL PRIMARY KEY,
    tat BIGINT NOT NULL
);

CREATE INDEX rate_limits_tat ON rate_limits (tat);
