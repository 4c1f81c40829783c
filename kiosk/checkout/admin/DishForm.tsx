import { useState } from 'preact/hooks';
import type { DishMsg, NutritionMsg } from '../../../gateway/wire/canteen.ts';
import { useLang, type Key } from '../../i18n.ts';
import { call } from '../api.ts';
import { parseYuan, yuanText } from '../money.ts';

const NUTRIENTS: { key: keyof NutritionMsg; label: Key; unit: string }[] = [
  { key: 'kcal', label: 'co.kcal', unit: 'kcal' },
  { key: 'protein_g', label: 'co.protein', unit: 'g' },
  { key: 'fat_g', label: 'co.fat', unit: 'g' },
  { key: 'carbohydrate_g', label: 'co.carb', unit: 'g' },
  { key: 'sodium_mg', label: 'co.sodium', unit: 'mg' },
];

/** Add or edit one dish; the gateway checks every field and says what is wrong. */
export function DishForm({ dish, onSaved, onClose }: { dish: DishMsg | null; onSaved(): void; onClose(): void }) {
  const { t } = useLang();
  const [f, setF] = useState({
    id: dish?.id ?? '',
    name: dish?.name ?? '',
    name_en: dish?.name_en ?? '',
    price_mode: dish?.price_mode ?? 'by_weight',
    price: dish ? yuanText(dish.price_fen) : '',
    per_grams: String(dish?.per_grams ?? 500),
    active: dish?.active ?? true,
    ...Object.fromEntries(NUTRIENTS.map((n) => [n.key, dish?.nutrition_per_100g ? String(dish.nutrition_per_100g[n.key]) : ''])),
  } as Record<string, string | boolean>);
  const [error, setError] = useState<string | null>(null);
  const set = (k: string, v: string | boolean) => setF((x) => ({ ...x, [k]: v }));

  const save = async () => {
    const price = parseYuan(String(f.price));
    if (price === null) return setError(`${t('cat.price')}: ${String(f.price)}`);
    const given = NUTRIENTS.filter((n) => String(f[n.key]).trim() !== '');
    const body = {
      ...(dish || !f.id ? {} : { id: f.id }),
      name: f.name,
      name_en: String(f.name_en).trim() || null,
      price_mode: f.price_mode,
      price_fen: price,
      per_grams: f.price_mode === 'by_weight' ? Number(f.per_grams) : null,
      nutrition_per_100g: given.length ? Object.fromEntries(NUTRIENTS.map((n) => [n.key, Number(f[n.key])])) : null,
      active: f.active,
    };
    try {
      await call(dish ? 'PUT' : 'POST', dish ? `/api/canteen/dishes/${dish.id}` : '/api/canteen/dishes', body);
      onSaved();
      onClose();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const upload = async (file: File | undefined) => {
    if (!dish || !file) return;
    try {
      await call('PUT', `/api/canteen/dishes/${dish.id}/photo`, file, file.type || 'image/jpeg');
      onSaved();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const text = (k: string, label: Key, attrs: Record<string, string> = {}) => (
    <label>
      {t(label)}
      <input value={String(f[k])} onInput={(e) => set(k, e.currentTarget.value)} {...attrs} />
    </label>
  );

  return (
    <form class="co-admin-form" data-testid="dish-form" onSubmit={(e) => (e.preventDefault(), void save())}>
      {!dish && text('id', 'cat.id', { placeholder: 'hongshaorou', pattern: '[a-z0-9][a-z0-9_-]*' })}
      {text('name', 'cat.name', { required: 'required' })}
      {text('name_en', 'cat.nameEn')}
      <label>
        {t('cat.mode')}
        <select value={String(f.price_mode)} onChange={(e) => set('price_mode', e.currentTarget.value)}>
          <option value="by_weight">{t('cat.byWeight')}</option>
          <option value="per_portion">{t('cat.perPortion')}</option>
        </select>
      </label>
      {text('price', 'cat.price', { inputMode: 'decimal', required: 'required' })}
      {f.price_mode === 'by_weight' && (
        <label>
          &nbsp;
          <select value={String(f.per_grams)} onChange={(e) => set('per_grams', e.currentTarget.value)}>
            <option value="100">{t('cat.per100')}</option>
            <option value="500">{t('cat.per500')}</option>
          </select>
        </label>
      )}
      <label class="co-admin-inline">
        <input type="checkbox" checked={!!f.active} onChange={(e) => set('active', e.currentTarget.checked)} /> {t('cat.active')}
      </label>
      <fieldset>
        <legend>{t('cat.nutritionPer100')}</legend>
        {NUTRIENTS.map((n) => (
          <label key={n.key}>
            {t(n.label)} ({n.unit})
            <input value={String(f[n.key])} inputMode="decimal" onInput={(e) => set(n.key, e.currentTarget.value)} />
          </label>
        ))}
      </fieldset>
      {dish && (
        <label>
          {t('cat.photo')}
          <input type="file" accept="image/*" onChange={(e) => void upload(e.currentTarget.files?.[0])} />
        </label>
      )}
      {error && <p class="alert" data-testid="dish-form-error">{error}</p>}
      <p>
        <button type="submit" class="co-btn co-small co-ok">{t('cat.save')}</button> <button type="button" class="co-btn co-small" onClick={onClose}>{t('co.close')}</button>
      </p>
    </form>
  );
}
