-- Every key wrapped by the master key: practice keys ('practice:<practice id>') and
-- server-wide signing seeds ('signing:<purpose>'). Master-key rotation re-wraps exactly
-- these rows, in one transaction. Key ids are 64-bit values stored as INTEGER
-- (two's complement). `sealed` is nonce || ciphertext || tag; never a plaintext key.
CREATE TABLE master_wrapped_keys (
  owner           TEXT PRIMARY KEY NOT NULL,
  key_id          INTEGER NOT NULL,
  version         INTEGER NOT NULL CHECK (version >= 1),
  wrapping_key_id INTEGER NOT NULL,
  sealed          BLOB NOT NULL,
  updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT, WITHOUT ROWID;
