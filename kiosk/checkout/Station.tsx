// The diner's checkout at one station, by the station's phase.
import { useEffect, useState } from 'preact/hooks';
import type { StationStateMsg } from '../../gateway/wire/canteen.ts';
import type { DeviceStatus } from '../../gateway/wire/devices.ts';
import type { CredentialMethod } from '../../gateway/wire/payments.ts';
import { useLang, type T } from '../i18n.ts';
import { isDown } from '../ui/StateBadge.tsx';
import { ApiError, stationApi } from './api.ts';
import { DishHeader } from './DishHeader.tsx';
import { DishPicker } from './DishPicker.tsx';
import { fmtYuan } from './money.ts';
import { Nutrition } from './Nutrition.tsx';
import { ReaderPay } from './ReaderPay.tsx';
import { FacePay } from './FacePay.tsx';
import { PayMethods, PayPanel } from './PayPanel.tsx';
import { PinPay } from './PinPay.tsx';
import { KioskEnrol } from '../biometrics/KioskEnrol.tsx';
import { Receipt } from './Receipt.tsx';
import type { Canteen } from './useCanteen.ts';
import { Weight } from './Weight.tsx';

const DONE = ['awaiting_payment', 'paid', 'cancelled'];

function errorText(err: unknown, t: T): string {
  if (err instanceof ApiError && err.status === 409 && /changed/.test(err.message)) return t('co.priceChanged');
  return t('co.failed', { e: err instanceof Error ? err.message : String(err) });
}

function weightTags(s: StationStateMsg, t: T): string[] {
  const w = s.weight;
  if (!w || s.phase === 'zero' || s.phase === 'idle') return [];
  const tags = [t('checkout.net'), t(w.stable ? 'checkout.stable' : 'checkout.unstable')];
  if (w.tareG > 0 && s.tray && w.grossG !== null) tags.push(t('co.tare', { tray: s.tray.name, g: w.tareG }));
  else if (w.grossG === null || (w.tareG > 0 && !s.tray)) tags.push(t('co.scaleTare'));
  return tags;
}

export function Station({ c, device, connected, facePay }: { c: Canteen; device: DeviceStatus | undefined; connected: boolean; facePay: boolean }) {
  const { t } = useLang();
  const [picking, setPicking] = useState(false);
  const [method, setMethod] = useState<CredentialMethod | null>(null);
  const [enrolling, setEnrolling] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const s = c.state;
  const info = c.station!;
  const phase = s?.phase ?? 'idle';

  useEffect(() => {
    if (phase !== 'priced' && phase !== 'stable') setPicking(false);
    if (phase === 'zero') {
      setError(null);
      setMethod(null);
    }
  }, [phase]);

  if (!s) return <p class="empty">{t('checkout.prompt')}</p>;

  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      const r = await action();
      if (r && typeof r === 'object' && 'seq' in r) c.apply(r as StationStateMsg);
      else c.apply(await stationApi.state(info.id));
    } catch (err) {
      setError(errorText(err, t));
    } finally {
      setBusy(false);
    }
  };
  const pick = (dishId: string) => run(() => stationApi.select(info.id, dishId)).then(() => setPicking(false));

  const uniform = c.catalog?.pricing.mode === 'uniform';
  const empty = phase === 'zero' || phase === 'idle';
  const live = connected && !isDown(device);
  const alarms = s.reason === 'overload' ? [t('checkout.overload')] : s.reason === 'underload' ? [t('checkout.underload')] : [];
  const weight = (compact: boolean) => (
    <Weight grams={s.weight ? s.weight.netG : null} stable={!!s.weight?.stable} live={live} tags={weightTags(s, t)} alarms={alarms} device={device} compact={compact} />
  );
  const trays = info.trays.length > 1 && (phase === 'stable' || phase === 'priced') && (
    <div class="co-trays" role="group" aria-label={t('co.tray')}>
      {info.trays.map((tr) => (
        <button key={tr.id} type="button" class={`co-chip${s.tray?.id === tr.id ? ' co-current' : ''}`} data-testid="tray" data-tray={tr.id} disabled={busy} onClick={() => run(() => stationApi.tray(info.id, tr.id))}>
          {tr.name} {tr.tareG} g
        </button>
      ))}
    </div>
  );
  const picker = (onClose?: () => void) => (
    <DishPicker dishes={c.offered} suggested={s.candidates.map((x) => x.dishId)} current={s.dishId} uniform={uniform} busy={busy} onPick={pick} onClose={onClose} />
  );

  let body;
  // Enrolment stays open over the scale's phases (the diner may put a plate down meanwhile) until closed.
  if (enrolling) body = <KioskEnrol onClose={() => setEnrolling(false)} />;
  else if (phase === 'awaiting_payment' && s.sale && method) {
    const sale = s.sale;
    const close = () => setMethod(null);
    body = (
      <div class="co-paying" data-testid="paying" data-method={method}>
        {method === 'face' ? <FacePay sale={sale} onClose={close} />
          : method === 'qr' ? <ReaderPay sale={sale} reader="qr" />
          : method === 'pin' ? <PinPay sale={sale} />
          : <ReaderPay sale={sale} reader="card" onClose={close} />}
        <PayMethods current={method} disabled={false} onPick={setMethod} testid="method" facePay={facePay} />
      </div>
    );
  } else if (DONE.includes(phase) && s.sale) body = <Receipt sale={s.sale} stationName={info.name} />;
  else if (phase === 'cancelled') body = <p class="co-message" data-testid="co-message">{t('co.cancelled')} · {t('co.takePlate')}</p>;
  else if (phase === 'priced' && picking) body = picker(() => setPicking(false));
  else if (phase === 'priced') {
    body = (
      <div class="co-grid">
        <div class="co-left">
          <DishHeader dish={c.dish(s.dishId)} line={s.line} />
          {weight(true)}
          {trays}
          <Nutrition n={s.line?.nutrition ?? null} />
        </div>
        <PayPanel
          line={s.line}
          busy={busy}
          changeLabel={s.dishId ? 'co.changeDish' : 'co.pickDish'}
          facePay={facePay}
          onPayCounter={() => s.line && run(() => stationApi.confirm(info.id, s.line!.id))}
          onPay={(m) => s.line && run(() => stationApi.confirm(info.id, s.line!.id)).then(() => setMethod(m))}
          onChangeDish={() => setPicking(true)}
          onCancel={() => run(() => stationApi.cancel(info.id))}
        />
      </div>
    );
  } else if (phase === 'stable' && (s.reason === 'choose_dish' || s.reason === 'verification_expired')) {
    body = (
      <div class="co-choose">
        {s.reason === 'verification_expired' && <p class="alert co-message" data-testid="verification-expired">{t('co.verificationExpired')}</p>}
        <div class="co-strip">
          {weight(true)}
          {trays}
          <button type="button" class="co-btn" data-testid="cancel" disabled={busy} onClick={() => run(() => stationApi.cancel(info.id))}>{t('co.cancel')}</button>
        </div>
        {s.recognising ? <p class="co-message">{t('co.recognising')}</p> : picker()}
      </div>
    );
  } else {
    const prompt =
      phase === 'clear' ? <p class="alert co-message">{t('co.clear')}</p>
      : s.reason === 'below_min' ? <p class="alert co-message" data-testid="below-min">{t('co.belowMin', { g: info.minSaleG })}</p>
      : empty ? <p class="prompt">{t('checkout.prompt')}</p>
      : null;
    body = (
      <div class="co-idle">
        {prompt}
        {weight(false)}
        {trays}
        {empty && c.catalog?.pricing.mode === 'uniform' && (
          <p class="co-hint">{t('co.uniform', { p: t('co.perGrams', { p: fmtYuan(c.catalog.pricing.fen), g: c.catalog.pricing.perGrams }) })}</p>
        )}
        {empty && facePay && <button type="button" class="co-btn co-enrol-link" data-testid="enrol-link" onClick={() => setEnrolling(true)}>{t('enrol.link')}</button>}
      </div>
    );
  }

  return (
    <section class="co" data-testid="station" data-station={info.id} data-phase={phase} data-face={String(facePay)} data-reason={s.reason ?? ''}>
      {body}
      {error && <p class="co-toast" role="alert" data-testid="co-error">{error}</p>}
    </section>
  );
}
