-- Energy and water accounting: consumption per meter per interval, derived from
-- cumulative counters. 1m rows are kept for days, coarser ones for years.
CREATE TABLE energy_intervals (
  meter         TEXT    NOT NULL,
  period        TEXT    NOT NULL,            -- '1m' | '15m' | '1h' | '1d'
  start         INTEGER NOT NULL,            -- epoch ms UTC of the local period start
  amount        REAL    NOT NULL DEFAULT 0,  -- in the meter's counter unit (kWh, m³)
  estimated     INTEGER NOT NULL DEFAULT 0,  -- 1 when part of it was spread over a gap or lost to an anomaly
  anomalies     INTEGER NOT NULL DEFAULT 0,
  power_sum     REAL    NOT NULL DEFAULT 0,  -- sum of power samples (W), for the average
  power_samples INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (meter, period, start)
) WITHOUT ROWID;
CREATE INDEX energy_intervals_period_start ON energy_intervals (period, start);

-- The last counter value booked per meter: the baseline for the next difference.
CREATE TABLE energy_counters (
  meter TEXT PRIMARY KEY,
  value REAL    NOT NULL,
  at    INTEGER NOT NULL
);

CREATE TABLE energy_anomalies (
  id     INTEGER PRIMARY KEY,
  meter  TEXT    NOT NULL,
  at     INTEGER NOT NULL,
  kind   TEXT    NOT NULL,                   -- backwards | reset | jump
  detail TEXT    NOT NULL,
  prev   REAL,
  value  REAL
);
CREATE INDEX energy_anomalies_at ON energy_anomalies (at);

-- Closed intervals are handed upstream up to here (exclusive); re-announced from
-- here after a restart, with ids the outbox and the receiver de-duplicate.
CREATE TABLE energy_announced (
  period TEXT    PRIMARY KEY,
  upto   INTEGER NOT NULL
);
