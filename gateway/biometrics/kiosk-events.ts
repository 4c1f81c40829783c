// The face events of the /kiosk namespace (rules in SOCKET_EVENTS, gateway/auth/roles.ts:
// kiosk role). A paired kiosk acts only for sales of its own station; each event is
// answered through its acknowledgement with a FaceProgress, `{ ok: true }` or `{ error, code }`
// (code: a stable word the page shows in the diner's language). Images are checked by their
// header before anything decodes them, and a socket has one face decode in flight at a time
// (issue 11, hole 7: twelve 10000² PNGs in parallel took the gateway to 3.7 GB).
import type { Socket } from 'socket.io';
import { principalOf } from '../auth/sockets.ts';
import { DISK_FULL_MESSAGE, isDiskFull, type DiskGuard } from '../ops/disk-guard.ts';
import type { BiometricsModule } from './module.ts';
import { BiometricError } from './vault.ts';

type Ack = (answer: unknown) => void;

/**
 * What a face event answers when the disk is full: the same reason as HTTP's 507 (RFC 4918
 * §11.5 Insufficient Storage), `code` for the kiosk to say it in the diner's language.
 */
export const DISK_FULL_ANSWER = { error: DISK_FULL_MESSAGE, code: 'disk-full', status: 507 } as const;

const str = (v: unknown, max = 128): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const bytes = (v: unknown): Buffer | null =>
  Buffer.isBuffer(v) ? v : v instanceof ArrayBuffer ? Buffer.from(v) : ArrayBuffer.isView(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : null;

/** `disk`: the data directory's guard; while it is full, events that write (confirm, enrol) are refused before they start, as HTTP's are. */
export function registerFaceEvents(m: BiometricsModule, socket: Socket, disk?: Pick<DiskGuard, 'state' | 'check' | 'failed'>): void {
  const p = principalOf(socket);
  const station = p?.kind === 'kiosk' ? p.station! : null;
  const actor = p?.name ?? 'kiosk';
  const owner = socket.id;
  let decoding = false;
  /** one image decode per socket at a time: the next only after the answer to the previous */
  const oneAtATime = async <T,>(work: () => Promise<T>): Promise<T> => {
    if (decoding) throw new BiometricError(429, 'one image at a time: send the next after the answer to the previous', 'busy');
    decoding = true;
    try {
      return await work();
    } finally {
      decoding = false;
    }
  };
  const on = (event: string, handle: (body: Record<string, unknown>) => unknown, writes = false) =>
    socket.on(event, async (body: unknown, ack?: unknown) => {
      const reply: Ack = typeof ack === 'function' ? (ack as Ack) : () => {};
      try {
        if (writes && disk?.state === 'full' && disk.check() === 'full') return reply(DISK_FULL_ANSWER);
        if (!body || typeof body !== 'object') throw new BiometricError(400, `${event}: expected an object`);
        reply(await handle(body as Record<string, unknown>));
      } catch (err) {
        if (err instanceof BiometricError) return reply({ error: err.message, ...(err.code ? { code: err.code } : {}) });
        if (isDiskFull(err)) {
          disk?.failed(err);
          m.logger.error({ err: (err as Error).message, event }, 'face event refused: disk full');
          return reply(DISK_FULL_ANSWER);
        }
        m.logger.error({ err, event }, 'face event failed');
        reply({ error: 'internal error' });
      }
    });

  on('face:start', (b) => {
    if (!str(b.saleId, 63)) throw new BiometricError(400, 'saleId: expected the id of the sale to pay');
    return m.sessions.start(b.saleId, station, owner, actor);
  });
  on('face:frame', (b) => {
    if (!str(b.sessionId)) throw new BiometricError(400, 'sessionId: expected the id face:start answered');
    const jpeg = bytes(b.jpeg);
    if (!jpeg?.length) throw new BiometricError(400, 'jpeg: expected the frame as binary JPEG');
    return oneAtATime(async () => {
      await m.checkImage(jpeg, 'jpeg');
      return m.sessions.frame(b.sessionId as string, owner, jpeg);
    });
  });
  on('face:confirm', (b) => {
    if (!str(b.sessionId)) throw new BiometricError(400, 'sessionId: expected the id face:start answered');
    if (!str(b.key)) throw new BiometricError(400, 'key: expected an idempotency key of 1 to 128 characters');
    return m.sessions.confirm(b.sessionId, owner, b.key);
  }, true);
  on('face:cancel', (b) => {
    if (!str(b.sessionId)) throw new BiometricError(400, 'sessionId: expected the id face:start answered');
    m.sessions.cancel(b.sessionId, owner);
    return { ok: true };
  });
  on('face:enrol', (b) => {
    if (station === null) throw new BiometricError(403, 'self-service enrolment is for paired kiosks; staff enrol at /admin');
    if (!str(b.card_id, 64)) throw new BiometricError(400, 'card_id: expected the meal card\'s id');
    if (typeof b.pin !== 'string' || !/^\d{4,6}$/.test(b.pin)) throw new BiometricError(400, 'pin: expected the account\'s payment PIN (4 to 6 digits): a card alone does not enrol a face', 'pin');
    if (!str(b.text_version, 40)) throw new BiometricError(400, 'text_version: expected the version of the consent text shown');
    const jpeg = bytes(b.jpeg);
    if (!jpeg?.length) throw new BiometricError(400, 'jpeg: expected the photo as binary JPEG');
    if (jpeg.length > m.cfg.max_frame_kb * 1024) throw new BiometricError(400, `jpeg: ${jpeg.length} bytes; expected at most ${m.cfg.max_frame_kb * 1024}`);
    const req = { card_id: b.card_id, pin: b.pin, text_version: b.text_version, agree: b.agree === true };
    return oneAtATime(async () => {
      await m.checkImage(jpeg, 'jpeg');
      return m.enrolSelf(req, jpeg, station, actor);
    });
  }, true);
  socket.on('disconnect', () => m.sessions.dropOwner(owner));
}
