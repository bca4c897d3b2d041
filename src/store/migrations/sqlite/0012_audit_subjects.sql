-- Lists as one entry (issue #8, #6): a page of search results used to be one entry per
-- patient shown. It is now one entry whose `subjects` names every patient shown (space-
-- separated, covered by the leaf hash), and audit_subjects indexes those names so the
-- access report of one patient still finds every list that showed them. `praxis audit
-- verify` checks that audit_subjects holds exactly the subjects of the entries.
ALTER TABLE audit_entries ADD COLUMN subjects TEXT NOT NULL DEFAULT '';

CREATE TABLE audit_subjects (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  resource_id TEXT NOT NULL,
  seq         INTEGER NOT NULL CHECK (seq >= 0),
  PRIMARY KEY (practice_id, resource_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER audit_subjects_no_update BEFORE UPDATE ON audit_subjects
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_subjects_no_delete BEFORE DELETE ON audit_subjects
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
