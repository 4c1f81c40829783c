-- Sign-in and pairing attempts, for the brute-force limits (gateway/auth/limiter.ts).
-- Kept in SQLite, not in memory, so that a restart does not give a guesser a fresh
-- budget. An attempt is reserved ('pending') in one transaction before the slow
-- password hash runs, so parallel requests can never check more than the limit;
-- it becomes 'failed' or is deleted when the hash has answered.
CREATE TABLE auth_attempts (
  id       INTEGER PRIMARY KEY,
  at       INTEGER NOT NULL,                 -- epoch ms
  client   TEXT    NOT NULL,                 -- the client address
  username TEXT    NOT NULL,                 -- '' for a kiosk pairing attempt
  state    TEXT    NOT NULL CHECK (state IN ('pending', 'failed'))
);
CREATE INDEX auth_attempts_client ON auth_attempts (client, at);
CREATE INDEX auth_attempts_user ON auth_attempts (username, at);
