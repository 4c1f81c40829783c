// One feature shape (issue 17): every feature is { name, section, configSchema, after?,
// start(ctx) → { routes?, ports?, stop } }, started by service.ts in `after` order; a
// cycle, an unknown `after` or a port nobody before provides is a clear start-up error.
// (The running gateway with every feature wired this way: test/service.test.ts.)
import { describe, expect, it } from 'vitest';
import { configSchema } from '../gateway/config/schema.ts';
import { orderFeatures, PortBoard } from '../gateway/feature.ts';
import { FEATURES } from '../gateway/features.ts';

const f = (name: string, after?: string[]) => ({ name, after });

describe('orderFeatures', () => {
  it('starts each feature after those it names, otherwise in list order', () => {
    const order = orderFeatures([f('records', ['canteen', 'kitchen']), f('energy'), f('kitchen'), f('payments', ['canteen']), f('canteen')]).map((x) => x.name);
    expect(order).toEqual(['canteen', 'kitchen', 'records', 'energy', 'payments']);
  });

  it('refuses a cycle, naming it', () => {
    expect(() => orderFeatures([f('a', ['c']), f('b', ['a']), f('c', ['b'])])).toThrow('features start after each other in a cycle: a → c → b → a');
    expect(() => orderFeatures([f('a', ['a'])])).toThrow('cycle: a → a');
  });

  it('refuses an `after` that is not a feature, and two features of one name', () => {
    expect(() => orderFeatures([f('payments', ['canteen']), f('energy')])).toThrow('feature "payments" starts after "canteen", which is not a feature (known: payments, energy)');
    expect(() => orderFeatures([f('energy'), f('energy')])).toThrow('two features are named "energy"');
  });
});

describe('PortBoard', () => {
  it('hands a port to a later feature, and names the missing `after` when none was provided', () => {
    const board = new PortBoard();
    expect(() => board.need('sales', 'payments')).toThrow('feature "payments" needs port "sales", which no feature started before it provides: name the feature providing it in "payments".after');
    const sales = { timeZone: 'Asia/Shanghai', meals: { breakfast: '06:30', lunch: '11:00', dinner: '17:00' }, sale: () => undefined, markPaid: async () => { throw new Error('unused'); } };
    board.provide('canteen', { sales });
    expect(board.need('sales', 'payments')).toBe(sales);
    expect(() => board.provide('other', { sales })).toThrow('feature "other" provides port "sales", which feature "canteen" already provides');
  });

  it('refuses a port of a feature not named in `after`, even when that feature happened to start first', () => {
    const board = new PortBoard([f('canteen'), f('payments', ['canteen']), f('biometrics', ['payments']), f('kitchen')]);
    board.provide('canteen', { stationWeights: { weight: () => undefined } });
    board.provide('service', { cameraProblem: () => {} });
    expect(board.need('stationWeights', 'biometrics')).toBeDefined(); // through payments
    expect(board.need('cameraProblem', 'kitchen')).toBeDefined(); // the service's own
    expect(() => board.need('stationWeights', 'kitchen')).toThrow('feature "kitchen" needs port "stationWeights" of feature "canteen" but does not start after it: add "canteen" to "kitchen".after');
  });
});

describe('the gateway\'s features', () => {
  it('each reads its own config section with the schema the config file is checked against', () => {
    expect(FEATURES.length).toBeGreaterThanOrEqual(6);
    for (const feature of FEATURES) {
      expect(configSchema.shape[feature.section as keyof typeof configSchema.shape], feature.name).toBe(feature.configSchema);
    }
  });

  it('have unique names, known `after`s and no cycle', () => {
    const names = orderFeatures(FEATURES).map((x) => x.name);
    expect(names).toEqual(['energy', 'canteen', 'payments', 'demo', 'biometrics', 'kitchen', 'food-safety', 'kitchen-sensors']);
  });
});
