-- Face payment's personal information: consent, encrypted templates, and an audit
-- of every enrolment, match, export and deletion. Templates never leave the box.
CREATE TABLE face_consents (
  id            INTEGER PRIMARY KEY,
  account_id    TEXT    NOT NULL,
  given_by      TEXT    NOT NULL,             -- self | guardian
  guardian_name TEXT,                         -- required when the person is a minor (under 14)
  minor         INTEGER NOT NULL DEFAULT 0,
  text_version  TEXT    NOT NULL,             -- the version of the consent text shown
  recorded_by   TEXT    NOT NULL,             -- staff account, or "self-service"
  at            INTEGER NOT NULL,
  withdrawn_at  INTEGER
);
CREATE INDEX face_consents_account ON face_consents (account_id);

-- AES-256-GCM with a random 12-byte IV per template; the account id is the
-- additional authenticated data, so a template cannot be moved to another account.
CREATE TABLE face_templates (
  account_id TEXT    PRIMARY KEY,
  model      TEXT    NOT NULL,
  iv         BLOB    NOT NULL,
  tag        BLOB    NOT NULL,
  ciphertext BLOB    NOT NULL,
  consent_id INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE biometric_audit (
  id         INTEGER PRIMARY KEY,
  at         INTEGER NOT NULL,
  actor      TEXT    NOT NULL,
  action     TEXT    NOT NULL,                -- consent | enrol | match | export | delete | withdraw
  account_id TEXT,
  detail     TEXT
);
CREATE INDEX biometric_audit_account ON biometric_audit (account_id, at);
