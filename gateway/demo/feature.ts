// The payable demo (gateway/demo/seed.ts) as a feature: after the canteen (dishes) and
// payments (meal cards, PINs), it seeds the demo once when `simulators.demo` is on and
// retires it when off. It reads the `simulators:` section and serves no routes.
import { configSchema } from '../config/schema.ts';
import { feature } from '../feature.ts';
import { DemoData } from './seed.ts';

export const demoFeature = feature({
  name: 'demo',
  section: 'simulators',
  configSchema: configSchema.shape.simulators,
  after: ['canteen', 'payments'],
  async start(ctx) {
    const payments = ctx.ports.need('payments', 'demo');
    await new DemoData({
      enabled: ctx.config.demo.enabled,
      catalog: ctx.ports.need('menu', 'demo').catalog,
      ledger: payments.ledger,
      pins: payments.pins,
      logger: ctx.logger,
      now: ctx.clock,
    }).apply();
    return { stop: () => {} };
  },
});
