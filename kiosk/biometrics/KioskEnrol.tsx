// Self-service face-pay enrolment at the kiosk, adults only: the meal card says
// who and the account's PIN proves it is the holder (a card alone never enrols a
// face), the consent notice is read and explicitly agreed to (nothing pre-ticked),
// then one photo from the screen's camera goes to `face:enrol`. The server decides
// who is under 14 (birth date) and sends them to the staff, who record a guardian's
// consent at /admin; its refusals come as codes shown in the diner's language.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { CameraView } from '../checkout/CameraView.tsx';
import { useKioskSocket } from '../checkout/kioskSocket.ts';
import { useCamera } from '../checkout/useCamera.ts';
import { useLang, type Key } from '../i18n.ts';
import { biometricsDict } from '../i18n/biometrics.ts';
import { bioApi, type ConsentText as Text } from './api.ts';
import { ConsentText } from './ConsentText.tsx';

/** A walked-away diner's enrolment closes by itself (and the camera with it). */
const ABANDON_MS = 3 * 60_000;

type Step = { s: 'card' } | { s: 'pin'; card: string } | { s: 'consent'; card: string; pin: string } | { s: 'capture'; card: string; pin: string; version: string } | { s: 'done'; person: string } | { s: 'minor' };

/** The server's refusal code → the diner's words; the raw text only when there is no code. */
export function enrolErrorKey(err: unknown): Key | null {
  const code = (err as { code?: string }).code;
  const key = `enrol.error.${code}`;
  return code && key in biometricsDict ? (key as Key) : null;
}

export function KioskEnrol({ onClose }: { onClose(): void }) {
  const { t } = useLang();
  const [step, setStep] = useState<Step>({ s: 'card' });
  useEffect(() => {
    const timer = setTimeout(onClose, step.s === 'done' || step.s === 'minor' ? 20_000 : ABANDON_MS);
    return () => clearTimeout(timer);
  }, [step.s]);
  return (
    <section class="co-card bio-enrol" data-testid="kiosk-enrol" data-step={step.s}>
      <h3>{t('enrol.title')}</h3>
      {step.s === 'card' && <CardStep onCard={(card) => setStep({ s: 'pin', card })} />}
      {step.s === 'pin' && <PinStep onPin={(pin) => setStep({ s: 'consent', card: step.card, pin })} />}
      {step.s === 'consent' && <ConsentStep onAgree={(version) => setStep({ s: 'capture', card: step.card, pin: step.pin, version })} onMinor={() => setStep({ s: 'minor' })} />}
      {step.s === 'capture' && <CaptureStep card={step.card} pin={step.pin} version={step.version} onDone={(person) => setStep({ s: 'done', person })} />}
      {step.s === 'done' && <p class="co-message" data-testid="enrol-done">✓ {t('enrol.done', { name: step.person })}</p>}
      {step.s === 'minor' && <p class="alert" data-testid="enrol-minor">{t('enrol.minor')}</p>}
      <button type="button" class="co-btn" data-testid="enrol-close" onClick={onClose}>{t(step.s === 'done' ? 'co.close' : 'co.cancel')}</button>
    </section>
  );
}

function CardStep({ onCard }: { onCard(card: string): void }) {
  const { t } = useLang();
  const input = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => input.current?.focus(), []); // focused as it appears: the card reader types at once
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        const card = input.current?.value.trim() ?? '';
        if (card) onCard(card);
      }}
    >
      <p>{t('enrol.tapCard')}</p>
      <input ref={input} class="co-input" data-testid="enrol-card" autocomplete="off" inputMode="numeric" aria-label={t('enrol.tapCard')} />
    </form>
  );
}

function PinStep({ onPin }: { onPin(pin: string): void }) {
  const { t } = useLang();
  const input = useRef<HTMLInputElement>(null);
  const [pin, setPin] = useState('');
  useLayoutEffect(() => input.current?.focus(), []);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (/^\d{4,6}$/.test(pin)) onPin(pin);
      }}
    >
      <p>{t('enrol.pin')}</p>
      <input ref={input} type="password" class="co-input" data-testid="enrol-pin" autocomplete="off" inputMode="numeric" maxLength={6} aria-label={t('enrol.pin')} value={pin} onInput={(e) => setPin((e.target as HTMLInputElement).value.replace(/\D/g, ''))} />
      <button type="submit" class="co-btn co-primary" data-testid="enrol-pin-next" disabled={!/^\d{4,6}$/.test(pin)}>{t('enrol.pinNext')}</button>
    </form>
  );
}

function ConsentStep({ onAgree, onMinor }: { onAgree(version: string): void; onMinor(): void }) {
  const { t } = useLang();
  const [text, setText] = useState<Text | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [agree, setAgree] = useState(false);
  const [adult, setAdult] = useState(false);
  useEffect(() => void bioApi.consentText().then(setText, (e: Error) => setError(e.message)), []);
  if (error) return <p class="alert" data-testid="enrol-error">{error}</p>;
  if (!text) return <p class="co-hint">…</p>;
  return (
    <div class="bio-step">
      <ConsentText text={text} />
      <label class="bio-check">
        <input type="checkbox" data-testid="enrol-adult" checked={adult} onChange={(e) => setAdult((e.target as HTMLInputElement).checked)} />
        {t('enrol.adult')}
      </label>
      <label class="bio-check">
        <input type="checkbox" data-testid="enrol-agree" checked={agree} onChange={(e) => setAgree((e.target as HTMLInputElement).checked)} />
        {t('enrol.agree')}
      </label>
      <div class="co-row">
        <button type="button" class="co-btn co-primary" data-testid="enrol-continue" disabled={!agree || !adult} onClick={() => onAgree(text.version)}>{t('enrol.continue')}</button>
        <button type="button" class="co-btn" data-testid="enrol-under14" onClick={onMinor}>{t('enrol.under14')}</button>
      </div>
    </div>
  );
}

function CaptureStep({ card, pin, version, onDone }: { card: string; pin: string; version: string; onDone(person: string): void }) {
  const { t } = useLang();
  const camera = useCamera();
  const emit = useKioskSocket();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const take = async () => {
    setBusy(true);
    setError(null);
    try {
      const jpeg = await camera.capture();
      if (!jpeg) throw new Error(t('face.cameraUnavailable'));
      const r = await emit<{ ok: true; person: string }>('face:enrol', { card_id: card, pin, text_version: version, agree: true, jpeg: await jpeg.arrayBuffer() });
      onDone(r.person);
    } catch (err) {
      const key = enrolErrorKey(err);
      setError(key ? t(key) : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="bio-step">
      <CameraView camera={camera} />
      <p class="co-hint">{t('enrol.look')}</p>
      <button type="button" class="co-btn co-primary" data-testid="enrol-capture" disabled={busy || camera.state !== 'on'} onClick={() => void take()}>{t('enrol.capture')}</button>
      {error && <p class="alert" data-testid="enrol-error">{t('enrol.failed', { e: error })}</p>}
    </div>
  );
}
