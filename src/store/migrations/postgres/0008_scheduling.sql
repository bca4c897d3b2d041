-- Scheduling (issue #7); see the SQLite migration of the same number. Here the database
-- itself refuses overlapping active appointments of a practitioner or resource
-- (exclusion constraints over int8range of the blocked seconds; btree_gist for the
-- equality parts), whatever the concurrency.
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;

CREATE TABLE practitioners (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  id          TEXT NOT NULL,
  data        TEXT NOT NULL,
  active      SMALLINT NOT NULL CHECK (active IN (0, 1)),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  version     BIGINT NOT NULL,
  PRIMARY KEY (practice_id, id)
);

CREATE TABLE resources (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  id          TEXT NOT NULL,
  data        TEXT NOT NULL,
  active      SMALLINT NOT NULL CHECK (active IN (0, 1)),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  version     BIGINT NOT NULL,
  PRIMARY KEY (practice_id, id)
);

CREATE TABLE appointment_types (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  id          TEXT NOT NULL,
  data        TEXT NOT NULL,
  active      SMALLINT NOT NULL CHECK (active IN (0, 1)),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  version     BIGINT NOT NULL,
  PRIMARY KEY (practice_id, id)
);

CREATE TABLE working_plans (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  id          TEXT NOT NULL,
  data        TEXT NOT NULL,
  active      SMALLINT NOT NULL CHECK (active IN (0, 1)),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  version     BIGINT NOT NULL,
  PRIMARY KEY (practice_id, id)
);

CREATE TABLE scheduling_settings (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  id          TEXT NOT NULL,
  data        TEXT NOT NULL,
  active      SMALLINT NOT NULL CHECK (active IN (0, 1)),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  version     BIGINT NOT NULL,
  PRIMARY KEY (practice_id, id)
);

CREATE TABLE absences (
  practice_id     TEXT NOT NULL REFERENCES practices(id),
  id              TEXT NOT NULL,
  practitioner_id TEXT NOT NULL,
  starts_at       BIGINT NOT NULL,
  ends_at         BIGINT NOT NULL CHECK (ends_at > starts_at),
  created_at      TEXT NOT NULL,
  PRIMARY KEY (practice_id, id)
);
CREATE INDEX absences_time ON absences(practice_id, practitioner_id, ends_at);

CREATE TABLE appointments (
  practice_id     TEXT NOT NULL REFERENCES practices(id),
  id              TEXT NOT NULL,
  practitioner_id TEXT NOT NULL,
  type_id         TEXT NOT NULL,
  patient_id      TEXT,
  starts_at       BIGINT NOT NULL,
  ends_at         BIGINT NOT NULL CHECK (ends_at > starts_at),
  block_start     BIGINT NOT NULL CHECK (block_start <= starts_at),
  block_end       BIGINT NOT NULL CHECK (block_end >= ends_at),
  status          TEXT NOT NULL,
  active          SMALLINT NOT NULL CHECK (active IN (0, 1)),
  source          TEXT NOT NULL,
  details         BYTEA,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  version         BIGINT NOT NULL,
  PRIMARY KEY (practice_id, id),
  CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
    practice_id WITH =, practitioner_id WITH =, int8range(block_start, block_end) WITH &&
  ) WHERE (active = 1)
);
CREATE INDEX appointments_time ON appointments(practice_id, starts_at);
CREATE INDEX appointments_patient ON appointments(practice_id, patient_id);

CREATE TABLE appointment_resources (
  practice_id    TEXT NOT NULL REFERENCES practices(id),
  appointment_id TEXT NOT NULL,
  resource_id    TEXT NOT NULL,
  block_start    BIGINT NOT NULL,
  block_end      BIGINT NOT NULL CHECK (block_end > block_start),
  active         SMALLINT NOT NULL CHECK (active IN (0, 1)),
  PRIMARY KEY (practice_id, appointment_id, resource_id),
  CONSTRAINT appointment_resources_no_overlap EXCLUDE USING gist (
    practice_id WITH =, resource_id WITH =, int8range(block_start, block_end) WITH &&
  ) WHERE (active = 1)
);
