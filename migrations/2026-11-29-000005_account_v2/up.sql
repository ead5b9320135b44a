-- v2 account state on the user row: whether the address is proven, and the
-- TOTP second factor (secret sealed with a key derived from JWT_SECRET; the
-- last accepted time step, so a code is never accepted twice).
ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN totp_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN totp_secret_sealed TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
