// The face events of the /kiosk namespace (rules in SOCKET_EVENTS, gateway/auth/roles.ts:
// kiosk role). A paired kiosk acts only for sales of its own station; each event is
// answered through its acknowledgement with a FaceProgress, `{ ok: true }` or `{ error }`.
import type { Socket } from 'socket.io';
import { principalOf } from '../auth/sockets.ts';
import type { BiometricsModule } from './module.ts';
import { BiometricError } from './vault.ts';

type Ack = (answer: unknown) => void;

const str = (v: unknown, max = 128): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const bytes = (v: unknown): Buffer | null =>
  Buffer.isBuffer(v) ? v : v instanceof ArrayBuffer ? Buffer.from(v) : ArrayBuffer.isView(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : null;

export function registerFaceEvents(m: BiometricsModule, socket: Socket): void {
  const p = principalOf(socket);
  const station = p?.kind === 'kiosk' ? p.station! : null;
  const actor = p?.name ?? 'kiosk';
  const owner = socket.id;
  const on = (event: string, handle: (body: Record<string, unknown>) => unknown) =>
    socket.on(event, async (body: unknown, ack?: unknown) => {
      const reply: Ack = typeof ack === 'function' ? (ack as Ack) : () => {};
      try {
        if (!body || typeof body !== 'object') throw new BiometricError(400, `${event}: expected an object`);
        reply(await handle(body as Record<string, unknown>));
      } catch (err) {
        if (err instanceof BiometricError) return reply({ error: err.message });
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
    return m.sessions.frame(b.sessionId, owner, jpeg);
  });
  on('face:confirm', (b) => {
    if (!str(b.sessionId)) throw new BiometricError(400, 'sessionId: expected the id face:start answered');
    if (!str(b.key)) throw new BiometricError(400, 'key: expected an idempotency key of 1 to 128 characters');
    return m.sessions.confirm(b.sessionId, owner, b.key);
  });
  on('face:cancel', (b) => {
    if (!str(b.sessionId)) throw new BiometricError(400, 'sessionId: expected the id face:start answered');
    m.sessions.cancel(b.sessionId, owner);
    return { ok: true };
  });
  on('face:enrol', (b) => {
    if (station === null) throw new BiometricError(403, 'self-service enrolment is for paired kiosks; staff enrol at /admin');
    if (!str(b.card_id, 64)) throw new BiometricError(400, 'card_id: expected the meal card\'s id');
    if (!str(b.text_version, 40)) throw new BiometricError(400, 'text_version: expected the version of the consent text shown');
    const jpeg = bytes(b.jpeg);
    if (!jpeg?.length) throw new BiometricError(400, 'jpeg: expected the photo as binary JPEG');
    if (jpeg.length > m.cfg.max_frame_kb * 1024) throw new BiometricError(400, `jpeg: ${jpeg.length} bytes; expected at most ${m.cfg.max_frame_kb * 1024}`);
    return m.enrolSelf({ card_id: b.card_id, text_version: b.text_version, agree: b.agree === true }, jpeg, station, actor);
  });
  socket.on('disconnect', () => m.sessions.dropOwner(owner));
}
