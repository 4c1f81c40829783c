// Staff record a person's consent to face pay: the person themselves, or a
// guardian for a minor (under 14: guardian consent is the law), against the
// consent text version shown.
import { useState } from 'preact/hooks';
import { useLang } from '../i18n.ts';
import { bioApi, type AccountMsg, type ConsentText as Text } from './api.ts';
import { ConsentText } from './ConsentText.tsx';

export function ConsentForm({ text, accounts, onSaved }: { text: Text; accounts: AccountMsg[]; onSaved(): void }) {
  const { t } = useLang();
  const [account, setAccount] = useState('');
  const [givenBy, setGivenBy] = useState<'self' | 'guardian'>('self');
  const [minor, setMinor] = useState(false);
  const [guardian, setGuardian] = useState('');
  const [relation, setRelation] = useState('');
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const needsGuardian = minor || givenBy === 'guardian';

  const save = async () => {
    setBusy(true);
    setMsg(null);
    try {
      await bioApi.recordConsent({
        account_id: account.trim(),
        given_by: needsGuardian ? 'guardian' : 'self',
        minor,
        ...(needsGuardian ? { guardian_name: guardian.trim(), guardian_relation: relation.trim() } : {}),
        text_version: text.version,
      });
      setMsg({ ok: true, text: t('bio.consentSaved', { id: account.trim() }) });
      onSaved();
    } catch (err) {
      setMsg({ ok: false, text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="co-admin-form bio-form"
      data-testid="consent-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <ConsentText text={text} />
      <label>
        {t('bio.account')}
        <select data-testid="consent-account" value={account} required onChange={(e) => setAccount((e.target as HTMLSelectElement).value)}>
          <option value="">—</option>
          {accounts.map((a) => <option key={a.id} value={a.id}>{a.id}</option>)}
        </select>
      </label>
      <label class="co-admin-inline">
        <input type="checkbox" data-testid="consent-minor" checked={minor} onChange={(e) => setMinor((e.target as HTMLInputElement).checked)} />
        {t('bio.minor')}
      </label>
      <label>
        {t('bio.givenBy')}
        <select data-testid="consent-given-by" value={needsGuardian ? 'guardian' : 'self'} disabled={minor} onChange={(e) => setGivenBy((e.target as HTMLSelectElement).value as 'self' | 'guardian')}>
          <option value="self">{t('bio.self')}</option>
          <option value="guardian">{t('bio.guardian')}</option>
        </select>
      </label>
      {needsGuardian && (
        <label>
          {t('bio.guardianName')}
          <input data-testid="consent-guardian" value={guardian} required onInput={(e) => setGuardian((e.target as HTMLInputElement).value)} />
        </label>
      )}
      {needsGuardian && (
        <label>
          {t('bio.guardianRelation')}
          <input data-testid="consent-relation" value={relation} required placeholder={t('bio.relationExample')} onInput={(e) => setRelation((e.target as HTMLInputElement).value)} />
        </label>
      )}
      <button type="submit" class="co-btn co-small co-ok" data-testid="consent-save" disabled={busy || !account.trim() || (needsGuardian && (!guardian.trim() || !relation.trim()))}>
        {t('bio.recordConsent', { v: text.version })}
      </button>
      {msg && <p class={msg.ok ? 'co-hint' : 'alert'} data-testid="consent-result" data-ok={String(msg.ok)}>{msg.text}</p>}
    </form>
  );
}
