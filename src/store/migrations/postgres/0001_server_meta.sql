-- Facts about this installation (its id, when it was created). Never holds patient data.
CREATE TABLE server_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
