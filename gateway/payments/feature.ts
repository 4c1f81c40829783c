// The payments feature: accounts, the payment ledger, card, QR, PIN and face credentials
// (gateway/payments/module.ts). Settles the canteen's sales through the sales port.
import { feature } from '../feature.ts';
import { paymentsConfigSchema, readQrSecret } from './config.ts';
import { PaymentsModule } from './module.ts';

export const paymentsFeature = feature({
  name: 'payments',
  section: 'payments',
  configSchema: paymentsConfigSchema,
  after: ['canteen'],
  async start(ctx) {
    const payments = new PaymentsModule({
      db: ctx.db,
      cfg: ctx.config,
      sales: ctx.ports.need('sales', 'payments'),
      bus: ctx.bus,
      put: ctx.put,
      logger: ctx.logger,
      now: ctx.clock,
      qrSecret: readQrSecret(ctx.config, ctx.loaded.file),
      dataDir: ctx.loaded.paths.data_dir,
    });
    payments.start();
    return { routes: payments.routes, ports: { payments }, stop: () => {} };
  },
});
