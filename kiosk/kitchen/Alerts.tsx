// The kitchen's live alert list: newest first, filters by camera, type and state, the
// snapshot with boxes, and acknowledge / resolve (with a note) for kitchen staff and
// supervisors. Changes come back over the socket as `alert:update` for every board.
import { useState } from 'preact/hooks';
import type { KitchenAlertMsg, KitchenAlertState } from '../../gateway/wire/kitchen.ts';
import { call } from '../checkout/api.ts';
import { fmtShortDateTime } from '../format.ts';
import { hasKey, useLang, type T } from '../i18n.ts';
import { failureText } from './Records.tsx';

const STATES: KitchenAlertState[] = ['open', 'acknowledged', 'resolved'];

/** Adds or replaces an alert, newest first. */
export function upsertAlert(list: KitchenAlertMsg[], a: KitchenAlertMsg): KitchenAlertMsg[] {
  const rest = list.filter((x) => x.id !== a.id);
  return [...rest, a].sort((x, y) => y.openedAt - x.openedAt);
}

const typeLabel = (t: T, type: string) => {
  const key = `kitchen.type.${type}`;
  return hasKey(key) ? t(key) : type;
};

/** A record alert worded from its values in the reader's language; a camera alert's text is the site's own. */
export function alertText(t: T, a: Pick<KitchenAlertMsg, 'type' | 'message' | 'details'>): string {
  const d = a.details;
  if (!d) return a.message;
  const key = `kitchen.detail.${a.type}${typeof d.variant === 'string' ? `.${d.variant}` : ''}`;
  if (!hasKey(key)) return a.message;
  const params: Record<string, string | number> = { ...d };
  if (typeof d.failures === 'string') params.failures = d.failures.split(',').map((f) => failureText(t, f)).join('、');
  if (typeof d.meal === 'string' && hasKey(`fsr.meal.${d.meal}`)) params.meal = t(`fsr.meal.${d.meal}` as 'fsr.meal.lunch');
  return t(key as 'kitchen.recordAlert', params);
}

function AlertRow({ alert, onChange }: { alert: KitchenAlertMsg; onChange: (a: KitchenAlertMsg) => void }) {
  const { t } = useLang();
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const act = async (what: 'ack' | 'resolve') => {
    if (what === 'resolve' && !note.trim()) return setError(t('kitchen.noteRequired'));
    setBusy(true);
    setError(null);
    try {
      const body = what === 'resolve' ? { note: note.trim() } : note.trim() ? { note: note.trim() } : {};
      onChange(await call<KitchenAlertMsg>('POST', `/api/kitchen/alerts/${alert.id}/${what}`, body));
      setNote('');
    } catch (err) {
      setError(t('kitchen.actionFailed', { reason: (err as Error).message }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class={`alert alert-${alert.severity} alert-${alert.state}`} data-testid="alert" data-id={alert.id} data-state={alert.state} data-type={alert.type} data-camera={alert.camera ?? ''}>
      {alert.snapshotUrl ? (
        <a href={alert.snapshotUrl} target="_blank" rel="noopener">
          <img src={alert.snapshotUrl} alt={t('kitchen.snapshot')} data-testid="alert-snapshot" loading="lazy" />
        </a>
      ) : (
        // a record alert has no camera frame: say what it is instead of an empty box
        <div class="alert-nosnap alert-record" data-testid="alert-record">{t('kitchen.recordAlert')}</div>
      )}
      <div class="alert-body">
        <p class="alert-head">
          <span class={`sev sev-${alert.severity}`}>{t(`kitchen.severity.${alert.severity}`)}</span>
          <b>{typeLabel(t, alert.type)}</b>
          {alert.camera && <span class="alert-cam">{alert.camera}</span>}
          <span class="alert-state" data-testid="alert-state">{t(`kitchen.state.${alert.state}`)}</span>
        </p>
        <p class="alert-msg" data-testid="alert-message">{alertText(t, alert)}</p>
        <p class="alert-times">
          <span>{t('kitchen.openedAt', { t: fmtShortDateTime(alert.openedAt) })}</span>
          {alert.ackedBy && <span data-testid="alert-acked">{t('kitchen.ackedBy', { who: alert.ackedBy, t: fmtShortDateTime(alert.ackedAt) })}</span>}
          {alert.resolvedBy && <span data-testid="alert-resolved">{t('kitchen.resolvedBy', { who: alert.resolvedBy, t: fmtShortDateTime(alert.resolvedAt) })}</span>}
        </p>
        {alert.note && <p class="alert-note" data-testid="alert-note-text">{alert.note}</p>}
        {alert.state !== 'resolved' && (
          <div class="alert-actions">
            {alert.state === 'open' && (
              <button type="button" data-testid="alert-ack" disabled={busy} onClick={() => void act('ack')}>
                {t('kitchen.ack')}
              </button>
            )}
            <input type="text" data-testid="alert-note" maxLength={500} placeholder={t('kitchen.notePlaceholder')} value={note} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
            <button type="button" data-testid="alert-resolve" disabled={busy} onClick={() => void act('resolve')}>
              {t('kitchen.resolve')}
            </button>
          </div>
        )}
        {error && <p class="alert-error" data-testid="alert-error">{error}</p>}
      </div>
    </li>
  );
}

export function Alerts({ alerts, onChange }: { alerts: KitchenAlertMsg[]; onChange: (a: KitchenAlertMsg) => void }) {
  const { t } = useLang();
  const [camera, setCamera] = useState('');
  const [type, setType] = useState('');
  const [state, setState] = useState('');
  const cameras = [...new Set(alerts.flatMap((a) => (a.camera ? [a.camera] : [])))].sort();
  const types = [...new Set(alerts.map((a) => a.type))].sort();
  const shown = alerts.filter((a) => (!camera || a.camera === camera) && (!type || a.type === type) && (!state || a.state === state));
  const select = (testId: string, label: string, value: string, set: (v: string) => void, options: [string, string][]) => (
    <label>
      {label}
      <select data-testid={testId} value={value} onChange={(e) => set((e.target as HTMLSelectElement).value)}>
        <option value="">{t('kitchen.filter.all')}</option>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <section class="card alerts" data-testid="alerts">
      <header class="alerts-head">
        <h2>{t('kitchen.alerts')}</h2>
        <div class="alert-filters">
          {select('filter-camera', t('kitchen.filter.camera'), camera, setCamera, cameras.map((c) => [c, c]))}
          {select('filter-type', t('kitchen.filter.type'), type, setType, types.map((x) => [x, typeLabel(t, x)]))}
          {select('filter-state', t('kitchen.filter.state'), state, setState, STATES.map((s) => [s, t(`kitchen.state.${s}`)]))}
        </div>
      </header>
      {shown.length === 0 ? (
        <p class="empty" data-testid="no-alerts">{t('kitchen.noAlerts')}</p>
      ) : (
        <ul class="alert-list">
          {shown.map((a) => (
            <AlertRow key={a.id} alert={a} onChange={onChange} />
          ))}
        </ul>
      )}
    </section>
  );
}
