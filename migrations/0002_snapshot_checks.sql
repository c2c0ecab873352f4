-- Each generation's CRC-32 (checked when a Durable Object hydrates from D1) and state vector
-- (a flush never replaces a generation whose state vector the new snapshot does not cover).
-- NULL for generations written before this migration: those are checked by decoding them.
ALTER TABLE documents ADD COLUMN snapshot_crc32 INTEGER;
ALTER TABLE documents ADD COLUMN state_vector BLOB;
