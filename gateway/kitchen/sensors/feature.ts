// The sunshine-kitchen sensors feature: cold rooms, disinfection cycles and kitchen waste
// (gateway/kitchen/sensors/module.ts), after the kitchen (its alerts go into the kitchen's alert book).
import { feature } from '../../feature.ts';
import { kitchenSensorsSchema } from './config.ts';
import { KitchenSensorsModule } from './module.ts';

export const kitchenSensorsFeature = feature({
  name: 'kitchen-sensors',
  section: 'kitchen_sensors',
  configSchema: kitchenSensorsSchema,
  after: ['kitchen'],
  async start(ctx) {
    const sensors = new KitchenSensorsModule({
      db: ctx.db,
      config: ctx.config,
      devices: ctx.loaded.devices,
      bus: ctx.bus,
      raise: ctx.ports.need('raiseAlert', 'kitchen-sensors'),
      put: ctx.put,
      weightOf: (scale) => ctx.live.weights.get(scale),
      timeZone: ctx.loaded.site.timezone,
      logger: ctx.logger,
    });
    await sensors.start();
    return { routes: sensors.routes, ports: { kitchenSensors: sensors }, stop: () => sensors.stop() };
  },
});
