// /api/kitchen/records, /checks, /samples: the kitchen board's daily food-safety
// records. Kitchen staff, supervisors and admin; mistakes answer 4xx `{ error }`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Meal } from '../../wire/canteen.ts';
import type { FoodSampleMsg, KitchenRecordsMsg, MorningCheckMsg, StaffClearanceMsg } from '../../wire/kitchen.ts';
import { ATTIRE, SYMPTOMS } from './config.ts';
import type { Actor, CheckInput, SampleInput } from './inputs.ts';

/** What the routes use of the records (RecordsModule in module.ts is one): stated here so
 * module.ts and routes.ts do not import each other. */
export interface RecordsRoutesPort {
  today(): KitchenRecordsMsg;
  dayRecords(date: string): KitchenRecordsMsg;
  recordCheck(input: CheckInput, actor: Actor): MorningCheckMsg;
  recordSample(input: SampleInput, actor: Actor): FoodSampleMsg;
  discardSample(id: string, actor: Actor): FoodSampleMsg;
  clearStaff(staffId: string, note: string, actor: Actor): StaffClearanceMsg;
}

// Who may call each route (gateway/auth/roles.ts): kitchen holds for supervisor and admin too.
const KITCHEN = { access: ['kitchen'] } as const;
const SUPERVISOR = { access: ['supervisor'] } as const;

const date = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;
const meal = { type: 'string', enum: ['breakfast', 'lunch', 'dinner'] } as const;
const id = { type: 'string', minLength: 1, maxLength: 63 } as const;

const checkBody = {
  type: 'object',
  properties: {
    staffId: id,
    // outside this range it is a misread thermometer, not a person
    temperatureC: { type: 'number', minimum: 34, maximum: 43 },
    answers: { type: 'object', properties: Object.fromEntries([...SYMPTOMS, ...ATTIRE].map((i) => [i, { type: 'boolean' }])), additionalProperties: false },
    note: { type: 'string', maxLength: 200 },
  },
  required: ['staffId', 'temperatureC', 'answers'],
  additionalProperties: false,
} as const;

const sampleBody = {
  type: 'object',
  properties: {
    dishId: id,
    meal,
    date,
    grams: { type: 'integer', minimum: 1, maximum: 5000 },
    fromScale: { type: 'boolean' },
    cabinet: id,
  },
  required: ['dishId'],
  additionalProperties: false,
} as const;

const actorOf = (req: FastifyRequest): Actor => ({ name: req.principal?.name ?? 'local', role: req.principal?.role ?? 'admin' });

export async function recordsRoutes(app: FastifyInstance, m: RecordsRoutesPort): Promise<void> {
  app.get('/api/kitchen/records/today', { config: KITCHEN }, async () => m.today());

  app.get<{ Querystring: { date?: string } }>(
    '/api/kitchen/records',
    { config: KITCHEN, schema: { querystring: { type: 'object', properties: { date }, additionalProperties: false } } },
    async (req) => (req.query.date ? m.dayRecords(req.query.date) : m.today()),
  );

  app.post<{ Body: CheckInput }>('/api/kitchen/checks', { config: KITCHEN, schema: { body: checkBody } }, async (req, reply) =>
    reply.code(201).send(m.recordCheck(req.body, actorOf(req))),
  );

  app.post<{ Body: SampleInput & { meal?: Meal } }>('/api/kitchen/samples', { config: KITCHEN, schema: { body: sampleBody } }, async (req, reply) =>
    reply.code(201).send(m.recordSample(req.body, actorOf(req))),
  );

  app.post<{ Params: { id: string }; Body: { note: string } }>(
    '/api/kitchen/staff/:id/clear',
    {
      config: SUPERVISOR,
      schema: { params: { type: 'object', properties: { id }, required: ['id'] }, body: { type: 'object', properties: { note: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['note'], additionalProperties: false } },
    },
    async (req, reply) => reply.code(201).send(m.clearStaff(req.params.id, req.body.note, actorOf(req))),
  );

  app.post<{ Params: { id: string } }>('/api/kitchen/samples/:id/discard', { config: KITCHEN, schema: { params: { type: 'object', properties: { id }, required: ['id'] } } }, async (req) =>
    m.discardSample(req.params.id, actorOf(req)),
  );
}
