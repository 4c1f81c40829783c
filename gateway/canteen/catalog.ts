// The dish catalog and the menus, in lowdb (<data dir>/catalog.json, written
// atomically). Every write is validated first; a refused write changes nothing.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import type { DishMsg, Meal, MenuMsg } from '../wire/canteen.ts';
import { parseDish } from './dish.ts';
import { CanteenError } from './errors.ts';
import { ImportFailed, mergeImport, parseDishCsvInChunks } from './import.ts';
import { addDays, isDate } from './meals.ts';

export const CATALOG_FILE = 'catalog.json';
/** Menus older than this many days are dropped on the next write. */
const KEEP_MENU_DAYS = 92;

interface CatalogData {
  schema: 1;
  version: number;
  dishes: DishMsg[];
  menus: { date: string; meal: Meal; dishIds: string[] }[];
}

export class Catalog {
  private constructor(
    private readonly db: Low<CatalogData>,
    private readonly onChange: (version: number) => void,
    private readonly maxDishes: number,
  ) {}

  /** `maxDishes`: canteen.max_dishes, the catalogue's size cap. */
  static async open(dataDir: string, onChange: (version: number) => void = () => {}, maxDishes = Number.MAX_SAFE_INTEGER): Promise<Catalog> {
    mkdirSync(dataDir, { recursive: true });
    // Not JSONFilePreset: it keeps data in memory only under NODE_ENV=test.
    const db = new Low<CatalogData>(new JSONFile(path.join(dataDir, CATALOG_FILE)), { schema: 1, version: 0, dishes: [], menus: [] });
    await db.read();
    await db.write();
    return new Catalog(db, onChange, maxDishes);
  }

  get version(): number {
    return this.db.data.version;
  }

  list(): DishMsg[] {
    return this.db.data.dishes;
  }

  get(id: string): DishMsg | undefined {
    return this.db.data.dishes.find((d) => d.id === id);
  }

  async create(input: unknown): Promise<DishMsg> {
    const given = (input as { id?: unknown } | null)?.id;
    const id = typeof given === 'string' ? given : this.newId();
    if (this.get(id)) throw new CanteenError(409, `dish "${id}" exists already`);
    const dish = parseDish(input, id);
    this.uniqueName(dish);
    this.withinCap(this.db.data.dishes.length + 1);
    await this.commit(() => this.db.data.dishes.push(dish));
    return dish;
  }

  async replace(id: string, input: unknown): Promise<DishMsg> {
    const previous = this.must(id);
    const dish = parseDish(input, id, previous);
    this.uniqueName(dish);
    await this.commit(() => (this.db.data.dishes[this.db.data.dishes.indexOf(previous)] = dish));
    return dish;
  }

  /** Removes the dish and takes it off every menu; returns its photo's file name. */
  async remove(id: string): Promise<string | null> {
    const dish = this.must(id);
    await this.commit(() => {
      this.db.data.dishes = this.db.data.dishes.filter((d) => d !== dish);
      for (const m of this.db.data.menus) m.dishIds = m.dishIds.filter((x) => x !== id);
    });
    return dish.photo;
  }

  /** Sets the photo; returns the one it replaced. */
  async setPhoto(id: string, photo: string | null): Promise<string | null> {
    const dish = this.must(id);
    const old = dish.photo;
    await this.commit(() => (dish.photo = photo));
    return old;
  }

  async importCsv(text: string): Promise<{ created: number; updated: number }> {
    const rows = await parseDishCsvInChunks(text);
    const merged = mergeImport(this.db.data.dishes, rows, () => this.newId());
    if (merged.issues.length) throw new ImportFailed(merged.issues);
    this.withinCap(merged.dishes.length);
    await this.commit(() => (this.db.data.dishes = merged.dishes));
    return { created: merged.created, updated: merged.updated };
  }

  menu(date: string, meal: Meal): MenuMsg {
    const m = this.db.data.menus.find((x) => x.date === date && x.meal === meal);
    return { date, meal, dishIds: m ? m.dishIds : null };
  }

  async setMenu(date: string, meal: Meal, dishIds: string[], today: string): Promise<MenuMsg> {
    if (!isDate(date)) throw new CanteenError(400, `date "${date}" is not a calendar date YYYY-MM-DD`);
    const ids = [...new Set(dishIds)];
    for (const id of ids) {
      const d = this.get(id);
      if (!d) throw new CanteenError(400, `dishIds: no dish "${id}"`);
      if (!d.active) throw new CanteenError(400, `dishIds: dish "${id}" (${d.name}) is not active`);
    }
    const oldest = addDays(today, -KEEP_MENU_DAYS);
    await this.commit(() => {
      this.db.data.menus = this.db.data.menus.filter((m) => !(m.date === date && m.meal === meal) && m.date >= oldest);
      this.db.data.menus.push({ date, meal, dishIds: ids });
    });
    return { date, meal, dishIds: ids };
  }

  private must(id: string): DishMsg {
    const d = this.get(id);
    if (!d) throw new CanteenError(404, `no dish "${id}"`);
    return d;
  }

  private withinCap(dishes: number): void {
    if (dishes > this.maxDishes) {
      throw new CanteenError(422, `菜品目录最多 ${this.maxDishes} 道菜，本次操作后将有 ${dishes} 道 — the dish catalogue holds at most ${this.maxDishes} dishes (canteen.max_dishes); this would make ${dishes}. Nothing was changed.`);
    }
  }

  private uniqueName(dish: DishMsg): void {
    const other = this.db.data.dishes.find((d) => d.name === dish.name && d.id !== dish.id);
    if (other) throw new CanteenError(409, `"${dish.name}" is already the name of dish ${other.id}`);
  }

  private newId(): string {
    for (;;) {
      const id = `d-${randomBytes(4).toString('hex')}`;
      if (!this.get(id)) return id;
    }
  }

  /** Applies the change and writes it; a failed write puts the previous data back. */
  private async commit(change: () => void): Promise<void> {
    const before = structuredClone(this.db.data);
    change();
    this.db.data.version++;
    try {
      await this.db.write();
    } catch (err) {
      this.db.data = before;
      throw err;
    }
    this.onChange(this.db.data.version);
  }
}
