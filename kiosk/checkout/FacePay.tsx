// Paying a sale by face: the kiosk's own camera, one frame in flight at a time
// (capture → JPEG → `face:frame` → the ack → the next frame), liveness progress
// and hints, then the masked name and balances for the diner to confirm.
// The other ways to pay stay on screen around this view (Station.tsx).
import { useEffect, useRef, useState } from 'preact/hooks';
import type { SaleMsg } from '../../gateway/wire/canteen.ts';
import type { FaceDecline, FaceProgress } from '../../gateway/wire/payments.ts';
import { useLang, type Key } from '../i18n.ts';
import { CameraView } from './CameraView.tsx';
import { newKey } from './idempotency.ts';
import { useKioskSocket } from './kioskSocket.ts';
import { fmtYuan } from './money.ts';
import { useCamera } from './useCamera.ts';

/** At most this many frames a second even when the server answers fast (a 2-core box). */
const MIN_FRAME_GAP_MS = 120;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The server's short quality reasons (English) → what the diner should do. */
const HINTS: [RegExp, Key][] = [
  [/no face|not found/i, 'face.hint.noFace'],
  [/small|far|closer/i, 'face.hint.closer'],
  [/large|close|back/i, 'face.hint.farther'],
  [/still|blur|motion|moving/i, 'face.hint.still'],
  [/pose|turn|yaw|pitch|roll|straight|upright|angle|tilt/i, 'face.hint.straight'],
  [/not clear/i, 'face.lookHere'],
  [/cent(er|re)|edge|off/i, 'face.hint.centre'],
  [/dark|light|bright|exposure/i, 'face.hint.light'],
  [/many|faces|one person|several/i, 'face.hint.onePerson'],
];

export function hintKey(hint: string): Key | null {
  return HINTS.find(([re]) => re.test(hint))?.[1] ?? null;
}

const DECLINES: FaceDecline[] = ['not_recognised', 'liveness_failed', 'no_face', 'account_frozen', 'account_closed', 'insufficient_balance', 'daily_cap_reached', 'face_pay_unavailable'];
export const declineKey = (d: string | null): Key => (DECLINES.includes(d as FaceDecline) ? (`face.decline.${d as FaceDecline}` as const) : 'face.decline.other');

/** unavailable: face:start refused (face pay off, no models, the sale not payable here): the server's reason kept out of sight for staff */
type View = { kind: 'starting' } | { kind: 'progress'; p: FaceProgress } | { kind: 'unavailable'; message: string } | { kind: 'error'; message: string; code?: string };

export function FacePay({ sale, onClose }: { sale: SaleMsg; onClose(): void }) {
  const { t } = useLang();
  const camera = useCamera();
  const open = useRef<string | null>(null);
  // Leaving the view ends an undecided session at once rather than after the server's idle timeout.
  const emit = useKioskSocket(() => (open.current ? ['face:cancel', { sessionId: open.current }] : null));
  const [view, setView] = useState<View>({ kind: 'starting' });
  const [attempt, setAttempt] = useState(0);
  const [confirming, setConfirming] = useState(false);
  const cameraOn = useRef(false);
  cameraOn.current = camera.state === 'on';

  // One attempt: face:start, then frames until the server decides; "try again" starts a new one.
  useEffect(() => {
    let live = true;
    const run = async () => {
      setView({ kind: 'starting' });
      let p: FaceProgress;
      try {
        p = await emit<FaceProgress>('face:start', { saleId: sale.id });
      } catch (err) {
        if (live) setView({ kind: 'unavailable', message: (err as Error).message });
        return;
      }
      open.current = p.sessionId;
      while (live) {
        setView({ kind: 'progress', p });
        if (p.state !== 'looking' && p.state !== 'checking') break;
        const began = Date.now();
        const jpeg = cameraOn.current ? await camera.capture() : null;
        if (!live) break;
        if (!jpeg) {
          await sleep(200);
          continue;
        }
        p = await emit<FaceProgress>('face:frame', { sessionId: p.sessionId, jpeg: await jpeg.arrayBuffer() });
        await sleep(MIN_FRAME_GAP_MS - (Date.now() - began));
      }
      if (p.state === 'declined' || p.state === 'paid') open.current = null;
    };
    run().catch((err: Error & { code?: string }) => live && setView({ kind: 'error', message: err.message, code: err.code }));
    return () => {
      live = false;
    };
  }, [attempt]);

  const confirm = async (p: FaceProgress) => {
    setConfirming(true);
    try {
      // One key per tap: a retried confirm after a lost answer is charged once.
      const answer = await emit<FaceProgress>('face:confirm', { sessionId: p.sessionId, key: newKey() });
      open.current = null;
      setView({ kind: 'progress', p: answer });
    } catch (err) {
      setView({ kind: 'error', message: (err as Error).message, code: (err as { code?: string }).code });
    } finally {
      setConfirming(false);
    }
  };
  const retry = () => {
    if (open.current) emit('face:cancel', { sessionId: open.current }).catch(() => {});
    open.current = null;
    setAttempt((n) => n + 1);
  };

  const p = view.kind === 'progress' ? view.p : null;
  const state = view.kind === 'progress' ? view.p.state : view.kind;
  const hint = p?.hint ? hintKey(p.hint) : null;
  const tryAgain = (
    <button type="button" class="co-btn" data-testid="face-retry" onClick={retry}>{t('face.retry')}</button>
  );

  return (
    <section class="fp" data-testid="face-pay" data-state={state} data-frames={p?.liveness.frames} data-needed={p?.liveness.needed}>
      <h3>{t('face.title')} · {fmtYuan(sale.totalFen)}</h3>
      <div class="fp-body">
        <CameraView camera={camera}>
          {p && (p.state === 'looking' || p.state === 'checking') && (
            <div class="fp-status">
              <progress max={p.liveness.needed} value={p.liveness.frames} />
              <span data-testid="face-liveness" data-frames={p.liveness.frames} data-needed={p.liveness.needed}>
                {t('face.liveness', { n: p.liveness.frames, of: p.liveness.needed })}
              </span>
              <b data-testid="face-hint" data-hint={p.hint ?? ''}>{hint ? t(hint) : p.hint ?? t('face.lookHere')}</b>
            </div>
          )}
        </CameraView>
        <div class="fp-side">
          {view.kind === 'starting' && <p class="co-hint">{t('face.starting')}</p>}
          {view.kind === 'error' && (
            <>
              {/* a full disk (the gateway's 507): said in the diner's language, the server's text kept for staff */}
              <p class="alert" data-testid="face-error" data-code={view.code ?? ''} data-detail={view.message}>
                {view.code === 'disk-full' ? t('face.diskFull') : t('face.failed', { e: view.message })}
              </p>
              {tryAgain}
            </>
          )}
          {view.kind === 'unavailable' && (
            <>
              {/* the server's reason is for staff (data-detail), not a sentence for the diner */}
              <p class="alert fp-decline" data-testid="face-declined" data-reason="face_pay_unavailable" data-detail={view.message}>{t('face.decline.face_pay_unavailable')}</p>
              <p class="co-hint">{t('face.otherWays')}</p>
            </>
          )}
          {p && (p.state === 'looking' || p.state === 'checking') && <p class="co-hint">{t('face.lookHere')}</p>}
          {p?.candidate && p.state !== 'declined' && (
            <dl class="fp-candidate" data-testid="face-candidate" data-person={p.candidate.person} data-balance={p.candidate.balance_fen} data-after={p.candidate.balance_after_fen}>
              <div><dt>{t('face.name')}</dt><dd data-testid="face-person">{p.candidate.person}</dd></div>
              <div><dt>{t('face.balance')}</dt><dd>{fmtYuan(p.candidate.balance_fen)}</dd></div>
              <div><dt>{t('face.after')}</dt><dd>{fmtYuan(p.candidate.balance_after_fen)}</dd></div>
            </dl>
          )}
          {p?.state === 'matched' && (
            <>
              <button type="button" class="co-btn co-primary" data-testid="face-confirm" disabled={confirming} onClick={() => void confirm(p)}>
                {t('face.confirm', { p: fmtYuan(sale.totalFen) })}
              </button>
              <button type="button" class="co-btn" data-testid="face-not-me" disabled={confirming} onClick={retry}>{t('face.notMe')}</button>
            </>
          )}
          {p?.state === 'paid' && <p class="co-message" data-testid="face-paid">✓ {t('pay.approved', { name: p.candidate?.person ?? '' })}</p>}
          {p?.state === 'declined' && (
            <>
              <p class="alert fp-decline" data-testid="face-declined" data-reason={p.decline ?? p.transaction?.reason ?? ''}>
                {t(declineKey(p.decline ?? p.transaction?.reason ?? null))}
              </p>
              <p class="co-hint">{t('face.otherWays')}</p>
              {p.decline !== 'face_pay_unavailable' && tryAgain}
            </>
          )}
          <button type="button" class="co-btn" data-testid="face-close" onClick={onClose}>{t('pay.otherWay')}</button>
        </div>
      </div>
    </section>
  );
}
