import type { DishMsg } from '../../gateway/wire/canteen.ts';
import { useLang } from '../i18n.ts';
import { DishThumb } from './DishThumb.tsx';
import { fmtUnit } from './money.ts';

interface Props {
  dishes: DishMsg[];
  /** recognised dishes, best first: shown first and marked */
  suggested: string[];
  current: string | null;
  uniform: boolean;
  busy: boolean;
  onPick(id: string): void;
  onClose?: (() => void) | undefined;
}

/** Big touch targets, one per dish on offer. */
export function DishPicker({ dishes, suggested, current, uniform, busy, onPick, onClose }: Props) {
  const { t } = useLang();
  const rank = (d: DishMsg) => {
    const i = suggested.indexOf(d.id);
    return i < 0 ? suggested.length : i;
  };
  const sorted = [...dishes].sort((a, b) => rank(a) - rank(b));
  return (
    <section class="co-picker" data-testid="dish-picker">
      <header>
        <h2>{t('co.chooseDish')}</h2>
        {onClose && <button type="button" class="co-btn" onClick={onClose}>{t('co.close')}</button>}
      </header>
      {sorted.length === 0 ? (
        <p class="empty">{t('co.noDishes')}</p>
      ) : (
        <div class="co-options">
          {sorted.map((d) => (
            <button
              key={d.id}
              type="button"
              class={`co-option${d.id === current ? ' co-current' : ''}`}
              data-testid="dish-option"
              data-dish={d.id}
              disabled={busy}
              onClick={() => onPick(d.id)}
            >
              <DishThumb dish={d} name={d.name} class="co-thumb" />
              <span class="co-option-text">
                <b>{d.name}</b>
                {!uniform && <small>{fmtUnit(d.price_mode === 'per_portion' ? { mode: 'per_portion', fen: d.price_fen } : { mode: 'by_weight', fen: d.price_fen, perGrams: d.per_grams ?? 500 }, t)}</small>}
              </span>
              {suggested.includes(d.id) && <span class="co-badge">{t('co.suggested')}</span>}
            </button>
          ))}
        </div>
      )}
    </section>
  );
}
