import { useEffect, useState } from 'preact/hooks';
import type { SaleMsg } from '../../../gateway/wire/canteen.ts';
import { fmtTime } from '../../format.ts';
import { useLang } from '../../i18n.ts';
import { call } from '../api.ts';
import { fmtYuan } from '../money.ts';

const POLL_MS = 3000;

/** Pay-at-counter sales: staff take the money, then confirm (or void an abandoned one). */
export function CounterSales() {
  const { t } = useLang();
  const [sales, setSales] = useState<SaleMsg[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = () => call<SaleMsg[]>('GET', '/api/canteen/sales?status=awaiting_payment').then(setSales, (e: Error) => setError(e.message));

  useEffect(() => {
    void load();
    const id = setInterval(load, POLL_MS);
    return () => clearInterval(id);
  }, []);

  const act = (sale: SaleMsg, action: 'paid' | 'cancel') =>
    call('POST', `/api/canteen/sales/${sale.id}/${action}`, {}).then(() => (setError(null), load()), (e: Error) => setError(e.message));

  return (
    <section class="co-admin-block">
      <h3>{t('cat.counter')}</h3>
      {error && <p class="alert">{error}</p>}
      {sales.length === 0 ? (
        <p class="empty">{t('cat.noneWaiting')}</p>
      ) : (
        <table class="devices">
          <tbody>
            {sales.map((s) => (
              <tr key={s.id} data-testid="counter-sale" data-sale={s.id}>
                <td><b class="co-admin-no">{s.no}</b></td>
                <td>{s.lines.map((l) => `${l.dishName ?? '—'} ${l.netG} g`).join('、')}</td>
                <td class="num"><b>{fmtYuan(s.totalFen)}</b></td>
                <td>{s.station} · {fmtTime(s.createdAt)}</td>
                <td>
                  <button type="button" class="co-btn co-small co-ok" onClick={() => act(s, 'paid')}>{t('cat.confirmPaid')}</button>{' '}
                  <button type="button" class="co-btn co-small" onClick={() => act(s, 'cancel')}>{t('cat.void')}</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
