// The food-safety records feature: morning checks and food samples (gateway/kitchen/records/module.ts),
// after the canteen (dishes, menus, the sample scale) and the kitchen (alerts go into its alert book).
import { feature } from '../../feature.ts';
import { foodSafetyConfigSchema } from './config.ts';
import { RecordsModule } from './module.ts';

export const recordsFeature = feature({
  name: 'food-safety',
  section: 'food_safety',
  configSchema: foodSafetyConfigSchema,
  after: ['canteen', 'kitchen'],
  async start(ctx) {
    const records = new RecordsModule({
      db: ctx.db,
      cfg: ctx.config,
      canteen: ctx.ports.need('menu', 'food-safety'),
      bus: ctx.bus,
      raise: ctx.ports.need('raiseAlert', 'food-safety'),
      resolveAlert: ctx.ports.need('resolveAlert', 'food-safety'),
      put: ctx.put,
      logger: ctx.logger,
      timeZone: ctx.loaded.site.timezone,
      now: ctx.clock,
      weights: ctx.ports.need('stationWeights', 'food-safety'),
    });
    records.start();
    return { routes: records.routes, ports: { records }, stop: () => records.stop() };
  },
});
