// The index a bundle or a mirror carries: every file with its sha256 and size, and
// (optionally) an Ed25519 signature over the index's exact bytes. When a box has
// `models.trust_key`, a bundle or mirror without a valid signature is refused: the
// index then vouches for each file (and for a site's own manifests, whose hashes the
// project cannot know in advance).
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const INDEX_FILE = 'models-index.json';
export const SIGNATURE_FILE = 'models-index.json.sig';
const FORMAT = 'canteen-edge-models/1';

const indexSchema = z.strictObject({
  format: z.literal(FORMAT),
  created: z.string(),
  files: z.array(z.strictObject({ file: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().min(0) })),
});
export type ModelsIndex = z.infer<typeof indexSchema>;
export type IndexEntry = ModelsIndex['files'][number];

export class TrustError extends Error {}

export function makeIndex(files: IndexEntry[]): Buffer {
  const doc: ModelsIndex = { format: FORMAT, created: new Date().toISOString(), files: [...files].sort((a, b) => a.file.localeCompare(b.file)) };
  return Buffer.from(`${JSON.stringify(doc, null, 2)}\n`);
}

export function parseIndex(bytes: Buffer, where: string): ModelsIndex {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new TrustError(`${where}: ${INDEX_FILE} is not JSON (${(err as Error).message})`);
  }
  const r = indexSchema.safeParse(raw);
  if (!r.success) throw new TrustError(`${where}: ${INDEX_FILE} is not a models index (${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
  for (const f of r.data.files) {
    if (path.isAbsolute(f.file) || f.file.split(/[\\/]/).includes('..')) throw new TrustError(`${where}: ${INDEX_FILE} names "${f.file}", outside the models directory`);
  }
  return r.data;
}

/** A key given as PEM text, or the path of a PEM file (relative to `base`). */
function pemOf(raw: string, base: string, what: string): string {
  if (raw.includes('-----BEGIN')) return raw;
  try {
    return readFileSync(path.resolve(base, raw), 'utf8');
  } catch (err) {
    throw new TrustError(`${what}: cannot read ${path.resolve(base, raw)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); expected an Ed25519 key in PEM, or the path of one`);
  }
}

export function loadPublicKey(raw: string, base: string, what = 'models.trust_key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pemOf(raw, base, what));
  } catch (err) {
    if (err instanceof TrustError) throw err;
    throw new TrustError(`${what}: not a public key in PEM (${(err as Error).message}); expected an Ed25519 public key ("-----BEGIN PUBLIC KEY-----")`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new TrustError(`${what}: a ${key.asymmetricKeyType} key; expected Ed25519`);
  return key;
}

export function loadPrivateKey(file: string, what = '--key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pemOf(file, process.cwd(), what));
  } catch (err) {
    if (err instanceof TrustError) throw err;
    throw new TrustError(`${what} ${file}: not a private key in PEM (${(err as Error).message}); make one with: openssl genpkey -algorithm ed25519 -out models-signing.pem`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new TrustError(`${what} ${file}: a ${key.asymmetricKeyType} key; expected Ed25519`);
  return key;
}

/** The signature file's content: base64 of the Ed25519 signature over the index bytes. */
export function signIndex(index: Buffer, key: KeyObject): Buffer {
  return Buffer.from(`${sign(null, index, key).toString('base64')}\n`);
}

/** Throws TrustError unless `signature` is a valid signature of `index` by `key`. */
export function checkSignature(index: Buffer, signature: Buffer | undefined, key: KeyObject, where: string): void {
  if (!signature) throw new TrustError(`${where} refused: it carries no signature (${SIGNATURE_FILE}) and models.trust_key is set; sign it with \`canteen-edge models sign --key PRIVATE.pem\``);
  const sig = Buffer.from(signature.toString('utf8').trim(), 'base64');
  let ok = false;
  try {
    ok = verify(null, index, key, sig);
  } catch {
    ok = false;
  }
  if (!ok) throw new TrustError(`${where} refused: its signature does not match models.trust_key (signed by another key, or the index was changed after signing)`);
}
