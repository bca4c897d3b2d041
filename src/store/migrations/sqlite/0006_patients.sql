-- Patients (issue #6). The record is one field ciphertext (XChaCha20-Poly1305 under the
-- patient's own key, AAD bound to practice, table, column and id); the patient key is
-- stored wrapped by the practice key. In clear: ids, status, timestamps, version.
CREATE TABLE patients (
  practice_id     TEXT NOT NULL REFERENCES practices(id),
  id              TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('active', 'new', 'merged', 'deleted')),
  key_id          INTEGER NOT NULL,
  key_version     INTEGER NOT NULL,
  wrapping_key_id INTEGER NOT NULL,
  sealed_key      BLOB NOT NULL,
  record          BLOB NOT NULL,
  merged_into     TEXT,
  deleted_at      TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  version         INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  PRIMARY KEY (practice_id, id)
) STRICT;

-- Blind indexes: keyed, truncated hashes of normalised tokens (kind says which column
-- they come from: surname, prefix, phonetic code, birth date, phone, e-mail, KVNR…).
CREATE TABLE patient_index (
  practice_id TEXT NOT NULL,
  kind        INTEGER NOT NULL,
  hash        INTEGER NOT NULL,
  patient_id  TEXT NOT NULL,
  PRIMARY KEY (practice_id, kind, hash, patient_id),
  FOREIGN KEY (practice_id, patient_id) REFERENCES patients(practice_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX patient_index_patient ON patient_index(practice_id, patient_id);
