// The face-pay feature: templates, consent, enrolment and the kiosks' face-pay sessions
// (gateway/biometrics/module.ts). Unavailable (not an error) without the face models,
// when switched off, or before the impact assessment is recorded.
import { feature } from '../feature.ts';
import { biometricsConfigSchema } from './config.ts';
import { BiometricsModule } from './module.ts';
import { biometricsRoutes } from './routes.ts';

export const biometricsFeature = feature({
  name: 'biometrics',
  section: 'biometrics',
  configSchema: biometricsConfigSchema,
  after: ['canteen', 'payments'],
  async start(ctx) {
    const { site, paths, file } = ctx.loaded;
    const biometrics = new BiometricsModule({
      db: ctx.db,
      cfg: ctx.config,
      // the processor named in the consent notice (PIPL art. 17)
      paths: { dataDir: paths.data_dir, configFile: file, processor: { name: site.processor.name ?? site.name, contact: site.processor.contact ?? null } },
      models: ctx.models,
      payments: ctx.ports.need('payments', 'biometrics'),
      sales: ctx.ports.need('sales', 'biometrics'),
      bus: ctx.bus,
      logger: ctx.logger,
      now: ctx.clock,
    });
    await biometrics.start();
    return { routes: biometricsRoutes(biometrics), ports: { facePay: biometrics }, stop: () => biometrics.stop() };
  },
});
