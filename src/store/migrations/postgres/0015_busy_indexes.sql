-- The busy times of one practitioner or resource (the slot engine's input and the
-- conflict check of every booking) through a B-tree on (practice, owner, block_end) of
-- the active rows, as on SQLite. Without it PostgreSQL answered from the exclusion
-- constraints' GiST indexes, about 0.6 ms per query with text keys (issue #13).
CREATE INDEX appointments_practitioner ON appointments(practice_id, practitioner_id, block_end)
  WHERE active = 1;
CREATE INDEX appointment_resources_time ON appointment_resources(practice_id, resource_id, block_end)
  WHERE active = 1;
