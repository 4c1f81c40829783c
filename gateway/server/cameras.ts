// The latest frame of each camera as JPEG, for the kitchen board's camera wall.
import type { FastifyPluginAsync } from 'fastify';
import type { LiveState } from '../live.ts';

export const cameraRoutes: FastifyPluginAsync<{ live: LiveState }> = async (app, { live }) => {
  app.get<{ Params: { id: string } }>(
    '/api/cameras/:id/latest.jpg',
    {
      config: { access: ['kitchen'] },
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' } }, required: ['id'] },
        // the frame's sequence number, only so that the browser fetches each new frame
        querystring: { type: 'object', properties: { seq: { type: 'integer', minimum: 0 } } },
      },
    },
    async (req, reply) => {
      const jpeg = live.latestJpeg(req.params.id);
      if (!jpeg) return reply.code(404).send({ error: `no frame from camera ${req.params.id}` });
      return reply.type('image/jpeg').header('cache-control', 'no-store').send(await jpeg);
    },
  );
};
