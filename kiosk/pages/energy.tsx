import { render } from 'preact';
import { useState } from 'preact/hooks';
import type { DeviceStatus, EnergyEvents, MeterReadingMsg, SiteInfo } from '../../gateway/server/wire.ts';
import { fmtNumber, fmtTime, toKw } from '../format.ts';
import { byDevice, idsOfKind, upsertDevice, useGateway } from '../gateway.ts';
import { hasKey, useLang } from '../i18n.ts';
import { Shell } from '../ui/Shell.tsx';
import { isDown, StateBadge } from '../ui/StateBadge.tsx';

const MAIN_POINTS = new Set(['power_total', 'energy_import']);

function PointList({ values }: { values: MeterReadingMsg['values'] }) {
  const { t } = useLang();
  const points = Object.entries(values).filter(([name]) => !MAIN_POINTS.has(name));
  if (points.length === 0) return null;
  return (
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
  );
}

function MeterCard({ id, device, reading }: { id: string; device: DeviceStatus | undefined; reading: MeterReadingMsg | undefined }) {
  const { t } = useLang();
  const power = reading?.values.power_total;
  const energy = reading?.values.energy_import;
  return (
    <article class={`card card-${device?.state ?? 'starting'}`}>
      <header>
        <h2>{id}</h2>
        <StateBadge device={device} />
      </header>
      {reading ? (
        <>
          {power && (
            <p class="big">
              <span data-testid="power-kw" data-device={id} data-value={toKw(power)}>{fmtNumber(toKw(power))}</span>
              <small> kW</small>
            </p>
          )}
          {energy && (
            <p class="sub">
              {t('point.energy_import')} <b>{fmtNumber(energy.value)}</b> {energy.unit}
            </p>
          )}
          <PointList values={reading.values} />
          <p class="meta">{reading.profile} · {t('energy.updated', { t: fmtTime(reading.at) })}</p>
        </>
      ) : (
        <p class="empty">{t('energy.noReading')}</p>
      )}
    </article>
  );
}

function Energy() {
  const { t } = useLang();
  const [site, setSite] = useState<SiteInfo>();
  const [devices, setDevices] = useState<DeviceStatus[]>([]);
  const [readings, setReadings] = useState<Record<string, MeterReadingMsg>>({});
  const conn = useGateway<EnergyEvents>('/energy', {
    snapshot: (s) => {
      setSite(s.site);
      setDevices(s.devices);
      setReadings(byDevice(s.readings));
    },
    'meter:reading': (m) => setReadings((rs) => ({ ...rs, [m.deviceId]: m })),
    'device:state': (d) => setDevices((ds) => upsertDevice(ds, d)),
  });
  const meters = idsOfKind(devices, 'meter', readings);
  const device = (id: string) => devices.find((d) => d.id === id);
  const counted = meters.filter((id) => device(id)?.state !== 'offline' && readings[id]?.values.power_total);
  const total = counted.reduce((sum, id) => sum + toKw(readings[id]!.values.power_total!), 0);
  const excluded = meters.filter((id) => device(id)?.state === 'offline').length;

  return (
    <Shell path="/energy" conn={conn} siteName={site?.name}>
      <section class="total">
        <span class="label">{t('energy.total')}</span>
        <span class="big">
          <span data-testid="total-power-kw" data-value={total}>{fmtNumber(total)}</span>
          <small> kW</small>
        </span>
        {excluded > 0 && <span class="alert">{t('energy.excluded', { n: excluded })}</span>}
      </section>
      {site && meters.length === 0 && <p class="empty">{t('energy.noMeters')}</p>}
      <div class="grid meters">
        {meters.map((id) => (
          <MeterCard key={id} id={id} device={device(id)} reading={readings[id]} />
        ))}
      </div>
    </Shell>
  );
}

render(<Energy />, document.getElementById('app')!);
