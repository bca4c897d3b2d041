-- Audit trail (issue #8); see the SQLite migration of the same number for the model.
CREATE TABLE audit_heads (
  practice_id TEXT NOT NULL PRIMARY KEY REFERENCES practices(id),
  size        BIGINT NOT NULL CHECK (size >= 0),
  root        BYTEA NOT NULL DEFAULT '\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'::bytea,  -- SHA-256 of nothing: the empty tree
  frontier    BYTEA NOT NULL DEFAULT ''::bytea,
  updated_at  TEXT NOT NULL
);

CREATE TABLE audit_entries (
  practice_id    TEXT NOT NULL REFERENCES practices(id),
  seq            BIGINT NOT NULL CHECK (seq >= 0),
  at             TEXT NOT NULL,
  actor_kind     TEXT NOT NULL,
  actor_id       TEXT NOT NULL,
  actor_role     TEXT NOT NULL,
  action         TEXT NOT NULL,
  resource_type  TEXT NOT NULL,
  resource_id    TEXT NOT NULL,
  purpose        TEXT NOT NULL,
  outcome        TEXT NOT NULL,
  request_id     TEXT NOT NULL,
  client         TEXT NOT NULL,
  break_glass_id TEXT NOT NULL,
  leaf           BYTEA NOT NULL,
  PRIMARY KEY (practice_id, seq)
);
CREATE INDEX audit_entries_resource ON audit_entries(practice_id, resource_type, resource_id, seq);
CREATE INDEX audit_entries_actor ON audit_entries(practice_id, actor_id, seq);

-- Append-only for praxis itself; `praxis audit verify` detects edits by anyone who
-- can drop the trigger.
CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit entries are append-only';
END;
$$;
CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries
  FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();

CREATE TABLE audit_nodes (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  level       INTEGER NOT NULL CHECK (level >= 1),
  idx         BIGINT NOT NULL CHECK (idx >= 0),
  hash        BYTEA NOT NULL,
  PRIMARY KEY (practice_id, level, idx)
);

CREATE TABLE audit_checkpoints (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  size        BIGINT NOT NULL CHECK (size >= 0),
  root        BYTEA NOT NULL,
  note        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (practice_id, size)
);

CREATE TABLE break_glass (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  id          TEXT NOT NULL,
  user_id     TEXT NOT NULL REFERENCES users(id),
  patient_id  TEXT NOT NULL,
  reason      BYTEA NOT NULL,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  reviewed_by TEXT,
  reviewed_at TEXT,
  PRIMARY KEY (practice_id, id)
);
CREATE INDEX break_glass_user ON break_glass(practice_id, user_id, patient_id, expires_at);
