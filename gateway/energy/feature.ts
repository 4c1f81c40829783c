// The energy feature: books the meters' counters into intervals, sends closed intervals
// upstream, and serves the energy panel (gateway/energy/module.ts).
import { energySchema } from '../config/schema.ts';
import { feature } from '../feature.ts';
import { EnergyModule, meteredPoint } from './module.ts';

export const energyFeature = feature({
  name: 'energy',
  section: 'energy',
  configSchema: energySchema,
  async start(ctx) {
    const { loaded } = ctx;
    const energy = new EnergyModule({
      db: ctx.db,
      bus: ctx.bus,
      live: ctx.live,
      logger: ctx.logger,
      cfg: ctx.config,
      meters: loaded.devices.meters.flatMap((m) => {
        const point = meteredPoint(m, loaded.profiles.get(m.profile)!);
        return point ? [{ config: m, point }] : [];
      }),
      timeZone: loaded.site.timezone,
      // keyed, so a re-announcement is not a second record
      intervalSink: (i) => ctx.put('intervals', i, `${i.meter}:${i.period}:${i.start}`),
    });
    energy.onWriteError = (err) => ctx.disk.failed(err);
    energy.start();
    return { routes: energy.routes, ports: { energySummary: () => energy.latestSummary() }, stop: () => energy.stop() };
  },
});
