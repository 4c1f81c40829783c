// Paying a sale by meal card: the card reader types the card's id and Enter into
// the focused field (readers act as keyboards); the answer shows the holder's
// masked name and the balance left, or why the card was declined.
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { SaleMsg } from '../../gateway/server/wire.ts';
import { useLang } from '../i18n.ts';
import { payDeclineKey, paySale, type PayAnswer } from './payCall.ts';
import { fmtYuan } from './money.ts';

export function CardPay({ sale, onClose }: { sale: SaleMsg; onClose(): void }) {
  const { t } = useLang();
  const input = useRef<HTMLInputElement>(null);
  const [answer, setAnswer] = useState<PayAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // a layout effect: the field has the focus again by the time the answer is on screen, so the next swipe is not lost
  useLayoutEffect(() => input.current?.focus(), [answer, error, busy]);

  const pay = async (cardId: string) => {
    if (!cardId || busy) return;
    setBusy(true);
    setError(null);
    try {
      setAnswer(await paySale(sale.id, { card_id: cardId }));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const declined = answer?.transaction.status === 'declined' ? answer.transaction.reason : null;
  return (
    <section class="co-card" data-testid="card-pay">
      <h3>{t('co.payCard')} · {fmtYuan(sale.totalFen)}</h3>
      {answer?.transaction.status === 'approved' ? (
        <p class="co-message" data-testid="card-approved">
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
          <p>{t('pay.present')}</p>
          <input ref={input} class="co-input" data-testid="card-input" autocomplete="off" inputMode="numeric" aria-label={t('pay.present')} disabled={busy} />
          {declined && <p class="alert" data-testid="card-declined" data-reason={declined}>{t(payDeclineKey(declined))}</p>}
          {error && <p class="alert">{error}</p>}
          <button type="button" class="co-btn" onClick={onClose}>{t('pay.otherWay')}</button>
        </form>
      )}
    </section>
  );
}
