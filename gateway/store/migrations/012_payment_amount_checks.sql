-- Money columns that can only hold what money is: whole fen, within bounds. SQLite's
-- INTEGER affinity alone stores 1e308 as REAL and Infinity as inf; the CHECKs below
-- refuse any value that is not an integer of at most 10^11 fen (one billion yuan)
-- on every path that writes (the gateway, the CLI, a hand-made SQL statement).
-- The tables are rebuilt (SQLite cannot add a CHECK to a column) keeping every row;
-- a row that breaks a CHECK makes this migration fail and the gateway refuse to
-- start, naming the constraint: money is never altered silently.

CREATE TABLE payment_accounts_new (
  id               TEXT    PRIMARY KEY,
  person           TEXT    NOT NULL,
  card_id          TEXT    UNIQUE,
  status           TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'closed')),
  balance_fen      INTEGER NOT NULL DEFAULT 0 CHECK (typeof(balance_fen) = 'integer' AND balance_fen BETWEEN -100000000000 AND 100000000000),
  credit_limit_fen INTEGER NOT NULL DEFAULT 0 CHECK (typeof(credit_limit_fen) = 'integer' AND credit_limit_fen BETWEEN 0 AND 100000000000),
  pin_hash         TEXT,
  updated_at       INTEGER NOT NULL
);
INSERT INTO payment_accounts_new (id, person, card_id, status, balance_fen, credit_limit_fen, pin_hash, updated_at)
  SELECT id, person, card_id, status, balance_fen, credit_limit_fen, pin_hash, updated_at FROM payment_accounts;
DROP TABLE payment_accounts;
ALTER TABLE payment_accounts_new RENAME TO payment_accounts;

CREATE TABLE payment_transactions_new (
  id           TEXT    PRIMARY KEY,
  account_id   TEXT    NOT NULL,              -- the account; for a credential that names none, 'unknown:<keyed hash>' (never a raw card number)
  kind         TEXT    NOT NULL CHECK (kind IN ('debit', 'refund', 'void', 'topup')),
  status       TEXT    NOT NULL CHECK (status IN ('approved', 'declined')),
  reason       TEXT,
  amount_fen   INTEGER NOT NULL CHECK (typeof(amount_fen) = 'integer' AND amount_fen BETWEEN 0 AND 100000000000),
  subsidy_fen  INTEGER NOT NULL DEFAULT 0 CHECK (typeof(subsidy_fen) = 'integer' AND subsidy_fen BETWEEN -100000000000 AND 100000000000),
  balance_after_fen INTEGER CHECK (balance_after_fen IS NULL OR (typeof(balance_after_fen) = 'integer' AND balance_after_fen BETWEEN -100000000000 AND 100000000000)),
  sale_id      TEXT,
  station      TEXT,
  method       TEXT,
  meal         TEXT,
  day          TEXT    NOT NULL,
  original_id  TEXT,
  actor        TEXT,
  at           INTEGER NOT NULL,
  CHECK (status = 'declined' OR kind IN ('debit', 'void') OR amount_fen > 0)
);
INSERT INTO payment_transactions_new (id, account_id, kind, status, reason, amount_fen, subsidy_fen, balance_after_fen, sale_id, station, method, meal, day, original_id, actor, at)
  SELECT id,
         -- an unknown card's number was kept as the account id: it goes (PIPL art. 19, keep no longer than needed; art. 51, security measures)
         CASE WHEN reason = 'unknown_account' THEN 'unknown:legacy' ELSE account_id END,
         kind, status, reason, amount_fen, subsidy_fen, balance_after_fen, sale_id, station, method, meal, day, original_id, actor, at
  FROM payment_transactions;
DROP TABLE payment_transactions;
ALTER TABLE payment_transactions_new RENAME TO payment_transactions;
CREATE INDEX payment_transactions_day ON payment_transactions (day, meal, station);
CREATE INDEX payment_transactions_account ON payment_transactions (account_id, day);
CREATE INDEX payment_transactions_original ON payment_transactions (original_id);
CREATE INDEX payment_transactions_sale ON payment_transactions (sale_id);
CREATE UNIQUE INDEX payment_one_debit_per_sale ON payment_transactions (sale_id) WHERE kind = 'debit' AND status = 'approved' AND sale_id IS NOT NULL;
