-- Every change of a device's state, for the admin page and support bundles.
CREATE TABLE device_events (
  id      INTEGER PRIMARY KEY,
  at      INTEGER NOT NULL,           -- epoch ms UTC
  device  TEXT    NOT NULL,
  kind    TEXT    NOT NULL,
  state   TEXT    NOT NULL,
  detail  TEXT
);
CREATE INDEX device_events_device_at ON device_events (device, at);
