import type { PricedLineMsg } from '../../gateway/server/wire.ts';
import { useLang } from '../i18n.ts';
import { fmtYuan } from './money.ts';

interface Props {
  line: PricedLineMsg | null;
  busy: boolean;
  onPayCounter(): void;
  onPayCard(): void;
  onChangeDish(): void;
  onCancel(): void;
  changeLabel: 'co.changeDish' | 'co.pickDish';
}

/** The total and the hand-over to payment: the counter, or the meal card here. QR and face come later. */
export function PayPanel({ line, busy, onPayCounter, onPayCard, onChangeDish, onCancel, changeLabel }: Props) {
  const { t } = useLang();
  return (
    <section class="co-pay">
      <div class="co-total">
        <span>{t('co.total')}</span>
        <b data-testid="total" data-fen={line?.totalFen}>{line ? fmtYuan(line.totalFen) : '—'}</b>
      </div>
      <button type="button" class="co-btn co-primary" data-testid="pay-counter" disabled={!line || busy} onClick={onPayCounter}>
        {t('co.payCounter')}
      </button>
      <div class="co-methods">
        <button type="button" class="co-btn" data-testid="pay-card" disabled={!line || busy} onClick={onPayCard}>
          {t('co.payCard')}
        </button>
        {(['co.payFace', 'co.payQr'] as const).map((k) => (
          <button key={k} type="button" class="co-btn" disabled aria-disabled="true">
            {t(k)}
            <small>{t('co.soon')}</small>
          </button>
        ))}
      </div>
      <div class="co-row">
        <button type="button" class="co-btn" data-testid="change-dish" disabled={busy} onClick={onChangeDish}>{t(changeLabel)}</button>
        <button type="button" class="co-btn" data-testid="cancel" disabled={busy} onClick={onCancel}>{t('co.cancel')}</button>
      </div>
    </section>
  );
}
