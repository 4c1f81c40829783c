import type { NutritionMsg } from '../../gateway/wire/canteen.ts';
import { useLang, type Key } from '../i18n.ts';

const ROWS: { key: keyof NutritionMsg; label: Key; unit: string; digits: number }[] = [
  { key: 'kcal', label: 'co.kcal', unit: 'kcal', digits: 0 },
  { key: 'protein_g', label: 'co.protein', unit: 'g', digits: 1 },
  { key: 'fat_g', label: 'co.fat', unit: 'g', digits: 1 },
  { key: 'carbohydrate_g', label: 'co.carb', unit: 'g', digits: 1 },
  { key: 'sodium_mg', label: 'co.sodium', unit: 'mg', digits: 0 },
];

/** The plate's nutrition, already scaled to its net weight by the gateway. */
export function Nutrition({ n }: { n: NutritionMsg | null }) {
  const { t } = useLang();
  return (
    <section class="co-nutrition" aria-label={t('co.nutrition')}>
      <h3>{t('co.nutrition')}</h3>
      {n ? (
        <dl>
          {ROWS.map((r) => (
            <div key={r.key} data-testid="nutrient" data-key={r.key} data-value={n[r.key]}>
              <dt>{t(r.label)}</dt>
              <dd>
                {n[r.key].toFixed(r.digits)}
                <small> {r.unit}</small>
              </dd>
            </div>
          ))}
        </dl>
      ) : (
        <p class="co-muted">{t('co.noNutrition')}</p>
      )}
    </section>
  );
}
