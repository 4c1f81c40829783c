// The canteen feature: self-service weighing at the stations, the dish catalog and
// menus, sales (gateway/canteen/module.ts). Provides the sales, station weights and
// menu ports the payments, face pay and food-safety features use.
import path from 'node:path';
import { Classifier, createDishGallery } from '../../models/index.ts';
import { feature, type FeatureContext } from '../feature.ts';
import { canteenConfigSchema, type CanteenConfig } from './config.ts';
import { CanteenModule } from './module.ts';
import type { SalesPort } from './ports.ts';
import { StationRecognition } from './recognition.ts';
import { stationWeights } from './station-weights.ts';

const DEFAULT_CLASSIFIER = 'mobilenetv2-12-int8';

export const canteenFeature = feature({
  name: 'canteen',
  section: 'canteen',
  configSchema: canteenConfigSchema,
  async start(ctx) {
    // Models are optional: without a model's weights the diner picks the dish.
    const recognitionModel = ctx.config.recognition.classifier ?? DEFAULT_CLASSIFIER;
    const modelOk = (await ctx.models.status()).some((m) => m.name === recognitionModel && m.state === 'ok');
    const canteen = new CanteenModule({
      db: ctx.db,
      dataDir: ctx.loaded.paths.data_dir,
      bus: ctx.bus,
      logger: ctx.logger,
      cfg: ctx.config,
      put: ctx.put,
      recognizer: modelOk ? await dishRecognition(ctx) : undefined,
      timeZone: ctx.loaded.site.timezone,
      scales: ctx.loaded.devices.scales,
      now: ctx.clock,
    });
    await canteen.start();
    const sales: SalesPort = {
      timeZone: canteen.timeZone,
      meals: canteen.cfg.meals,
      sale: (id) => canteen.ledger.sale(id),
      markPaid: (saleId, method, reference, actor) => canteen.markPaid(saleId, method, reference, actor),
    };
    return { routes: canteen.routes, ports: { sales, stationWeights: stationWeights(ctx.config.stations, ctx.live), menu: canteen }, stop: () => canteen.stop() };
  },
});

async function dishRecognition(ctx: FeatureContext<CanteenConfig>): Promise<StationRecognition> {
  const { config, live, models } = ctx;
  const logger = ctx.logger.child({ part: 'recognition' });
  const cameraOf = new Map(config.stations.flatMap((s) => (s.camera ? [[s.id, s.camera] as const] : [])));
  const cameras = { cameraOf: (id: string) => cameraOf.get(id), latestFrame: (id: string) => live.latestFrame(id) };
  const classifier = config.recognition.classifier;
  if (classifier) return new StationRecognition({ kind: 'classifier', classifier: new Classifier(models, classifier) }, cameras, logger);
  const gallery = createDishGallery(models);
  const file = path.join(ctx.loaded.paths.data_dir, 'dish-gallery.json');
  try {
    await gallery.load(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return new StationRecognition({ kind: 'gallery', gallery, file }, cameras, logger);
}
