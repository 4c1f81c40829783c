// The admin's part of self-service weighing: sales to confirm at the counter, the
// current meal's menu, the dish catalog, CSV import. Hidden when the gateway has
// no canteen module.
import { useEffect, useState } from 'preact/hooks';
import type { CanteenCatalogMsg, DishMsg } from '../../gateway/wire/canteen.ts';
import { CounterSales } from '../checkout/admin/CounterSales.tsx';
import { CsvImport } from '../checkout/admin/CsvImport.tsx';
import { DishForm } from '../checkout/admin/DishForm.tsx';
import { MenuEditor } from '../checkout/admin/MenuEditor.tsx';
import { EnrolButton, useRecognition } from '../checkout/admin/Recognition.tsx';
import { call, fetchCatalog } from '../checkout/api.ts';
import { DishThumb } from '../checkout/DishThumb.tsx';
import { fmtUnit } from '../checkout/money.ts';
import { useLang } from '../i18n.ts';

export function CatalogAdmin() {
  const { t } = useLang();
  const [catalog, setCatalog] = useState<CanteenCatalogMsg | null>();
  const [editing, setEditing] = useState<DishMsg | 'new' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = () => fetchCatalog().then(setCatalog, (e: Error) => setError(e.message));
  useEffect(() => void reload(), []);
  const [recognition, reloadRecognition] = useRecognition();

  if (!catalog) return error ? <p class="alert">{error}</p> : null;

  const remove = (d: DishMsg) => {
    if (confirm(t('cat.deleteConfirm', { name: d.name }))) call('DELETE', `/api/canteen/dishes/${d.id}`).then(reload, (e: Error) => setError(e.message));
  };

  return (
    <section class="co-admin" data-testid="catalog-admin">
      <h2>{t('cat.title')}</h2>
      {error && <p class="alert">{error}</p>}
      <CounterSales />
      <MenuEditor catalog={catalog} onSaved={reload} />
      <section class="co-admin-block">
        <h3>
          {t('cat.dishes')}{' '}
          <button type="button" class="co-btn co-small" onClick={() => setEditing('new')}>{t('cat.add')}</button>
        </h3>
        {editing && <DishForm key={editing === 'new' ? 'new' : editing.id} dish={editing === 'new' ? null : editing} onSaved={reload} onClose={() => setEditing(null)} />}
        {catalog.dishes.length === 0 ? (
          <p class="empty">{t('cat.noDishes')}</p>
        ) : (
          <table class="devices">
            <thead>
              <tr>
                <th>{t('cat.photo')}</th>
                <th>{t('cat.name')}</th>
                <th>{t('cat.price')}</th>
                <th>{t('co.kcal')}</th>
                <th>{t('cat.active')}</th>
                {recognition?.available && <th>{t('rec.title')}</th>}
                <th />
              </tr>
            </thead>
            <tbody>
              {catalog.dishes.map((d) => (
                <tr key={d.id} data-testid="dish-row" data-dish={d.id}>
                  <td><DishThumb dish={d} name={d.name} class="co-admin-thumb" /></td>
                  <td><b>{d.name}</b> <small class="co-muted">{d.name_en ?? ''} · {d.id}</small></td>
                  <td class="num">{fmtUnit(d.price_mode === 'per_portion' ? { mode: 'per_portion', fen: d.price_fen } : { mode: 'by_weight', fen: d.price_fen, perGrams: d.per_grams ?? 500 }, t)}</td>
                  <td class="num">{d.nutrition_per_100g ? `${d.nutrition_per_100g.kcal} kcal/100 g` : t('cat.notEntered')}</td>
                  <td>{d.active ? '✓' : '—'}</td>
                  {recognition?.available && (
                    <td><EnrolButton dish={d} info={recognition} onDone={reloadRecognition} onError={setError} /></td>
                  )}
                  <td>
                    <button type="button" class="co-btn co-small" onClick={() => setEditing(d)}>{t('cat.edit')}</button>{' '}
                    <button type="button" class="co-btn co-small" onClick={() => remove(d)}>{t('cat.delete')}</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <CsvImport onDone={reload} />
    </section>
  );
}
