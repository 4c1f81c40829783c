import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { DeviceStatus, MeterReadingMsg } from '../../gateway/wire/devices.ts';
import type { EnergyEvents, EnergySeriesMsg, EnergySummaryMsg } from '../../gateway/wire/energy.ts';
import type { SiteInfo } from '../../gateway/wire/site.ts';
import { fmtTime, timeZone } from '../format.ts';
import { byDevice, upsertDevice, useGateway } from '../gateway.ts';
import { useLang } from '../i18n.ts';
import { Shell } from '../ui/Shell.tsx';
import { isDown } from '../ui/StateBadge.tsx';
import { DailyChart, PowerChart } from '../energy/Charts.tsx';
import { fetchSeries, fetchSummary, newer, useMinuteRefresh } from '../energy/data.ts';
import { Consumption, Groups, Indicators, SitePower, type SilentMeter } from '../energy/Figures.tsx';
import { Anomalies, liveKw, MeterCard, meterName, type MeterRow } from '../energy/Meters.tsx';
import '../i18n/energy.ts';

/** A summary older than this is fetched over HTTP on the minute refresh (no readings push one). */
const SUMMARY_STALE_MS = 30_000;

interface Series { quarter: EnergySeriesMsg | null; daily: EnergySeriesMsg | null; at: number; failedAt: number | null }

function Energy() {
  const { t } = useLang();
  const [site, setSite] = useState<SiteInfo>();
  const [devices, setDevices] = useState<DeviceStatus[]>([]);
  const [readings, setReadings] = useState<Record<string, MeterReadingMsg>>({});
  const [summary, setSummary] = useState<EnergySummaryMsg | null>(null);
  const [series, setSeries] = useState<Series>({ quarter: null, daily: null, at: 0, failedAt: null });
  /** the day the 24 h chart shows (YYYY-MM-DD, site time); null: the last 24 hours */
  const [day, setDay] = useState<string | null>(null);
  const take = (s: EnergySummaryMsg | null) => setSummary((cur) => newer(cur, s));

  const conn = useGateway<EnergyEvents>('/energy', {
    snapshot: (s) => {
      setSite(s.site);
      setDevices(s.devices);
      setReadings(byDevice(s.readings));
      take(s.summary);
    },
    'meter:reading': (m) => setReadings((rs) => ({ ...rs, [m.deviceId]: m })),
    'energy:summary': take,
    'device:state': (d) => setDevices((ds) => upsertDevice(ds, d)),
  });

  const load = useCallback(async () => {
    const stale = !summary || Date.now() - summary.at > SUMMARY_STALE_MS;
    const [quarter, daily, fresh] = await Promise.allSettled([
      fetchSeries('15m', day),
      fetchSeries('1d'),
      stale ? fetchSummary() : Promise.resolve(null),
    ]);
    const at = Date.now();
    setSeries((s) => ({
      quarter: quarter.status === 'fulfilled' ? quarter.value : s.quarter,
      daily: daily.status === 'fulfilled' ? daily.value : s.daily,
      at: quarter.status === 'fulfilled' ? at : s.at,
      failedAt: quarter.status === 'rejected' || daily.status === 'rejected' ? at : null,
    }));
    if (fresh.status === 'fulfilled') take(fresh.value);
  }, [summary, day]);
  useMinuteRefresh(conn.state === 'connected', load);
  useEffect(() => {
    if (conn.state === 'connected') void load();
  }, [day]);

  // Meters in the configured order (from the summary), then any other meter the gateway reports.
  const ids = [
    ...(summary?.meters.map((m) => m.id) ?? []),
    ...devices.filter((d) => d.kind === 'meter').map((d) => d.id).sort(),
    ...Object.keys(readings).sort(),
  ].filter((id, i, all) => all.indexOf(id) === i);
  const meters: MeterRow[] = ids.map((id) => ({
    id,
    info: summary?.meters.find((m) => m.id === id),
    device: devices.find((d) => d.id === id),
    reading: readings[id],
    anomalies: summary?.anomalies.filter((a) => a.meter === id) ?? [],
  }));

  // Site power from the live readings of the site's electricity meters (all meters until the
  // summary says which), leaving out meters that went offline: their last reading is stale.
  const siteMeters = summary ? meters.filter((m) => m.info?.site && m.info.medium === 'electricity') : meters;
  const total = siteMeters.reduce((sum, m) => sum + (m.device?.state === 'offline' ? 0 : (liveKw(m) ?? 0)), 0);
  const lastAt = Math.max(0, ...meters.map((m) => m.reading?.at ?? 0)) || summary?.at || null;
  const silent: SilentMeter[] = meters.filter((m) => isDown(m.device)).map((m) => ({ id: m.id, name: meterName(m), state: m.device!.state }));
  const water = !!summary?.meters.some((m) => m.medium === 'water');
  const status = series.failedAt ? t('energy.loadFailed', { t: fmtTime(Math.floor(series.failedAt / 60_000) * 60_000 + 61_500) }) : null;

  return (
    <Shell path="/energy" conn={conn} siteName={site?.name}>
      <div class="energy">
        <div class="en-row en-top">
          <SitePower kw={total} at={lastAt} silent={silent} />
          <Consumption summary={summary} water={water} />
        </div>
        <div class="en-day">
          <label>
            {t('energy.day')}{' '}
            <input type="date" data-testid="day-picker" max={localDay(Date.now())} value={day ?? ''} onChange={(e) => setDay((e.target as HTMLInputElement).value || null)} />
          </label>
          {day && (
            <button type="button" class="link" onClick={() => setDay(null)}>
              {t('energy.last24h')}
            </button>
          )}
        </div>
        <div class="en-row en-charts">
          <PowerChart series={series.quarter} at={day ? Date.now() : series.at} status={status} />
          <DailyChart series={series.daily} water={water} status={status} />
        </div>
        <div class="en-row en-facts">
          <Indicators summary={summary} water={water} />
          <Groups summary={summary} water={water} />
        </div>
        <section class="en-meters-section">
          <h2>{t('energy.meters')}</h2>
          {site && meters.length === 0 && <p class="empty">{t('energy.noMeters')}</p>}
          <div class="grid en-meters">
            {meters.map((m) => <MeterCard key={m.id} m={m} />)}
          </div>
        </section>
        <Anomalies meters={meters} />
      </div>
    </Shell>
  );
}

render(<Energy />, document.getElementById('app')!);

/** YYYY-MM-DD of `at` in the site's time zone (the date input's format). */
function localDay(at: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timeZone(), year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(at));
}
