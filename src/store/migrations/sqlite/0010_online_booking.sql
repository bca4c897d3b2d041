-- Online booking (issue #7). A booking made on the public page is an appointment plus
-- this row: the reference the patient sees, the hash of the manage token (the token
-- itself is shown once and never stored), keyed hashes of the contact data for the
-- per-contact cap, and whether staff have reviewed it.
CREATE TABLE online_bookings (
  practice_id    TEXT NOT NULL REFERENCES practices(id),
  id             TEXT NOT NULL,
  appointment_id TEXT NOT NULL,
  token_hash     BLOB NOT NULL,
  phone_hash     INTEGER,
  email_hash     INTEGER,
  new_patient    INTEGER NOT NULL CHECK (new_patient IN (0, 1)),
  reviewed_at    TEXT,
  reviewed_by    TEXT,
  created_at     TEXT NOT NULL,
  PRIMARY KEY (practice_id, id),
  FOREIGN KEY (practice_id, appointment_id) REFERENCES appointments(practice_id, id)
) STRICT;
CREATE UNIQUE INDEX online_bookings_token ON online_bookings(token_hash);
CREATE UNIQUE INDEX online_bookings_appointment ON online_bookings(practice_id, appointment_id);
CREATE INDEX online_bookings_phone ON online_bookings(practice_id, phone_hash)
  WHERE phone_hash IS NOT NULL;
CREATE INDEX online_bookings_email ON online_bookings(practice_id, email_hash)
  WHERE email_hash IS NOT NULL;
CREATE INDEX online_bookings_unreviewed ON online_bookings(practice_id, created_at)
  WHERE reviewed_at IS NULL;

-- A retried booking POST with the same Idempotency-Key gets the first answer. The
-- answer holds the manage token, so it is sealed with the practice key.
CREATE TABLE idempotency_keys (
  practice_id  TEXT NOT NULL REFERENCES practices(id),
  key_hash     BLOB NOT NULL,
  request_hash BLOB NOT NULL,
  response     BLOB NOT NULL,
  expires_at   INTEGER NOT NULL,
  PRIMARY KEY (practice_id, key_hash)
) STRICT;
CREATE INDEX idempotency_keys_expiry ON idempotency_keys(expires_at);

-- Proof-of-work challenges already spent (single use until they expire anyway).
CREATE TABLE used_challenges (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  nonce       TEXT NOT NULL,
  expires_at  INTEGER NOT NULL,
  PRIMARY KEY (practice_id, nonce)
) STRICT;
CREATE INDEX used_challenges_expiry ON used_challenges(expires_at);

-- Why an appointment was cancelled (patient, practice, illness, other): a code, no text.
ALTER TABLE appointments ADD COLUMN cancel_reason TEXT;
