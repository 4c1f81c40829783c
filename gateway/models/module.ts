// The gateway's side of model installation: at start, say once and plainly which
// features are off for want of models and the command that installs them; on SIGHUP
// (after `canteen-edge models pull`), pick up new and replaced models without a restart.
import type { ModelRegistry } from '../../models/registry.ts';
import type { Logger } from '../log.ts';
import { featuresOff, featuresOffMessage } from './features.ts';

export interface ModelsDeps {
  registry: ModelRegistry;
  logger: Logger;
  /** face pay: tries its models again (and tells the kiosks itself when that changes what they offer); true once available */
  facePay: { loadPipeline(): Promise<boolean> };
  /** where the one plain notice goes (the terminal of `npm start`; the journal under systemd) */
  notice?: (text: string) => void;
}

export class ModelsModule {
  constructor(private readonly deps: ModelsDeps) {}

  /** The start-up notice: nothing when every default model is installed. */
  async announce(): Promise<void> {
    const off = featuresOff(await this.deps.registry.status());
    const text = featuresOffMessage(off);
    if (!text) return;
    // info, not warn: a box without models works (card, QR, PIN, picking the dish by hand); it is told, not alarmed
    this.deps.logger.info({ featuresOff: off.map((f) => f.feature), models: [...new Set(off.flatMap((f) => f.models))] }, text.split('\n')[1]!);
    (this.deps.notice ?? ((t) => process.stderr.write(`\n  ${t.replace(/\n/g, '\n  ')}\n\n`)))(text);
  }

  /** After `models pull` + SIGHUP: new manifests and files, replaced sessions (old ones serve until the new are warm), face pay on. */
  async reload(): Promise<{ replaced: string[]; failed: { name: string; reason: string }[]; facePay: boolean }> {
    const { registry, logger, facePay } = this.deps;
    const r = await registry.reload();
    for (const f of r.failed) logger.error({ model: f.name, reason: f.reason }, `model ${f.name}: the new version could not be loaded; the running one stays in use`);
    if (r.replaced.length) logger.info({ models: r.replaced }, `models replaced: ${r.replaced.join(', ')}`);
    const now = await facePay.loadPipeline().catch((err: Error) => {
      logger.error({ err }, 'face pay: models could not be loaded');
      return false;
    });
    const off = featuresOff(await registry.status());
    logger.info({ featuresOff: off.map((f) => f.feature) }, off.length ? `models reloaded; still off: ${off.map((f) => f.en).join(', ')}` : 'models reloaded; every feature has its models');
    return { ...r, facePay: now };
  }
}
