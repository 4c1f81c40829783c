// Face pay as the kiosk page sees it: the real gateway (`canteen-edge start`, the real
// face models), a paired kiosk socket, and the round trip of one JPEG frame (640 px wide,
// q 80, the way the page sends them) → FaceProgress over Socket.IO. That is run.ts's (b′)
// plus Socket.IO, the session, the liveness bookkeeping and the account checks. The person
// is the T1 woman, enrolled over HTTP from her mirrored photo; each session sends frames
// until the match (liveness.frames of them), then is cancelled and started again.
//
// usage: npx tsx bench/face/kiosk.ts [--sessions N] (default 40)
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { recordImpactAssessment } from '../../test/helpers/face.ts';
import { io as connect } from 'socket.io-client';
import type { FaceProgress } from '../../gateway/wire/payments.ts';
import { simulatorConfig, startGateway } from '../../test/helpers/gateway.ts';
import { FACE_MODELS, photo, requireShared, SHARED_MODELS_DIR } from './photos.ts';

const { values: opt } = parseArgs({ options: { sessions: { type: 'string', default: '40' } } });
const SESSIONS = Number(opt.sessions);
requireShared(FACE_MODELS);

const base = await simulatorConfig();
const sims = base.simulators as { scale: Record<string, unknown> };
const gw = await startGateway({
  config: {
    ...base,
    paths: { models_dir: SHARED_MODELS_DIR },
    log: { level: 'warn' },
    simulators: { ...sims, scale: { ...sims.scale, plates_g: [487], cycle_ms: 3000 } },
    canteen: { pricing: { mode: 'uniform', price_fen: 1280, per_grams: 500 }, stations: [{ id: 'checkout-1', scale: 'checkout-1', interval_g: 2 }] },
    payments: { accounts: [{ id: 't1', person: '田一', card_id: 'C1', opening_balance_fen: 100_000 }] },
    biometrics: { liveness: { max_gap_ms: 60_000 } },
  },
});
try {
  const admin = (await gw.loginAs('admin')).headers;
  const api = async (method: string, url: string, body?: unknown) =>
    (await fetch(`${gw.url}${url}`, { method, headers: { ...admin, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined })).json();
  // face pay starts only once the site's impact assessment is on record (PIPL art. 55)
  await recordImpactAssessment(gw.url, admin);
  const { version } = await api('GET', '/api/biometrics/consent-text');
  await api('POST', '/api/biometrics/consents', { account_id: 't1', given_by: 'self', minor: false, text_version: version });
  const mirrored = await sharp(photo('minivision_image_T1.jpg')).rotate().flop().jpeg({ quality: 90 }).toBuffer();
  await api('POST', '/api/biometrics/enrolments', { account_id: 't1', images: [mirrored.toString('base64')] });
  let state: { phase: string; line: { id: string } | null };
  for (const until = Date.now() + 30_000; (state = await api('GET', '/api/canteen/stations/checkout-1')).phase !== 'priced'; ) {
    if (Date.now() > until) throw new Error('no priced plate within 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const sale = await api('POST', '/api/canteen/stations/checkout-1/confirm', { lineId: state.line!.id });

  const kiosk = connect(`${gw.url}/kiosk`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: (await gw.pairKiosk('checkout-1')).token } });
  await new Promise<void>((resolve, reject) => (kiosk.once('connect', resolve), kiosk.once('connect_error', reject)));
  const jpeg = await sharp(photo('minivision_image_T1.jpg')).rotate().resize({ width: 640, withoutEnlargement: true }).jpeg({ quality: 80 }).toBuffer();
  const ack = <T,>(event: string, body: unknown) => kiosk.timeout(60_000).emitWithAck(event, body) as Promise<T>;

  const frameMs: number[] = [];
  const decisionMs: number[] = [];
  for (let i = 0; i < SESSIONS + 2; i++) {
    const start = await ack<FaceProgress>('face:start', { saleId: sale.id });
    let p: FaceProgress;
    do {
      const t0 = performance.now();
      p = await ack<FaceProgress>('face:frame', { sessionId: start.sessionId, jpeg });
      const ms = performance.now() - t0;
      if (i >= 2) (p.state === 'checking' ? frameMs : decisionMs).push(ms); // 2 warm-up sessions
    } while (p.state === 'checking');
    if (p.state !== 'matched') throw new Error(`expected a match, got ${JSON.stringify(p)}`);
    await ack('face:cancel', { sessionId: start.sessionId });
  }
  kiosk.close();
  const stat = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const q = (f: number) => s[Math.min(s.length - 1, Math.floor(f * s.length))]!;
    return `median ${q(0.5).toFixed(2).padStart(7)} ms   p95 ${q(0.95).toFixed(2).padStart(7)} ms   min ${s[0]!.toFixed(2).padStart(7)} ms   n ${s.length}`;
  };
  console.log(`kiosk face bench — ${SESSIONS} sessions, JPEG ${jpeg.length} bytes 480×640, liveness frames per session ${frameMs.length / SESSIONS + 1}`);
  console.log(`(d) kiosk frame → FaceProgress 'checking' (Socket.IO round trip)   ${stat(frameMs)}`);
  console.log(`(d) kiosk frame → FaceProgress 'matched' (+ search, account)      ${stat(decisionMs)}`);
  const load = (await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`load average ${load}`);
} finally {
  await gw.stop();
}
