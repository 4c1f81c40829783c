// The dish catalog and menus over HTTP: validation with reasons, CSV import
// errors naming row and column, photos, and what lands in catalog.json.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../gateway/canteen/catalog.ts';
import { parseCsv } from '../gateway/canteen/csv.ts';
import { ImportFailed, parseDishCsv } from '../gateway/canteen/import.ts';
import { startCanteenHarness, type CanteenHarness } from './helpers/canteen-harness.ts';

let h: CanteenHarness;

const api = async (method: string, url: string, body?: unknown, type = 'application/json') => {
  const res = await fetch(h.url + url, {
    method,
    headers: body === undefined ? {} : { 'content-type': type },
    body: body === undefined ? undefined : typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

const PORK = {
  name: '红烧肉',
  name_en: 'Braised pork',
  price_mode: 'by_weight',
  price_fen: 1280,
  per_grams: 500,
  nutrition_per_100g: { kcal: 297, protein_g: 13.6, fat_g: 24.1, carbohydrate_g: 4.2, sodium_mg: 512 },
};

beforeAll(async () => {
  h = await startCanteenHarness({ canteen: { stations: [{ id: 's1', scale: 'checkout-1', interval_g: 2 }] }, noScale: true });
});
afterAll(() => h?.stop());

describe('dishes over HTTP', () => {
  it('creates, replaces and deletes a dish; every write is checked', async () => {
    const created = await api('POST', '/api/canteen/dishes', { id: 'pork', ...PORK });
    expect(created).toMatchObject({ status: 201, body: { id: 'pork', name: '红烧肉', per_grams: 500, photo: null, active: true } });

    expect(await api('POST', '/api/canteen/dishes', { id: 'pork', ...PORK, name: '别名' })).toMatchObject({ status: 409, body: { error: 'dish "pork" exists already' } });
    expect(await api('POST', '/api/canteen/dishes', { ...PORK })).toMatchObject({ status: 409, body: { error: '"红烧肉" is already the name of dish pork' } });
    expect(await api('POST', '/api/canteen/dishes', { ...PORK, name: '土豆', per_grams: null })).toMatchObject({
      status: 400,
      body: { error: 'per_grams: a dish priced by weight needs per_grams: 100 or 500' },
    });
    expect((await api('POST', '/api/canteen/dishes', { ...PORK, name: '土豆', price_fen: 12.5 })).status).toBe(400);
    expect((await api('POST', '/api/canteen/dishes', { ...PORK, name: '土豆', per_grams: 250 })).status).toBe(400);
    expect(await api('POST', '/api/canteen/dishes', { ...PORK, name: '土豆', nutrition_per_100g: { kcal: 80, protein_g: 60, fat_g: 30, carbohydrate_g: 20, sodium_mg: 5 } })).toMatchObject({
      status: 400,
      body: { error: 'nutrition_per_100g: protein, fat and carbohydrate add up to more than 100 g per 100 g' },
    });
    expect(await api('POST', '/api/canteen/dishes', { ...PORK, name: '' })).toMatchObject({ status: 400 });

    const rice = await api('POST', '/api/canteen/dishes', { name: '米饭', price_mode: 'per_portion', price_fen: 50 });
    expect(rice.body).toMatchObject({ id: expect.stringMatching(/^d-[0-9a-f]{8}$/), per_grams: null, nutrition_per_100g: null });

    const replaced = await api('PUT', '/api/canteen/dishes/pork', { ...PORK, price_fen: 1380 });
    expect(replaced).toMatchObject({ status: 200, body: { id: 'pork', price_fen: 1380 } });
    expect(await api('PUT', '/api/canteen/dishes/nope', PORK)).toMatchObject({ status: 404, body: { error: 'no dish "nope"' } });
    expect(await api('PUT', '/api/canteen/dishes/pork', { ...PORK, id: 'other' })).toMatchObject({ status: 400, body: { error: 'id "other" in the body differs from "pork"' } });

    expect((await api('DELETE', `/api/canteen/dishes/${rice.body.id}`)).status).toBe(204);
    expect((await api('DELETE', `/api/canteen/dishes/${rice.body.id}`)).status).toBe(404);

    const onDisk = JSON.parse(readFileSync(path.join(h.dataDir, 'catalog.json'), 'utf8'));
    expect(onDisk.dishes.map((d: { id: string; price_fen: number }) => [d.id, d.price_fen])).toEqual([['pork', 1380]]);
    const reopened = await Catalog.open(h.dataDir);
    expect(reopened.get('pork')!.name).toBe('红烧肉');
  });

  it('stores a photo as a bounded JPEG and serves it', async () => {
    const png = await sharp({ create: { width: 1600, height: 900, channels: 3, background: '#c0392b' } }).png().toBuffer();
    const dish = await api('PUT', '/api/canteen/dishes/pork/photo', png, 'image/png');
    expect(dish).toMatchObject({ status: 200, body: { photo: expect.stringMatching(/^pork-[0-9a-f]{10}\.jpg$/) } });
    const res = await fetch(`${h.url}/api/canteen/photos/${dish.body.photo}`);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 640, 360]);
    expect((await api('PUT', '/api/canteen/dishes/pork/photo', Buffer.from('not an image'), 'image/jpeg')).status).toBe(415);
    expect((await fetch(`${h.url}/api/canteen/photos/..%2Fcatalog.json`)).status).toBe(404);
  });

  it('keeps menus per date and meal, of dishes on sale only', async () => {
    expect(await api('PUT', '/api/canteen/menu', { date: '2025-06-02', meal: 'lunch', dishIds: ['pork'] })).toMatchObject({ status: 200, body: { dishIds: ['pork'] } });
    expect(await api('GET', '/api/canteen/menu?date=2025-06-02&meal=lunch')).toMatchObject({ body: { date: '2025-06-02', meal: 'lunch', dishIds: ['pork'] } });
    expect(await api('GET', '/api/canteen/menu?date=2025-06-02&meal=dinner')).toMatchObject({ body: { dishIds: null } });
    expect(await api('PUT', '/api/canteen/menu', { date: '2025-06-02', meal: 'lunch', dishIds: ['ghost'] })).toMatchObject({ status: 400, body: { error: 'dishIds: no dish "ghost"' } });
    expect(await api('PUT', '/api/canteen/menu', { date: '2025-02-30', meal: 'lunch', dishIds: [] })).toMatchObject({ status: 400, body: { error: 'date "2025-02-30" is not a calendar date YYYY-MM-DD' } });
    expect((await api('PUT', '/api/canteen/menu', { date: '2025-06-02', meal: 'supper', dishIds: [] })).status).toBe(400);
  });
});

describe('CSV import', () => {
  const CN = ['编号,菜名,英文名,计价方式,价格(元),计价克数,能量(千卡),蛋白质(克),脂肪(克),碳水化合物(克),钠(毫克),启用'];

  it('imports Chinese headers, yuan to exact fen, and updates by id or name', async () => {
    const csv = [
      '\uFEFF' + CN[0],
      'pork,红烧肉,,称重,13.8,斤,297,13.6,24.1,4.2,512,是',
      ',清炒时蔬,"Stir-fried greens, seasonal",称重,2.6,100,85,2.1,5.3,6.8,312,1',
      ',"番茄炒蛋套餐",,按份,12,,,,,,,',
      '',
    ].join('\r\n');
    const res = await api('POST', '/api/canteen/dishes/import', csv, 'text/csv');
    expect(res).toMatchObject({ status: 200, body: { created: 2, updated: 1 } });
    const { body: catalog } = await api('GET', '/api/canteen/catalog');
    const byName = Object.fromEntries(catalog.dishes.map((d: { name: string }) => [d.name, d]));
    expect(byName['红烧肉']).toMatchObject({ id: 'pork', price_fen: 1380, per_grams: 500, photo: expect.stringMatching(/^pork-/) });
    expect(byName['清炒时蔬']).toMatchObject({ name_en: 'Stir-fried greens, seasonal', price_fen: 260, per_grams: 100, nutrition_per_100g: { sodium_mg: 312 } });
    expect(byName['番茄炒蛋套餐']).toMatchObject({ price_mode: 'per_portion', price_fen: 1200, per_grams: null, nutrition_per_100g: null });

    const again = await api('POST', '/api/canteen/dishes/import', 'name,price_mode,price_fen,per_grams\n清炒时蔬,by_weight,280,100\n', 'text/plain');
    expect(again.body).toEqual({ created: 0, updated: 1 });
  });

  it('names the row and column of every problem and changes nothing', async () => {
    const before = (await api('GET', '/api/canteen/catalog')).body.version;
    const csv = [
      CN[0],
      'pork,红烧肉,,称重,13.845,斤,297,13.6,24.1,4.2,512,是', // row 2: three decimals
      ',土豆丝,,称重,3.5,,80,2,0.2,17,10,是', // row 3: no per_grams
      ',豆浆,,按份,2,,,1,,,,是', // row 4: part of the nutrition
      ',土豆丝,,按份,3,,,,,,,也许', // row 5: active
      ',,,按份,3,,,,,,,', // row 6: no name
      ',米饭,,按份,1,,,,,,,',
      ',米饭,,按份,1,,,,,,,', // row 8: twice
    ].join('\n');
    const res = await api('POST', '/api/canteen/dishes/import', csv, 'text/csv');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { row: 2, column: '价格(元)', message: '"13.845" is not a price in yuan with at most 2 decimals' },
      { row: 3, column: '计价克数', message: 'a dish priced by weight needs per_grams: 100 or 500' },
      { row: 4, column: '能量(千卡)', message: 'empty; give all five nutrition values or none' },
      { row: 4, column: '脂肪(克)', message: 'empty; give all five nutrition values or none' },
      { row: 4, column: '碳水化合物(克)', message: 'empty; give all five nutrition values or none' },
      { row: 4, column: '钠(毫克)', message: 'empty; give all five nutrition values or none' },
      { row: 5, column: '启用', message: '"也许": 是/否, 1/0 or true/false' },
      { row: 6, column: '菜名', message: 'a dish needs a name' },
      { row: 8, column: '菜名', message: 'the same dish as row 7' },
    ]);
    expect(res.body.error).toMatch(/^CSV import failed: row 2, column 价格\(元\): "13.845"/);
    expect((await api('GET', '/api/canteen/catalog')).body.version).toBe(before);
  });

  it('refuses an unknown or missing column, a clash with another dish, and text that is not UTF-8', () => {
    const fail = (csv: string) => {
      try {
        parseDishCsv(csv);
      } catch (err) {
        if (err instanceof ImportFailed) return err.issues;
        throw err;
      }
      return [];
    };
    expect(fail('菜名,计价方式,价钱\n红烧肉,按份,3')).toEqual([
      { row: 1, column: '价钱', message: expect.stringMatching(/^unknown column; expected one of id, name, name_en, price_mode, price_yuan, price_fen/) },
      { row: 1, column: 'price_yuan', message: 'give exactly one of price_yuan 价格(元) or price_fen 价格(分)' },
    ]);
    expect(fail('name,price_mode,price_fen,kcal\nx,per_portion,3,10')).toEqual([
      { row: 1, column: 'protein_g, fat_g, carbohydrate_g, sodium_mg', message: 'nutrition needs all five columns, or none' },
    ]);
    expect(fail('name,price_mode,price_fen\n"unclosed,per_portion,3')).toEqual([{ row: 2, column: '-', message: 'a quoted cell is not closed' }]);
    expect(fail(Buffer.from([0xb2, 0xcb, 0xc3, 0xfb, 0x2c, 0x61]).toString('utf8'))).toEqual([{ row: 1, column: '-', message: 'the file is not UTF-8 text; save it as "CSV UTF-8"' }]);
  });

  it('reports a name taken by another dish', async () => {
    const res = await api('POST', '/api/canteen/dishes/import', 'id,name,price_mode,price_fen\nnew-pork,红烧肉,per_portion,100\n', 'text/csv');
    expect(res).toMatchObject({ status: 400, body: { errors: [{ row: 2, column: 'name', message: '"红烧肉" is already the name of dish pork' }] } });
  });
});

describe('CSV syntax', () => {
  it('reads quotes, doubled quotes, line breaks in cells, tabs, and counts rows like a spreadsheet', () => {
    expect(parseCsv('a,b\r\n"x, ""y""","line\nbreak"\r\n\r\n c ,d')).toEqual([
      { row: 1, cells: ['a', 'b'] },
      { row: 2, cells: ['x, "y"', 'line\nbreak'] },
      { row: 4, cells: ['c', 'd'] },
    ]);
    expect(parseCsv('a\tb\n1\t2')).toEqual([{ row: 1, cells: ['a', 'b'] }, { row: 2, cells: ['1', '2'] }]);
  });
});
