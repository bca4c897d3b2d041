-- The per-resource indexes of the trail by block of 1,024 entries; see the SQLite
-- migration 0014 for why.
DROP INDEX audit_entries_resource;
CREATE INDEX audit_entries_resource ON audit_entries(practice_id, (seq >> 10), resource_id);

ALTER TABLE audit_subjects DISABLE TRIGGER audit_subjects_no_change;
ALTER TABLE audit_subjects ADD COLUMN blk BIGINT;
UPDATE audit_subjects SET blk = seq >> 10;
ALTER TABLE audit_subjects ALTER COLUMN blk SET NOT NULL;
ALTER TABLE audit_subjects ADD CONSTRAINT audit_subjects_blk CHECK (blk = seq >> 10);
ALTER TABLE audit_subjects DROP CONSTRAINT audit_subjects_pkey;
ALTER TABLE audit_subjects ADD PRIMARY KEY (practice_id, blk, resource_id, seq);
ALTER TABLE audit_subjects ENABLE TRIGGER audit_subjects_no_change;
