-- Staff access (issue #5): display names, the two-step enrolment, recovery codes,
-- sessions and API tokens. Tokens and codes are stored only as BLAKE2b hashes.
-- New practice-owned tables lead their primary key with practice_id (DESIGN.md §4).
ALTER TABLE practices ADD COLUMN reception_second_factor_optional INTEGER NOT NULL DEFAULT 0
  CHECK (reception_second_factor_optional IN (0, 1));
ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE enrolment_tokens ADD COLUMN enrolled_at TEXT;
ALTER TABLE enrolment_tokens ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX enrolment_tokens_user ON enrolment_tokens(practice_id, user_id);

CREATE TABLE recovery_codes (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  user_id     TEXT NOT NULL REFERENCES users(id),
  code_hash   BLOB NOT NULL,
  used_at     TEXT,
  PRIMARY KEY (practice_id, user_id, code_hash)
) STRICT, WITHOUT ROWID;

CREATE TABLE sessions (
  practice_id  TEXT NOT NULL REFERENCES practices(id),
  id           TEXT NOT NULL,
  user_id      TEXT NOT NULL REFERENCES users(id),
  token_hash   BLOB NOT NULL UNIQUE,
  csrf_hash    BLOB NOT NULL,
  created_at   TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  client       TEXT NOT NULL DEFAULT '',
  revoked_at   TEXT,
  PRIMARY KEY (practice_id, id)
) STRICT;
CREATE INDEX sessions_user ON sessions(practice_id, user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);

CREATE TABLE api_tokens (
  practice_id  TEXT NOT NULL REFERENCES practices(id),
  id           TEXT NOT NULL,
  name         TEXT NOT NULL,
  created_by   TEXT NOT NULL REFERENCES users(id),
  token_hash   BLOB NOT NULL UNIQUE,
  permissions  TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at   TEXT,
  PRIMARY KEY (practice_id, id)
) STRICT;
