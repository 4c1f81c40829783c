// The site's personal-information protection impact assessment (PIPL arts. 55–56), filled
// in at /admin: face pay and enrolment stay off until one is recorded. Shows the latest
// record; a new one is added, the earlier ones are kept.
import { useEffect, useState } from 'preact/hooks';
import { fmtDateTime } from '../format.ts';
import { useLang, type Key } from '../i18n.ts';
import { bioApi, type ImpactAssessment, type ImpactAssessmentInput } from './api.ts';

const FIELDS: { key: keyof ImpactAssessmentInput; label: Key; long: boolean }[] = [
  { key: 'assessed_on', label: 'pia.assessedOn', long: false },
  { key: 'assessor', label: 'pia.assessor', long: false },
  { key: 'necessity', label: 'pia.necessity', long: true },
  { key: 'risks', label: 'pia.risks', long: true },
  { key: 'measures', label: 'pia.measures', long: true },
  { key: 'conclusion', label: 'pia.conclusion', long: true },
];

const empty = (): ImpactAssessmentInput => ({ assessed_on: '', assessor: '', necessity: '', risks: '', measures: '', conclusion: '' });

export function ImpactAssessmentForm({ onSaved }: { onSaved(): void }) {
  const { t } = useLang();
  const [latest, setLatest] = useState<ImpactAssessment | null | undefined>(undefined);
  const [form, setForm] = useState<ImpactAssessmentInput>(empty);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => void bioApi.assessment().then((r) => setLatest(r.latest), (e: Error) => setError(e.message)), []);
  const complete = FIELDS.every((f) => form[f.key].trim());
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const saved = await bioApi.recordAssessment(Object.fromEntries(FIELDS.map((f) => [f.key, form[f.key].trim()])) as unknown as ImpactAssessmentInput);
      setLatest(saved);
      setForm(empty());
      onSaved();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  if (latest === undefined && !error) return null;
  return (
    <div data-testid="pia" data-recorded={String(!!latest)}>
      {latest ? (
        <p class="co-hint" data-testid="pia-latest">{t('pia.recorded', { on: latest.assessed_on, by: latest.assessor, at: fmtDateTime(latest.at) })}</p>
      ) : (
        <p class="alert" data-testid="pia-missing">{t('pia.missing')}</p>
      )}
      <form
        class="co-admin-form bio-form"
        data-testid="pia-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {FIELDS.map((f) => (
          <label key={f.key}>
            {t(f.label)}
            {f.key === 'assessed_on' ? (
              <input type="date" data-testid={`pia-${f.key}`} value={form[f.key]} required onInput={(e) => setForm({ ...form, [f.key]: (e.target as HTMLInputElement).value })} />
            ) : f.long ? (
              <textarea data-testid={`pia-${f.key}`} rows={3} value={form[f.key]} required onInput={(e) => setForm({ ...form, [f.key]: (e.target as HTMLTextAreaElement).value })} />
            ) : (
              <input data-testid={`pia-${f.key}`} value={form[f.key]} required onInput={(e) => setForm({ ...form, [f.key]: (e.target as HTMLInputElement).value })} />
            )}
          </label>
        ))}
        <button type="submit" class="co-btn co-small co-ok" data-testid="pia-save" disabled={busy || !complete}>{t('pia.save')}</button>
        {error && <p class="alert" data-testid="pia-error">{error}</p>}
      </form>
    </div>
  );
}
