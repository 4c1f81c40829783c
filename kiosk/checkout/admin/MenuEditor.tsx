import { useEffect, useState } from 'preact/hooks';
import type { CanteenCatalogMsg } from '../../../gateway/wire/canteen.ts';
import { useLang } from '../../i18n.ts';
import { call } from '../api.ts';

/** The current meal's menu: which active dishes the kiosk offers. */
export function MenuEditor({ catalog, onSaved }: { catalog: CanteenCatalogMsg; onSaved(): void }) {
  const { t } = useLang();
  const { menu } = catalog;
  const active = catalog.dishes.filter((d) => d.active);
  const [chosen, setChosen] = useState<string[]>(menu.dishIds ?? []);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => setChosen(menu.dishIds ?? []), [catalog.version, menu.date, menu.meal]);

  const toggle = (id: string) => setChosen((c) => (c.includes(id) ? c.filter((x) => x !== id) : [...c, id]));
  const save = () =>
    call('PUT', '/api/canteen/menu', { date: menu.date, meal: menu.meal, dishIds: chosen }).then(
      () => (setNote(t('cat.saved')), onSaved()),
      (e: Error) => setNote(e.message),
    );

  return (
    <section class="co-admin-block">
      <h3>{t('cat.menu', { date: menu.date, meal: t(`meal.${menu.meal}`) })}</h3>
      {menu.dishIds === null && <p class="co-muted">{t('cat.menuAll')}</p>}
      <div class="co-admin-checks">
        {active.map((d) => (
          <label key={d.id} class="co-chip">
            <input type="checkbox" checked={chosen.includes(d.id)} onChange={() => toggle(d.id)} /> {d.name}
          </label>
        ))}
      </div>
      <p>
        <button type="button" class="co-btn co-small" onClick={save}>{t('cat.saveMenu')}</button> {note && <span class="co-muted">{note}</span>}
      </p>
    </section>
  );
}
