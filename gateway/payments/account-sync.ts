// The central card system's account sync: PUT /api/payments/accounts/:id creates or
// updates one account (holder, card, status, credit limit, birth date) — the same
// upsert the config's accounts go through at start. The balance is never set here:
// only transactions move it (top-ups come through /api/payments/topups). Whoever
// must react to an account's change (face templates: closed → deleted at once,
// PIPL art. 47) listens to `account:changed` on the bus.
import type { FastifyInstance } from 'fastify';
import { birthDateOf, isCalendarDate, setBirthDate } from './birth-date.ts';
import type { Db } from '../store/sqlite.ts';
import type { AccountStatus, PaymentLedger } from './ledger.ts';

/** What the sync route uses of payments (PaymentsModule in module.ts is one): stated here so
 * module.ts and account-sync.ts do not import each other. */
export interface AccountSyncPort {
  readonly ledger: PaymentLedger;
  readonly db: Db;
  now(): number;
  accountChanged(accountId: string, actor: string): void;
}

interface SyncBody {
  person: string;
  card_id?: string | null;
  status?: AccountStatus;
  credit_limit_fen?: number;
  birth_date?: string | null;
}

export function accountSyncRoute(app: FastifyInstance, m: AccountSyncPort): void {
  app.put<{ Params: { id: string }; Body: SyncBody }>(
    '/api/payments/accounts/:id',
    {
      config: { access: ['admin'] },
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 63, pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' } }, required: ['id'] },
        body: {
          type: 'object',
          properties: {
            person: { type: 'string', minLength: 1, maxLength: 80 },
            card_id: { type: ['string', 'null'], minLength: 1, maxLength: 64 },
            status: { type: 'string', enum: ['active', 'frozen', 'closed'] },
            credit_limit_fen: { type: 'integer', minimum: 0, maximum: 100_000_000 },
            birth_date: { type: ['string', 'null'], pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
          },
          required: ['person'],
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      if (typeof b.birth_date === 'string' && !isCalendarDate(b.birth_date)) {
        return reply.code(400).send({ error: `birth_date: got "${b.birth_date}"; expected a real date YYYY-MM-DD` });
      }
      const existed = !!m.ledger.account(req.params.id);
      m.ledger.upsertAccount({ id: req.params.id, person: b.person, card_id: b.card_id ?? null, status: b.status, credit_limit_fen: b.credit_limit_fen }, m.now());
      // absent: unchanged; null: not known (any longer)
      if (b.birth_date !== undefined) setBirthDate(m.db, req.params.id, b.birth_date);
      m.accountChanged(req.params.id, req.principal?.name ?? 'central sync');
      const a = m.ledger.account(req.params.id)!;
      return reply.code(existed ? 200 : 201).send({ ...a, birth_date: birthDateOf(m.db, a.id) });
    },
  );
}
