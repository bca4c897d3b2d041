-- Scheduling (issue #7): practitioners, resources, appointment types, working plans,
-- absences, the practice's booking settings, and appointments. Configuration is not
-- patient data and is kept as JSON documents the scheduling service validates; instants
-- are seconds since the epoch (UTC), so PostgreSQL can exclude overlaps with int8range.
CREATE TABLE practitioners (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  id          TEXT NOT NULL,
  data        TEXT NOT NULL,
  active      INTEGER NOT NULL CHECK (active IN (0, 1)),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  version     INTEGER NOT NULL,
  PRIMARY KEY (practice_id, id)
) STRICT;

CREATE TABLE resources (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  id          TEXT NOT NULL,
  data        TEXT NOT NULL,
  active      INTEGER NOT NULL CHECK (active IN (0, 1)),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  version     INTEGER NOT NULL,
  PRIMARY KEY (practice_id, id)
) STRICT;

CREATE TABLE appointment_types (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  id          TEXT NOT NULL,
  data        TEXT NOT NULL,
  active      INTEGER NOT NULL CHECK (active IN (0, 1)),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  version     INTEGER NOT NULL,
  PRIMARY KEY (practice_id, id)
) STRICT;

CREATE TABLE working_plans (
  practice_id     TEXT NOT NULL REFERENCES practices(id),
  id              TEXT NOT NULL,  -- the practitioner's id
  data            TEXT NOT NULL,
  active          INTEGER NOT NULL CHECK (active IN (0, 1)),
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  version         INTEGER NOT NULL,
  PRIMARY KEY (practice_id, id)
) STRICT;

CREATE TABLE scheduling_settings (
  practice_id TEXT NOT NULL REFERENCES practices(id),
  id          TEXT NOT NULL,  -- always 'booking'
  data        TEXT NOT NULL,
  active      INTEGER NOT NULL CHECK (active IN (0, 1)),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  version     INTEGER NOT NULL,
  PRIMARY KEY (practice_id, id)
) STRICT;

CREATE TABLE absences (
  practice_id     TEXT NOT NULL REFERENCES practices(id),
  id              TEXT NOT NULL,
  practitioner_id TEXT NOT NULL,
  starts_at       INTEGER NOT NULL,
  ends_at         INTEGER NOT NULL CHECK (ends_at > starts_at),
  created_at      TEXT NOT NULL,
  PRIMARY KEY (practice_id, id)
) STRICT;
CREATE INDEX absences_time ON absences(practice_id, practitioner_id, ends_at);

-- block_* is the time the appointment holds its practitioner and resources: start and
-- end widened by the type's buffers. Two active appointments of one practitioner (or
-- one resource) never have overlapping blocks.
CREATE TABLE appointments (
  practice_id     TEXT NOT NULL REFERENCES practices(id),
  id              TEXT NOT NULL,
  practitioner_id TEXT NOT NULL,
  type_id         TEXT NOT NULL,
  patient_id      TEXT,
  starts_at       INTEGER NOT NULL,
  ends_at         INTEGER NOT NULL CHECK (ends_at > starts_at),
  block_start     INTEGER NOT NULL CHECK (block_start <= starts_at),
  block_end       INTEGER NOT NULL CHECK (block_end >= ends_at),
  status          TEXT NOT NULL,
  active          INTEGER NOT NULL CHECK (active IN (0, 1)),
  source          TEXT NOT NULL,
  details         BLOB,  -- sealed with the practice key: note, cancellation reason
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  version         INTEGER NOT NULL,
  PRIMARY KEY (practice_id, id)
) STRICT;
CREATE INDEX appointments_practitioner ON appointments(practice_id, practitioner_id, block_end)
  WHERE active = 1;
CREATE INDEX appointments_time ON appointments(practice_id, starts_at);
CREATE INDEX appointments_patient ON appointments(practice_id, patient_id);

CREATE TABLE appointment_resources (
  practice_id    TEXT NOT NULL REFERENCES practices(id),
  appointment_id TEXT NOT NULL,
  resource_id    TEXT NOT NULL,
  block_start    INTEGER NOT NULL,
  block_end      INTEGER NOT NULL CHECK (block_end > block_start),
  active         INTEGER NOT NULL CHECK (active IN (0, 1)),
  PRIMARY KEY (practice_id, appointment_id, resource_id)
) STRICT;
CREATE INDEX appointment_resources_time ON appointment_resources(practice_id, resource_id, block_end)
  WHERE active = 1;
