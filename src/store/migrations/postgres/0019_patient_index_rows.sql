-- SQLite keeps the rowid of each entry's patient row here (migration 0016 there), to
-- read a search's page in one descent per record. PostgreSQL reads rows by key and
-- leaves it NULL; the column exists so both schemas have the same columns (praxis
-- store copy moves SQLite's values over, which PostgreSQL then ignores).
ALTER TABLE patient_index ADD COLUMN patient_row BIGINT;
