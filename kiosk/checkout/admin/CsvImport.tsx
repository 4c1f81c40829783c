import { useState } from 'preact/hooks';
import { useLang } from '../../i18n.ts';
import { ApiError, call } from '../api.ts';

interface Issue { row: number; column: string; message: string }

/** Paste or pick a UTF-8 CSV; every problem is listed by row and column, nothing is half-imported. */
export function CsvImport({ onDone }: { onDone(): void }) {
  const { t } = useLang();
  const [text, setText] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const [issues, setIssues] = useState<Issue[]>([]);

  const run = async () => {
    setIssues([]);
    try {
      const r = await call<{ created: number; updated: number }>('POST', '/api/canteen/dishes/import', text, 'text/csv');
      setResult(t('cat.importDone', { c: r.created, u: r.updated }));
      onDone();
    } catch (err) {
      const details = (err as { details?: { errors?: Issue[] } }).details;
      setResult(err instanceof ApiError && details?.errors ? null : (err as Error).message);
      setIssues(details?.errors ?? []);
    }
  };

  return (
    <section class="co-admin-block">
      <h3>{t('cat.import')}</h3>
      <p class="co-muted">{t('cat.importHint')}</p>
      <input type="file" accept=".csv,text/csv" onChange={async (e) => setText(await (e.currentTarget.files?.[0]?.text() ?? ''))} />
      <textarea class="co-admin-csv" rows={4} value={text} onInput={(e) => setText(e.currentTarget.value)} data-testid="csv-text" />
      <p>
        <button type="button" class="co-btn co-small" disabled={!text.trim()} onClick={run}>{t('cat.importRun')}</button> {result && <span class="co-muted">{result}</span>}
      </p>
      {issues.length > 0 && (
        <ul class="co-admin-issues" data-testid="csv-issues">
          {issues.map((i) => <li key={`${i.row}:${i.column}:${i.message}`}>{t('cat.rowError', { row: i.row, column: i.column, message: i.message })}</li>)}
        </ul>
      )}
    </section>
  );
}
