// The biometrics audit trail (enrol, match, withdraw, delete, export…), newest
// first, for everyone or one account.
import { useEffect, useState } from 'preact/hooks';
import { fmtDateTime } from '../format.ts';
import { hasKey, useLang } from '../i18n.ts';
import { bioApi, type AuditLine } from './api.ts';

export function AuditView({ accountId, version, onAll }: { accountId: string | null; version: number; onAll(): void }) {
  const { t } = useLang();
  const [lines, setLines] = useState<AuditLine[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    bioApi.audit(accountId ?? undefined).then((r) => setLines(r.audit), (e: Error) => setError(e.message));
  }, [accountId, version]);

  return (
    <section class="co-admin-block" data-testid="bio-audit-view" data-account={accountId ?? ''}>
      <h3>
        {t('bio.auditTitle')}{accountId ? ` · ${accountId}` : ''}
        {accountId && <button type="button" class="co-btn co-small" onClick={onAll}>{t('bio.auditAll')}</button>}
      </h3>
      {error && <p class="alert">{error}</p>}
      {lines && lines.length === 0 && <p class="empty">{t('bio.noAudit')}</p>}
      {lines && lines.length > 0 && (
        <table class="devices">
          <thead>
            <tr>
              <th>{t('bio.when')}</th>
              <th>{t('bio.event')}</th>
              <th>{t('bio.account')}</th>
              <th>{t('bio.actor')}</th>
              <th>{t('bio.detail')}</th>
            </tr>
          </thead>
          <tbody>
            {lines.map((l, i) => (
              <tr key={i} data-testid="audit-line" data-action={l.action} data-account={l.account_id ?? ''}>
                <td>{fmtDateTime(l.at)}</td>
                <td>{hasKey(`bio.action.${l.action}`) ? t(`bio.action.${l.action}` as 'bio.action.enrol') : l.action}</td>
                <td>{l.account_id ?? '—'}</td>
                <td>{l.actor}</td>
                <td class="co-muted">{l.detail ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
