-- The index of list entries (store::audit_fingerprint, store.hpp): one row per
-- transaction, block of entries and part, holding for every name its list entries in that
-- block give a 32-bit value (the patient's fingerprint and the entry's offset), sorted. It
-- replaces a row of audit_subjects per name shown, which was most of what the audit of a
-- search page cost the writer (issue #6). Append-only like the entries.
CREATE TABLE audit_subject_filters (
  practice_id  TEXT NOT NULL REFERENCES practices(id),
  part         INTEGER NOT NULL CHECK (part >= 0 AND part < 32),
  blk          INTEGER NOT NULL,
  first_seq    INTEGER NOT NULL CHECK (first_seq >= 0),
  names        BLOB NOT NULL CHECK (length(names) > 0 AND length(names) % 4 = 0),
  CHECK (blk = first_seq >> 10),
  PRIMARY KEY (practice_id, part, blk, first_seq)
) STRICT;
CREATE TRIGGER audit_subject_filters_no_update BEFORE UPDATE ON audit_subject_filters
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_subject_filters_no_delete BEFORE DELETE ON audit_subject_filters
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;

-- The entries a trail had before this migration keep their rows in audit_subjects (no
-- new rows are written there): below `seq`, its size then.
CREATE TABLE audit_subjects_until (
  practice_id TEXT PRIMARY KEY NOT NULL REFERENCES practices(id),
  seq         INTEGER NOT NULL CHECK (seq >= 0)
) STRICT;
INSERT INTO audit_subjects_until(practice_id, seq) SELECT practice_id, size FROM audit_heads;
CREATE TRIGGER audit_subjects_until_no_update BEFORE UPDATE ON audit_subjects_until
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_subjects_until_no_delete BEFORE DELETE ON audit_subjects_until
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
