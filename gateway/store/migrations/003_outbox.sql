-- Store-and-forward: every record the box accepts, by stream, until every uplink
-- that takes the stream has it acknowledged (and longer, for backfill, while the
-- disk budget allows).
CREATE TABLE outbox_records (
  stream  TEXT    NOT NULL,
  seq     INTEGER NOT NULL,                 -- per stream, from 1, never reused
  id      TEXT    NOT NULL,                 -- stable id the receiver de-duplicates by
  at      INTEGER NOT NULL,                 -- epoch ms when accepted
  payload TEXT    NOT NULL,                 -- JSON
  PRIMARY KEY (stream, seq)
) WITHOUT ROWID;

-- The next sequence number per stream (survives deletion of every record).
CREATE TABLE outbox_streams (
  stream   TEXT    PRIMARY KEY,
  next_seq INTEGER NOT NULL,
  bytes    INTEGER NOT NULL DEFAULT 0,      -- payload bytes held
  records  INTEGER NOT NULL DEFAULT 0       -- records held
);

-- How far each uplink has been acknowledged, per stream.
CREATE TABLE outbox_cursors (
  uplink        TEXT    NOT NULL,
  stream        TEXT    NOT NULL,
  delivered_seq INTEGER NOT NULL,
  PRIMARY KEY (uplink, stream)
);

-- Records a receiver refused as malformed: kept with the reason, not retried.
CREATE TABLE outbox_dead_letters (
  id        INTEGER PRIMARY KEY,
  uplink    TEXT    NOT NULL,
  stream    TEXT    NOT NULL,
  seq       INTEGER NOT NULL,
  record_id TEXT    NOT NULL,
  at        INTEGER NOT NULL,
  reason    TEXT    NOT NULL,
  payload   TEXT    NOT NULL
);

-- Every record dropped or refused, counted by stream and reason; reported upstream.
CREATE TABLE outbox_drops (
  stream   TEXT    NOT NULL,
  reason   TEXT    NOT NULL,
  count    INTEGER NOT NULL,
  reported INTEGER NOT NULL DEFAULT 0,      -- how many of them have been reported upstream
  PRIMARY KEY (stream, reason)
);

CREATE UNIQUE INDEX outbox_records_id ON outbox_records (id);

-- Stretches of unsent records thinned by the disk budget: how many records of
-- (from_seq, to_seq] were deleted, so a backlog is counted without a scan.
CREATE TABLE outbox_thinned (
  stream   TEXT    NOT NULL,
  from_seq INTEGER NOT NULL,                -- exclusive
  to_seq   INTEGER NOT NULL,                -- inclusive
  removed  INTEGER NOT NULL
);
