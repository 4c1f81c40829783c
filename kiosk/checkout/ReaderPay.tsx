// Paying a sale with something a reader types into the page: a meal card's id (card
// readers act as keyboards) or the campus app's payment code (the QR scanner does the
// same). The answer shows the holder's masked name and the balance left, or why it
// was declined or refused.
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { SaleMsg } from '../../gateway/wire/canteen.ts';
import { useLang } from '../i18n.ts';
import { fmtYuan } from './money.ts';
import { payDeclineKey, paySale, type PayAnswer, type PayBody } from './payCall.ts';

const READERS = {
  card: { title: 'co.payCard', prompt: 'pay.present', numeric: true, body: (card: string): PayBody => ({ card_id: card }) },
  qr: { title: 'co.payQr', prompt: 'pay.scanQr', numeric: false, body: (qr: string): PayBody => ({ method: 'qr', qr }) },
} as const;

export function ReaderPay({ sale, reader, onClose }: { sale: SaleMsg; reader: keyof typeof READERS; onClose?: () => void }) {
  const { t } = useLang();
  const r = READERS[reader];
  const input = useRef<HTMLInputElement>(null);
  const [answer, setAnswer] = useState<PayAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // a layout effect: the field has the focus again by the time the answer is on screen, so the next swipe or scan is not lost
  useLayoutEffect(() => input.current?.focus(), [answer, error, busy]);

  const pay = async (value: string) => {
    if (!value || busy) return;
    setBusy(true);
    setError(null);
    try {
      setAnswer(await paySale(sale.id, r.body(value)));
    } catch (err) {
      setAnswer(null);
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const declined = answer?.transaction.status === 'declined' ? answer.transaction.reason : null;
  return (
    <section class="co-card" data-testid={`${reader}-pay`}>
      <h3>{t(r.title)} · {fmtYuan(sale.totalFen)}</h3>
      {answer?.transaction.status === 'approved' ? (
        <p class="co-message" data-testid={`${reader}-approved`}>
          {t('pay.approved', { name: answer.person ?? '' })} · {t('pay.balance', { b: fmtYuan(answer.balance_fen ?? 0) })}
        </p>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void pay(input.current?.value.trim() ?? '');
            if (input.current) input.current.value = '';
          }}
        >
          <p>{t(r.prompt)}</p>
          <input ref={input} class="co-input" data-testid={`${reader}-input`} autocomplete="off" inputMode={r.numeric ? 'numeric' : undefined} aria-label={t(r.prompt)} disabled={busy} />
          {declined && <p class="alert" data-testid={`${reader}-declined`} data-reason={declined}>{t(payDeclineKey(declined))}</p>}
          {error && <p class="alert" data-testid={`${reader}-error`}>{reader === 'qr' ? t('pay.qrRefused', { e: error }) : error}</p>}
          {onClose && <button type="button" class="co-btn" onClick={onClose}>{t('pay.otherWay')}</button>}
        </form>
      )}
    </section>
  );
}
