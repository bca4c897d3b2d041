-- Restricted records (issue #8, break-glass): a patient an owner marks restricted (a
-- colleague, a public figure, a record kept under §630f BGB after an erasure request) is
-- read by other roles only through a break-glass grant with a stated reason.
ALTER TABLE patients ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0 CHECK (restricted IN (0, 1));
