-- PIN payment: the account's PIN as an scrypt hash (gateway/auth/passwords.ts format),
-- and the wrong attempts that lock PIN pay for a while. Kept apart from the account row
-- so that the central card system's account updates never touch it.
CREATE TABLE payment_pins (
  account_id   TEXT    PRIMARY KEY,
  hash         TEXT    NOT NULL,              -- scrypt$N$r$p$salt$hash
  failures     INTEGER NOT NULL DEFAULT 0,    -- wrong PINs since the last right one (or the lock)
  locked_until INTEGER,                       -- epoch ms; PIN pay refused before it
  set_by       TEXT    NOT NULL,
  updated_at   INTEGER NOT NULL
);
