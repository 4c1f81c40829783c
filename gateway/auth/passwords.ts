// Password hashes: scrypt (node:crypto) with a random 16-byte salt, stored as
// `scrypt$N$r$p$salt$hash` (base64url) so the cost can be raised later without
// invalidating existing hashes. Verification is constant-time.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';

const scrypt = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));

/** N = 2^15, r = 8, p = 1: 32 MiB and a few tens of ms per hash on a small ARM board. */
export const COST = { N: 1 << 15, r: 8, p: 1 };
const KEYLEN = 32;
const maxmem = (N: number, r: number) => 128 * N * r * 2;

// NIST SP 800-63B 5.1.1.2: check new passwords against lists of commonly used or
// compromised values; length over composition rules. 12 characters and a zxcvbn
// score of 3 ("safely unguessable: moderate protection from an offline slow-hash
// attack") is what we ask of staff accounts that can move money.
export const MIN_PASSWORD_LENGTH = 12;
export const MIN_STRENGTH_SCORE = 3;
export const MAX_PASSWORD_LENGTH = 1024;

export async function hashPassword(password: string, cost = COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEYLEN, { ...cost, maxmem: maxmem(cost.N, cost.r) });
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || N > 1 << 20 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const want = Buffer.from(parts[5]!, 'base64url');
  if (want.length < 16) return false;
  const got = await scrypt(password, salt, want.length, { N, r, p, maxmem: maxmem(N, r) });
  return timingSafeEqual(got, want);
}

/** A hash of nothing, verified against when the username is unknown so that timing does not tell. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  return dummy;
}

let estimator: ZxcvbnFactory | undefined;
let denyList: Set<string> | undefined;
const common = zxcvbnCommon as unknown as { dictionary: Record<string, string[]>; adjacencyGraphs: Record<string, unknown> };

/** The common-password list of @zxcvbn-ts/language-common (49 000 passwords seen in breaches), lower case. */
function commonPasswords(): Set<string> {
  denyList ??= new Set(common.dictionary['passwords-common']!.map((p) => p.toLowerCase()));
  return denyList;
}

/** The cheap rules: length, variety, not the username. */
export function passwordRuleProblem(password: string, username?: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `a password has at most ${MAX_PASSWORD_LENGTH} characters`;
  if (username && password.toLowerCase().includes(username.toLowerCase())) return 'a password must not contain the username';
  if (new Set(password).size < 4) return 'a password needs more than three different characters';
  return null;
}

/** What is wrong with a new password, or null: the rules, the common-password list, then the strength estimate (5–60 ms). */
export function passwordProblem(password: string, username?: string): string | null {
  const rule = passwordRuleProblem(password, username);
  if (rule) return rule;
  if (commonPasswords().has(password.toLowerCase())) return 'this password is on the list of common passwords; choose another';
  estimator ??= new ZxcvbnFactory({ dictionary: common.dictionary, graphs: common.adjacencyGraphs as never });
  // the first 64 characters are estimated (the cost grows with length; 64 strong characters are enough)
  const r = estimator.check(password.slice(0, 64), username ? [username] : []);
  if (r.score < MIN_STRENGTH_SCORE) return `this password is too easy to guess (strength ${r.score} of 4, ${MIN_STRENGTH_SCORE} needed): use a few unrelated words, or let \`--generate\` make one`;
  return null;
}

/** Random, readable, typed on a phone without trouble: 5 groups of 5 from 31 unambiguous letters and digits (~124 bits). */
export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export function randomCode(length: number, groupOf = 0): string {
  const out: string[] = [];
  // rejection sampling: no modulo bias
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out.push(CODE_ALPHABET[b % CODE_ALPHABET.length]!);
    }
  }
  const s = out.join('');
  return groupOf ? s.match(new RegExp(`.{1,${groupOf}}`, 'g'))!.join('-') : s;
}

/**
 * A random password that passes passwordProblem for this account (a short username such
 * as "wu" turns up in about 1 in 50 codes). 25 characters of 31 are ~124 bits: only the
 * cheap rules are checked here, the estimate has nothing to find (test/auth-store.test.ts).
 */
export function randomPassword(username?: string): string {
  for (;;) {
    const password = randomCode(25, 5);
    if (!passwordRuleProblem(password, username)) return password;
  }
}
