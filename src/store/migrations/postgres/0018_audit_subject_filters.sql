-- The index of list entries; see the SQLite migration 0015 for the model.
CREATE TABLE audit_subject_filters (
  practice_id  TEXT NOT NULL REFERENCES practices(id),
  part         BIGINT NOT NULL CHECK (part >= 0 AND part < 32),
  blk          BIGINT NOT NULL,
  first_seq    BIGINT NOT NULL CHECK (first_seq >= 0),
  names        BYTEA NOT NULL CHECK (length(names) > 0 AND length(names) % 4 = 0),
  CHECK (blk = first_seq >> 10),
  PRIMARY KEY (practice_id, part, blk, first_seq)
);
CREATE TRIGGER audit_subject_filters_no_change BEFORE UPDATE OR DELETE ON audit_subject_filters
  FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();
ALTER TABLE audit_subject_filters ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_subject_filters FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON audit_subject_filters USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));

CREATE TABLE audit_subjects_until (
  practice_id TEXT PRIMARY KEY REFERENCES practices(id),
  seq         BIGINT NOT NULL CHECK (seq >= 0)
);
INSERT INTO audit_subjects_until(practice_id, seq) SELECT practice_id, size FROM audit_heads;
CREATE TRIGGER audit_subjects_until_no_change BEFORE UPDATE OR DELETE ON audit_subjects_until
  FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();
ALTER TABLE audit_subjects_until ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_subjects_until FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON audit_subjects_until USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
