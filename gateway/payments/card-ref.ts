// A card number no account has is not kept: a decline records a keyed hash of it
// ('unknown:<16 hex>'), enough to see the same unknown card tried again on this box,
// useless upstream or in a stolen database without the box's key file. (PIPL art. 6
// and 19: collect no more than needed, keep no longer; art. 51: security measures.)
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const CARD_REF_KEY_FILE = 'payments-ref.key';

export class CardRefs {
  private key: Buffer | undefined;

  constructor(private readonly dataDir: string | undefined) {}

  /** 'unknown:' + the first 16 hex digits of HMAC-SHA256(box key, identifier). */
  unknown(identifier: string): string {
    return `unknown:${createHmac('sha256', this.secret()).update(identifier).digest('hex').slice(0, 16)}`;
  }

  private secret(): Buffer {
    if (this.key) return this.key;
    if (!this.dataDir) return (this.key = randomBytes(32));
    const file = path.join(this.dataDir, CARD_REF_KEY_FILE);
    try {
      this.key = readFileSync(file);
    } catch {
      mkdirSync(this.dataDir, { recursive: true });
      const key = randomBytes(32);
      try {
        writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
        chmodSync(file, 0o600);
        this.key = key;
      } catch {
        this.key = readFileSync(file); // written meanwhile by another process (the CLI)
      }
    }
    if (this.key.length < 16) throw new Error(`${file}: the key is ${this.key.length} bytes; expected 32 random bytes (delete it to make a new one)`);
    return this.key;
  }
}
