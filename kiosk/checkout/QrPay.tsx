// Paying a sale with the campus app's payment code: the kiosk's QR scanner types
// the code and Enter into the focused field, like the card reader.
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { SaleMsg } from '../../gateway/server/wire.ts';
import { useLang } from '../i18n.ts';
import { fmtYuan } from './money.ts';
import { payDeclineKey, paySale, type PayAnswer } from './payCall.ts';

export function QrPay({ sale }: { sale: SaleMsg }) {
  const { t } = useLang();
  const input = useRef<HTMLInputElement>(null);
  const [answer, setAnswer] = useState<PayAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // a layout effect: the field has the focus again by the time the answer is on screen, so the next scan is not lost
  useLayoutEffect(() => input.current?.focus(), [answer, error, busy]);

  const pay = async (qr: string) => {
    if (!qr || busy) return;
    setBusy(true);
    setError(null);
    try {
      setAnswer(await paySale(sale.id, { method: 'qr', qr }));
    } catch (err) {
      setAnswer(null);
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const declined = answer?.transaction.status === 'declined' ? answer.transaction.reason : null;
  return (
    <section class="co-card" data-testid="qr-pay">
      <h3>{t('co.payQr')} · {fmtYuan(sale.totalFen)}</h3>
      {answer?.transaction.status === 'approved' ? (
        <p class="co-message" data-testid="qr-approved">
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
          <p>{t('pay.scanQr')}</p>
          <input ref={input} class="co-input" data-testid="qr-input" autocomplete="off" aria-label={t('pay.scanQr')} disabled={busy} />
          {declined && <p class="alert" data-testid="qr-declined" data-reason={declined}>{t(payDeclineKey(declined))}</p>}
          {error && <p class="alert" data-testid="qr-error">{t('pay.qrRefused', { e: error })}</p>}
        </form>
      )}
    </section>
  );
}
