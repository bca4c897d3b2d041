-- Facts about this installation (its id, when it was created, the schema's origin).
-- Never holds patient data.
CREATE TABLE server_meta (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
