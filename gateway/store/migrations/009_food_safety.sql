-- Daily food-safety records (gateway/kitchen/records): morning staff checks (晨检)
-- and food samples (留样). Nothing is deleted: a re-check supersedes the earlier
-- check, a discarded sample keeps its row with who discarded it and when.
CREATE TABLE food_morning_checks (
  id             TEXT    PRIMARY KEY,
  day            TEXT    NOT NULL,              -- site-local date of the check
  staff_id       TEXT    NOT NULL,
  staff_name     TEXT    NOT NULL,
  temperature_c  REAL    NOT NULL,
  answers        TEXT    NOT NULL,              -- JSON {item: boolean}: symptoms true = present, attire true = in order
  passed         INTEGER NOT NULL,              -- 1 | 0, computed by the gateway
  failures       TEXT    NOT NULL,              -- JSON ["temperature" | symptom | attire item not in order]
  note           TEXT,
  checked_by     TEXT    NOT NULL,              -- the signed-in account that recorded it (the signature)
  checked_at     INTEGER NOT NULL,
  superseded_by  TEXT,                          -- the re-check that replaced this one
  queued_at      INTEGER                        -- handed to the outbox
);
CREATE INDEX food_morning_checks_day ON food_morning_checks (day, staff_id);
-- One current check per person per day.
CREATE UNIQUE INDEX food_morning_checks_current ON food_morning_checks (day, staff_id) WHERE superseded_by IS NULL;

CREATE TABLE food_samples (
  id                TEXT    PRIMARY KEY,
  day               TEXT    NOT NULL,           -- the meal's site-local date
  meal              TEXT    NOT NULL,           -- breakfast | lunch | dinner
  dish_id           TEXT    NOT NULL,
  dish_name         TEXT    NOT NULL,
  grams             INTEGER NOT NULL,
  source            TEXT    NOT NULL,           -- typed | scale
  scale_station     TEXT,
  min_grams         INTEGER NOT NULL,           -- the minimum in force when it was taken
  cabinet           TEXT    NOT NULL,
  taken_by          TEXT    NOT NULL,
  taken_at          INTEGER NOT NULL,
  retain_until      INTEGER NOT NULL,
  reminded_at       INTEGER,                    -- sample_retention_due raised
  discarded_at      INTEGER,
  discarded_by      TEXT,
  queued_at         INTEGER,
  discard_queued_at INTEGER
);
CREATE INDEX food_samples_day ON food_samples (day, meal);
CREATE INDEX food_samples_kept ON food_samples (retain_until) WHERE discarded_at IS NULL;

-- Reminders raised once (a missing check per person per day, missing samples per meal),
-- kept so a restart or a resolved alert never raises them again.
CREATE TABLE food_reminders (
  key        TEXT    PRIMARY KEY,
  raised_at  INTEGER NOT NULL
);
