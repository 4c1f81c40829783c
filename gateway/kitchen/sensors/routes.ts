// /api/kitchen/sensors (the board's sensor panel) and /api/kitchen/waste (a disposal):
// kitchen staff, supervisors and admin; facility staff and cashiers get 403.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KitchenSensorsMsg, WasteDisposalMsg } from '../../wire/kitchen-sensors.ts';

export interface WasteInput {
  carrier: string;
  company?: string;
  grams?: number;
  note?: string;
}

/** What the routes use of the module (stated here so module.ts and routes.ts do not import each other). */
export interface SensorRoutesPort {
  snapshot(): KitchenSensorsMsg;
  recordWaste(input: WasteInput, actor: { name: string }): Promise<WasteDisposalMsg>;
}

const KITCHEN = { access: ['kitchen'] } as const;

const wasteBody = {
  type: 'object',
  properties: {
    carrier: { type: 'string', minLength: 1, maxLength: 40, pattern: '\\S' },
    company: { type: 'string', maxLength: 80 },
    grams: { type: 'integer', minimum: 1, maximum: 2_000_000 },
    note: { type: 'string', maxLength: 200 },
  },
  required: ['carrier'],
  additionalProperties: false,
} as const;

const actorOf = (req: FastifyRequest) => ({ name: req.principal?.name ?? 'local' });

export async function sensorRoutes(app: FastifyInstance, m: SensorRoutesPort): Promise<void> {
  app.get('/api/kitchen/sensors', { config: KITCHEN }, async () => m.snapshot());
  app.post<{ Body: WasteInput }>('/api/kitchen/waste', { config: KITCHEN, schema: { body: wasteBody } }, async (req, reply) => reply.code(201).send(await m.recordWaste(req.body, actorOf(req))));
}
