// Dish catalog import from CSV (UTF-8). The header names the columns, in Chinese
// or English, in any order:
//
//   id 编号 (optional: matched on name when absent) · name 菜名 · name_en 英文名 ·
//   price_mode 计价方式 (by_weight 称重 | per_portion 按份) ·
//   price_yuan 价格(元) or price_fen 价格(分) · per_grams 计价克数 (100 | 500 | 斤) ·
//   kcal 能量(千卡) · protein_g 蛋白质(克) · fat_g 脂肪(克) · carbohydrate_g 碳水化合物(克) ·
//   sodium_mg 钠(毫克) (all five or none; per 100 g) · active 启用 (是/否, 1/0, true/false)
//
// Every row is checked before anything is written; an error names its row (the
// header is row 1, as in a spreadsheet) and column.
import { z } from 'zod';
import type { DishMsg } from '../wire/canteen.ts';
import { CsvSyntaxError, csvRecords, type CsvRecord } from './csv.ts';
import { DISH_ID, dishInputSchema } from './dish.ts';

export interface ImportIssue { row: number; column: string; message: string }

export interface ImportRow { row: number; id?: string; input: z.output<typeof dishInputSchema> }

const COLUMNS = {
  id: ['id', '编号'],
  name: ['name', '菜名', '名称', '菜品'],
  name_en: ['name_en', '英文名'],
  price_mode: ['price_mode', '计价方式'],
  price_yuan: ['price_yuan', '价格(元)', '单价(元)'],
  price_fen: ['price_fen', '价格(分)', '单价(分)'],
  per_grams: ['per_grams', '计价克数'],
  kcal: ['kcal', '能量(千卡)', '热量(千卡)'],
  protein_g: ['protein_g', '蛋白质(克)', '蛋白质(g)'],
  fat_g: ['fat_g', '脂肪(克)', '脂肪(g)'],
  carbohydrate_g: ['carbohydrate_g', '碳水化合物(克)', '碳水化合物(g)'],
  sodium_mg: ['sodium_mg', '钠(毫克)', '钠(mg)'],
  active: ['active', '启用'],
} as const;
type Column = keyof typeof COLUMNS;
const NUTRIENTS = ['kcal', 'protein_g', 'fat_g', 'carbohydrate_g', 'sodium_mg'] as const;

const normal = (h: string) => h.normalize('NFKC').replace(/\s+/g, '').toLowerCase();
const LOOKUP = new Map<string, Column>(Object.entries(COLUMNS).flatMap(([col, names]) => names.map((n) => [normal(n), col as Column])));

const MODES: Record<string, 'by_weight' | 'per_portion'> = { by_weight: 'by_weight', 称重: 'by_weight', 按重量: 'by_weight', per_portion: 'per_portion', 按份: 'per_portion', 份: 'per_portion' };
const PER_GRAMS: Record<string, 100 | 500> = { '100': 100, '100g': 100, '100克': 100, '500': 500, '500g': 500, '500克': 500, 斤: 500, '1斤': 500 };
const BOOLS: Record<string, boolean> = { '1': true, true: true, yes: true, 是: true, y: true, '0': false, false: false, no: false, 否: false, n: false };

export class ImportFailed extends Error {
  constructor(readonly issues: ImportIssue[]) {
    super(`CSV import failed: ${issues.slice(0, 3).map((i) => `row ${i.row}, column ${i.column}: ${i.message}`).join('; ')}${issues.length > 3 ? ` (and ${issues.length - 3} more)` : ''}`);
  }
}

/** Exact yuan → fen: "12.8" → 1280, no binary fractions. */
function yuanToFen(text: string): number | undefined {
  const m = /^(\d{1,6})(?:\.(\d{1,2}))?$/.exec(text.replace(/^[¥￥]/, ''));
  return m ? Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0')) : undefined;
}

/** Rows checked between two turns of the event loop: a 20,000-row file must not stall the box. */
const CHUNK_ROWS = 250;

/** Parses and checks every row; throws ImportFailed listing every problem. */
export function parseDishCsv(text: string): ImportRow[] {
  const steps = checkDishCsv(text);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** parseDishCsv in chunks of CHUNK_ROWS rows, letting other requests (and /healthz) in between. */
export async function parseDishCsvInChunks(text: string): Promise<ImportRow[]> {
  const steps = checkDishCsv(text);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The file's records with CSV syntax errors as import issues. */
function* records(text: string): Generator<CsvRecord> {
  try {
    yield* csvRecords(text);
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new ImportFailed([{ row: err.row, column: '-', message: err.message }]);
    throw err;
  }
}

/** Checks the file, yielding every CHUNK_ROWS rows; returns the rows or throws ImportFailed. */
function* checkDishCsv(text: string): Generator<void, ImportRow[]> {
  if (text.includes('\uFFFD')) throw new ImportFailed([{ row: 1, column: '-', message: 'the file is not UTF-8 text; save it as "CSV UTF-8"' }]);
  const rows = records(text);
  const first = rows.next();
  const header = first.done ? undefined : first.value;
  if (!header) throw new ImportFailed([{ row: 1, column: '-', message: 'the file is empty' }]);

  const issues: ImportIssue[] = [];
  const at = new Map<Column, number>();
  header.cells.forEach((h, i) => {
    const col = LOOKUP.get(normal(h));
    if (!col) issues.push({ row: header.row, column: h, message: `unknown column; expected one of ${Object.values(COLUMNS).map((n) => n[0]).join(', ')} (or the Chinese names)` });
    else if (at.has(col)) issues.push({ row: header.row, column: h, message: `the same column as "${header.cells[at.get(col)!]}"` });
    else at.set(col, i);
  });
  const name = (col: Column) => (at.has(col) ? header.cells[at.get(col)!]! : COLUMNS[col][0]);
  for (const col of ['name', 'price_mode'] as const) if (!at.has(col)) issues.push({ row: header.row, column: COLUMNS[col][0], message: 'required column missing' });
  if (at.has('price_yuan') === at.has('price_fen')) issues.push({ row: header.row, column: 'price_yuan', message: 'give exactly one of price_yuan 价格(元) or price_fen 价格(分)' });
  const someNutrients = NUTRIENTS.filter((n) => at.has(n));
  if (someNutrients.length && someNutrients.length < NUTRIENTS.length) {
    issues.push({ row: header.row, column: NUTRIENTS.filter((n) => !at.has(n)).join(', '), message: 'nutrition needs all five columns, or none' });
  }
  if (issues.length) throw new ImportFailed(issues);

  const out: ImportRow[] = [];
  const seen = new Map<string, number>();
  let checked = 0;
  for (const r of rows) {
    if (++checked % CHUNK_ROWS === 0) yield;
    const cell = (col: Column) => (at.has(col) ? (r.cells[at.get(col)!] ?? '') : '');
    const bad = (col: Column, message: string) => issues.push({ row: r.row, column: name(col), message });
    const before = issues.length;

    if (r.cells.length > header.cells.length) issues.push({ row: r.row, column: '-', message: `${r.cells.length} cells, the header has ${header.cells.length}` });
    const id = cell('id') || undefined;
    if (id !== undefined && !DISH_ID.test(id)) bad('id', `"${id}": lower-case letters, digits, "-" or "_"`);
    const mode = MODES[normal(cell('price_mode'))];
    if (!mode) bad('price_mode', `"${cell('price_mode')}": by_weight 称重 or per_portion 按份`);
    const priceCol: Column = at.has('price_yuan') ? 'price_yuan' : 'price_fen';
    const priceText = cell(priceCol);
    const price = priceCol === 'price_yuan' ? yuanToFen(priceText) : /^\d{1,8}$/.test(priceText) ? Number(priceText) : undefined;
    if (price === undefined) bad(priceCol, `"${priceText}" is not a price in ${priceCol === 'price_yuan' ? 'yuan with at most 2 decimals' : 'whole fen'}`);
    const perText = normal(cell('per_grams'));
    const perGrams = perText === '' ? null : PER_GRAMS[perText];
    if (perGrams === undefined) bad('per_grams', `"${cell('per_grams')}": 100, 500 or 斤`);
    const activeText = normal(cell('active'));
    const active = activeText === '' ? true : BOOLS[activeText];
    if (active === undefined) bad('active', `"${cell('active')}": 是/否, 1/0 or true/false`);

    let nutrition: Record<string, number> | null = null;
    if (someNutrients.length && NUTRIENTS.some((n) => cell(n) !== '')) {
      nutrition = {};
      for (const n of NUTRIENTS) {
        const v = cell(n);
        if (v === '') bad(n, 'empty; give all five nutrition values or none');
        else if (!/^\d+(\.\d+)?$/.test(v)) bad(n, `"${v}" is not a number`);
        else nutrition[n] = Number(v);
      }
    }
    if (issues.length > before) continue;

    const parsed = dishInputSchema.safeParse({
      ...(id ? { id } : {}),
      name: cell('name'),
      name_en: cell('name_en') || null,
      price_mode: mode,
      price_fen: price,
      per_grams: perGrams,
      nutrition_per_100g: nutrition,
      active,
    });
    if (!parsed.success) {
      for (const i of parsed.error.issues) {
        const key = String(i.path[i.path.length - 1] ?? '');
        const col: Column = key === 'price_fen' ? priceCol : key in COLUMNS ? (key as Column) : i.path[0] === 'nutrition_per_100g' ? 'kcal' : 'name';
        bad(col, i.message);
      }
      continue;
    }
    const identity = id ?? `name:${parsed.data.name}`;
    if (seen.has(identity)) {
      bad(id ? 'id' : 'name', `the same dish as row ${seen.get(identity)}`);
      continue;
    }
    seen.set(identity, r.row);
    out.push({ row: r.row, ...(id ? { id } : {}), input: parsed.data });
  }
  if (issues.length) throw new ImportFailed(issues);
  if (!out.length) throw new ImportFailed([{ row: 2, column: '-', message: 'no dishes below the header' }]);
  return out;
}

/** Applies parsed rows to a dish list: by id, else by name; new dishes get `newId()`. */
export function mergeImport(dishes: DishMsg[], rows: ImportRow[], newId: () => string): { dishes: DishMsg[]; created: number; updated: number; issues: ImportIssue[] } {
  const next = dishes.slice();
  const issues: ImportIssue[] = [];
  let created = 0;
  let updated = 0;
  // by id and by name in maps: one pass, not a scan of the catalogue per row
  const byId = new Map(next.map((d, i) => [d.id, i]));
  const byName = new Map(next.map((d, i) => [d.name, i]));
  for (const { row, id, input } of rows) {
    const i = (id ? byId.get(id) : byName.get(input.name)) ?? -1;
    const clash = byName.get(input.name) ?? -1;
    if (clash >= 0 && clash !== i) {
      issues.push({ row, column: 'name', message: `"${input.name}" is already the name of dish ${next[clash]!.id}` });
      continue;
    }
    const dish: DishMsg = {
      id: i >= 0 ? next[i]!.id : (id ?? newId()),
      name: input.name,
      name_en: input.name_en || null,
      price_mode: input.price_mode,
      price_fen: input.price_fen,
      per_grams: input.price_mode === 'by_weight' ? (input.per_grams ?? null) : null,
      nutrition_per_100g: input.nutrition_per_100g ?? null,
      photo: i >= 0 ? next[i]!.photo : null,
      active: input.active,
    };
    if (i >= 0) {
      if (byName.get(next[i]!.name) === i) byName.delete(next[i]!.name);
      next[i] = dish;
      byName.set(dish.name, i);
      updated++;
    } else {
      byId.set(dish.id, next.length);
      byName.set(dish.name, next.length);
      next.push(dish);
      created++;
    }
  }
  return { dishes: next, created, updated, issues };
}
