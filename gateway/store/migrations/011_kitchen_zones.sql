-- Kitchen zones drawn on a camera's frame at /admin (gateway/kitchen/zones.ts). The
-- config's zones are the defaults; a row here overrides the config zone with the same
-- id on that camera, adds a zone of the site's own, or (removed = 1) hides a config zone.
CREATE TABLE kitchen_zones (
  camera      TEXT    NOT NULL,
  zone        TEXT    NOT NULL,               -- the zone id rules refer to
  name        TEXT,
  points      TEXT,                           -- JSON [[x, y], …] normalised 0..1; NULL when removed
  anchor      TEXT    NOT NULL DEFAULT 'centre', -- which point of a box must be inside: centre | bottom
  removed     INTEGER NOT NULL DEFAULT 0,
  updated_at  INTEGER NOT NULL,
  updated_by  TEXT    NOT NULL,               -- the signed-in account that saved it
  PRIMARY KEY (camera, zone)
);
