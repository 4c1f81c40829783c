// The panel's two charts: site power over the last 24 h from the 15-minute series,
// and daily electricity (bars) and water (line) over the last 30 days.
import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import uPlot from 'uplot';
import type { EnergySeriesMsg } from '../../gateway/wire/energy.ts';
import { fmtHourMinute, fmtMonthDay, timeZone } from '../format.ts';
import { useLang } from '../i18n.ts';
import { CHART_FONT, COLORS, Chart } from './Chart.tsx';
import { powerPoints } from './data.ts';
import { fmtKw, fmtKwh, fmtM3 } from './units.ts';

const DAY_MS = 86_400_000;
/** 172 px on the 600 px kiosk, taller on desktops. */
const CHART_HEIGHT = Math.round(Math.min(320, Math.max(150, window.innerHeight * 0.287)));

/** 0 … a round number above the data, so an idle day does not draw a line at mid-height. */
function upTo(max: number | null): uPlot.Range.MinMax {
  if (max == null || !(max > 0)) return [0, 1];
  const step = 10 ** Math.floor(Math.log10(max));
  const nice = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((f) => f * step).find((v) => v >= max * 1.08) ?? max * 1.1;
  return [0, nice];
}

/** Y tick steps of 1, 2 and 5 times a power of ten, so labels need at most one significant decimal. */
const Y_INCRS = Array.from({ length: 12 }, (_, i) => 10 ** (i - 4)).flatMap((p) => [p, 2 * p, 5 * p]);

/** Tick labels with as many decimals as the tick step needs: 0.002, 0.5, 20, 15k. */
function axisValues(splits: number[]): string[] {
  const step = splits.length > 1 ? Math.abs(splits[1]! - splits[0]!) : Math.abs(splits[0] ?? 1);
  const big = Math.max(...splits.map(Math.abs)) >= 10_000;
  const scaled = big ? step / 1000 : step;
  const digits = scaled > 0 ? Math.min(4, Math.max(0, Math.ceil(-Math.log10(scaled) - 1e-9))) : 0;
  return splits.map((v) => (big ? `${(v / 1000).toFixed(digits)}k` : v.toFixed(digits)));
}

function baseOptions(width: number, height: number): Omit<uPlot.Options, 'series' | 'axes'> {
  return {
    width,
    height,
    ms: 1,
    tzDate: (ts) => uPlot.tzDate(new Date(ts), timeZone()),
    legend: { show: false },
    cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 8 }, y: false },
    select: { show: false, left: 0, top: 0, width: 0, height: 0 },
    padding: [10, 10, 0, 4],
  };
}

function xAxis(fmt: (ms: number) => string, space: number): uPlot.Axis {
  return {
    font: CHART_FONT,
    stroke: COLORS.axis,
    size: 28,
    space,
    gap: 4,
    grid: { stroke: COLORS.grid, width: 1 },
    ticks: { stroke: COLORS.grid, width: 1, size: 4 },
    values: (_u, splits) => splits.map((v) => fmt(v)),
  };
}

function yAxis(scale: string, side: 1 | 3 = 3, grid = true): uPlot.Axis {
  return {
    scale,
    side,
    font: CHART_FONT,
    stroke: COLORS.axis,
    size: 46,
    gap: 4,
    space: 28,
    incrs: Y_INCRS,
    grid: { show: grid, stroke: COLORS.grid, width: 1 },
    ticks: { show: false },
    values: (_u, splits) => axisValues(splits),
  };
}

function ChartPlaceholder({ height }: { height: number }) {
  const { t } = useLang();
  return <div class="chart chart-empty" style={{ height: `${height}px` }}>{t('energy.loading')}</div>;
}

interface Readout { at: string; value: string; estimated: boolean; open: boolean }

function ChartPanel({ title, unit, legend, readout, status, children }: {
  title: string;
  unit: string;
  legend: ComponentChildren;
  readout: Readout | null;
  status: string | null;
  children: ComponentChildren;
}) {
  const { t } = useLang();
  return (
    <section class="en-panel en-chart">
      <header>
        <h2>
          {title} <small>{unit}</small>
        </h2>
        <span class="en-readout" aria-live="off">
          {readout && (
            <>
              {readout.at} <b>{readout.value}</b>
              {readout.estimated && <em class="en-est">{t('energy.estimated')}</em>}
              {readout.open && <em>{t('energy.inProgress')}</em>}
            </>
          )}
        </span>
      </header>
      {children}
      <footer>
        {legend}
        {status && <span class="en-chart-status">{status}</span>}
      </footer>
    </section>
  );
}

export function PowerChart({ series, at, status }: { series: EnergySeriesMsg | null; at: number; status: string | null }) {
  const { lang, t } = useLang();
  const [idx, setIdx] = useState<number | null>(null);
  const points = useMemo(() => (series ? powerPoints(series, at) : []), [series, at]);
  const data = useMemo<uPlot.AlignedData>(
    () => [
      points.map((p) => p.start),
      points.map((p) => p.kw),
      points.map((p) => (p.estimated ? p.kw : null)),
      points.map((p) => (p.open ? p.kw : null)),
    ],
    [points],
  );
  const shown = points[idx ?? points.length - 1];
  const readout = shown && {
    at: idx == null ? `${t('energy.latest')} ${fmtHourMinute(shown.start)}` : fmtHourMinute(shown.start),
    value: `${fmtKw(shown.kw)} kW`,
    estimated: shown.estimated,
    open: shown.open,
  };
  const options = (width: number, height: number): uPlot.Options => ({
    ...baseOptions(width, height),
    scales: { x: { time: true }, kw: { range: (_u, _min, max) => upTo(max) } },
    axes: [xAxis(fmtHourMinute, 56), yAxis('kw')],
    series: [
      {},
      {
        scale: 'kw',
        stroke: COLORS.power,
        width: 2,
        fill: COLORS.powerFill,
        paths: uPlot.paths.stepped!({ align: 1 }),
        points: { show: false },
      },
      {
        scale: 'kw',
        stroke: COLORS.estimated,
        paths: () => null,
        points: { show: true, size: 7, width: 2, stroke: COLORS.estimated, fill: '#fff' },
      },
      {
        scale: 'kw',
        stroke: COLORS.power,
        paths: () => null,
        points: { show: true, size: 8, width: 2, stroke: COLORS.power, fill: '#fff' },
      },
    ],
  });
  return (
    <ChartPanel
      title={t('energy.chart24h')}
      unit="kW"
      readout={readout ?? null}
      status={status}
      legend={
        <span class="en-legend">
          <i class="sw-line" /> {t('energy.avg15m')}
          <i class="sw-dot est" /> {t('energy.estimated')}
          <i class="sw-dot open" /> {t('energy.inProgress')}
        </span>
      }
    >
      {series ? (
        <Chart
          testId="chart-24h"
          label={t('energy.chart24h')}
          height={CHART_HEIGHT}
          data={data}
          options={options}
          optionsKey={`${lang}|${timeZone()}`}
          onCursor={setIdx}
        />
      ) : (
        <ChartPlaceholder height={CHART_HEIGHT} />
      )}
    </ChartPanel>
  );
}

export function DailyChart({ series, water, status }: { series: EnergySeriesMsg | null; water: boolean; status: string | null }) {
  const { lang, t } = useLang();
  const [idx, setIdx] = useState<number | null>(null);
  const points = series?.points ?? [];
  const data = useMemo<uPlot.AlignedData>(() => {
    const d: uPlot.AlignedData = [
      points.map((p) => p.start),
      points.map((p) => (p.estimated ? null : p.electricityKwh)),
      points.map((p) => (p.estimated ? p.electricityKwh : null)),
    ];
    return water ? [...d, points.map((p) => p.waterM3)] : d;
  }, [series, water]);
  const shown = points[idx ?? points.length - 1];
  const readout = shown && {
    at: fmtMonthDay(shown.start),
    value: `${fmtKwh(shown.electricityKwh)} kWh${water ? ` · ${fmtM3(shown.waterM3)} m³` : ''}`,
    estimated: shown.estimated,
    open: false,
  };
  const bars = (fill: string): uPlot.Series => ({
    scale: 'kwh',
    stroke: fill,
    fill,
    width: 0,
    paths: uPlot.paths.bars!({ size: [0.72, 28], align: 0 }),
    points: { show: false },
  });
  const options = (width: number, height: number): uPlot.Options => ({
    ...baseOptions(width, height),
    scales: {
      x: { time: true, range: (_u, min, max) => [min - DAY_MS / 2, max + DAY_MS / 2] },
      kwh: { range: (_u, _min, max) => upTo(max) },
      m3: { range: (_u, _min, max) => upTo(max) },
    },
    axes: [xAxis(fmtMonthDay, 44), yAxis('kwh'), ...(water ? [yAxis('m3', 1, false)] : [])],
    series: [
      {},
      bars(COLORS.bar),
      bars(COLORS.barEstimated),
      ...(water
        ? [{ scale: 'm3', stroke: COLORS.water, width: 2, points: { show: true, size: 4, fill: COLORS.water } } satisfies uPlot.Series]
        : []),
    ],
    padding: [10, water ? 4 : 10, 0, 4],
  });
  return (
    <ChartPanel
      title={t('energy.chart30d')}
      unit={water ? 'kWh · m³' : 'kWh'}
      readout={readout ?? null}
      status={status}
      legend={
        <span class="en-legend">
          <i class="sw-bar" /> {t('energy.electricity')} kWh
          <i class="sw-bar est" /> {t('energy.estimated')}
          {water && (
            <>
              <i class="sw-line water" /> {t('energy.chart30dWater')} m³
            </>
          )}
        </span>
      }
    >
      {series ? (
        <Chart
          testId="chart-30d"
          label={t('energy.chart30d')}
          height={CHART_HEIGHT}
          data={data}
          options={options}
          optionsKey={`${lang}|${timeZone()}|${water}`}
          onCursor={setIdx}
        />
      ) : (
        <ChartPlaceholder height={CHART_HEIGHT} />
      )}
    </ChartPanel>
  );
}
