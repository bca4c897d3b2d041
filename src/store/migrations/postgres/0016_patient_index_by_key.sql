-- A patient's index entries are removed by their key (the service recomputes the terms
-- of the stored record), so the second B-tree by patient is no longer needed: it cost
-- one more random page per term on every new patient (online bookings, imports).
DROP INDEX patient_index_patient;
