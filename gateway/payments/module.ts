// Payments in the running gateway: the ledger, paying a checkout sale by card
// (or account), refunds, voids and top-ups, the daily reconciliation, and every
// transaction handed to the outbox under its own id.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Rule } from '../auth/roles.ts';
import type { CanteenModule } from '../canteen/module.ts';
import { localDay, mealAt } from '../canteen/meals.ts';
import type { Logger } from '../log.ts';
import type { Db } from '../store/sqlite.ts';
import type { PaymentsConfig } from './config.ts';
import { LedgerError, PaymentLedger, type Transaction } from './ledger.ts';

type PutFn = (stream: 'transactions', payload: unknown, key: string) => Promise<unknown>;

/** 张三明 → 张*明, 李四 → 李*: enough for the diner to recognise, not for a bystander. */
export function maskName(name: string): string {
  const chars = [...name];
  if (chars.length <= 1) return name;
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars.at(-1)}`;
}

export class PaymentsModule {
  readonly ledger: PaymentLedger;

  constructor(
    db: Db,
    private readonly cfg: PaymentsConfig,
    private readonly canteen: CanteenModule,
    private readonly put: PutFn,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.ledger = new PaymentLedger(db, { meals: cfg.meals, dailyCapFen: cfg.daily_cap_fen });
  }

  start(): void {
    for (const a of this.cfg.accounts) this.ledger.upsertAccount(a, this.now());
  }

  /** Pays a sale waiting at a station from an account found by card or id. */
  async paySale(saleId: string, req: { key: string; card_id?: string; account_id?: string; method: 'card' | 'qr' }): Promise<{ transaction: Transaction; person: string | null; balance_fen: number | null }> {
    const sale = this.canteen.ledger.sale(saleId);
    if (!sale) throw new LedgerError(404, `no sale "${saleId}"`);
    if (sale.status === 'paid' && sale.reference !== req.key) throw new LedgerError(409, `sale ${sale.no} is already paid`);
    if (sale.status === 'cancelled') throw new LedgerError(409, `sale ${sale.no} was cancelled`);
    const account = req.card_id ? this.ledger.accountByCard(req.card_id) : req.account_id ? this.ledger.account(req.account_id) : undefined;
    const at = this.now();
    const { meal } = mealAt(at, this.canteen.timeZone, this.canteen.cfg.meals);
    const tx = this.ledger.debit({ key: req.key, accountId: account?.id ?? req.card_id ?? req.account_id ?? '', priceFen: sale.totalFen, method: req.method, saleId, station: sale.station, meal, day: localDay(at, this.canteen.timeZone), at });
    await this.queue(tx);
    if (tx.status === 'approved') await this.canteen.markPaid(saleId, req.method, tx.id);
    return { transaction: tx, person: account ? maskName(account.person) : null, balance_fen: tx.balance_after_fen };
  }

  async refund(key: string, originalId: string, amountFen: number | undefined, actor: string): Promise<Transaction> {
    const at = this.now();
    return this.queue(this.ledger.refund(key, originalId, amountFen, actor, at, localDay(at, this.canteen.timeZone)));
  }

  async void(key: string, originalId: string, actor: string): Promise<Transaction> {
    const at = this.now();
    return this.queue(this.ledger.void(key, originalId, actor, at, localDay(at, this.canteen.timeZone)));
  }

  async topUp(key: string, accountId: string, amountFen: number): Promise<Transaction> {
    const at = this.now();
    return this.queue(this.ledger.topUp(key, accountId, amountFen, at, localDay(at, this.canteen.timeZone)));
  }

  /** Durable in the outbox before the caller hears of it; a resubmitted key is not a second record. */
  private async queue(tx: Transaction): Promise<Transaction> {
    await this.put('transactions', { type: 'payment', ...tx }, tx.id);
    return tx;
  }

  routes = async (app: FastifyInstance): Promise<void> => {
    app.setErrorHandler(async (err: Error & { statusCode?: number }, req, reply) => {
      if (err instanceof LedgerError) return reply.code(err.statusCode).send({ error: err.message });
      if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message });
      req.log.error({ err }, 'payment request failed');
      return reply.code(500).send({ error: 'internal error' });
    });
    const key = { type: 'string', minLength: 1, maxLength: 128 } as const;
    const idParam = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 63 } }, required: ['id'] } as const;
    // Who may call each route (gateway/auth/roles.ts; admin may call everything): a
    // paired kiosk pays only sales of its own station; refunds and voids need a supervisor.
    const kioskOrCounter = { access: { roles: ['kiosk', 'cashier'], station: (req: FastifyRequest) => this.canteen.ledger.sale((req.params as { id: string }).id)?.station } satisfies Rule };
    const supervisor = { access: ['supervisor'] } as const;
    const admin = { access: ['admin'] } as const;
    app.post<{ Params: { id: string }; Body: { key: string; card_id?: string; account_id?: string; method?: 'card' | 'qr' } }>(
      '/api/payments/sales/:id/pay',
      {
        config: kioskOrCounter,
        schema: {
          params: idParam,
          body: {
            type: 'object',
            properties: { key, card_id: { type: 'string', minLength: 1, maxLength: 64 }, account_id: { type: 'string', minLength: 1, maxLength: 63 }, method: { type: 'string', enum: ['card', 'qr'] } },
            required: ['key'],
            oneOf: [{ required: ['card_id'] }, { required: ['account_id'] }],
            additionalProperties: false,
          },
        },
      },
      async (req) => this.paySale(req.params.id, { ...req.body, method: req.body.method ?? 'card' }),
    );
    const undoBody = { type: 'object', properties: { key, original_id: key, amount_fen: { type: 'integer', minimum: 1 }, actor: { type: 'string', minLength: 1, maxLength: 40 } }, required: ['key', 'original_id', 'actor'], additionalProperties: false } as const;
    app.post<{ Body: { key: string; original_id: string; amount_fen?: number; actor: string } }>('/api/payments/refunds', { config: supervisor, schema: { body: undoBody } }, async (req) =>
      this.refund(req.body.key, req.body.original_id, req.body.amount_fen, req.body.actor),
    );
    app.post<{ Body: { key: string; original_id: string; actor: string } }>(
      '/api/payments/voids',
      { config: supervisor, schema: { body: { ...undoBody, properties: { key, original_id: key, actor: undoBody.properties.actor } } } },
      async (req) => this.void(req.body.key, req.body.original_id, req.body.actor),
    );
    app.post<{ Body: { key: string; account_id: string; amount_fen: number } }>(
      '/api/payments/topups',
      { config: admin, schema: { body: { type: 'object', properties: { key, account_id: { type: 'string', minLength: 1 }, amount_fen: { type: 'integer', minimum: 1 } }, required: ['key', 'account_id', 'amount_fen'], additionalProperties: false } } },
      async (req) => this.topUp(req.body.key, req.body.account_id, req.body.amount_fen),
    );
    app.get('/api/payments/accounts', { config: admin }, async () => this.ledger.accounts());
    app.get<{ Querystring: { date: string } }>(
      '/api/payments/reconciliation',
      { config: supervisor, schema: { querystring: { type: 'object', properties: { date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } }, required: ['date'], additionalProperties: false } } },
      async (req) => ({ date: req.query.date, rows: this.ledger.reconciliation(req.query.date) }),
    );
  };
}
