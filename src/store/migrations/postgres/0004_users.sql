-- Staff accounts. Every user belongs to one practice; e-mail (lower-cased) is unique
-- across the server because it is the login name. Passwords are Argon2id hashes; the
-- TOTP secret is encrypted with the practice key. No patient data here.
CREATE TABLE users (
  id             TEXT PRIMARY KEY,
  practice_id    TEXT NOT NULL REFERENCES practices(id),
  email          TEXT NOT NULL UNIQUE,
  role           TEXT NOT NULL CHECK (role IN ('owner', 'physician', 'assistant', 'reception', 'auditor')),
  status         TEXT NOT NULL CHECK (status IN ('invited', 'active', 'disabled')),
  password_hash  TEXT,
  totp_secret    BYTEA,
  totp_last_step BIGINT,
  created_at     TEXT NOT NULL,
  version        INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)
);
CREATE INDEX users_practice ON users(practice_id);

-- One-time enrolment links: only the BLAKE2b hash of the token is stored.
CREATE TABLE enrolment_tokens (
  token_hash  BYTEA PRIMARY KEY,
  practice_id TEXT NOT NULL REFERENCES practices(id),
  user_id     TEXT NOT NULL REFERENCES users(id),
  expires_at  TEXT NOT NULL,
  used_at     TEXT
);
