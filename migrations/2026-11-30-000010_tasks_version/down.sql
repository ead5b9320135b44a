ALTER TABLE users DROP COLUMN tasks_version;
