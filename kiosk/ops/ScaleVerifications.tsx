// /admin: the verification (检定, JJG 539) of each legal-for-trade scale — a warning 30 days
// before it expires, and once expired (no sales by weight) the form to enter the new one.
import { useEffect, useState } from 'preact/hooks';
import type { ScaleVerificationMsg } from '../../gateway/wire/canteen.ts';
import { call } from '../checkout/api.ts';
import { useLang } from '../i18n.ts';

export function ScaleVerifications() {
  const { t } = useLang();
  const [list, setList] = useState<ScaleVerificationMsg[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = () => call<ScaleVerificationMsg[]>('GET', '/api/canteen/verifications').then(setList, (e: Error) => setError(e.message));
  useEffect(() => void load(), []);
  if (list.length === 0 && !error) return null;
  return (
    <section data-testid="scale-verifications">
      <h2>{t('verify.title')}</h2>
      {error && <p class="alert">{error}</p>}
      {list.map((v) => (
        <div key={v.scale} data-testid="scale-verification" data-scale={v.scale} data-state={v.state}>
          <p class={v.state === 'valid' ? '' : 'alert'}>
            <b>{v.scale}</b> {t('verify.no', { no: v.verificationNo })} · {t(`verify.${v.state}`, { date: v.verifiedUntil, days: v.daysLeft, ago: -v.daysLeft })}
          </p>
          {v.state !== 'valid' && <NewVerification scale={v.scale} done={() => void load()} />}
        </div>
      ))}
    </section>
  );
}

function NewVerification({ scale, done }: { scale: string; done: () => void }) {
  const { t } = useLang();
  const [no, setNo] = useState('');
  const [until, setUntil] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (e: Event) => {
    e.preventDefault();
    call('PUT', `/api/canteen/verifications/${encodeURIComponent(scale)}`, { verificationNo: no, verifiedUntil: until }).then(
      () => (setError(null), done()),
      (err: Error) => setError(err.message),
    );
  };
  return (
    <form onSubmit={submit}>
      <label>{t('verify.newNo')} <input name="verificationNo" value={no} onInput={(e) => setNo((e.target as HTMLInputElement).value)} required /></label>{' '}
      <label>{t('verify.newUntil')} <input name="verifiedUntil" type="date" value={until} onInput={(e) => setUntil((e.target as HTMLInputElement).value)} required /></label>{' '}
      <button type="submit">{t('verify.save')}</button>
      {error && <p class="alert">{error}</p>}
    </form>
  );
}
