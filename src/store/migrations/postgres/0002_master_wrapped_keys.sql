-- Every key wrapped by the master key: practice keys ('practice:<practice id>') and
-- server-wide signing seeds ('signing:<purpose>'). Master-key rotation re-wraps exactly
-- these rows, in one transaction. 64-bit key ids are stored as BIGINT (two's
-- complement). `sealed` is nonce || ciphertext || tag; never a plaintext key.
CREATE TABLE master_wrapped_keys (
  owner           TEXT PRIMARY KEY,
  key_id          BIGINT NOT NULL,
  version         INTEGER NOT NULL CHECK (version >= 1),
  wrapping_key_id BIGINT NOT NULL,
  sealed          BYTEA NOT NULL,
  updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
