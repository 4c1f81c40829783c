-- Kitchen safety alerts (gateway/kitchen): one row per alert, its lifecycle
-- open → acknowledged → resolved, and the file names of its two snapshots.
CREATE TABLE kitchen_alerts (
  id           TEXT    PRIMARY KEY,
  type         TEXT    NOT NULL,                  -- no_mask, phone, person_in_zone, morning_check_failed …
  severity     TEXT    NOT NULL,                  -- info | warning | critical
  state        TEXT    NOT NULL DEFAULT 'open',   -- open | acknowledged | resolved
  message      TEXT    NOT NULL,
  camera       TEXT,
  zone         TEXT,
  rule         TEXT,
  dedupe_key   TEXT,                              -- no second alert with this key while one is not resolved
  opened_at    INTEGER NOT NULL,
  acked_at     INTEGER,
  acked_by     TEXT,
  ack_note     TEXT,
  resolved_at  INTEGER,
  resolved_by  TEXT,
  note         TEXT,                              -- the resolution note
  snapshot     TEXT,                              -- file name under <data_dir>/kitchen-snapshots/ (boxes drawn)
  clean        TEXT                               -- the same frame without boxes
);
CREATE INDEX kitchen_alerts_state ON kitchen_alerts (state, opened_at);
CREATE INDEX kitchen_alerts_dedupe ON kitchen_alerts (dedupe_key) WHERE state <> 'resolved';
CREATE INDEX kitchen_alerts_opened ON kitchen_alerts (opened_at);
