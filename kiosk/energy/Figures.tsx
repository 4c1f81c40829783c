// The panel's figures: live site power, consumption today / this month / this year with
// standard coal and CO₂, the yearly indicators against their targets, and the groups.
import type { ComponentChildren } from 'preact';
import type { EnergySummaryMsg, IndicatorMsg, WindowTotalsMsg } from '../../gateway/wire/energy.ts';
import { fmtGrouped, fmtTime } from '../format.ts';
import { hasKey, useLang, type Key } from '../i18n.ts';
import { fmtCo2, fmtKgce, fmtKw, fmtKwh, fmtM3, smallDecimals } from './units.ts';

export interface SilentMeter { id: string; name: string; state: string }

export function SitePower({ kw, at, silent }: { kw: number; at: number | null; silent: SilentMeter[] }) {
  const { t } = useLang();
  return (
    <section class="en-panel en-power">
      <h2 class="label">{t('energy.total')}</h2>
      <p class="big">
        <span data-testid="total-power-kw" data-value={kw}>{fmtKw(kw)}</span>
        <small> kW</small>
      </p>
      <p class="en-meta">
        <span class="en-live-dot" aria-hidden="true" />
        {t('energy.live')} · {fmtTime(at)}
      </p>
      {silent.length > 0 && (
        <p class="alert en-silent-note" data-testid="silent-note">
          {t('energy.offlineMeters', { n: silent.length, names: silent.map((m) => m.name).join('、') })}
        </p>
      )}
    </section>
  );
}

function Co2({ kg }: { kg: number }) {
  const [value, unit] = fmtCo2(kg);
  return (
    <>
      {value} <small>{unit}</small>
    </>
  );
}

export function Consumption({ summary, water }: { summary: EnergySummaryMsg | null; water: boolean }) {
  const { t } = useLang();
  const rows: [Key, 'today' | 'month' | 'year'][] = [
    ['energy.today', 'today'],
    ['energy.month', 'month'],
    ['energy.year', 'year'],
  ];
  const cell = (w: WindowTotalsMsg | undefined, f: (w: WindowTotalsMsg) => ComponentChildren) => (w ? f(w) : '—');
  const gas = summary?.meters.some((m) => m.medium === 'gas') ?? false;
  return (
    <section class="en-panel en-consumption">
      <table>
        <thead>
          <tr>
            <th />
            <th>{t('energy.electricity')} <small>kWh</small></th>
            <th title={water ? undefined : t('energy.noWaterMeter')}>{t('energy.water')} <small>m³</small></th>
            {gas && <th>{t('energy.gas')} <small>m³</small></th>}
            <th>{t('energy.kgce')} <small>kgce</small></th>
            <th>{t('energy.co2')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, key]) => {
            const w = summary?.[key];
            return (
              <tr key={key} data-window={key}>
                <th scope="row">{t(label)}</th>
                <td class="num strong">
                  {key === 'today' ? (
                    <span data-testid="today-kwh" data-value={w?.electricityKwh}>{cell(w, (x) => fmtKwh(x.electricityKwh))}</span>
                  ) : (
                    cell(w, (x) => fmtKwh(x.electricityKwh))
                  )}
                  {summary && key !== 'year' && <Compare c={summary.compare[key === 'today' ? 'day' : 'month']} which={key === 'today' ? 'day' : 'month'} />}
                </td>
                <td class="num">{water ? cell(w, (x) => fmtM3(x.waterM3)) : <span class="muted">—</span>}</td>
                {gas && <td class="num" data-testid={`gas-${key}`}>{cell(w, (x) => fmtM3(x.gasM3))}</td>}
                <td class="num" data-testid={`kgce-${key}`}>{cell(w, (x) => fmtKgce(x.kgce))}</td>
                <td class="num" data-testid={`co2-${key}`}>{cell(w, (x) => <Co2 kg={x.co2Kg} />)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {!water && summary && <p class="en-hint">{t('energy.water')}：{t('energy.noWaterMeter')}</p>}
      {summary && <FactorDetails summary={summary} />}
    </section>
  );
}

/** This period so far against the last one up to the same time; "no data" when the box has none then. */
function Compare({ c, which }: { c: { current: number; previous: number | null }; which: 'day' | 'month' }) {
  const { t } = useLang();
  const label = t(which === 'day' ? 'energy.compare.day' : 'energy.compare.month');
  if (c.previous == null) return <small class="en-compare" data-testid={`compare-${which}`}>{label} {t('energy.compare.none')}</small>;
  const pct = c.previous > 0 ? Math.round(((c.current - c.previous) / c.previous) * 100) : null;
  return (
    <small class="en-compare" data-testid={`compare-${which}`} data-previous={c.previous}>
      {label} {fmtKwh(c.previous)} kWh{pct != null ? ` (${pct >= 0 ? '+' : ''}${pct}%)` : ''}
    </small>
  );
}

/** The conversion factors in use and their sources: CO₂ of electricity (grid) and of gas burnt on site. */
function FactorDetails({ summary }: { summary: EnergySummaryMsg }) {
  const { t } = useLang();
  const f = summary.factors;
  const today = summary.today;
  const [elecCo2, elecUnit] = fmtCo2(today.co2ElectricityKg);
  const [gasCo2, gasUnit] = fmtCo2(today.co2GasKg);
  return (
    <details class="en-factors" data-testid="factors">
      <summary>{t('energy.factors')}</summary>
      <ul>
        <li>{t('energy.factor.coal', { e: f.electricityKgcePerKwh, g: f.gasKgcePerM3 })} <small>{f.sources.coal}</small></li>
        <li>{t('energy.factor.grid', { v: f.gridCo2KgPerKwh })} <small data-testid="grid-source">{f.sources.grid}</small></li>
        <li>{t('energy.factor.gas', { v: f.gasCo2KgPerM3 })} <small>{f.sources.gas}</small></li>
        <li data-testid="co2-split">{t('energy.factor.split', { e: `${elecCo2} ${elecUnit}`, g: `${gasCo2} ${gasUnit}` })}</li>
      </ul>
    </details>
  );
}

type IndicatorKind = keyof EnergySummaryMsg['indicators'];
const INDICATORS: { kind: IndicatorKind; needs: string; water: boolean }[] = [
  { kind: 'kgcePerPerson', needs: 'energy.headcount', water: false },
  { kind: 'kgcePerM2', needs: 'energy.floor_area_m2', water: false },
  { kind: 'waterM3PerPerson', needs: 'energy.headcount', water: true },
];

function IndicatorRow({ kind, ind }: { kind: IndicatorKind; ind: IndicatorMsg }) {
  const { t } = useLang();
  const unit = t(`energy.ind.unit.${kind}` as Key);
  const { projectedYear: projected, target } = ind;
  if (projected == null) {
    // not enough data for a yearly figure: say what there is and when a projection comes
    return (
      <li class="en-ind pending" data-testid="indicator" data-kind={kind} data-target={target ?? undefined} data-status="pending" data-days={ind.dataDays}>
        <div class="en-ind-head">
          <span class="en-ind-name">{t(`energy.ind.${kind}` as Key)}</span>
          <span class="en-ind-figures">
            {target != null && (
              <>
                <small>{t('energy.ind.target')}</small> <span class="num">{fmtGrouped(target, 2)}</span> <small>{unit}</small>
              </>
            )}
          </span>
        </div>
        <div class="en-ind-foot">
          <span>{t('energy.ind.ytd', { v: `${fmtGrouped(ind.ytd, smallDecimals(ind.ytd, 2))} ${unit}` })}</span>
          <span class="en-ind-verdict" data-testid="forecast-pending">{t('energy.ind.pending', { n: ind.dataDays, min: ind.minDays })}</span>
        </div>
      </li>
    );
  }
  const over = target != null && projected > target;
  const ratio = target ? projected / target : null;
  // The bar runs to 150 % of the target; the target is the mark at two thirds.
  const width = ratio == null ? 0 : Math.min(ratio, 1.5) / 1.5;
  const pct = ratio == null ? null : Math.round(Math.abs(1 - ratio) * 100);
  return (
    <li
      class={`en-ind ${target == null ? 'no-target' : over ? 'over' : 'under'}`}
      data-testid="indicator"
      data-kind={kind}
      data-projected={projected}
      data-target={target ?? undefined}
      data-status={target == null ? 'none' : over ? 'over' : 'under'}
    >
      <div class="en-ind-head">
        <span class="en-ind-name">{t(`energy.ind.${kind}` as Key)}</span>
        <span class="en-ind-figures">
          <small>{t('energy.ind.projected', { n: ind.dataDays })}</small> <b class="num">{fmtGrouped(projected, 2)}</b>
          {target != null && (
            <>
              {' / '}<small>{t('energy.ind.target')}</small> <span class="num">{fmtGrouped(target, 2)}</span>
            </>
          )}{' '}
          <small>{unit}</small>
        </span>
      </div>
      {target != null && (
        <div class="en-ind-bar" aria-hidden="true">
          <span style={{ width: `${(width * 100).toFixed(1)}%` }} />
          <i style={{ left: `${(100 / 1.5).toFixed(1)}%` }} />
        </div>
      )}
      <div class="en-ind-foot">
        <span>{t('energy.ind.ytd', { v: `${fmtGrouped(ind.ytd, 2)} ${unit}` })}</span>
        <span class="en-ind-verdict">
          {target == null ? t('energy.ind.noTarget') : t(over ? 'energy.ind.over' : 'energy.ind.under', { p: pct ?? 0 })}
        </span>
      </div>
    </li>
  );
}

export function Indicators({ summary, water }: { summary: EnergySummaryMsg | null; water: boolean }) {
  const { t } = useLang();
  if (!summary) return null;
  const shown = INDICATORS.filter((i) => summary.indicators[i.kind] && (!i.water || water));
  const needs = [...new Set(INDICATORS.filter((i) => !summary.indicators[i.kind]).map((i) => i.needs))];
  return (
    <section class="en-panel en-indicators">
      <h2>{t('energy.indicators')}</h2>
      <ul>
        {shown.map((i) => <IndicatorRow key={i.kind} kind={i.kind} ind={summary.indicators[i.kind]!} />)}
      </ul>
      {needs.length > 0 && (
        <p class="en-hint" data-testid="indicator-hint">
          {t('energy.ind.needs', { keys: needs.join(', ') })}
        </p>
      )}
    </section>
  );
}

export function subItemName(code: string, t: (k: Key) => string): string | null {
  const key = `subItem.${code}`;
  return hasKey(key) ? t(key) : null;
}

export function Groups({ summary, water }: { summary: EnergySummaryMsg | null; water: boolean }) {
  const { t } = useLang();
  if (!summary) return null;
  return (
    <section class="en-panel en-groups">
      <h2>{t('energy.groups')}</h2>
      {summary.groups.length === 0 ? (
        <p class="en-hint">{t('energy.noGroups')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>{t('energy.group')}</th>
              <th class="num">kW</th>
              <th class="num">{t('energy.todayKwh')}</th>
              {water && <th class="num">{t('energy.todayWater')}</th>}
            </tr>
          </thead>
          <tbody>
            {summary.groups.map((g) => (
              <tr key={g.id} data-testid="group" data-group={g.id} data-sub-item={g.subItem ?? undefined}>
                <td>
                  <b>{g.name}</b>
                  {g.subItem && (
                    <span class="en-code" title={subItemName(g.subItem, t) ?? undefined}>
                      {g.subItem}
                      {subItemName(g.subItem, t) && <small> {subItemName(g.subItem, t)}</small>}
                    </span>
                  )}
                </td>
                <td class="num" data-value={g.powerKw}>{fmtKw(g.powerKw)}</td>
                <td class="num">{fmtKwh(g.todayKwh)}</td>
                {water && <td class="num">{fmtM3(g.todayWaterM3)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
