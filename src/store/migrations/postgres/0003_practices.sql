-- Practices (tenants). Practice master data is public on the booking page, so it is
-- stored in clear; its key (for patient data) is in master_wrapped_keys as
-- 'practice:<id>'. Every practice-owned table references practices(id).
CREATE TABLE practices (
  id         TEXT PRIMARY KEY,
  slug       TEXT NOT NULL UNIQUE,
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('arztpraxis', 'zahnarztpraxis', 'psychotherapie')),
  street     TEXT NOT NULL,
  postcode   TEXT NOT NULL,
  city       TEXT NOT NULL,
  bsnr       TEXT,
  state      TEXT NOT NULL,
  created_at TEXT NOT NULL,
  version    INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)
);
