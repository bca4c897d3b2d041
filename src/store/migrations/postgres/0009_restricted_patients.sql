-- Restricted records (issue #8, break-glass); see the SQLite migration of the same number.
ALTER TABLE patients ADD COLUMN restricted SMALLINT NOT NULL DEFAULT 0 CHECK (restricted IN (0, 1));
