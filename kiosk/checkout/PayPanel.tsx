import type { PricedLineMsg } from '../../gateway/wire/canteen.ts';
import type { CredentialMethod } from '../../gateway/wire/payments.ts';
import { useLang } from '../i18n.ts';
import { fmtYuan } from './money.ts';

const METHODS: { m: CredentialMethod; label: 'face.title' | 'co.payCard' | 'co.payQr' | 'co.payPin' }[] = [
  { m: 'face', label: 'face.title' },
  { m: 'card', label: 'co.payCard' },
  { m: 'qr', label: 'co.payQr' },
  { m: 'pin', label: 'co.payPin' },
];

/**
 * Every way to pay here, side by side: face is never the only one (PIPL), so this strip stays on screen while paying.
 * Face is offered only while the gateway says it can be used (its models installed): a diner never picks it to be told it is broken.
 */
export function PayMethods({ current, disabled, onPick, testid, facePay }: { current: CredentialMethod | null; disabled: boolean; onPick(m: CredentialMethod): void; testid: 'pay' | 'method'; facePay: boolean }) {
  const { t } = useLang();
  return (
    <div class="co-methods pay-methods" data-testid={`${testid}-methods`}>
      {METHODS.filter(({ m }) => facePay || m !== 'face').map(({ m, label }) => (
        <button key={m} type="button" class={`co-btn${m === current ? ' co-current' : ''}`} data-testid={`${testid}-${m}`} aria-pressed={m === current} disabled={disabled} onClick={() => onPick(m)}>
          {t(label)}
        </button>
      ))}
    </div>
  );
}

interface Props {
  line: PricedLineMsg | null;
  busy: boolean;
  onPayCounter(): void;
  onPay(method: CredentialMethod): void;
  onChangeDish(): void;
  onCancel(): void;
  changeLabel: 'co.changeDish' | 'co.pickDish';
  /** offer face pay (the gateway's snapshot and 'face:availability': models installed, impact assessment on record) */
  facePay: boolean;
}

/** The total and the hand-over to payment: the counter, or face, meal card, QR code or PIN here. */
export function PayPanel({ line, busy, onPayCounter, onPay, onChangeDish, onCancel, changeLabel, facePay }: Props) {
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
      <PayMethods current={null} disabled={!line || busy} onPick={onPay} testid="pay" facePay={facePay} />
      <div class="co-row">
        <button type="button" class="co-btn" data-testid="change-dish" disabled={busy} onClick={onChangeDish}>{t(changeLabel)}</button>
        <button type="button" class="co-btn" data-testid="cancel" disabled={busy} onClick={onCancel}>{t('co.cancel')}</button>
      </div>
    </section>
  );
}
