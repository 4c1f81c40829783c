// The meter cards (live kW, today's amount, counter, silence and counter anomalies)
// and the anomaly list.
import type { DeviceStatus, MeterReadingMsg } from '../../gateway/wire/devices.ts';
import type { EnergySummaryMsg } from '../../gateway/wire/energy.ts';
import { fmtGrouped, fmtNumber, fmtShortDateTime, fmtTime, toKw } from '../format.ts';
import { hasKey, useLang, type Key, type T } from '../i18n.ts';
import { isDown, StateBadge } from '../ui/StateBadge.tsx';
import { fmtAmount, fmtKw, smallDecimals, unitLabel } from './units.ts';

export type Anomaly = EnergySummaryMsg['anomalies'][number];
type SummaryMeter = EnergySummaryMsg['meters'][number];

export interface MeterRow {
  id: string;
  /** from the summary, once it arrived */
  info: SummaryMeter | undefined;
  device: DeviceStatus | undefined;
  reading: MeterReadingMsg | undefined;
  anomalies: Anomaly[];
}

export const meterName = (m: MeterRow) => m.info?.name ?? m.id;

/** Live kW: the latest reading, else the summary's figure. */
export function liveKw(m: MeterRow): number | null {
  const p = m.reading?.values.power_total;
  if (p) return toKw(p);
  return m.info?.powerKw ?? null;
}

export function anomalyKind(kind: string, t: T): string {
  const key = `anomaly.${kind}`;
  return hasKey(key) ? t(key) : kind;
}

type AnomalyMsg = EnergySummaryMsg['anomalies'][number];

/**
 * What happened, in the reader's language, from the counter readings the gateway keeps
 * with each anomaly (from → to); the gateway's own (English, for logs) detail only when
 * the anomaly carries no readings.
 */
export function anomalyDetail(a: AnomalyMsg, t: T): string {
  const key = `anomaly.detail.${a.kind}`;
  if (a.prev == null || a.value == null || !hasKey(key)) return a.detail;
  const n = (v: number) => fmtGrouped(v, Math.abs(v) < 100 ? 3 : 2);
  return t(key as Key, { prev: n(a.prev), value: n(a.value), delta: n(a.value - a.prev), kgce: a.kgce == null ? '' : fmtGrouped(a.kgce, smallDecimals(a.kgce, 2)) });
}

const MAIN_POINTS = new Set(['power_total', 'energy_import']);

function PointList({ values }: { values: MeterReadingMsg['values'] }) {
  const { t } = useLang();
  const points = Object.entries(values).filter(([name]) => !MAIN_POINTS.has(name));
  if (points.length === 0) return null;
  return (
    <details class="en-points">
      <summary>{t('energy.morePoints')}</summary>
      <dl class="points">
        {points.map(([name, p]) => {
          const key = `point.${name}`;
          return (
            <div key={name}>
              <dt>{hasKey(key) ? t(key) : name}</dt>
              <dd>
                <span class="num">{fmtNumber(p.value)}</span> <small>{p.unit}</small>
              </dd>
            </div>
          );
        })}
      </dl>
    </details>
  );
}

export function MeterCard({ m }: { m: MeterRow }) {
  const { t } = useLang();
  const { id, info, device, reading, anomalies } = m;
  const state = device?.state ?? 'starting';
  const silent = isDown(device);
  const kw = liveKw(m);
  const power = reading?.values.power_total;
  const counter = reading?.values.energy_import;
  const name = meterName(m);
  const cls = ['card', 'en-meter', `card-${state}`, silent ? 'silent' : '', anomalies.length ? 'has-anomaly' : ''].filter(Boolean).join(' ');
  return (
    <article class={cls} data-testid="meter-card" data-device={id} data-state={state} data-silent={String(silent)}>
      <header>
        <h3>
          {name}
          {name !== id && <small>{id}</small>}
          {info && !info.site && <small class="en-tag">{t('energy.sub')}</small>}
        </h3>
        {silent ? <span class={`badge badge-${state}`}>{t(`state.${state}`)}</span> : <StateBadge device={device} />}
      </header>
      {silent && device && (
        <p class="en-reason" data-testid="silent-reason">
          {t('energy.silentSince', { what: t(state === 'offline' ? 'energy.silent' : 'energy.silentDegraded'), t: fmtTime(device.since) })}
          {device.lastError && <small> — {device.lastError}</small>}
          {device.lastGoodAt != null && <small> · {t('energy.lastGood', { t: fmtShortDateTime(device.lastGoodAt) })}</small>}
        </p>
      )}
      <div class="en-meter-figures">
        <p class="big">
          {power ? (
            <span data-testid="power-kw" data-device={id} data-value={toKw(power)}>{fmtKw(toKw(power))}</span>
          ) : (
            <span>{kw == null ? '—' : fmtKw(kw)}</span>
          )}
          <small> kW</small>
        </p>
        <p class="en-today">
          <small>{t('energy.todayAmount')}</small>{' '}
          <b class="num">{info ? fmtAmount(info.todayAmount, info.unit) : '—'}</b> <small>{info ? unitLabel(info.unit) : ''}</small>
        </p>
      </div>
      {counter && (
        <p class="sub">
          {t('energy.counter')} <b class="num">{fmtGrouped(counter.value, 2)}</b> <small>{unitLabel(counter.unit)}</small>
        </p>
      )}
      {anomalies.slice(0, 2).map((a) => (
        <p class="en-reason warn" key={`${a.at}|${a.kind}`}>
          {anomalyKind(a.kind, t)} · {fmtShortDateTime(a.at)}
          <small> — {anomalyDetail(a, t)}</small>
        </p>
      ))}
      {reading ? (
        <>
          <PointList values={reading.values} />
          <p class="meta">{reading.profile} · {t('energy.updated', { t: fmtTime(reading.at) })}</p>
        </>
      ) : (
        !silent && <p class="empty">{t('energy.noReading')}</p>
      )}
    </article>
  );
}

interface AnomalyItem { key: string; at: number; meter: string; device: string; kind: string; label: string; detail: string; level: 'bad' | 'warn' }

export function Anomalies({ meters }: { meters: MeterRow[] }) {
  const { t } = useLang();
  const items: AnomalyItem[] = [];
  for (const m of meters) {
    if (isDown(m.device) && m.device) {
      items.push({
        key: `silent|${m.id}`,
        at: m.device.since,
        meter: meterName(m),
        device: m.id,
        kind: m.device.state,
        label: t(m.device.state === 'offline' ? 'energy.silent' : 'energy.silentDegraded'),
        detail: m.device.lastError ?? '',
        level: m.device.state === 'offline' ? 'bad' : 'warn',
      });
    }
    for (const a of m.anomalies) {
      items.push({ key: `${a.meter}|${a.at}|${a.kind}`, at: a.at, meter: meterName(m), device: m.id, kind: a.kind, label: anomalyKind(a.kind, t), detail: anomalyDetail(a, t), level: 'warn' });
    }
  }
  items.sort((a, b) => b.at - a.at);
  return (
    <section class="en-panel en-anomalies">
      <h2>
        {t('energy.anomalies')}
        {items.length > 0 && <span class="en-count">{items.length}</span>}
      </h2>
      {items.length === 0 ? (
        <p class="en-hint">{t('energy.noAnomalies')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>{t('energy.anomalyTime')}</th>
              <th>{t('energy.anomalyMeter')}</th>
              <th>{t('energy.anomalyKind')}</th>
              <th>{t('energy.anomalyDetail')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((a) => (
              <tr key={a.key} class={a.level} data-testid="anomaly" data-device={a.device} data-kind={a.kind}>
                <td class="num">{fmtShortDateTime(a.at)}</td>
                <td>{a.meter}</td>
                <td><b>{a.label}</b></td>
                <td class="detail">{a.detail || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
