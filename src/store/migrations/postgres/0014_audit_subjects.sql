-- Lists as one entry; see the SQLite migration 0012 for the model.
ALTER TABLE audit_entries ADD COLUMN subjects TEXT NOT NULL DEFAULT '';

CREATE TABLE audit_subjects (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  resource_id TEXT NOT NULL,
  seq         BIGINT NOT NULL CHECK (seq >= 0),
  PRIMARY KEY (practice_id, resource_id, seq)
);
CREATE TRIGGER audit_subjects_no_change BEFORE UPDATE OR DELETE ON audit_subjects
  FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();

ALTER TABLE audit_subjects ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_subjects FORCE ROW LEVEL SECURITY;
CREATE POLICY practice_scope ON audit_subjects USING (praxis_visible(practice_id)) WITH CHECK (praxis_visible(practice_id));
