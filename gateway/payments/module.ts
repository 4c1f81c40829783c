// Payments in the running gateway: the ledger, paying a checkout sale by card,
// PIN, the campus app's QR code or face (gateway/biometrics confirms through
// paySale), refunds, voids and top-ups, the daily reconciliation, and every
// transaction handed to the outbox under its own id.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Rule } from '../auth/roles.ts';
import type { CanteenModule } from '../canteen/module.ts';
import { localDay, mealAt } from '../canteen/meals.ts';
import type { Logger } from '../log.ts';
import type { Db } from '../store/sqlite.ts';
import type { PaymentsConfig } from './config.ts';
import { LedgerError, PaymentLedger, type Transaction } from './ledger.ts';
import { PinStore } from './pins.ts';
import { verifyQr } from './qr.ts';

export interface PayRequest {
  /** the client's idempotency key */
  key: string;
  card_id?: string;
  account_id?: string;
  /** method 'pin': the account's PIN */
  pin?: string;
  /** method 'qr': the payment code the campus app shows */
  qr?: string;
  method: 'card' | 'qr' | 'pin' | 'face';
}

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
  readonly pins: PinStore;
  private readonly qrSecret: string | undefined;

  constructor(
    private readonly db: Db,
    private readonly cfg: PaymentsConfig,
    readonly canteen: CanteenModule,
    private readonly put: PutFn,
    private readonly logger: Logger,
    readonly now: () => number = Date.now,
    opts: { qrSecret?: string } = {},
  ) {
    this.ledger = new PaymentLedger(db, { meals: cfg.meals, dailyCapFen: cfg.daily_cap_fen });
    this.pins = new PinStore(db, { maxFailures: cfg.pin.max_failures, lockMs: cfg.pin.lock_minutes * 60_000 }, now);
    this.qrSecret = opts.qrSecret;
  }

  /** The meal and site-local day a payment made now belongs to. */
  mealNow(): { meal: string; day: string; at: number } {
    const at = this.now();
    return { meal: mealAt(at, this.canteen.timeZone, this.canteen.cfg.meals).meal, day: localDay(at, this.canteen.timeZone), at };
  }

  start(): void {
    for (const a of this.cfg.accounts) this.ledger.upsertAccount(a, this.now());
  }

  /**
   * Pays a sale waiting at a station from an account found by card, id (face: the
   * matched person), PIN (id + PIN) or QR code (verified here: a bad or expired code is a 400).
   */
  async paySale(saleId: string, req: PayRequest): Promise<{ transaction: Transaction; person: string | null; balance_fen: number | null }> {
    const sale = this.canteen.ledger.sale(saleId);
    if (!sale) throw new LedgerError(404, `no sale "${saleId}"`);
    if (sale.status === 'paid' && sale.reference !== req.key) throw new LedgerError(409, `sale ${sale.no} is already paid`);
    if (sale.status === 'cancelled') throw new LedgerError(409, `sale ${sale.no} was cancelled`);
    if (req.method === 'pin' && (!req.account_id || req.pin === undefined)) throw new LedgerError(400, 'method "pin": expected account_id and pin');
    if (req.method === 'qr' && !req.qr) throw new LedgerError(400, 'method "qr": expected qr, the payment code');
    if (req.method === 'face' && !req.account_id) throw new LedgerError(400, 'method "face": expected the matched account_id');
    const seen = this.ledger.transaction(req.key);
    let accountId = req.card_id ? this.ledger.accountByCard(req.card_id)?.id : req.account_id;
    if (req.method === 'qr') {
      if (!this.qrSecret) throw new LedgerError(400, 'QR pay is not set up on this box (payments.qr_secret); pay by card, PIN or face');
      // a resubmitted request returns its first answer even once the code has expired
      accountId = seen ? seen.account_id : verifyQr(req.qr!, this.qrSecret, this.now(), this.cfg.qr_max_validity_s);
    }
    const account = accountId ? this.ledger.account(accountId) : undefined;
    const { meal, day, at } = this.mealNow();
    const debit = { key: req.key, accountId: account?.id ?? req.card_id ?? accountId ?? '', priceFen: sale.totalFen, method: req.method, saleId, station: sale.station, meal, day, at };
    let tx: Transaction;
    if (req.method === 'pin' && !seen && account) {
      const pin = await this.pins.check(req.account_id!, req.pin!);
      tx = await this.settle(() => (pin === 'ok' ? this.ledger.debit(debit) : this.ledger.declined(debit, pin)));
      if (pin !== 'ok') this.logger.info({ account: req.account_id, sale: saleId, reason: pin }, 'PIN payment declined');
    } else tx = await this.settle(() => this.ledger.debit(debit));
    if (tx.status === 'approved') await this.canteen.markPaid(saleId, req.method, tx.id);
    return { transaction: tx, person: account ? maskName(account.person) : null, balance_fen: tx.balance_after_fen };
  }

  async refund(key: string, originalId: string, amountFen: number | undefined, actor: string): Promise<Transaction> {
    const at = this.now();
    return this.settle(() => this.ledger.refund(key, originalId, amountFen, actor, at, localDay(at, this.canteen.timeZone)));
  }

  async void(key: string, originalId: string, actor: string): Promise<Transaction> {
    const at = this.now();
    return this.settle(() => this.ledger.void(key, originalId, actor, at, localDay(at, this.canteen.timeZone)));
  }

  async topUp(key: string, accountId: string, amountFen: number): Promise<Transaction> {
    const at = this.now();
    return this.settle(() => this.ledger.topUp(key, accountId, amountFen, at, localDay(at, this.canteen.timeZone)));
  }

  /**
   * A ledger change and its outbox record in one SQLite transaction (the outbox's put
   * joins it): a crash keeps both or neither, so no approved transaction can miss its
   * way upstream. Durable before the caller hears of it; a resubmitted key is not a second record.
   */
  private async settle(change: () => Transaction): Promise<Transaction> {
    let queued: Promise<unknown> | undefined;
    const tx = this.db.transaction(() => {
      const t = change();
      queued = this.put('transactions', { type: 'payment', ...t }, t.id);
      return t;
    }).immediate();
    await queued;
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
    app.post<{ Params: { id: string }; Body: { key: string; card_id?: string; account_id?: string; pin?: string; qr?: string; method?: 'card' | 'qr' | 'pin' } }>(
      '/api/payments/sales/:id/pay',
      {
        config: kioskOrCounter,
        schema: {
          params: idParam,
          body: {
            type: 'object',
            properties: {
              key,
              card_id: { type: 'string', minLength: 1, maxLength: 64 },
              account_id: { type: 'string', minLength: 1, maxLength: 63 },
              pin: { type: 'string', pattern: '^[0-9]{4,6}$' },
              qr: { type: 'string', minLength: 1, maxLength: 256 },
              method: { type: 'string', enum: ['card', 'qr', 'pin'] },
            },
            required: ['key'],
            oneOf: [{ required: ['card_id'] }, { required: ['account_id'] }, { required: ['qr'] }],
            allOf: [
              { if: { required: ['method'], properties: { method: { const: 'pin' } } }, then: { required: ['account_id', 'pin'] } },
              { if: { required: ['method'], properties: { method: { const: 'qr' } } }, then: { required: ['qr'] } },
              { if: { required: ['pin'] }, then: { required: ['method'], properties: { method: { const: 'pin' } } } },
              { if: { required: ['qr'] }, then: { required: ['method'], properties: { method: { const: 'qr' } } } },
            ],
            additionalProperties: false,
          },
        },
      },
      async (req) => this.paySale(req.params.id, { ...req.body, method: req.body.method ?? 'card' }),
    );
    app.post<{ Params: { id: string }; Body: { pin: string } }>(
      '/api/payments/accounts/:id/pin',
      { config: admin, schema: { params: idParam, body: { type: 'object', properties: { pin: { type: 'string', pattern: '^[0-9]{4,6}$' } }, required: ['pin'], additionalProperties: false } } },
      async (req, reply) => {
        if (!this.ledger.account(req.params.id)) throw new LedgerError(404, `no account "${req.params.id}"`);
        await this.pins.set(req.params.id, req.body.pin, req.principal?.name ?? 'admin');
        this.logger.info({ account: req.params.id, by: req.principal?.name }, 'payment PIN set');
        return reply.code(204).send();
      },
    );
    // The actor is whoever signed in (a supervisor's account), never a name the body claims.
    const undoBody = { type: 'object', properties: { key, original_id: key, amount_fen: { type: 'integer', minimum: 1 } }, required: ['key', 'original_id'], additionalProperties: false } as const;
    app.post<{ Body: { key: string; original_id: string; amount_fen?: number } }>('/api/payments/refunds', { config: supervisor, schema: { body: undoBody } }, async (req) =>
      this.refund(req.body.key, req.body.original_id, req.body.amount_fen, req.principal!.name),
    );
    app.post<{ Body: { key: string; original_id: string } }>(
      '/api/payments/voids',
      { config: supervisor, schema: { body: { ...undoBody, properties: { key, original_id: key } } } },
      async (req) => this.void(req.body.key, req.body.original_id, req.principal!.name),
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
