// The kitchen-safety feature: detection rules on the kitchen cameras, the alert book,
// the buzzer outputs and the kitchen board (gateway/kitchen/module.ts).
import { feature } from '../feature.ts';
import { kitchenConfigSchema } from './config.ts';
import { KitchenModule } from './module.ts';

export const kitchenFeature = feature({
  name: 'kitchen',
  section: 'kitchen',
  configSchema: kitchenConfigSchema,
  async start(ctx) {
    const kitchen = new KitchenModule({
      db: ctx.db,
      dataDir: ctx.loaded.paths.data_dir,
      bus: ctx.bus,
      live: ctx.live,
      registry: ctx.models,
      config: ctx.config,
      cameras: ctx.loaded.devices.cameras,
      timeZone: ctx.loaded.site.timezone,
      put: (payload, key) => ctx.put('alerts', payload, key),
      onCameraProblem: ctx.ports.need('cameraProblem', 'kitchen'),
      logger: ctx.logger,
    });
    await kitchen.start();
    return { routes: kitchen.routes, ports: { raiseAlert: kitchen.book.raise, resolveAlert: kitchen.book.resolveByKey, kitchenBoard: kitchen }, stop: () => kitchen.stop() };
  },
});
