-- Notifications (issue #11). The transactional outbox: a row is written in the same
-- transaction as the booking, cancellation or move that causes it, and a sender worker
-- delivers it. Everything that names the recipient (address, language, manage link,
-- the appointment as it was) is in `payload`, sealed with the practice key and bound to
-- the row; it is erased once the message went out or was dropped. The clear columns
-- hold only codes, ids and times.
CREATE TABLE outbox (
  practice_id     TEXT NOT NULL REFERENCES practices(id),
  id              TEXT NOT NULL,  -- random; the local part of the stable Message-ID
  kind            TEXT NOT NULL,  -- confirmation, reminder, cancellation, reschedule, practice_notice
  channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
  appointment_id  TEXT,
  payload         BLOB,
  state           TEXT NOT NULL
                  CHECK (state IN ('pending', 'sending', 'sent', 'dead', 'obsolete')),
  attempts        INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,  -- seconds since the epoch: not before
  lease_until     INTEGER,           -- while 'sending': another worker may take it after
  last_error      TEXT,              -- a code (smtp_550, connect, timeout, …), never text
  created_at      TEXT NOT NULL,
  finished_at     TEXT,
  PRIMARY KEY (practice_id, id)
) STRICT;
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_leased ON outbox(lease_until) WHERE state = 'sending';
CREATE INDEX outbox_state ON outbox(practice_id, state, created_at);
CREATE INDEX outbox_appointment ON outbox(practice_id, appointment_id)
  WHERE appointment_id IS NOT NULL;

-- Message templates a practice's owner edited (id: "<kind>.<language>"); the built-in
-- text applies where there is none.
CREATE TABLE notification_templates (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  id          TEXT NOT NULL,
  data        TEXT NOT NULL,
  active      INTEGER NOT NULL CHECK (active IN (0, 1)),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  version     INTEGER NOT NULL,
  PRIMARY KEY (practice_id, id)
) STRICT;
