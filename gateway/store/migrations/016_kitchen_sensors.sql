-- Sunshine-kitchen sensor records (gateway/kitchen/sensors): one row per disinfection
-- cycle (a cabinet or UV lamp on, then off) and one per kitchen-waste disposal. Both
-- also go upstream through the outbox (stream events); these rows are the site's copy.
-- (Planned as migration 019 in issue 15; numbered 015 here because migrations may not have gaps.)
CREATE TABLE kitchen_disinfection_cycles (
  id          TEXT    PRIMARY KEY,
  unit        TEXT    NOT NULL,                 -- kitchen_sensors.disinfection[].id
  started_at  INTEGER NOT NULL,
  ended_at    INTEGER NOT NULL,
  minutes     REAL    NOT NULL,
  full        INTEGER NOT NULL                  -- 1 when at least min_cycle_minutes
);
CREATE INDEX kitchen_disinfection_cycles_unit ON kitchen_disinfection_cycles (unit, ended_at);

CREATE TABLE kitchen_waste (
  id          TEXT    PRIMARY KEY,
  at          INTEGER NOT NULL,
  grams       INTEGER NOT NULL CHECK (grams > 0),
  from_scale  INTEGER NOT NULL,                 -- 1: the bin scale's stable reading; 0: typed in
  scale       TEXT,
  carrier     TEXT    NOT NULL,                 -- who took it away (收运人)
  company     TEXT,                             -- the licensed collector (收运单位)
  recorded_by TEXT    NOT NULL,
  note        TEXT
);
CREATE INDEX kitchen_waste_at ON kitchen_waste (at);
