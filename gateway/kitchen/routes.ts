// /api/kitchen/*: the alert book (list, acknowledge, resolve, snapshots), the camera
// wall's annotated frames and the zones drawn at /admin. Acknowledge and resolve are for
// kitchen staff and supervisors (and admin); zones for supervisors and admin; the actor is
// whoever is signed in.
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { KitchenAlertState } from '../wire/kitchen.ts';
import type { AlertBook } from './alerts.ts';
import { MAX_ZONE_POINTS, ZONE_ID_PATTERN, type KitchenZones, type ZoneInput } from './zones.ts';

/** What the routes use of the kitchen (KitchenModule in module.ts is one): stated here so
 * module.ts and routes.ts do not import each other. */
export interface KitchenRoutesPort {
  readonly book: AlertBook;
  readonly zones: KitchenZones;
  annotatedJpeg(camera: string): Promise<Buffer> | undefined;
}

const KITCHEN = { access: ['kitchen'] } as const;
const SUPERVISOR = { access: ['supervisor'] } as const;
const alertId = { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9a-f-]{36}$' } }, required: ['id'], additionalProperties: false } as const;
const cameraId = { type: 'object', properties: { id: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' } }, required: ['id'], additionalProperties: false } as const;
const noQuery = { type: 'object', properties: {}, additionalProperties: false } as const;
const note = { type: 'string', minLength: 1, maxLength: 500 } as const;
const zonesBody = {
  type: 'object',
  properties: {
    zones: {
      type: 'array',
      maxItems: 64,
      items: {
        type: 'object',
        properties: {
          id: { type: 'string', pattern: ZONE_ID_PATTERN },
          name: { type: 'string', maxLength: 60 },
          anchor: { type: 'string', enum: ['centre', 'bottom'] },
          // normalised [x, y]: 0–1 of the frame's width and height
          points: { type: 'array', minItems: 3, maxItems: MAX_ZONE_POINTS, items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number', minimum: 0, maximum: 1 } } },
        },
        required: ['id', 'points'],
        additionalProperties: false,
      },
    },
  },
  required: ['zones'],
  additionalProperties: false,
} as const;

type Id = { Params: { id: string } };

export async function kitchenRoutes(app: FastifyInstance, m: KitchenRoutesPort): Promise<void> {
  // AlertError carries its statusCode: the app's error handler answers it with the message
  app.get<{ Querystring: { state?: KitchenAlertState; camera?: string; type?: string; limit?: number } }>(
    '/api/kitchen/alerts',
    {
      config: KITCHEN,
      schema: {
        querystring: {
          type: 'object',
          properties: {
            state: { type: 'string', enum: ['open', 'acknowledged', 'resolved'] },
            camera: { type: 'string', minLength: 1, maxLength: 63 },
            type: { type: 'string', minLength: 1, maxLength: 40 },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) => ({ alerts: m.book.list(req.query) }),
  );

  app.post<Id & { Body: { note?: string } }>(
    '/api/kitchen/alerts/:id/ack',
    { config: KITCHEN, schema: { params: alertId, querystring: noQuery, body: { type: 'object', properties: { note }, additionalProperties: false } } },
    async (req) => m.book.acknowledge(req.params.id, req.principal?.name ?? 'unknown', req.body?.note),
  );

  app.post<Id & { Body: { note: string } }>(
    '/api/kitchen/alerts/:id/resolve',
    { config: KITCHEN, schema: { params: alertId, querystring: noQuery, body: { type: 'object', properties: { note }, required: ['note'], additionalProperties: false } } },
    async (req) => m.book.resolve(req.params.id, req.principal?.name ?? 'unknown', req.body.note),
  );

  for (const which of ['snapshot', 'clean'] as const) {
    app.get<Id>(`/api/kitchen/alerts/:id/${which}.jpg`, { config: KITCHEN, schema: { params: alertId, querystring: noQuery } }, async (req, reply) => {
      const file = m.book.snapshotFile(req.params.id, which);
      if (!file) return reply.code(404).send({ error: `alert ${req.params.id} has no snapshot` });
      const jpeg = await readFile(file).catch(() => undefined);
      if (!jpeg) return reply.code(404).send({ error: `the snapshot of alert ${req.params.id} is gone (retention)` });
      return reply.type('image/jpeg').header('cache-control', 'private, max-age=86400').send(jpeg);
    });
  }

  app.get<Id>(
    '/api/kitchen/cameras/:id/annotated.jpg',
    {
      config: KITCHEN,
      // the frame's sequence number, only so that the browser fetches each new frame
      schema: { params: cameraId, querystring: { type: 'object', properties: { seq: { type: 'integer', minimum: 0 } }, additionalProperties: false } },
    },
    async (req, reply) => {
      const jpeg = m.annotatedJpeg(req.params.id);
      if (!jpeg) return reply.code(404).send({ error: `no frame from camera ${req.params.id}` });
      return reply.type('image/jpeg').header('cache-control', 'no-store').send(await jpeg);
    },
  );

  // ZoneError carries its statusCode (404 unknown camera, 400 with every reason)
  app.get<Id>('/api/kitchen/cameras/:id/zones', { config: SUPERVISOR, schema: { params: cameraId, querystring: noQuery } }, async (req) => m.zones.view(req.params.id));

  app.put<Id & { Body: { zones: ZoneInput[] } }>(
    '/api/kitchen/cameras/:id/zones',
    { config: SUPERVISOR, schema: { params: cameraId, querystring: noQuery, body: zonesBody } },
    async (req) => m.zones.save(req.params.id, req.body.zones, { actor: req.principal?.name ?? 'unknown', role: req.principal?.role ?? null, client: req.ip }),
  );
}
