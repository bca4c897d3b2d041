-- The per-resource indexes of the trail by block of 1,024 entries (issue #8; the shift is
-- store::kAuditBlockBits). Their keys used to begin with the resource, whose ids are
-- random: every entry the audit journal moved touched one random page of each index, and
-- those pages were most of what a move wrote to the WAL. Keyed by (block of the entry,
-- resource), the rows of a move land in the last block's few pages. A lookup by resource
-- visits each block of the practice's trail once (one seek per 1,024 entries).
DROP INDEX audit_entries_resource;
CREATE INDEX audit_entries_resource ON audit_entries(practice_id, (seq >> 10), resource_id);

CREATE TABLE audit_subjects_by_block (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  blk         INTEGER NOT NULL,
  resource_id TEXT NOT NULL,
  seq         INTEGER NOT NULL CHECK (seq >= 0),
  CHECK (blk = seq >> 10),
  PRIMARY KEY (practice_id, blk, resource_id, seq)
) STRICT, WITHOUT ROWID;
INSERT INTO audit_subjects_by_block(practice_id, blk, resource_id, seq)
  SELECT practice_id, seq >> 10, resource_id, seq FROM audit_subjects
  ORDER BY practice_id, seq >> 10, resource_id, seq;
DROP TABLE audit_subjects;
ALTER TABLE audit_subjects_by_block RENAME TO audit_subjects;

CREATE TRIGGER audit_subjects_no_update BEFORE UPDATE ON audit_subjects
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_subjects_no_delete BEFORE DELETE ON audit_subjects
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
