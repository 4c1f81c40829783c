// The admin's face-pay section: who is enrolled and under which consent,
// recording consent and enrolling, withdrawal, deletion, export of what is held
// about a person, and the audit trail. Hidden when the gateway has no biometrics.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../checkout/api.ts';
import { fmtDateTime } from '../format.ts';
import { useLang } from '../i18n.ts';
import { bioApi, type AccountMsg, type ConsentText as Text, type PersonMsg } from './api.ts';
import { AuditView } from './AuditView.tsx';
import { ConsentForm } from './ConsentForm.tsx';
import { EnrolForm } from './EnrolForm.tsx';
import { ImpactAssessmentForm } from './ImpactAssessmentForm.tsx';

export function BiometricsAdmin() {
  const { t } = useLang();
  const [text, setText] = useState<Text | null>(null);
  const [people, setPeople] = useState<PersonMsg[] | null>(null);
  const [accounts, setAccounts] = useState<AccountMsg[]>([]);
  const [absent, setAbsent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const [auditFor, setAuditFor] = useState<string | null>(null);

  const fail = (e: Error) => (e instanceof ApiError && e.status === 404 ? setAbsent(true) : setError(e.message));
  const reload = () => {
    setVersion((v) => v + 1);
    bioApi.people().then((r) => setPeople(r.people), fail);
  };
  useEffect(() => {
    bioApi.consentText().then(setText, fail);
    bioApi.accounts().then(setAccounts, fail);
    reload();
  }, []);

  if (absent) return null;
  const act = (what: () => Promise<unknown>) => {
    setError(null);
    what().then(reload, (e: Error) => setError(e.message));
  };
  const withdraw = (p: PersonMsg) => confirm(t('bio.withdrawConfirm', { name: p.person ?? p.account_id })) && act(() => bioApi.withdraw(p.account_id));
  const remove = (p: PersonMsg) => confirm(t('bio.deleteConfirm', { name: p.person ?? p.account_id })) && act(() => bioApi.remove(p.account_id));
  const exportJson = (p: PersonMsg) =>
    act(async () => {
      const data = await bioApi.exportData(p.account_id);
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
      a.download = `biometrics-${p.account_id}.json`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    });

  return (
    <section class="co-admin bio-admin" data-testid="biometrics-admin">
      <h2>{t('bio.title')}</h2>
      {error && <p class="alert" data-testid="bio-error">{error}</p>}
      <section class="co-admin-block">
        <h3>{t('pia.title')}</h3>
        <ImpactAssessmentForm onSaved={reload} />
      </section>
      <section class="co-admin-block">
        <h3>{t('bio.people')}</h3>
        {!people ? null : people.length === 0 ? (
          <p class="empty">{t('bio.noPeople')}</p>
        ) : (
          <table class="devices">
            <thead>
              <tr>
                <th>{t('bio.account')}</th>
                <th>{t('bio.person')}</th>
                <th>{t('bio.enrolledAt')}</th>
                <th>{t('bio.consent')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {people.map((p) => (
                <tr key={p.account_id} data-testid="bio-person" data-account={p.account_id} data-enrolled={String(!!p.enrolled_at)} data-consent={p.consent ? p.consent.given_by : 'none'}>
                  <td><b>{p.account_id}</b></td>
                  <td class="bio-nowrap">{p.person ?? '—'}</td>
                  <td>{p.enrolled_at ? fmtDateTime(p.enrolled_at) : '—'}</td>
                  <td>
                    {p.consent ? (
                      <>
                        {t(p.consent.given_by === 'guardian' ? 'bio.byGuardian' : 'bio.bySelf', { name: p.consent.guardian_name ?? '' })}
                        {p.consent.minor && ` · ${t('bio.minor')}`} · v{p.consent.text_version} · {fmtDateTime(p.consent.at)}
                      </>
                    ) : (
                      t('bio.noConsent')
                    )}
                  </td>
                  <td>
                    <div class="bio-actions">
                    <button type="button" class="co-btn co-small" data-testid="bio-withdraw" disabled={!p.consent && !p.enrolled_at} onClick={() => withdraw(p)}>{t('bio.withdraw')}</button>
                    <button type="button" class="co-btn co-small" data-testid="bio-delete" disabled={!p.consent && !p.enrolled_at} onClick={() => remove(p)}>{t('bio.delete')}</button>
                    <button type="button" class="co-btn co-small" data-testid="bio-export" onClick={() => exportJson(p)}>{t('bio.export')}</button>
                    <button type="button" class="co-btn co-small" data-testid="bio-audit" onClick={() => setAuditFor(p.account_id)}>{t('bio.audit')}</button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {text && people && (
        <section class="co-admin-block">
          <h3>{t('bio.recordConsentTitle')}</h3>
          <ConsentForm text={text} accounts={accounts} onSaved={reload} />
        </section>
      )}
      {people && (
        <section class="co-admin-block">
          <h3>{t('bio.enrolTitle')}</h3>
          <EnrolForm accounts={accounts} people={people} onSaved={reload} />
        </section>
      )}
      <AuditView accountId={auditFor} version={version} onAll={() => setAuditFor(null)} />
    </section>
  );
}
