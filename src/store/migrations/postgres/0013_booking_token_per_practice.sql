-- Distribution by practice (issue #13, docs/operations.md): a unique index on a table
-- distributed by practice_id must include practice_id. Manage tokens name their
-- practice, and every lookup by token already filters on it.
DROP INDEX online_bookings_token;
CREATE UNIQUE INDEX online_bookings_token ON online_bookings(practice_id, token_hash);
