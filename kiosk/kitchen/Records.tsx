// Today's food-safety records on the kitchen board: the morning checks (who is
// checked, passed, failed = off the kitchen today, missing) and the food samples
// per meal (missing dishes highlighted, retention due), with the forms to record
// them. Live: `records` in the /kitchen snapshot, then `records:update`.
import { useState } from 'preact/hooks';
import type { Meal } from '../../gateway/wire/canteen.ts';
import type { FoodAttireItem, FoodSampleMsg, FoodSymptom, KitchenRecordsEvents, KitchenRecordsMsg, KitchenSnapshot, MealSamplesMsg, StaffDayMsg } from '../../gateway/wire/kitchen.ts';
import { call } from '../checkout/api.ts';
import { fmtHourMinute, fmtShortDateTime } from '../format.ts';
import { useGateway } from '../gateway.ts';
import { useLang, type Key, type T } from '../i18n.ts';

type Item = FoodSymptom | FoodAttireItem;
const SYMPTOMS: Item[] = ['fever', 'diarrhoea', 'vomiting', 'sore_throat', 'hand_wound', 'jaundice'];
const MEALS: Meal[] = ['breakfast', 'lunch', 'dinner'];
const isSymptom = (i: string) => (SYMPTOMS as string[]).includes(i);
const itemText = (t: T, i: string) => t(`fsr.item.${i}` as Key);
export const failureText = (t: T, f: string) => (f === 'temperature' ? t('fsr.fail.temperature') : isSymptom(f) ? itemText(t, f) : t('fsr.fail.attire', { item: itemText(t, f) }));

export function Records() {
  const { t } = useLang();
  const [records, setRecords] = useState<KitchenRecordsMsg | null>(null);
  const [error, setError] = useState<string | null>(null);
  useGateway<KitchenRecordsEvents & { snapshot: (s: KitchenSnapshot) => void }>('/kitchen', {
    snapshot: (s) => setRecords(s.records ?? null),
    'records:update': setRecords,
  });
  // The pushed update may come after the answer; fetch too, so the board never lags the form.
  const refresh = () => call<KitchenRecordsMsg>('GET', '/api/kitchen/records/today').then(setRecords, (e: Error) => setError(e.message));
  const submit = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      await refresh();
      return true;
    } catch (e) {
      setError((e as Error).message);
      return false;
    }
  };

  if (!records) return null;
  return (
    <section class="rec" data-testid="records" data-date={records.date}>
      <h2>{t('fsr.title', { date: records.date })}</h2>
      {error && <p class="alert" data-testid="records-error">{error}</p>}
      <div class="rec-cols">
        <section class="card rec-block">
          <header>
            <h3>{t('fsr.checks')}</h3>
            <small class="co-muted">{t('fsr.dueBy', { t: records.rules.dueBy, max: records.rules.maxTemperatureC })}</small>
          </header>
          <CheckTable staff={records.staff} />
          <CheckForm records={records} submit={submit} />
        </section>
        <section class="card rec-block">
          <header>
            <h3>{t('fsr.samples')}</h3>
            <small class="co-muted">{t('fsr.sampleRule', { g: records.rules.minGrams, h: records.rules.retentionHours })}</small>
          </header>
          {records.meals.map((m) => (
            <MealBlock key={m.meal} meal={m} samples={records.samples.filter((s) => s.meal === m.meal)} records={records} />
          ))}
          <SampleForm records={records} submit={submit} />
          <RetentionDue samples={records.retentionDue} submit={submit} />
        </section>
      </div>
    </section>
  );
}

function CheckTable({ staff }: { staff: StaffDayMsg[] }) {
  const { t } = useLang();
  if (staff.length === 0) return <p class="empty">{t('fsr.noStaff')}</p>;
  return (
    <table class="devices rec-table">
      <thead>
        <tr>
          <th>{t('fsr.person')}</th>
          <th>{t('fsr.result')}</th>
          <th>{t('fsr.temperature')}</th>
          <th>{t('fsr.checkedBy')}</th>
        </tr>
      </thead>
      <tbody>
        {staff.map((s) => (
          <tr key={s.id} class={`rec-${s.status}`} data-testid="check-row" data-staff={s.id} data-status={s.status}>
            <td><b>{s.name}</b></td>
            <td>
              <span class={`rec-badge rec-badge-${s.status}`}>{t(`fsr.status.${s.status}` as Key)}</span>
              {s.check && !s.check.passed && <small class="rec-why">{s.check.failures.map((f) => failureText(t, f)).join('、')}</small>}
              {s.offDuty && s.status === 'off_duty' && <small class="rec-why">{s.offDuty.day} · {s.offDuty.failures.map((f) => failureText(t, f)).join('、')}</small>}
              {s.healthCertificate.state !== 'valid' && (
                <small class="rec-why" data-testid="cert-state" data-state={s.healthCertificate.state}>
                  {t(`fsr.cert.${s.healthCertificate.state}` as Key, { days: s.healthCertificate.daysLeft ?? 0 })}
                </small>
              )}
              {s.offDuty && <ClearForm staffId={s.id} />}
            </td>
            <td class="num">{s.check ? `${s.check.temperatureC.toFixed(1)} °C` : '—'}</td>
            <td>{s.check ? `${s.check.checkedBy} · ${fmtHourMinute(s.check.checkedAt)}` : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A supervisor clears a person a failed check took off the kitchen (the gateway refuses other roles). */
function ClearForm({ staffId }: { staffId: string }) {
  const { t } = useLang();
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (e: Event) => {
    e.preventDefault();
    call('POST', `/api/kitchen/staff/${encodeURIComponent(staffId)}/clear`, { note: note.trim() }).then(
      () => (setNote(''), setError(null)),
      (err: Error) => setError(err.message),
    );
  };
  return (
    <form class="rec-clear" data-testid="clear-form" onSubmit={submit}>
      <input type="text" maxLength={200} required placeholder={t('fsr.clearNote')} value={note} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
      <button type="submit">{t('fsr.clear')}</button>
      {error && <small class="alert">{error}</small>}
    </form>
  );
}

function CheckForm({ records, submit }: { records: KitchenRecordsMsg; submit: (fn: () => Promise<unknown>) => Promise<boolean> }) {
  const { t } = useLang();
  const items = records.rules.items;
  const fresh = () => Object.fromEntries(items.map((i) => [i, !isSymptom(i)])) as Record<string, boolean>;
  const [staffId, setStaffId] = useState('');
  const [temp, setTemp] = useState('');
  const [answers, setAnswers] = useState<Record<string, boolean>>(fresh);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const people = records.staff;
  const chosen = staffId || people.find((p) => p.status === 'due' || p.status === 'missing')?.id || people[0]?.id || '';
  if (people.length === 0) return null;
  const send = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const ok = await submit(() => call('POST', '/api/kitchen/checks', { staffId: chosen, temperatureC: Number(temp), answers, ...(note.trim() ? { note: note.trim() } : {}) }));
    if (ok) {
      setTemp('');
      setNote('');
      setAnswers(fresh());
      setStaffId('');
    }
    setBusy(false);
  };
  return (
    <form class="rec-form" data-testid="check-form" onSubmit={send}>
      <h4>{t('fsr.newCheck')}</h4>
      {/* disabled while saving, so nothing typed meanwhile is lost when the form resets */}
      <fieldset class="rec-plain" disabled={busy}>
      <div class="rec-fields">
        <label>
          {t('fsr.person')}
          <select data-testid="check-staff" value={chosen} onChange={(e) => setStaffId((e.target as HTMLSelectElement).value)}>
            {people.map((p) => (
              <option key={p.id} value={p.id}>{p.name}</option>
            ))}
          </select>
        </label>
        <label>
          {t('fsr.temperature')} (°C)
          <input data-testid="check-temp" type="number" inputMode="decimal" step="0.1" min="34" max="43" required value={temp} onInput={(e) => setTemp((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      {[true, false].map((symptoms) => (
        <fieldset key={String(symptoms)} class="rec-items">
          <legend>{t(symptoms ? 'fsr.symptomsLegend' : 'fsr.attireLegend')}</legend>
          {items.filter((i) => isSymptom(i) === symptoms).map((i) => (
            <label key={i} class="rec-item">
              <input type="checkbox" data-testid={`check-item-${i}`} checked={answers[i]} onChange={(e) => setAnswers((a) => ({ ...a, [i]: (e.target as HTMLInputElement).checked }))} />
              {itemText(t, i)}
            </label>
          ))}
        </fieldset>
      ))}
      <label class="rec-note">
        {t('fsr.note')}
        <input data-testid="check-note" maxLength={200} value={note} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit" class="co-btn" data-testid="check-submit">{t('fsr.saveCheck')}</button>
      </fieldset>
    </form>
  );
}

function MealBlock({ meal, samples, records }: { meal: MealSamplesMsg; samples: FoodSampleMsg[]; records: KitchenRecordsMsg }) {
  const { t } = useLang();
  const cabinet = (id: string) => records.cabinets.find((c) => c.id === id)?.name ?? id;
  if (!meal.menu && samples.length === 0) return null;
  return (
    <div class="rec-meal" data-testid="meal-samples" data-meal={meal.meal} data-overdue={meal.overdue}>
      <h4>
        {t(`fsr.meal.${meal.meal}` as Key)}
        {meal.missing.length > 0 && (
          <span class={meal.overdue ? 'rec-missing rec-overdue' : 'rec-missing'}>
            {t(meal.overdue ? 'fsr.missingOverdue' : 'fsr.missingBy', { t: fmtHourMinute(meal.dueAt) })}
            {meal.missing.map((d) => (
              <b key={d.dishId} class="rec-chip" data-testid="missing-dish" data-dish={d.dishId}>{d.dishName}</b>
            ))}
          </span>
        )}
      </h4>
      {samples.length > 0 && (
        <table class="devices rec-table">
          <thead>
            <tr>
              <th>{t('fsr.dish')}</th>
              <th>{t('fsr.grams')}</th>
              <th>{t('fsr.cabinet')}</th>
              <th>{t('fsr.time')}</th>
              <th>{t('fsr.takenBy')}</th>
            </tr>
          </thead>
          <tbody>
            {samples.map((s) => (
              <tr key={s.id} class={s.underweight ? 'rec-failed' : undefined} data-testid="sample-row" data-sample={s.id} data-dish={s.dishId} data-source={s.source} data-grams={s.grams} data-underweight={s.underweight}>
                <td><b>{s.dishName}</b></td>
                <td class="num">
                  {s.grams} g{s.source === 'scale' && <small class="co-muted"> ⚖</small>}
                  {s.underweight && <span class="rec-badge rec-badge-failed">{t('fsr.underweight', { g: s.minGrams })}</span>}
                </td>
                <td>{cabinet(s.cabinet)}</td>
                <td>{fmtHourMinute(s.takenAt)}</td>
                <td>{s.takenBy}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function SampleForm({ records, submit }: { records: KitchenRecordsMsg; submit: (fn: () => Promise<unknown>) => Promise<boolean> }) {
  const { t } = useLang();
  const [meal, setMeal] = useState<Meal>(records.currentMeal);
  const [dishId, setDishId] = useState('');
  const [grams, setGrams] = useState('');
  const [cabinet, setCabinet] = useState(records.cabinets[0]?.id ?? '');
  const [busy, setBusy] = useState(false);
  const menu = records.meals.find((m) => m.meal === meal)?.menu;
  // The meal's menu, its missing dishes first; without a menu, every active dish.
  const missing = new Set(records.meals.find((m) => m.meal === meal)?.missing.map((d) => d.dishId));
  const dishes = (menu ? menu.map((d) => ({ id: d.dishId, name: d.dishName })) : records.dishes).slice().sort((a, b) => Number(missing.has(b.id)) - Number(missing.has(a.id)));
  const chosen = dishes.some((d) => d.id === dishId) ? dishId : (dishes[0]?.id ?? '');
  const body = (weight: { grams: number } | { fromScale: true }) => ({ dishId: chosen, meal, cabinet, ...weight });
  const save = async (weight: { grams: number } | { fromScale: true }) => {
    setBusy(true);
    if (await submit(() => call('POST', '/api/kitchen/samples', body(weight)))) {
      setGrams('');
      setDishId('');
    }
    setBusy(false);
  };
  const send = (e: Event) => {
    e.preventDefault();
    void save({ grams: Number(grams) });
  };
  if (dishes.length === 0) return <p class="empty">{t('fsr.noDishes')}</p>;
  return (
    <form class="rec-form" data-testid="sample-form" onSubmit={send}>
      <h4>{t('fsr.newSample')}</h4>
      <fieldset class="rec-plain" disabled={busy}>
      <div class="rec-fields">
        <label>
          {t('fsr.mealLabel')}
          <select data-testid="sample-meal" value={meal} onChange={(e) => setMeal((e.target as HTMLSelectElement).value as Meal)}>
            {MEALS.map((m) => (
              <option key={m} value={m}>{t(`fsr.meal.${m}` as Key)}</option>
            ))}
          </select>
        </label>
        <label>
          {t('fsr.dish')}
          <select data-testid="sample-dish" value={chosen} onChange={(e) => setDishId((e.target as HTMLSelectElement).value)}>
            {dishes.map((d) => (
              <option key={d.id} value={d.id}>{missing.has(d.id) ? `${d.name} ·${t('fsr.notSampled')}` : d.name}</option>
            ))}
          </select>
        </label>
        <label>
          {t('fsr.grams')}
          <input data-testid="sample-grams" type="number" inputMode="numeric" min="1" max="5000" step="1" required value={grams} onInput={(e) => setGrams((e.target as HTMLInputElement).value)} />
        </label>
        {records.cabinets.length > 1 && (
          <label>
            {t('fsr.cabinet')}
            <select data-testid="sample-cabinet" value={cabinet} onChange={(e) => setCabinet((e.target as HTMLSelectElement).value)}>
              {records.cabinets.map((c) => (
                <option key={c.id} value={c.id}>{c.name}</option>
              ))}
            </select>
          </label>
        )}
      </div>
      <div class="rec-actions">
        <button type="submit" class="co-btn" data-testid="sample-submit">{t('fsr.saveSample')}</button>
        {records.scaleStation && (
          <button type="button" class="co-btn" data-testid="sample-weigh" onClick={() => void save({ fromScale: true })}>{t('fsr.weigh', { station: records.scaleStation })}</button>
        )}
      </div>
      </fieldset>
    </form>
  );
}

function RetentionDue({ samples, submit }: { samples: FoodSampleMsg[]; submit: (fn: () => Promise<unknown>) => Promise<boolean> }) {
  const { t } = useLang();
  if (samples.length === 0) return null;
  return (
    <div class="rec-meal rec-retention" data-testid="retention-due">
      <h4>{t('fsr.retentionDue')}</h4>
      <ul>
        {samples.map((s) => (
          <li key={s.id} data-testid="retention-row" data-sample={s.id}>
            <span>
              {s.day} {t(`fsr.meal.${s.meal}` as Key)} · <b>{s.dishName}</b> · {s.grams} g · {t('fsr.keptUntil', { t: fmtShortDateTime(s.retainUntil) })}
            </span>
            <button type="button" class="co-btn co-small" data-testid="discard" onClick={() => void submit(() => call('POST', `/api/kitchen/samples/${encodeURIComponent(s.id)}/discard`))}>
              {t('fsr.discard')}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
