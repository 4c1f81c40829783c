// Issue 11 part B, against the real gateway with the real face models and photos: the
// attacks of the review (a card number taking over someone's face, deleted templates
// recoverable from the files, image bombs) and the law (under-14s, retention, account
// closing, the notice, the impact assessment). Each attack here succeeded on the old main.
import { createDecipheriv } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACE_MODELS, requireShared, SHARED_MODELS_DIR } from '../bench/face/photos.ts';
import { readTar } from '../gateway/ops/tar.ts';
import { IMPACT_ASSESSMENT, kioskFrame, recordImpactAssessment } from './helpers/face.ts';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';

let gw: RunningGateway;
let config: Record<string, unknown>;
let admin: Record<string, string>;
let kiosk: Socket;
let photoA = '';

const api = async (method: string, url: string, body?: unknown, headers: Record<string, string> = admin) => {
  const r = await fetch(`${gw.url}${url}`, { method, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body !== undefined ? JSON.stringify(body) : undefined });
  return { status: r.status, body: r.status === 204 ? null : await r.json() };
};
const openKiosk = async (): Promise<Socket> => {
  const s = connect(`${gw.url}/kiosk`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: (await gw.pairKiosk('checkout-1')).token } });
  await new Promise<void>((resolve, reject) => (s.once('connect', resolve), s.once('connect_error', reject)));
  return s;
};
const ack = <T = Record<string, unknown>,>(event: string, body: unknown, socket = kiosk) => socket.timeout(120_000).emitWithAck(event, body) as Promise<T>;
const version = async () => ((await api('GET', '/api/biometrics/consent-text')).body as { version: string }).version;
const audit = async (account: string) => (await api('GET', `/api/biometrics/audit?account_id=${account}`)).body.audit as { actor: string; action: string; detail: string }[];
const dbRows = <T,>(sql: string, ...args: unknown[]): T[] => {
  const db = new Database(path.join(gw.dataDir, 'canteen-edge.db'), { readonly: true });
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
};
const template = (account: string) => dbRows<{ iv: Buffer; tag: Buffer; ciphertext: Buffer }>('SELECT iv, tag, ciphertext FROM face_templates WHERE account_id = ?', account)[0];

/** Staff enrolment: consent (self, or a guardian's), then the photo. */
async function staffEnrol(account: string, imageB64: string, consent: Record<string, unknown> = { given_by: 'self', minor: false }) {
  const c = await api('POST', '/api/biometrics/consents', { account_id: account, text_version: await version(), ...consent });
  expect(c.status, JSON.stringify(c.body)).toBe(201);
  return api('POST', '/api/biometrics/enrolments', { account_id: account, images: [imageB64] });
}

/** Every file under the data directory, recursively (db, -wal, -shm, photos, settings …). */
function dataFiles(dir = gw.dataDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? dataFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
const filesHolding = (needle: Buffer) => dataFiles().filter((f) => readFileSync(f).includes(needle)).map((f) => path.relative(gw.dataDir, f));

const years = (n: number) => {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - n);
  return d.toISOString().slice(0, 10);
};

beforeAll(async () => {
  requireShared(FACE_MODELS);
  const base = await simulatorConfig();
  config = {
    ...base,
    site: { name: '测试食堂', processor: { name: '某某市机关事务管理局', contact: '0571-8888 0000（食堂办公室）' } },
    paths: { models_dir: SHARED_MODELS_DIR },
    canteen: { stations: [{ id: 'checkout-1', scale: 'checkout-1', interval_g: 2 }] },
    payments: {
      accounts: [
        { id: 'x', person: '许大明', card_id: 'CX', birth_date: '1990-05-01', opening_balance_fen: 5000 },
        { id: 'y', person: '杨小红', card_id: 'CY', birth_date: '1988-02-29', opening_balance_fen: 5000 },
        { id: 'kid', person: '钱小七', card_id: 'CK', birth_date: years(9), opening_balance_fen: 800 },
        { id: 'nobd', person: '孙不详', card_id: 'CN', opening_balance_fen: 800 },
        { id: 'grows', person: '周成长', card_id: 'CG', birth_date: '1995-01-01', opening_balance_fen: 800 },
        { id: 'leaver', person: '吴离职', card_id: 'CL', birth_date: '1980-01-01', opening_balance_fen: 800 },
      ],
    },
    // enrolment photos kept (encrypted, under face-images/): they must go with the template too
    biometrics: { liveness: { max_gap_ms: 30_000 }, kiosk_enrol: { max_failures: 8 }, keep_enrolment_images: true },
  };
  gw = await startGateway({ config });
  admin = (await gw.loginAs('admin')).headers;
  kiosk = await openKiosk();
  for (const [id, pin] of [['x', '1357'], ['y', '2468'], ['kid', '1111'], ['nobd', '2222']]) {
    expect((await api('POST', `/api/payments/accounts/${id}/pin`, { pin })).status).toBe(204);
  }
  photoA = (await kioskFrame('compreface_001_A.jpg', 1400)).toString('base64');
}, 120_000);

afterAll(async () => {
  kiosk?.close();
  await gw?.stop();
});

describe('the impact assessment comes first (PIPL arts. 55–56)', () => {
  it('without one, face pay and every enrolment are off and the kiosk is told not to offer face pay', async () => {
    const kioskHeaders = (await gw.pairKiosk('checkout-1')).headers;
    expect((await api('GET', '/api/biometrics/status', undefined, kioskHeaders)).body).toMatchObject({ available: false, reason: 'no_impact_assessment' });
    expect(await ack('face:start', { saleId: 'any' })).toMatchObject({ code: 'face_pay_unavailable', error: expect.stringMatching(/impact assessment/) });
    expect(await ack('face:enrol', { card_id: 'CY', pin: '2468', text_version: await version(), agree: true, jpeg: await kioskFrame('minivision_image_T1.jpg') })).toMatchObject({ code: 'face_pay_unavailable' });
    const c = await api('POST', '/api/biometrics/consents', { account_id: 'x', given_by: 'self', minor: false, text_version: await version() });
    expect(c.status).toBe(201);
    const r = await api('POST', '/api/biometrics/enrolments', { account_id: 'x', images: [photoA] });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatch(/impact assessment/);
    expect(dbRows('SELECT account_id FROM face_templates')).toEqual([]);
  });

  it('an incomplete assessment is refused with the field named; a complete one turns face pay on and is in the support bundle', async () => {
    const bad = await api('POST', '/api/biometrics/impact-assessment', { ...IMPACT_ASSESSMENT, risks: ' ' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/risks/);
    await recordImpactAssessment(gw.url, admin);
    expect((await api('GET', '/api/biometrics/status')).body).toEqual({ available: true, reason: null, message: null });
    const got = (await api('GET', '/api/biometrics/impact-assessment')).body;
    expect(got.latest).toMatchObject({ ...IMPACT_ASSESSMENT, recorded_by: 'test-admin' });
    const res = await fetch(`${gw.url}/api/admin/support-bundle`, { headers: admin });
    expect(res.status).toBe(200);
    const files = new Map<string, string>();
    await readTar(Readable.from([gunzipSync(Buffer.from(await res.arrayBuffer()))]), (h) => {
      const chunks: Buffer[] = [];
      return { write: (c) => void chunks.push(Buffer.from(c)), end: () => void files.set(h.name, Buffer.concat(chunks).toString('utf8')) };
    });
    const entry = files.get('canteen-edge-support/biometrics/impact-assessment.json');
    expect(entry, [...files.keys()].join(', ')).toBeDefined();
    expect(JSON.parse(entry!)).toMatchObject({ face_pay: { available: true }, assessment: { assessor: IMPACT_ASSESSMENT.assessor, conclusion: IMPACT_ASSESSMENT.conclusion } });
  });
});

describe('notice (PIPL arts. 17, 30)', () => {
  it('the consent text names the processor and its contact (from site), the purpose and effect, retention, how to withdraw and the other ways to pay', async () => {
    const t = (await api('GET', '/api/biometrics/consent-text')).body;
    expect(t.processor).toEqual({ name: '某某市机关事务管理局', contact: '0571-8888 0000（食堂办公室）' });
    expect(t.retention_days).toBe(365);
    for (const part of ['purpose', 'effect', 'retention', 'withdraw', 'alternative']) {
      expect(t.zh[part], part).toMatch(/[\u4e00-\u9fff]/);
      expect(t.en[part], part).toMatch(/[a-z]/);
    }
    expect(t.zh.alternative).toMatch(/饭卡.*二维码.*密码/);
    expect(t.zh.withdraw).toMatch(/撤回/);
  });
});

describe('hole 3: a card number does not take over a face', () => {
  it('X is enrolled by staff; the kiosk attacker with X\'s card gets the same answer as for an unknown card or a wrong PIN, and X\'s template is untouched', async () => {
    const r = await api('POST', '/api/biometrics/enrolments', { account_id: 'x', images: [photoA] });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const before = template('x')!;
    const { version: v } = (await api('GET', '/api/biometrics/consent-text')).body;
    const attacker = await kioskFrame('minivision_image_T1.jpg');
    const noPin = await ack('face:enrol', { card_id: 'CX', text_version: v, agree: true, jpeg: attacker });
    expect(noPin).toMatchObject({ code: 'pin', error: expect.stringMatching(/PIN/) });
    const wrongPin = await ack('face:enrol', { card_id: 'CX', pin: '0000', text_version: v, agree: true, jpeg: attacker });
    const unknownCard = await ack('face:enrol', { card_id: 'NO-SUCH-CARD', pin: '1357', text_version: v, agree: true, jpeg: attacker });
    // even with X's PIN: X is enrolled, and a kiosk never replaces a template
    const rightPin = await ack('face:enrol', { card_id: 'CX', pin: '1357', text_version: v, agree: true, jpeg: attacker });
    expect(wrongPin).toMatchObject({ code: 'enrol_refused' });
    expect(unknownCard).toEqual(wrongPin);
    expect(rightPin).toEqual(wrongPin);
    const after = template('x')!;
    expect(after.ciphertext.equals(before.ciphertext)).toBe(true);
    expect((await audit('x')).filter((a) => a.action === 'enrol').map((a) => a.actor)).toEqual(['test-admin']);
  });

  it('re-enrolment is a staff action: refused without replace, and with it the old template is retired under its own audit line', async () => {
    const plain = await api('POST', '/api/biometrics/enrolments', { account_id: 'x', images: [photoA] });
    expect(plain.status).toBe(409);
    expect(plain.body.error).toMatch(/replace/);
    const before = template('x')!;
    const re = await api('POST', '/api/biometrics/enrolments', { account_id: 'x', images: [(await kioskFrame('compreface_002_A.jpg', 1400)).toString('base64')], replace: true });
    expect(re.status, JSON.stringify(re.body)).toBe(201);
    expect(template('x')!.ciphertext.equals(before.ciphertext)).toBe(false);
    // the retired template is gone from the files too
    expect(filesHolding(before.ciphertext)).toEqual([]);
    const lines = await audit('x');
    expect(lines[0]).toMatchObject({ action: 'enrol', actor: 'test-admin' });
    expect(lines[1]).toMatchObject({ action: 're-enrol', actor: 'test-admin', detail: expect.stringMatching(/old template .* retired/) });
  });

  it('the holder enrols at the kiosk with card and PIN (adult, live face); then the kiosk refuses a second time with the same answer', async () => {
    const v = await version();
    const jpeg = await kioskFrame('minivision_image_T1.jpg');
    expect(await ack('face:enrol', { card_id: 'CY', pin: '2468', text_version: v, agree: true, jpeg })).toEqual({ ok: true, person: '杨*红' });
    const again = await ack('face:enrol', { card_id: 'CY', pin: '2468', text_version: v, agree: true, jpeg });
    expect(again).toMatchObject({ code: 'enrol_refused' });
    expect((await audit('y')).map((a) => a.action)).toEqual(expect.arrayContaining(['consent', 'enrol']));
  });
});

describe('minors and accounts without a birth date (PIPL art. 31), decided by the server', () => {
  it('an under-14 account: the kiosk refuses with a clear reason (after card and PIN); staff need a guardian\'s record with name and relation', async () => {
    const v = await version();
    const r = await ack('face:enrol', { card_id: 'CK', pin: '1111', text_version: v, agree: true, jpeg: await kioskFrame('minivision_image_T1.jpg') });
    expect(r).toMatchObject({ code: 'under14', error: expect.stringMatching(/under 14/) });
    // the form saying "not a minor" changes nothing: the birth date decides
    const self = await api('POST', '/api/biometrics/consents', { account_id: 'kid', given_by: 'self', minor: false, text_version: v });
    expect(self.status).toBe(400);
    expect(self.body.error).toMatch(/guardian/);
    const noRelation = await api('POST', '/api/biometrics/consents', { account_id: 'kid', given_by: 'guardian', minor: false, guardian_name: '钱大', text_version: v });
    expect(noRelation.status).toBe(400);
    expect(noRelation.body.error).toMatch(/guardian_relation/);
    const ok = await staffEnrol('kid', (await kioskFrame('compreface_009_C.jpg')).toString('base64'), { given_by: 'guardian', minor: false, guardian_name: '钱大', guardian_relation: '父亲' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const consent = dbRows<{ minor: number; guardian_name: string; guardian_relation: string; text_version: string }>('SELECT minor, guardian_name, guardian_relation, text_version FROM face_consents WHERE account_id = ? AND withdrawn_at IS NULL', 'kid');
    expect(consent).toEqual([{ minor: 1, guardian_name: '钱大', guardian_relation: '父亲', text_version: v }]);
  });

  it('an account without a birth date is sent to the staff (default unknown_birth_date: ask_staff)', async () => {
    const r = await ack('face:enrol', { card_id: 'CN', pin: '2222', text_version: await version(), agree: true, jpeg: await kioskFrame('minivision_image_T1.jpg') });
    expect(r).toMatchObject({ code: 'ask_staff', error: expect.stringMatching(/birth date/) });
    expect(dbRows('SELECT 1 FROM face_consents WHERE account_id = ?', 'nobd')).toEqual([]);
  });

  it('the central sync correcting a birth date to under 14 deletes a self-consented template at once (audited)', async () => {
    const r = await staffEnrol('grows', (await kioskFrame('pexels_cc0_smiling-woman.jpg')).toString('base64'));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const sync = await api('PUT', '/api/payments/accounts/grows', { person: '周成长', card_id: 'CG', birth_date: years(10) });
    expect(sync.status).toBe(200);
    expect(sync.body).toMatchObject({ id: 'grows', birth_date: years(10) });
    expect(template('grows')).toBeUndefined();
    expect((await audit('grows'))[0]).toMatchObject({ action: 'delete', detail: expect.stringMatching(/under 14 without a guardian/) });
    const bad = await api('PUT', '/api/payments/accounts/grows', { person: '周成长', birth_date: '2015-02-30' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/birth_date/);
  });
});

describe('retention (PIPL art. 47)', () => {
  it('closing an account through the central sync deletes its template at once, audited', async () => {
    const r = await staffEnrol('leaver', (await kioskFrame('skimage_astronaut.png')).toString('base64'));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect((await api('PUT', '/api/payments/accounts/leaver', { person: '吴离职', card_id: 'CL', status: 'closed' })).status).toBe(200);
    expect(template('leaver')).toBeUndefined();
    expect((await audit('leaver'))[0]).toMatchObject({ action: 'delete', detail: 'account closed' });
    const again = await staffEnrol('leaver', (await kioskFrame('skimage_astronaut.png')).toString('base64'));
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/closed/);
  });
});

describe('hole 5: a deleted template leaves no bytes in any file of the data directory', () => {
  it('after DELETE (x) and withdrawal (y), neither the ciphertext nor the plaintext embedding nor the kept photos are in the db, -wal, -shm or any other file — with the key at hand', async () => {
    const key = readFileSync(path.join(gw.dataDir, 'biometric.key'));
    const secrets = (['x', 'y'] as const).map((id) => {
      const t = template(id)!;
      const d = createDecipheriv('aes-256-gcm', key, t.iv);
      d.setAAD(Buffer.from(id));
      d.setAuthTag(t.tag);
      return { id, ciphertext: t.ciphertext, plain: Buffer.concat([d.update(t.ciphertext), d.final()]) };
    });
    // the search finds them while they are held (the test can fail)
    for (const s of secrets) expect(filesHolding(s.ciphertext).length, s.id).toBeGreaterThan(0);
    const kept = dataFiles().filter((f) => /face-images\/(x|y)\//.test(f));
    expect(kept.length, 'kept enrolment photos of x and y').toBeGreaterThanOrEqual(2);
    const photoBytes = kept.map((f) => readFileSync(f).subarray(28, 28 + 256)); // past the IV and tag: the encrypted photo
    expect((await api('DELETE', '/api/biometrics/people/x')).status).toBe(200);
    expect((await api('POST', '/api/biometrics/people/y/withdraw')).status).toBe(200);
    for (const s of secrets) {
      expect(filesHolding(s.ciphertext), `${s.id}: ciphertext`).toEqual([]);
      expect(filesHolding(s.plain), `${s.id}: plaintext`).toEqual([]);
      // and no 64-byte stretch of either
      for (let off = 0; off + 64 <= s.ciphertext.length; off += 64) expect(filesHolding(s.ciphertext.subarray(off, off + 64)), `${s.id} @${off}`).toEqual([]);
    }
    expect(statSync(path.join(gw.dataDir, 'canteen-edge.db-wal')).size).toBeLessThan(4096 * 64);
    expect(dataFiles().filter((f) => /face-images\/(x|y)\//.test(f))).toEqual([]);
    for (const b of photoBytes) expect(filesHolding(b)).toEqual([]);
  });
});

describe('hole 7: image bombs', () => {
  /** 10000 × 10000 px of one colour: a PNG of about 100 KB that would decode to 300 MB of RGB */
  let bomb: Buffer;
  const vm = (field: 'VmRSS' | 'VmHWM') => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${gw.child.pid}/status`, 'utf8'))![1]) * 1024;

  beforeAll(async () => {
    bomb = await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: '#808080' } }).png({ palette: true, compressionLevel: 9 }).toBuffer();
    expect(bomb.length).toBeLessThan(300 * 1024);
  }, 120_000);

  it('12 face:enrol over 4 sockets and 4 dish photos at once are refused with a reason, and the gateway\'s peak RSS stays bounded', async () => {
    const rssBefore = vm('VmRSS');
    // reset the peak-RSS counter of the gateway process (Linux clear_refs 5), so VmHWM is the peak of this attack
    writeFileSync(`/proc/${gw.child.pid}/clear_refs`, '5');
    const sockets = await Promise.all([1, 2, 3, 4].map(() => openKiosk()));
    const v = await version();
    expect((await api('POST', '/api/canteen/dishes', { id: 'bomb-dish', name: '炸弹', price_mode: 'per_portion', price_fen: 100 })).status).toBe(201);
    const [face, photos, staff] = await Promise.all([
      Promise.all(sockets.flatMap((s) => [1, 2, 3].map(() => ack('face:enrol', { card_id: 'CY', pin: '2468', text_version: v, agree: true, jpeg: bomb }, s)))),
      Promise.all([1, 2, 3, 4].map(() => fetch(`${gw.url}/api/canteen/dishes/bomb-dish/photo`, { method: 'PUT', headers: { ...admin, 'content-type': 'image/png' }, body: new Uint8Array(bomb) }).then(async (r) => ({ status: r.status, body: await r.json() })))),
      api('POST', '/api/biometrics/enrolments', { account_id: 'y', images: [bomb.toString('base64')] }),
    ]);
    for (const s of sockets) s.close();
    for (const a of face) expect(['image_too_large', 'busy', 'enrol_refused']).toContain(a.code);
    expect(face.filter((a) => a.code === 'image_too_large').length).toBeGreaterThanOrEqual(4);
    expect(face.find((a) => a.code === 'image_too_large')!.error).toMatch(/10000 × 10000 px .*at most 2\.0 Mpx/);
    for (const p of photos) expect(p).toMatchObject({ status: 413, body: { error: expect.stringMatching(/10000 × 10000 px.*max_photo_pixels/) } });
    expect(staff.status).toBe(413);
    const peak = vm('VmHWM');
    // one decode of the bomb alone is 300 MB of RGB; refused unread the peak stays near where it was
    expect(peak - rssBefore, `RSS before ${rssBefore >> 20} MB, peak during ${peak >> 20} MB`).toBeLessThan(250 * 1024 * 1024);
    // a frame of a face-pay session is checked the same way
    expect(await ack('face:frame', { sessionId: 'whatever', jpeg: bomb })).toMatchObject({ code: 'image_too_large' });
  }, 120_000);
});

describe('retention sweep at start', () => {
  it('a template unused for retention_days is deleted when the gateway starts, with an audit line; a recently used one stays', async () => {
    expect(template('kid')).toBeDefined();
    const old = await staffEnrol('nobd', (await kioskFrame('compreface_007_B.jpg')).toString('base64'));
    expect(old.status, JSON.stringify(old.body)).toBe(201);
    kiosk.close();
    const { code } = await gw.stop();
    expect(code).toBe(0);
    const db = new Database(path.join(gw.dataDir, 'canteen-edge.db'));
    db.prepare("UPDATE face_templates SET created_at = ?, last_used_at = NULL WHERE account_id = 'nobd'").run(Date.now() - 366 * 86_400_000);
    db.prepare("UPDATE face_templates SET last_used_at = ? WHERE account_id = 'kid'").run(Date.now() - 300 * 86_400_000);
    db.close();
    const dataDir = gw.dataDir;
    gw = Object.assign(await startGateway({ config, env: { CANTEEN_EDGE_DATA_DIR: dataDir } }), { dataDir });
    admin = (await gw.loginAs('admin')).headers;
    expect(template('nobd')).toBeUndefined();
    expect(template('kid')).toBeDefined();
    expect((await audit('nobd'))[0]).toMatchObject({ action: 'delete', actor: 'retention sweep', detail: 'not used for 365 days (biometrics.retention_days)' });
  }, 120_000);
});

describe('kiosk self-enrolment is rate-limited per kiosk', () => {
  it('after max_failures refused attempts the kiosk is paused, even for the right card and PIN', async () => {
    kiosk = await openKiosk();
    const v = await version();
    const jpeg = await kioskFrame('minivision_image_T1.jpg');
    const answers = [];
    for (let i = 0; i < 9; i++) answers.push(await ack('face:enrol', { card_id: `NOPE-${i}`, pin: '9999', text_version: v, agree: true, jpeg }));
    expect(answers.slice(0, 8).every((a) => a.code === 'enrol_refused')).toBe(true);
    expect(answers[8]).toMatchObject({ code: 'enrol_paused' });
    expect(await ack('face:enrol', { card_id: 'CY', pin: '2468', text_version: v, agree: true, jpeg })).toMatchObject({ code: 'enrol_paused' });
  }, 120_000);
});
