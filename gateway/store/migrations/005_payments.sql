-- The meal-card ledger: accounts and every money movement, in integer fen.
CREATE TABLE payment_accounts (
  id               TEXT    PRIMARY KEY,
  person           TEXT    NOT NULL,              -- name as staff know it
  card_id          TEXT    UNIQUE,
  status           TEXT    NOT NULL DEFAULT 'active',   -- active | frozen | closed
  balance_fen      INTEGER NOT NULL DEFAULT 0,
  credit_limit_fen INTEGER NOT NULL DEFAULT 0,    -- how far below zero the account may go
  pin_hash         TEXT,                          -- scrypt, for PIN payment
  updated_at       INTEGER NOT NULL
);

-- One row per request, keyed by the client's idempotency key: resubmitting the
-- same key returns this row, whatever happened since.
CREATE TABLE payment_transactions (
  id           TEXT    PRIMARY KEY,               -- the idempotency key
  account_id   TEXT    NOT NULL,
  kind         TEXT    NOT NULL,                  -- debit | refund | void | topup
  status       TEXT    NOT NULL,                  -- approved | declined
  reason       TEXT,                              -- why declined
  amount_fen   INTEGER NOT NULL,                  -- what the diner is charged (debit) or gets back (refund, void, topup)
  subsidy_fen  INTEGER NOT NULL DEFAULT 0,        -- the employer's part of a meal, not charged to the account
  balance_after_fen INTEGER,                      -- the account balance once applied (approved only)
  sale_id      TEXT,
  station      TEXT,
  method       TEXT,                              -- face | card | qr | pin | central
  meal         TEXT,                              -- breakfast | lunch | dinner
  day          TEXT    NOT NULL,                  -- site-local date
  original_id  TEXT,                              -- refunds and voids: the debit they undo
  actor        TEXT,                              -- who (supervisor for refunds and voids)
  at           INTEGER NOT NULL
);
CREATE INDEX payment_transactions_day ON payment_transactions (day, meal, station);
CREATE INDEX payment_transactions_account ON payment_transactions (account_id, day);
CREATE INDEX payment_transactions_original ON payment_transactions (original_id);
-- A sale is paid once: a second approved debit for it cannot be written.
CREATE UNIQUE INDEX payment_one_debit_per_sale ON payment_transactions (sale_id) WHERE kind = 'debit' AND status = 'approved' AND sale_id IS NOT NULL;
