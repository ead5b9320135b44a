ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_secret_sealed;
ALTER TABLE users DROP COLUMN totp_enabled;
ALTER TABLE users DROP COLUMN email_verified;
