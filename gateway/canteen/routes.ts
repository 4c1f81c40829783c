// /api/canteen/*: the catalog and menus (admin), the stations (kiosk), the sales
// (receipt, counter). Client mistakes answer 4xx with `{ error }` naming the reason.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Rule } from '../auth/roles.ts';
import type { CanteenCatalogMsg, Meal, SaleMsg, StationStateMsg } from '../wire/canteen.ts';
import type { SaleMethod } from '../wire/payments.ts';
import { readImageHeader, tooManyPixels } from '../image-size.ts';
import { CanteenError } from './errors.ts';
import { ImportFailed } from './import.ts';
import type { Catalog } from './catalog.ts';
import type { CanteenConfig } from './config.ts';
import type { Ledger } from './ledger.ts';
import type { Photos } from './photos.ts';
import type { StationRecognition } from './recognition.ts';
import type { StationSession } from './session.ts';

/** What the routes use of the canteen (CanteenModule in module.ts is one): stated here so
 * module.ts and routes.ts do not import each other. */
export interface CanteenRoutesPort {
  readonly ledger: Ledger;
  readonly photos: Photos;
  readonly catalog: Catalog;
  readonly recognition: StationRecognition | undefined;
  readonly cfg: Pick<CanteenConfig, 'max_photo_pixels'>;
  station(id: string): StationSession;
  states(): StationStateMsg[];
  catalogMessage(): CanteenCatalogMsg;
  currentMeal(): { date: string; meal: Meal };
  today(): string;
  markPaid(saleId: string, method: SaleMethod, reference: string | null, actor?: string): Promise<SaleMsg>;
  cancelSale(saleId: string, actor: string): SaleMsg;
}

const idParam = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 63 } }, required: ['id'] } as const;
const meal = { type: 'string', enum: ['breakfast', 'lunch', 'dinner'] } as const;
const date = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;
const actor = { type: 'string', minLength: 1, maxLength: 40 } as const;
// Shape only: the catalog checks every field with reasons (and refuses unknown keys).
const dishBody = { type: 'object' } as const;
const MAX_PHOTO_BYTES = 8 * 1024 * 1024;
/** room for canteen.max_dishes rows with every column (about 100 bytes a row) */
const MAX_CSV_BYTES = 4 * 1024 * 1024;

type Id = { Params: { id: string } };

// Who may call each route (gateway/auth/roles.ts; admin may call everything).
// A paired kiosk acts only for its own station and sees only its own receipts.
const ADMIN = { access: ['admin'] } as const;
const CATALOG_READERS = { access: ['kiosk', 'cashier', 'kitchen'] } as const;
const COUNTER = { access: ['cashier'] } as const;
const OWN_STATION = { access: { roles: ['kiosk'], station: (req: FastifyRequest) => (req.params as { id: string }).id } satisfies Rule };

export async function canteenRoutes(app: FastifyInstance, m: CanteenRoutesPort): Promise<void> {
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: MAX_CSV_BYTES }, (_req, body, done) => done(null, body));
  app.addContentTypeParser(/^image\/[a-z0-9.+-]+$/, { parseAs: 'buffer', bodyLimit: MAX_PHOTO_BYTES }, (_req, body, done) => done(null, body));

  const OWN_SALE = { access: { roles: ['kiosk', 'cashier'], station: (req: FastifyRequest) => m.ledger.sale((req.params as { id: string }).id)?.station } satisfies Rule };

  app.get('/api/canteen/catalog', { config: CATALOG_READERS }, async () => m.catalogMessage());

  // Dish recognition: enrol a dish from photos taken by a station's camera.
  const recognition = () => {
    const r = m.recognition;
    if (!r) throw new CanteenError(409, 'dish recognition is not available: the mobilenetv2-12-int8 model is missing from the models directory (see /readyz)');
    return r;
  };
  app.get('/api/canteen/recognition', { config: ADMIN }, async () => ({ available: !!m.recognition, enrolled: m.recognition?.enrolled() ?? [] }));
  app.post<Id & { Body: { station: string; photos?: number } }>(
    '/api/canteen/dishes/:id/enrol',
    {
      config: ADMIN,
      schema: {
        params: idParam,
        body: { type: 'object', properties: { station: { type: 'string', minLength: 1, maxLength: 63 }, photos: { type: 'integer', minimum: 3, maximum: 5 } }, required: ['station'], additionalProperties: false },
      },
    },
    async (req) => {
      if (!m.catalog.get(req.params.id)) throw new CanteenError(404, `no dish "${req.params.id}"`);
      m.station(req.body.station);
      return recognition().enrolFromStation(req.params.id, req.body.station, req.body.photos ?? 3);
    },
  );
  app.delete<Id>('/api/canteen/dishes/:id/enrol', { config: ADMIN, schema: { params: idParam } }, async (req, reply) => {
    await recognition().forget(req.params.id);
    return reply.code(204).send();
  });

  app.post('/api/canteen/dishes', { config: ADMIN, schema: { body: dishBody } }, async (req, reply) => reply.code(201).send(await m.catalog.create(req.body)));

  app.put<Id>('/api/canteen/dishes/:id', { config: ADMIN, schema: { params: idParam, body: dishBody } }, async (req) => m.catalog.replace(req.params.id, req.body));

  app.delete<Id>('/api/canteen/dishes/:id', { config: ADMIN, schema: { params: idParam } }, async (req, reply) => {
    await m.photos.remove(await m.catalog.remove(req.params.id));
    return reply.code(204).send();
  });

  app.put<Id & { Body: Buffer }>('/api/canteen/dishes/:id/photo', { config: ADMIN, schema: { params: idParam }, bodyLimit: MAX_PHOTO_BYTES }, async (req, reply) => {
    if (!Buffer.isBuffer(req.body)) return reply.code(415).send({ error: 'send the photo as the body, Content-Type image/jpeg, image/png or image/webp' });
    if (!m.catalog.get(req.params.id)) throw new CanteenError(404, `no dish "${req.params.id}"`);
    // the header says how big the decoded image would be: a 16000² PNG of a few KB is refused unread (issue 11, hole 7)
    const header = await readImageHeader(req.body);
    if (!header) return reply.code(415).send({ error: 'not an image sharp can read (JPEG, PNG, WebP, …)' });
    const tooLarge = tooManyPixels(header, m.cfg.max_photo_pixels, 'photo');
    if (tooLarge) return reply.code(413).send({ error: `${tooLarge} (canteen.max_photo_pixels)` });
    const name = await m.photos.save(req.params.id, req.body, m.cfg.max_photo_pixels);
    const previous = await m.catalog.setPhoto(req.params.id, name);
    // the same photo again has the same name: the file just written is the dish's photo still
    if (previous !== name) await m.photos.remove(previous);
    return m.catalog.get(req.params.id);
  });

  app.delete<Id>('/api/canteen/dishes/:id/photo', { config: ADMIN, schema: { params: idParam } }, async (req) => {
    await m.photos.remove(await m.catalog.setPhoto(req.params.id, null));
    return m.catalog.get(req.params.id);
  });

  app.get<{ Params: { name: string } }>('/api/canteen/photos/:name', { config: CATALOG_READERS }, async (req, reply) => {
    const jpeg = await m.photos.read(req.params.name);
    if (!jpeg) return reply.code(404).send({ error: `no photo "${req.params.name}"` });
    // Names carry a content hash: a changed photo is a new name.
    return reply.type('image/jpeg').header('cache-control', 'public, max-age=31536000, immutable').send(jpeg);
  });

  app.post<{ Body: string }>('/api/canteen/dishes/import', { config: ADMIN, bodyLimit: MAX_CSV_BYTES }, async (req, reply) => {
    if (typeof req.body !== 'string') return reply.code(415).send({ error: 'send the CSV as the body, Content-Type text/csv or text/plain (UTF-8)' });
    try {
      return await m.catalog.importCsv(req.body);
    } catch (err) {
      if (err instanceof ImportFailed) return reply.code(400).send({ error: err.message, errors: err.issues });
      throw err;
    }
  });

  app.get<{ Querystring: { date?: string; meal?: Meal } }>(
    '/api/canteen/menu',
    { config: CATALOG_READERS, schema: { querystring: { type: 'object', properties: { date, meal }, additionalProperties: false } } },
    async (req) => {
      const now = m.currentMeal();
      return m.catalog.menu(req.query.date ?? now.date, req.query.meal ?? now.meal);
    },
  );

  app.put<{ Body: { date?: string; meal?: Meal; dishIds: string[] } }>(
    '/api/canteen/menu',
    {
      config: ADMIN,
      schema: {
        body: {
          type: 'object',
          properties: { date, meal, dishIds: { type: 'array', items: { type: 'string', maxLength: 63 }, maxItems: 500 } },
          required: ['dishIds'],
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const now = m.currentMeal();
      return m.catalog.setMenu(req.body.date ?? now.date, req.body.meal ?? now.meal, req.body.dishIds, m.today());
    },
  );

  app.get('/api/canteen/stations', { config: ADMIN }, async () => m.states());
  app.get<Id>('/api/canteen/stations/:id', { config: OWN_STATION, schema: { params: idParam } }, async (req) => m.station(req.params.id).state());

  app.post<Id & { Body: { dishId: string } }>(
    '/api/canteen/stations/:id/select',
    { config: OWN_STATION, schema: { params: idParam, body: { type: 'object', properties: { dishId: { type: 'string', minLength: 1, maxLength: 63 } }, required: ['dishId'] } } },
    async (req) => m.station(req.params.id).select(req.body.dishId),
  );

  app.post<Id & { Body: { trayId: string } }>(
    '/api/canteen/stations/:id/tray',
    { config: OWN_STATION, schema: { params: idParam, body: { type: 'object', properties: { trayId: { type: 'string', minLength: 1, maxLength: 63 } }, required: ['trayId'] } } },
    async (req) => m.station(req.params.id).setTray(req.body.trayId),
  );

  app.post<Id & { Body: { lineId?: string } | undefined }>(
    '/api/canteen/stations/:id/confirm',
    { config: OWN_STATION, schema: { params: idParam, body: { type: 'object', properties: { lineId: { type: 'string', maxLength: 63 } } } } },
    async (req, reply) => reply.code(201).send(m.station(req.params.id).confirm(req.body?.lineId)),
  );

  app.post<Id>('/api/canteen/stations/:id/cancel', { config: OWN_STATION, schema: { params: idParam } }, async (req) => m.station(req.params.id).cancel());

  app.get<{ Querystring: { status?: 'awaiting_payment' | 'paid' | 'cancelled'; limit?: number } }>(
    '/api/canteen/sales',
    {
      config: COUNTER,
      schema: {
        querystring: {
          type: 'object',
          properties: { status: { type: 'string', enum: ['awaiting_payment', 'paid', 'cancelled'] }, limit: { type: 'integer', minimum: 1, maximum: 500 } },
          additionalProperties: false,
        },
      },
    },
    async (req) => m.ledger.list(req.query.status, req.query.limit ?? 50),
  );

  app.get<Id>('/api/canteen/sales/:id', { config: OWN_SALE, schema: { params: idParam } }, async (req, reply) => m.ledger.sale(req.params.id) ?? reply.code(404).send({ error: `no sale "${req.params.id}"` }));

  // Pay at the counter (到柜台结算): staff take the money and confirm here.
  app.post<Id & { Body: { operator?: string; reference?: string } | undefined }>(
    '/api/canteen/sales/:id/paid',
    { config: COUNTER, schema: { params: idParam, body: { type: 'object', properties: { operator: actor, reference: { type: 'string', maxLength: 80 } }, additionalProperties: false } } },
    async (req) => m.markPaid(req.params.id, 'counter', req.body?.reference ?? null, req.body?.operator ?? 'counter'),
  );

  app.post<Id & { Body: { operator?: string } | undefined }>(
    '/api/canteen/sales/:id/cancel',
    { config: COUNTER, schema: { params: idParam, body: { type: 'object', properties: { operator: actor }, additionalProperties: false } } },
    async (req) => m.cancelSale(req.params.id, req.body?.operator ?? 'counter'),
  );
}
