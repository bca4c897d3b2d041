-- Audit trail (issue #8): one RFC 6962 Merkle tree per practice. audit_entries are the
-- leaves in order (seq = leaf index, from 0, without gaps) with their leaf hash;
-- audit_nodes keeps every complete subtree above the leaves, so proofs need O(log² n)
-- lookups; audit_heads is the current size, root and right edge ("frontier") of each
-- tree, locked by every append; audit_checkpoints are the signed tree heads.
-- No names, contact data or clinical text: ids, codes and a keyed hash of the address.
CREATE TABLE audit_heads (
  practice_id TEXT NOT NULL PRIMARY KEY REFERENCES practices(id),
  size        INTEGER NOT NULL CHECK (size >= 0),
  root        BLOB NOT NULL DEFAULT X'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',  -- SHA-256 of nothing: the empty tree
  frontier    BLOB NOT NULL DEFAULT X'',
  updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE audit_entries (
  practice_id    TEXT NOT NULL REFERENCES practices(id),
  seq            INTEGER NOT NULL CHECK (seq >= 0),
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
  leaf           BLOB NOT NULL,
  PRIMARY KEY (practice_id, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX audit_entries_resource ON audit_entries(practice_id, resource_type, resource_id, seq);
CREATE INDEX audit_entries_actor ON audit_entries(practice_id, actor_id, seq);

-- Append-only for praxis itself. Someone with the database file can drop these
-- triggers; `praxis audit verify` is what detects that kind of edit.
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;

CREATE TABLE audit_nodes (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  level       INTEGER NOT NULL CHECK (level >= 1),
  idx         INTEGER NOT NULL CHECK (idx >= 0),
  hash        BLOB NOT NULL,
  PRIMARY KEY (practice_id, level, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_checkpoints (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  size        INTEGER NOT NULL CHECK (size >= 0),
  root        BLOB NOT NULL,
  note        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (practice_id, size)
) STRICT, WITHOUT ROWID;

-- Break-glass grants: a user without patients.read opens one record for a stated
-- reason (sealed with the practice key: it may name clinical circumstances) for a
-- limited time; owners review them.
CREATE TABLE break_glass (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  id          TEXT NOT NULL,
  user_id     TEXT NOT NULL REFERENCES users(id),
  patient_id  TEXT NOT NULL,
  reason      BLOB NOT NULL,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  reviewed_by TEXT,
  reviewed_at TEXT,
  PRIMARY KEY (practice_id, id)
) STRICT;
CREATE INDEX break_glass_user ON break_glass(practice_id, user_id, patient_id, expires_at);
