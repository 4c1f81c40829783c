-- Legal-for-trade weighing (issue 15; numbered 018 in the lead's plan): who decided a
-- priced reading was stable, and the scale's data plate and certificates at that moment
-- (OIML R76-1 4.4.2, 4.5.2; JJG 539), kept with the line's audit record.
ALTER TABLE canteen_lines ADD COLUMN stable_by TEXT;   -- scale | filter; null before this migration
ALTER TABLE canteen_lines ADD COLUMN metrology TEXT;   -- JSON {legalForTrade, maxG, minG, typeApprovalNo, verificationNo, verifiedUntil}; null when not a legal-for-trade scale

-- A new verification (检定) of a legal-for-trade scale, entered at /admin after the old one
-- expired or before (JJG 539; Metrology Law art. 9: an instrument used for trade is verified
-- periodically). The newest row per scale overrides the config's metrology.verified_until.
CREATE TABLE scale_verifications (
  id              INTEGER PRIMARY KEY,
  scale           TEXT    NOT NULL,
  verification_no TEXT    NOT NULL,
  verified_until  TEXT    NOT NULL,        -- site-local YYYY-MM-DD, valid through that day
  entered_by      TEXT    NOT NULL,
  entered_at      INTEGER NOT NULL
);
CREATE INDEX scale_verifications_scale ON scale_verifications (scale, id);

-- A supervisor's clearance of a person a failed morning check took off the kitchen
-- (餐饮服务食品安全操作规范 / GB 31654-2021 staff health management: back to work only once
-- the cause is found and cured). Until a clearance newer than the failed check exists,
-- the person stays off duty, across days.
CREATE TABLE staff_clearances (
  id          TEXT    PRIMARY KEY,
  staff_id    TEXT    NOT NULL,
  check_id    TEXT    NOT NULL,             -- the failed check it clears
  note        TEXT    NOT NULL,             -- why: what was found, what was cured
  cleared_by  TEXT    NOT NULL,
  cleared_at  INTEGER NOT NULL,
  queued_at   INTEGER                       -- handed to the outbox
);
CREATE INDEX staff_clearances_staff ON staff_clearances (staff_id, cleared_at);

-- The values an alert's text is made of (names, dates, grams), so the board can say it in
-- the reader's language from its own translations (zh first, en) instead of the stored text.
ALTER TABLE kitchen_alerts ADD COLUMN details TEXT;   -- JSON {name: string | number}; null for camera alerts
