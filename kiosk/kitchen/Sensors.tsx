// The sunshine-kitchen sensors on the kitchen board: cold rooms and fridges (temperature,
// humidity, door, limits; a silent sensor shows "无数据", never a number), disinfection
// cabinets and UV lamps (running, today's cycles), and today's kitchen-waste disposals
// with the form to record one. Refreshed from /api/kitchen/sensors every few seconds.
import { useEffect, useState } from 'preact/hooks';
import type { ColdRoomStatusMsg, DisinfectionStatusMsg, KitchenSensorsMsg } from '../../gateway/wire/kitchen-sensors.ts';
import { ApiError, call } from '../checkout/api.ts';
import { fmtHourMinute, fmtNumber } from '../format.ts';
import { useLang, type Key } from '../i18n.ts';

const REFRESH_MS = 5000;

export function Sensors() {
  const { t } = useLang();
  const [data, setData] = useState<KitchenSensorsMsg | null>(null);
  const refresh = () => call<KitchenSensorsMsg>('GET', '/api/kitchen/sensors').then(setData, () => {});
  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  if (!data) return null;
  return (
    <section class="rec sens" data-testid="sensors">
      <h2>{t('sens.title')}</h2>
      <div class="rec-cols">
        {data.coldRooms.length > 0 && (
          <section class="card rec-block" data-testid="cold-rooms">
            <h3>{t('sens.coldRooms')}</h3>
            <table class="devices rec-table">
              <thead>
                <tr>
                  <th>{t('sens.room')}</th>
                  <th>{t('sens.temperature')}</th>
                  <th>{t('sens.humidity')}</th>
                  <th>{t('sens.door')}</th>
                  <th>{t('sens.state')}</th>
                </tr>
              </thead>
              <tbody>
                {data.coldRooms.map((r) => (
                  <ColdRoomRow key={r.id} room={r} />
                ))}
              </tbody>
            </table>
          </section>
        )}
        {data.disinfection.length > 0 && (
          <section class="card rec-block" data-testid="disinfection">
            <h3>{t('sens.disinfection')}</h3>
            <table class="devices rec-table">
              <thead>
                <tr>
                  <th>{t('sens.unit')}</th>
                  <th>{t('sens.running')}</th>
                  <th>{t('sens.cyclesToday')}</th>
                </tr>
              </thead>
              <tbody>
                {data.disinfection.map((d) => (
                  <DisinfectionRow key={d.id} unit={d} cycles={data.cycles.filter((c) => c.unit === d.id)} />
                ))}
              </tbody>
            </table>
          </section>
        )}
      </div>
      <WasteSection data={data} refresh={refresh} />
    </section>
  );
}

function ColdRoomRow({ room: r }: { room: ColdRoomStatusMsg }) {
  const { t } = useLang();
  const limits = r.minC === null ? t('sens.limitMax', { max: r.maxC }) : t('sens.limitRange', { min: r.minC, max: r.maxC });
  const bad = r.state === 'silent' || r.state === 'out-of-limits';
  return (
    <tr data-testid={`cold-room-${r.id}`} data-state={r.state} class={bad ? 'bad' : ''}>
      <td>
        {r.name}
        <small class="co-muted">
          {t(`sens.kind.${r.kind}` as Key)} · {limits}
        </small>
      </td>
      <td data-testid="temperature">{r.temperatureC === null ? <strong class="alert-text">{t('sens.noData')}</strong> : `${fmtNumber(r.temperatureC, 1)} °C`}</td>
      <td>{r.humidityPct === null ? '—' : `${fmtNumber(r.humidityPct, 0)} %`}</td>
      <td>{r.doorOpen === null ? '—' : r.doorOpen ? t('sens.doorOpenSince', { t: r.doorOpenSince ? fmtHourMinute(r.doorOpenSince) : '—' }) : t('sens.doorClosed')}</td>
      <td>
        {t(`sens.state.${r.state}` as Key)}
        {r.lastReadingAt !== null && <small class="co-muted">{t('sens.lastReading', { t: fmtHourMinute(r.lastReadingAt) })}</small>}
      </td>
    </tr>
  );
}

function DisinfectionRow({ unit: d, cycles }: { unit: DisinfectionStatusMsg; cycles: KitchenSensorsMsg['cycles'] }) {
  const { t } = useLang();
  return (
    <tr data-testid={`disinfection-${d.id}`} data-running={String(d.running)}>
      <td>
        {d.name}
        <small class="co-muted">
          {t(`sens.kind.${d.kind}` as Key)} · {t('sens.minCycle', { n: d.minCycleMinutes })}
          {d.due.length > 0 && ` · ${t('sens.due', { times: d.due.join('、') })}`}
        </small>
      </td>
      <td>{d.signalError ? <strong class="alert-text">{t('sens.noSignal')}</strong> : d.running ? t('sens.runningSince', { t: d.runningSince ? fmtHourMinute(d.runningSince) : '—' }) : t('sens.stopped')}</td>
      <td>
        {cycles.length === 0
          ? '—'
          : cycles.map((c) => (
              <small key={c.id} class={c.full ? '' : 'alert-text'}>
                {fmtHourMinute(c.startedAt)}–{fmtHourMinute(c.endedAt)} · {t('sens.minutes', { n: fmtNumber(c.minutes, 0) })} · {c.full ? t('sens.full') : t('sens.short')}
              </small>
            ))}
      </td>
    </tr>
  );
}

function WasteSection({ data, refresh }: { data: KitchenSensorsMsg; refresh: () => Promise<unknown> }) {
  const { t } = useLang();
  const [carrier, setCarrier] = useState('');
  const [company, setCompany] = useState('');
  const [kg, setKg] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const total = data.waste.reduce((s, w) => s + w.grams, 0);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (!carrier.trim()) return setError(t('sens.carrierRequired'));
    const grams = data.wasteScale ? undefined : Math.round(Number(kg) * 1000);
    if (grams !== undefined && !(grams > 0)) return setError(t('sens.weightRequired'));
    setBusy(true);
    try {
      await call('POST', '/api/kitchen/waste', { carrier: carrier.trim(), ...(company.trim() ? { company: company.trim() } : {}), ...(grams !== undefined ? { grams } : {}) });
      setCarrier('');
      setKg('');
      await refresh();
    } catch (err) {
      setError(err instanceof ApiError && err.status === 409 ? t('sens.scaleNotReady') : err instanceof ApiError && err.status === 400 ? t('sens.badWaste') : t('sens.failed'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card rec-block" data-testid="waste">
      <header>
        <h3>{t('sens.waste')}</h3>
        <small class="co-muted">{t('sens.wasteToday', { n: data.waste.length, kg: fmtNumber(total / 1000, 1) })}</small>
      </header>
      {data.waste.length > 0 && (
        <table class="devices rec-table">
          <thead>
            <tr>
              <th>{t('fsr.time')}</th>
              <th>{t('sens.weight')}</th>
              <th>{t('sens.carrier')}</th>
              <th>{t('sens.recordedBy')}</th>
            </tr>
          </thead>
          <tbody>
            {data.waste.map((w) => (
              <tr key={w.id} data-testid="waste-row">
                <td>{fmtHourMinute(w.at)}</td>
                <td>{fmtNumber(w.grams / 1000, 1)} kg{w.fromScale && <small class="co-muted">{t('sens.fromScale')}</small>}</td>
                <td>
                  {w.carrier}
                  {w.company && <small class="co-muted">{w.company}</small>}
                </td>
                <td>{w.recordedBy}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="rec-form" onSubmit={submit} data-testid="waste-form">
        <input value={carrier} onInput={(e) => setCarrier((e.target as HTMLInputElement).value)} placeholder={t('sens.carrierPlaceholder')} maxLength={40} data-testid="waste-carrier" />
        <input value={company} onInput={(e) => setCompany((e.target as HTMLInputElement).value)} placeholder={t('sens.companyPlaceholder')} maxLength={80} />
        {!data.wasteScale && <input value={kg} onInput={(e) => setKg((e.target as HTMLInputElement).value)} inputMode="decimal" placeholder={t('sens.kgPlaceholder')} data-testid="waste-kg" />}
        <button type="submit" disabled={busy} data-testid="waste-save">
          {data.wasteScale ? t('sens.weighAndSave') : t('sens.save')}
        </button>
      </form>
      {error && <p class="alert" data-testid="waste-error">{error}</p>}
    </section>
  );
}
