// Serves the kiosk pages, bundled in memory at start-up (kiosk/build.ts).
import type { FastifyPluginAsync } from 'fastify';

export type KioskFiles = Map<string, { body: Buffer; contentType: string }>;

export const kioskRoutes: FastifyPluginAsync<{ files: KioskFiles }> = async (app, { files }) => {
  for (const [urlPath, file] of files) {
    app.get(urlPath, async (_req, reply) =>
      reply
        .type(file.contentType)
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .send(file.body),
    );
  }
};
