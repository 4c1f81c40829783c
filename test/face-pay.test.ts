// Face pay end to end on the real gateway, with the real face models of ../shared/models
// and the real photos of ../shared/images: staff enrol person A at /admin (consent first)
// from one photo; a paired kiosk pays a sale by face over Socket.IO from A's *other* photo,
// sent as the kiosk page sends frames (JPEG, 640 px wide, one at a time). Declines: a
// different person, a printed photo (liveness), no face, a frozen account, too little
// money; withdrawal stops face pay at once. The privacy side: no enrolment without consent,
// no minor without a guardian, the export holds no template, the template at rest is
// encrypted with the 0600 key file.
import { createDecipheriv } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACE_MODELS, photo, requireShared, SHARED_MODELS_DIR } from '../bench/face/photos.ts';
import type { FaceProgress } from '../gateway/wire/payments.ts';
import { recordImpactAssessment } from './helpers/face.ts';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';

const SUBSIDY = 200;
let gw: RunningGateway;
let kiosk: Socket;
let admin: Record<string, string>;
/** frames as the kiosk page makes them: JPEG, at most 640 px wide, quality 80 */
const frame = async (file: string, width = 640) => sharp(photo(file)).rotate().resize({ width, withoutEnlargement: true }).jpeg({ quality: 80 }).toBuffer();
let enrolPhotoB64 = '';

const api = async (method: string, url: string, body?: unknown) => {
  const r = await fetch(`${gw.url}${url}`, { method, headers: { ...admin, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: r.status, body: r.status === 204 ? null : await r.json() };
};
const ack = <T,>(event: string, body: unknown) => kiosk.timeout(60_000).emitWithAck(event, body) as Promise<T>;
const balance = async (id: string) => ((await api('GET', '/api/payments/accounts')).body as { id: string; balance_fen: number }[]).find((a) => a.id === id)!.balance_fen;

/** Enrols person A's first photo (at 1400 px: her face is small in it) for `account`, consent first. */
async function enrolA(account: string): Promise<void> {
  const text = (await api('GET', '/api/biometrics/consent-text')).body as { version: string };
  expect((await api('POST', '/api/biometrics/consents', { account_id: account, given_by: 'self', minor: false, text_version: text.version })).status).toBe(201);
  const r = await api('POST', '/api/biometrics/enrolments', { account_id: account, images: [enrolPhotoB64] });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  expect(r.body).toMatchObject({ account_id: account, images_used: 1 });
}

/** Waits for a priced plate at checkout-1 and confirms it: a sale awaiting payment. */
async function saleAwaitingPayment(): Promise<{ id: string; totalFen: number }> {
  const state = async () => (await api('GET', '/api/canteen/stations/checkout-1')).body as { phase: string; line: { id: string } | null };
  await expect.poll(async () => (await state()).phase, { timeout: 30_000, interval: 50 }).toBe('priced');
  const sale = (await api('POST', '/api/canteen/stations/checkout-1/confirm', { lineId: (await state()).line!.id })).body;
  expect(sale.status).toBe('awaiting_payment');
  return sale;
}

/** face:start, then the same photo frame after frame (each after the previous answer) until the session decides. */
async function payByFace(saleId: string, file: string, maxFrames = 8): Promise<{ progress: FaceProgress; trail: FaceProgress[] }> {
  const start = await ack<FaceProgress>('face:start', { saleId });
  expect(start, JSON.stringify(start)).toMatchObject({ state: 'looking', decline: null });
  const jpeg = await frame(file);
  const trail: FaceProgress[] = [];
  for (let i = 0; i < maxFrames; i++) {
    const p = await ack<FaceProgress>('face:frame', { sessionId: start.sessionId, jpeg });
    trail.push(p);
    if (p.state === 'matched' || p.state === 'declined') break;
  }
  return { progress: trail.at(-1)!, trail };
}

beforeAll(async () => {
  requireShared(FACE_MODELS);
  const base = await simulatorConfig();
  const sims = base.simulators as { scale: Record<string, unknown> };
  gw = await startGateway({
    config: {
      ...base,
      paths: { models_dir: SHARED_MODELS_DIR },
      simulators: { ...sims, scale: { ...sims.scale, plates_g: [487], cycle_ms: 3000 } },
      canteen: { pricing: { mode: 'uniform', price_fen: 1280, per_grams: 500 }, stations: [{ id: 'checkout-1', scale: 'checkout-1', interval_g: 2, trays: [{ id: 'std', name: 'plate', tare_g: 136 }] }] },
      payments: {
        meals: { breakfast: { subsidy_fen: SUBSIDY }, lunch: { subsidy_fen: SUBSIDY }, dinner: { subsidy_fen: SUBSIDY } },
        accounts: [
          { id: 'zhang', person: '张三明', card_id: 'C001', opening_balance_fen: 5000 },
          { id: 'li', person: '李四', card_id: 'C002', status: 'frozen', opening_balance_fen: 5000 },
          { id: 'wang', person: '王小五', card_id: 'C003', opening_balance_fen: 100 },
          { id: 'zhao', person: '赵六', card_id: 'C004', birth_date: '1985-03-02', opening_balance_fen: 800 },
          { id: 'kid', person: '钱小七', card_id: 'C005', opening_balance_fen: 800 },
        ],
      },
      // the box under test is shared and slow: a pause between frames must not restart liveness
      biometrics: { liveness: { max_gap_ms: 30_000 } },
    },
  });
  admin = (await gw.loginAs('admin')).headers;
  // face pay starts only once the site's impact assessment is on record (PIPL art. 55)
  await recordImpactAssessment(gw.url, admin);
  // self-service enrolment needs the card and the account's PIN
  expect((await api('POST', '/api/payments/accounts/zhao/pin', { pin: '4321' })).status).toBe(204);
  const session = await gw.pairKiosk('checkout-1');
  kiosk = connect(`${gw.url}/kiosk`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: session.token } });
  await new Promise<void>((resolve, reject) => (kiosk.once('connect', resolve), kiosk.once('connect_error', reject)));
  enrolPhotoB64 = (await frame('compreface_001_A.jpg', 1400)).toString('base64');
}, 90_000);

afterAll(async () => {
  kiosk?.close();
  await gw?.stop();
});

describe('enrolment and the person\'s rights', () => {
  it('refuses an enrolment without consent (409) and a minor without a guardian (400)', async () => {
    const r = await api('POST', '/api/biometrics/enrolments', { account_id: 'zhang', images: [enrolPhotoB64] });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatch(/consent/);
    const { version } = (await api('GET', '/api/biometrics/consent-text')).body;
    const minor = await api('POST', '/api/biometrics/consents', { account_id: 'kid', given_by: 'self', minor: true, text_version: version });
    expect(minor.status).toBe(400);
    expect(minor.body.error).toMatch(/guardian/);
    const outdated = await api('POST', '/api/biometrics/consents', { account_id: 'zhang', given_by: 'self', minor: false, text_version: 'v0' });
    expect(outdated.status).toBe(409);
    const guardian = await api('POST', '/api/biometrics/consents', { account_id: 'kid', given_by: 'guardian', minor: true, guardian_name: '钱大', guardian_relation: '父亲', text_version: version });
    expect(guardian.status).toBe(201);
    expect(guardian.body).toMatchObject({ account_id: 'kid', given_by: 'guardian', minor: true, guardian_name: '钱大', guardian_relation: '父亲', recorded_by: 'test-admin' });
  });

  it('answers 422 with the reasons when no photo has a usable face', async () => {
    const coffee = (await frame('skimage_coffee.png')).toString('base64');
    const r = await api('POST', '/api/biometrics/enrolments', { account_id: 'kid', images: [coffee] });
    expect(r.status).toBe(422);
    expect(r.body.quality).toEqual([{ image: 0, face: false, ok: false, reasons: ['no face found'] }]);
  });

  it('enrols A with consent; the template at rest is AES-GCM under the 0600 key file, not the embedding', async () => {
    await enrolA('zhang');
    const people = (await api('GET', '/api/biometrics/people')).body.people;
    expect(people).toEqual(expect.arrayContaining([expect.objectContaining({ account_id: 'zhang', person: '张*明', enrolled_at: expect.any(Number), consent: expect.objectContaining({ given_by: 'self', minor: false }) })]));
    const keyFile = path.join(gw.dataDir, 'biometric.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const db = new Database(path.join(gw.dataDir, 'canteen-edge.db'), { readonly: true });
    const row = db.prepare("SELECT iv, tag, ciphertext FROM face_templates WHERE account_id = 'zhang'").get() as { iv: Buffer; tag: Buffer; ciphertext: Buffer };
    db.close();
    const d = createDecipheriv('aes-256-gcm', readFileSync(keyFile), row.iv);
    d.setAAD(Buffer.from('zhang'));
    d.setAuthTag(row.tag);
    const plain = Buffer.concat([d.update(row.ciphertext), d.final()]);
    const norm = (b: Buffer) => Math.hypot(...new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
    expect(plain.length).toBe(128 * 4);
    expect(norm(plain)).toBeCloseTo(1, 4); // the decrypted template is the unit-length embedding …
    expect(row.ciphertext.equals(plain)).toBe(false); // … and what is stored is not
    const n = norm(row.ciphertext);
    expect(Number.isFinite(n) && Math.abs(n - 1) < 0.01, `ciphertext read as floats has norm ${n}`).toBe(false);
  });
});

describe('paying by face at the kiosk', () => {
  let sale: { id: string; totalFen: number };

  it('a different person (B) is not recognised, and nothing is charged', async () => {
    sale = await saleAwaitingPayment();
    const { progress, trail } = await payByFace(sale.id, 'compreface_007_B.jpg');
    expect(trail.slice(0, -1).every((p) => p.state === 'checking')).toBe(true);
    expect(progress).toMatchObject({ state: 'declined', decline: 'not_recognised', candidate: null, transaction: null });
    expect(progress.liveness.frames).toBe(progress.liveness.needed);
  });

  it('a printed photo held up (F1) fails liveness', async () => {
    const { progress } = await payByFace(sale.id, 'minivision_image_F1.jpg');
    expect(progress).toMatchObject({ state: 'declined', decline: 'liveness_failed', candidate: null });
    expect(progress.liveness.score).toBeLessThan(0.5);
  });

  it('a frame without a face gives a hint and no match', async () => {
    const start = await ack<FaceProgress>('face:start', { saleId: sale.id });
    const p = await ack<FaceProgress>('face:frame', { sessionId: start.sessionId, jpeg: await frame('skimage_coffee.png') });
    expect(p).toMatchObject({ state: 'looking', hint: 'no face in view', candidate: null, decline: null });
    expect(await ack('face:cancel', { sessionId: start.sessionId })).toEqual({ ok: true });
    expect(await ack('face:frame', { sessionId: start.sessionId, jpeg: await frame('skimage_coffee.png') })).toMatchObject({ error: expect.stringMatching(/no face-pay session/) });
  });

  it('A on a frozen account is declined account_frozen, on a poor one insufficient_balance — before confirm', async () => {
    // one face, one account: A is zhang's until that enrolment is deleted
    const { version } = (await api('GET', '/api/biometrics/consent-text')).body;
    await api('POST', '/api/biometrics/consents', { account_id: 'li', given_by: 'self', minor: false, text_version: version });
    const twin = await api('POST', '/api/biometrics/enrolments', { account_id: 'li', images: [enrolPhotoB64] });
    expect(twin).toMatchObject({ status: 409, body: { error: expect.stringMatching(/already enrolled for account zhang/) } });
    await api('DELETE', '/api/biometrics/people/zhang');
    await enrolA('li');
    const frozen = (await payByFace(sale.id, 'compreface_002_A.jpg')).progress;
    expect(frozen).toMatchObject({ state: 'declined', decline: 'account_frozen', candidate: { person: '李*' } });
    await api('DELETE', '/api/biometrics/people/li');
    await enrolA('wang');
    const poor = (await payByFace(sale.id, 'compreface_002_A.jpg')).progress;
    expect(poor).toMatchObject({ state: 'declined', decline: 'insufficient_balance', candidate: { person: '王*五', balance_fen: 100 } });
    await api('DELETE', '/api/biometrics/people/wang');
    expect(await balance('li')).toBe(5000);
    expect(await balance('wang')).toBe(100);
  });

  it("A's other photo pays: matched with the masked name, confirmed, the balance down by exactly the charge", async () => {
    await enrolA('zhang');
    const before = await balance('zhang');
    const { progress, trail } = await payByFace(sale.id, 'compreface_002_A.jpg');
    expect(trail.map((p) => p.state)).toEqual(['checking', 'checking', 'checking', 'checking', 'matched']);
    expect(trail.map((p) => p.liveness.frames)).toEqual([1, 2, 3, 4, 5]);
    const charge = sale.totalFen - SUBSIDY;
    expect(progress.candidate).toEqual({ person: '张*明', balance_fen: before, balance_after_fen: before - charge });
    const paid = await ack<FaceProgress>('face:confirm', { sessionId: progress.sessionId, key: 'face-pay-1' });
    expect(paid).toMatchObject({ state: 'paid', transaction: { id: 'face-pay-1', status: 'approved', reason: null } });
    // the page resubmitting its confirm gets the same answer, not a second charge
    expect(await ack<FaceProgress>('face:confirm', { sessionId: progress.sessionId, key: 'face-pay-1' })).toEqual(paid);
    expect(await balance('zhang')).toBe(before - charge);
    expect((await api('GET', `/api/canteen/sales/${sale.id}`)).body).toMatchObject({ status: 'paid', method: 'face', reference: 'face-pay-1' });
    const audit = (await api('GET', '/api/biometrics/audit?account_id=zhang')).body.audit as { action: string; actor: string }[];
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['consent', 'enrol', 'match', 'pay', 'delete']));
    expect(audit.find((a) => a.action === 'match')!.actor).toBe('kiosk:checkout-1');
    expect(await ack('face:start', { saleId: sale.id })).toMatchObject({ error: expect.stringMatching(/not awaiting payment/) });
    // the same ledger and outbox as every other payment: the transaction is queued upstream under its key
    const db = new Database(path.join(gw.dataDir, 'canteen-edge.db'), { readonly: true });
    const queued = db.prepare("SELECT json_extract(payload, '$.method') AS method, json_extract(payload, '$.status') AS status FROM outbox_records WHERE stream = 'transactions' AND id LIKE '%:face-pay-1'").all();
    db.close();
    expect(queued).toEqual([{ method: 'face', status: 'approved' }]);
  });

  it('withdrawing consent stops face pay at once, even for a match waiting for confirm', async () => {
    await expect.poll(async () => (await api('GET', '/api/canteen/stations/checkout-1')).body.phase, { timeout: 30_000 }).toBe('zero');
    const next = await saleAwaitingPayment();
    const { progress } = await payByFace(next.id, 'compreface_002_A.jpg');
    expect(progress.state).toBe('matched');
    const w = await api('POST', '/api/biometrics/people/zhang/withdraw');
    expect(w.status).toBe(200);
    const after = await ack<FaceProgress>('face:confirm', { sessionId: progress.sessionId, key: 'face-pay-2' });
    expect(after).toMatchObject({ state: 'declined', decline: 'not_recognised', transaction: null });
    const again = (await payByFace(next.id, 'compreface_002_A.jpg')).progress;
    expect(again).toMatchObject({ state: 'declined', decline: 'not_recognised' });
    expect((await api('GET', `/api/canteen/sales/${next.id}`)).body.status).toBe('awaiting_payment');
    expect((await api('GET', '/api/biometrics/people')).body.people.find((p: { account_id: string }) => p.account_id === 'zhang')).toMatchObject({ enrolled_at: null, consent: null });
  });

  it('refuses a sale of another station and a frame before face:start', async () => {
    expect(await ack('face:start', { saleId: 'no-such-sale' })).toMatchObject({ error: expect.stringMatching(/no sale/) });
    expect(await ack('face:frame', { sessionId: 'nope', jpeg: Buffer.from([1, 2, 3]) })).toMatchObject({ error: expect.any(String) });
  });
});

describe('self-service enrolment and export', () => {
  it('an adult enrols at the kiosk with their card, PIN and the current consent text; an outdated text is refused', async () => {
    const { version } = (await api('GET', '/api/biometrics/consent-text')).body;
    const jpeg = await frame('minivision_image_T1.jpg');
    expect(await ack('face:enrol', { card_id: 'C004', pin: '4321', text_version: 'old', agree: true, jpeg })).toMatchObject({ error: expect.stringMatching(/outdated/) });
    expect(await ack('face:enrol', { card_id: 'C004', pin: '4321', text_version: version, agree: false, jpeg })).toMatchObject({ error: expect.stringMatching(/agree/) });
    expect(await ack('face:enrol', { card_id: 'C004', pin: '4321', text_version: version, agree: true, jpeg: await frame('minivision_image_F1.jpg') })).toMatchObject({ error: expect.stringMatching(/live/) });
    expect(await ack('face:enrol', { card_id: 'C004', pin: '4321', text_version: version, agree: true, jpeg })).toEqual({ ok: true, person: '赵*' });
    const zhao = (await api('GET', '/api/biometrics/people')).body.people.find((p: { account_id: string }) => p.account_id === 'zhao');
    expect(zhao).toMatchObject({ enrolled_at: expect.any(Number), consent: { given_by: 'self', minor: false, text_version: version } });
  });

  it('the export says what is held — consents and audit lines — and never the template; deletion keeps the audit', async () => {
    const e = await api('GET', '/api/biometrics/people/zhao/export');
    expect(e.status).toBe(200);
    expect(e.body.consents).toEqual([expect.objectContaining({ given_by: 'self', recorded_by: 'kiosk:checkout-1' })]);
    expect(e.body.template).toMatchObject({ model: 'MobileFaceNet' });
    const db = new Database(path.join(gw.dataDir, 'canteen-edge.db'), { readonly: true });
    const { ciphertext } = db.prepare("SELECT ciphertext FROM face_templates WHERE account_id = 'zhao'").get() as { ciphertext: Buffer };
    db.close();
    const text = JSON.stringify(e.body);
    for (const enc of ['base64', 'hex'] as const) expect(text).not.toContain(ciphertext.toString(enc).slice(0, 24));
    expect(Object.keys(e.body.template).sort()).toEqual(['created_at', 'model', 'stored']);
    const del = await api('DELETE', '/api/biometrics/people/zhao');
    expect(del.body).toMatchObject({ template_deleted: true, consents_deleted: 1 });
    const audit = (await api('GET', '/api/biometrics/audit?account_id=zhao')).body.audit as { action: string }[];
    expect(audit.map((a) => a.action)).toEqual(['delete', 'export', 'enrol', 'consent']);
    // nothing of the photos or templates reached the log
    expect(gw.stdout() + gw.stderr()).not.toContain(enrolPhotoB64.slice(1000, 1100));
  });
});
