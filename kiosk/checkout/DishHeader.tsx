import type { DishMsg, PricedLineMsg } from '../../gateway/wire/canteen.ts';
import { useLang } from '../i18n.ts';
import { DishThumb } from './DishThumb.tsx';
import { fmtUnit } from './money.ts';

/** Photo, name (Chinese first) and unit price of the dish on the scale. */
/** With uniform pricing and no dish picked, the price is the site's: no dish to show. */
export function DishHeader({ dish, line }: { dish: DishMsg | undefined; line: PricedLineMsg | null }) {
  const { t } = useLang();
  const name = dish?.name ?? line?.dishName;
  return (
    <div class="co-dish">
      {name && <DishThumb dish={dish} name={name} class="co-photo" />}
      <div class="co-dish-text">
        <h2 data-testid="dish-name">
          {name ?? t('co.anyDish')}
          {line?.corrected && <span class="co-badge">{t('co.corrected')}</span>}
        </h2>
        {dish?.name_en && <p class="co-en">{dish.name_en}</p>}
        {line && <p class="co-unit" data-testid="unit-price">{fmtUnit(line.unit, t)}</p>}
      </div>
    </div>
  );
}
