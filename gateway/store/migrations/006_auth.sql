-- Accounts, sessions, kiosk pairing codes and the audit log (gateway/auth).
-- No secret is stored in the clear: passwords as scrypt hashes, session tokens
-- and pairing codes as SHA-256 hashes.
CREATE TABLE auth_accounts (
  id                  INTEGER PRIMARY KEY,
  username            TEXT    NOT NULL UNIQUE,
  role                TEXT    NOT NULL CHECK (role IN ('kitchen', 'supervisor', 'facility', 'cashier', 'admin')),
  password_hash       TEXT    NOT NULL,
  created_at          INTEGER NOT NULL,
  password_changed_at INTEGER NOT NULL
);

CREATE TABLE auth_sessions (
  id         TEXT    PRIMARY KEY,                  -- sha256 of the token, hex
  kind       TEXT    NOT NULL CHECK (kind IN ('staff', 'kiosk')),
  account_id INTEGER REFERENCES auth_accounts (id) ON DELETE CASCADE,
  role       TEXT    NOT NULL,
  name       TEXT    NOT NULL,                     -- username, or kiosk:<station>
  station    TEXT,                                 -- kiosks: the paired station and its scale
  scale      TEXT,
  client     TEXT,                                 -- address it was created from
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  CHECK ((kind = 'staff' AND account_id IS NOT NULL) OR (kind = 'kiosk' AND station IS NOT NULL AND scale IS NOT NULL))
);
CREATE INDEX auth_sessions_expiry ON auth_sessions (expires_at);
CREATE INDEX auth_sessions_account ON auth_sessions (account_id);
CREATE INDEX auth_sessions_station ON auth_sessions (station);

CREATE TABLE auth_pairing_codes (
  code_hash  TEXT    PRIMARY KEY,                  -- sha256 of the code, hex
  station    TEXT    NOT NULL,
  scale      TEXT    NOT NULL,
  created_by TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);

-- Who did what, when, and how it ended: admin and staff actions over HTTP, sign-ins,
-- pairings and the CLI's account changes. Never request bodies (passwords).
CREATE TABLE audit_log (
  id     INTEGER PRIMARY KEY,
  at     INTEGER NOT NULL,
  actor  TEXT    NOT NULL,                         -- username, kiosk:<station>, cli:<os user> or anonymous
  role   TEXT,
  action TEXT    NOT NULL,                         -- e.g. "POST /api/canteen/dishes", "login", "user add"
  detail TEXT,                                     -- JSON: route params and query, or what changed
  result TEXT    NOT NULL,                         -- HTTP status, or ok / refused / rate-limited
  client TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
