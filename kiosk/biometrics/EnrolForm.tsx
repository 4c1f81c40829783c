// Staff enrol a consenting person's face from uploaded photos or the admin
// computer's webcam: 1–5 JPEGs, base64, to POST /api/biometrics/enrolments.
import { useState } from 'preact/hooks';
import { CameraView } from '../checkout/CameraView.tsx';
import { ApiError } from '../checkout/api.ts';
import { useCamera } from '../checkout/useCamera.ts';
import { useLang } from '../i18n.ts';
import { bioApi, blobToBase64, type AccountMsg, type PersonMsg } from './api.ts';
import { toJpeg } from './images.ts';

const MAX_IMAGES = 5;

export function EnrolForm({ accounts, people, onSaved }: { accounts: AccountMsg[]; people: PersonMsg[]; onSaved(): void }) {
  const { t } = useLang();
  const [account, setAccount] = useState('');
  const [shots, setShots] = useState<Blob[]>([]);
  const [webcam, setWebcam] = useState(false);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);

  const add = async (files: Blob[]) => {
    setMsg(null);
    try {
      const jpegs = await Promise.all(files.map((f) => toJpeg(f)));
      setShots((s) => [...s, ...jpegs].slice(0, MAX_IMAGES));
    } catch (err) {
      setMsg({ ok: false, text: (err as Error).message });
    }
  };
  const enrol = async () => {
    setBusy(true);
    setMsg(null);
    try {
      const r = await bioApi.enrol(account.trim(), await Promise.all(shots.map(blobToBase64)));
      setMsg({ ok: true, text: t('bio.enrolled', { id: r.account_id, n: r.images_used }) });
      setShots([]);
      setWebcam(false);
      onSaved();
    } catch (err) {
      const reasons = err instanceof ApiError ? qualityReasons((err as ApiError & { details?: unknown }).details) : '';
      setMsg({ ok: false, text: `${(err as Error).message}${reasons ? `: ${reasons}` : ''}` });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="co-admin-form bio-form"
      data-testid="enrol-form"
      onSubmit={(e) => {
        e.preventDefault();
        void enrol();
      }}
    >
      <label>
        {t('bio.account')}
        <select data-testid="enrol-account" value={account} required onChange={(e) => setAccount((e.target as HTMLSelectElement).value)}>
          <option value="">—</option>
          {accounts.map((a) => {
            const consented = !!people.find((p) => p.account_id === a.id)?.consent;
            return (
              <option key={a.id} value={a.id} disabled={!consented}>
                {a.id}{consented ? '' : ` (${t('bio.noConsent')})`}
              </option>
            );
          })}
        </select>
      </label>
      <label>
        {t('bio.upload')}
        <input
          type="file"
          accept="image/*"
          multiple
          data-testid="enrol-files"
          onChange={(e) => {
            const input = e.target as HTMLInputElement;
            void add([...(input.files ?? [])]);
            input.value = '';
          }}
        />
      </label>
      <button type="button" class="co-btn co-small" data-testid="enrol-webcam" onClick={() => setWebcam((w) => !w)}>{t(webcam ? 'bio.webcamOff' : 'bio.webcam')}</button>
      {webcam && <WebcamShot disabled={shots.length >= MAX_IMAGES} onShot={(b) => setShots((s) => [...s, b].slice(0, MAX_IMAGES))} />}
      <p data-testid="enrol-count" data-count={shots.length}>
        {t('bio.images', { n: shots.length, max: MAX_IMAGES })}{' '}
        {shots.length > 0 && <button type="button" class="co-btn co-small" onClick={() => setShots([])}>{t('bio.clearImages')}</button>}
      </p>
      <button type="submit" class="co-btn co-small co-ok" data-testid="enrol-submit" disabled={busy || !account || shots.length === 0}>{t('bio.enrol')}</button>
      {msg && <p class={msg.ok ? 'co-hint' : 'alert'} data-testid="enrol-result" data-ok={String(msg.ok)}>{msg.text}</p>}
    </form>
  );
}

function WebcamShot({ disabled, onShot }: { disabled: boolean; onShot(b: Blob): void }) {
  const { t } = useLang();
  const camera = useCamera();
  return (
    <div class="bio-webcam">
      <CameraView camera={camera} />
      <button type="button" class="co-btn co-small" data-testid="enrol-shot" disabled={disabled || camera.state !== 'on'} onClick={() => void camera.capture().then((b) => b && onShot(b))}>
        {t('bio.takeShot')}
      </button>
    </div>
  );
}

/** The 422 body's per-image quality reasons, whatever their exact shape. */
function qualityReasons(details: unknown): string {
  const q = (details as { quality?: unknown } | undefined)?.quality;
  if (!Array.isArray(q)) return '';
  return q.map((x) => (typeof x === 'string' ? x : typeof x === 'object' && x ? Object.values(x as Record<string, unknown>).flat().filter((v) => typeof v === 'string').join(' ') : String(x))).filter(Boolean).join('; ');
}
