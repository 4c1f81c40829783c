import type { SaleMsg } from '../../gateway/wire/canteen.ts';
import { fmtDateTime, fmtGrams } from '../format.ts';
import { useLang } from '../i18n.ts';
import { fmtUnit, fmtYuan } from './money.ts';

/** After the hand-over: the sale number to show at the counter, then the paid receipt. */
export function Receipt({ sale, stationName }: { sale: SaleMsg; stationName: string }) {
  const { t } = useLang();
  const paid = sale.status === 'paid';
  return (
    <section class={`co-receipt co-${sale.status}`} data-testid="receipt" data-status={sale.status} data-sale={sale.id}>
      <header>
        <h2>{paid ? `✓ ${t('co.paid')}` : sale.status === 'cancelled' ? t('co.cancelled') : t('co.payCounter')}</h2>
        <div class="co-sale-no">
          <small>{t('co.saleNo')}</small>
          <b data-testid="sale-no">{sale.no}</b>
        </div>
      </header>
      {sale.status === 'awaiting_payment' && <p class="co-hint">{t('co.goToCounter')}</p>}
      <table>
        <tbody>
          {sale.lines.map((l) => (
            <tr key={l.id}>
              <th>{l.dishName ?? '—'}</th>
              <td>{fmtGrams(l.netG)} g</td>
              <td>{fmtUnit(l.unit, t)}</td>
              <td class="num">{fmtYuan(l.totalFen)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th colSpan={3}>{t('co.total')}</th>
            <td class="num" data-testid="receipt-total" data-fen={sale.totalFen}>{fmtYuan(sale.totalFen)}</td>
          </tr>
        </tfoot>
      </table>
      <p class="co-muted">
        {stationName} · {fmtDateTime(sale.paidAt ?? sale.createdAt)}
        {sale.method && ` · ${t(`co.method.${sale.method}`)}`}
      </p>
      {sale.lines.map((l) =>
        l.metrology ? (
          // a legal-for-trade scale's data plate and certificates (JJG 539; OIML R76-1 7.1)
          <p class="co-muted" key={`m-${l.id}`} data-testid="receipt-metrology">
            {t('co.metrology', { max: fmtGrams(l.metrology.maxG), min: fmtGrams(l.metrology.minG), e: fmtGrams(l.intervalG), approval: l.metrology.typeApprovalNo, verification: l.metrology.verificationNo })}
          </p>
        ) : null,
      )}
      <p class="co-take">{t('co.takePlate')}</p>
    </section>
  );
}
