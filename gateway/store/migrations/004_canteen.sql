-- Self-service weighing: every priced plate (the audit record) and every sale,
-- with each change of a sale's status.
CREATE TABLE canteen_lines (
  id          TEXT    PRIMARY KEY,
  station     TEXT    NOT NULL,
  at          INTEGER NOT NULL,             -- epoch ms UTC
  frames      TEXT    NOT NULL,             -- JSON list of the scale frames up to this reading (raw text when the driver gives it)
  stable      INTEGER NOT NULL,             -- the scale's stable flag of the priced reading
  scale_net   INTEGER NOT NULL,             -- 1 when the scale reported net (its own tare)
  reading_g   REAL    NOT NULL,             -- the weight as the scale reported it
  gross_g     INTEGER,                      -- rounded to e; null when the scale reported net without its tare
  tare_g      INTEGER NOT NULL,
  tare_source TEXT    NOT NULL,             -- tray | scale | none
  tray        TEXT,                         -- preset tare's tray id
  net_g       INTEGER NOT NULL,
  interval_g  INTEGER NOT NULL,             -- e
  price_mode  TEXT    NOT NULL,             -- by_weight | per_portion
  unit_fen    INTEGER NOT NULL,
  unit_grams  INTEGER,                      -- by_weight: the price is per this many grams
  total_fen   INTEGER NOT NULL,
  dish_id     TEXT,
  dish_name   TEXT,
  nutrition   TEXT,                         -- JSON, scaled to net_g
  score       REAL,                         -- recognition score of the dish, null when not recognised
  corrected   INTEGER NOT NULL              -- 1 when the diner picked another dish than the recognised one
);
CREATE INDEX canteen_lines_station_at ON canteen_lines (station, at);

CREATE TABLE canteen_sales (
  id          TEXT    PRIMARY KEY,
  day         TEXT    NOT NULL,             -- site-local YYYY-MM-DD
  no          INTEGER NOT NULL,             -- number called at the counter, per day
  station     TEXT    NOT NULL,
  line_id     TEXT    NOT NULL REFERENCES canteen_lines (id),
  status      TEXT    NOT NULL,             -- awaiting_payment | paid | cancelled
  total_fen   INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  paid_at     INTEGER,
  method      TEXT,                         -- counter | card | qr | face
  reference   TEXT,
  queued_at   INTEGER                       -- when the paid sale was taken by the outbox
);
CREATE UNIQUE INDEX canteen_sales_day_no ON canteen_sales (day, no);
CREATE INDEX canteen_sales_status ON canteen_sales (status);

CREATE TABLE canteen_sale_events (
  id        INTEGER PRIMARY KEY,
  sale_id   TEXT    NOT NULL REFERENCES canteen_sales (id),
  at        INTEGER NOT NULL,
  status    TEXT    NOT NULL,
  method    TEXT,
  reference TEXT,
  actor     TEXT                            -- station id, or who confirmed at the counter
);
CREATE INDEX canteen_sale_events_sale ON canteen_sale_events (sale_id);
