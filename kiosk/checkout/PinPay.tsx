// Paying a sale with the account id and a PIN keyed on the screen:
// for diners without card or phone who do not use face pay. The PIN never
// touches a physical keyboard field, so it is not echoed or autofilled.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { SaleMsg } from '../../gateway/wire/canteen.ts';
import { useLang } from '../i18n.ts';
import { fmtYuan } from './money.ts';
import { payDeclineKey, paySale, type PayAnswer } from './payCall.ts';

const PIN_MIN = 4;
const PIN_MAX = 6;
const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'clear', '0', 'back'] as const;

export function PinPay({ sale }: { sale: SaleMsg }) {
  const { t } = useLang();
  const idInput = useRef<HTMLInputElement>(null);
  const [who, setWho] = useState('');
  const [pin, setPin] = useState('');
  const [answer, setAnswer] = useState<PayAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => idInput.current?.focus(), []);

  const press = (k: (typeof KEYS)[number]) => {
    if (k === 'clear') setPin('');
    else if (k === 'back') setPin((p) => p.slice(0, -1));
    else setPin((p) => (p.length < PIN_MAX ? p + k : p));
  };
  const pay = async () => {
    if (!who.trim() || pin.length < PIN_MIN || busy) return;
    setBusy(true);
    setError(null);
    try {
      setAnswer(await paySale(sale.id, { method: 'pin', pin, account_id: who.trim() }));
    } catch (err) {
      setAnswer(null);
      setError((err as Error).message);
    } finally {
      setPin('');
      setBusy(false);
    }
  };

  const declined = answer?.transaction.status === 'declined' ? answer.transaction.reason : null;
  if (answer?.transaction.status === 'approved') {
    return (
      <section class="co-card" data-testid="pin-pay">
        <p class="co-message" data-testid="pin-approved">
          {t('pay.approved', { name: answer.person ?? '' })} · {t('pay.balance', { b: fmtYuan(answer.balance_fen ?? 0) })}
        </p>
      </section>
    );
  }
  return (
    <section class="co-card pin" data-testid="pin-pay">
      <h3>{t('pay.pinTitle')} · {fmtYuan(sale.totalFen)}</h3>
      <div class="pin-grid">
        <div class="pin-left">
          <input
            ref={idInput}
            class="co-input"
            data-testid="pin-account"
            autocomplete="off"
            value={who}
            aria-label={t('pay.byAccount')}
            placeholder={t('pay.byAccount')}
            onInput={(e) => setWho((e.target as HTMLInputElement).value)}
          />
          <div class="pin-dots" data-testid="pin-dots" data-length={pin.length} aria-label={t('pay.pin')}>
            {Array.from({ length: PIN_MAX }, (_, i) => <span key={i} class={i < pin.length ? 'on' : ''} />)}
          </div>
          <button type="button" class="co-btn co-primary" data-testid="pin-submit" disabled={busy || !who.trim() || pin.length < PIN_MIN} onClick={() => void pay()}>
            {t('pay.pinPay')}
          </button>
          {declined && <p class="alert" data-testid="pin-declined" data-reason={declined}>{t(payDeclineKey(declined))}</p>}
          {error && <p class="alert" data-testid="pin-error">{error}</p>}
        </div>
        <div class="pin-pad">
          {KEYS.map((k) => (
            <button key={k} type="button" class="co-btn" data-testid="pin-key" data-key={k} disabled={busy} onClick={() => press(k)}>
              {k === 'clear' ? t('pay.pinClear') : k === 'back' ? '⌫' : k}
            </button>
          ))}
        </div>
      </div>
    </section>
  );
}
