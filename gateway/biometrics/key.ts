// The key that encrypts face templates: 32 random bytes in a file only the
// service user can read (mode 0600), made on first start or by the installer.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const KEY_BYTES = 32;

export function loadOrCreateKey(file: string): Buffer {
  let created = false;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(KEY_BYTES), { mode: 0o600, flag: 'wx' });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const mode = statSync(file).mode & 0o777;
  if (!created && mode & 0o077) {
    throw new Error(`biometric key ${file} is readable by group or others (mode ${mode.toString(8)}); expected 600: chmod 600 ${file}`);
  }
  const key = readFileSync(file);
  if (key.length !== KEY_BYTES) throw new Error(`biometric key ${file} holds ${key.length} bytes; expected ${KEY_BYTES}`);
  return key;
}
