// Payments in the running gateway: the ledger, paying a checkout sale by card,
// PIN, the campus app's QR code or face (gateway/biometrics confirms through
// paySale), refunds, voids and top-ups, the daily reconciliation, and every
// transaction handed to the outbox under its own id.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Rule } from '../auth/roles.ts';
import type { SalesPort } from '../canteen/ports.ts';
import { localDay, mealAt } from '../canteen/meals.ts';
import type { EventBus } from '../bus/event-bus.ts';
import type { Logger } from '../log.ts';
import { isDiskFull } from '../ops/disk-guard.ts';
import type { Db } from '../store/sqlite.ts';
import type { CredentialMethod } from '../wire/payments.ts';
import type { PaymentsConfig } from './config.ts';
import { CardRefs } from './card-ref.ts';
import { LedgerError, MAX_FEN, PaymentLedger, type Transaction } from './ledger.ts';
import { accountSyncRoute } from './account-sync.ts';
import { setBirthDate } from './birth-date.ts';
import { PinStore } from './pins.ts';
import { verifyQr } from './qr.ts';

/**
 * A payment of a sale: the idempotency key and exactly one credential. An account id
 * alone is never one: the method is what the credential presented proves (a card read,
 * a QR code whose signature verifies, an account's PIN, or a face match token that the
 * face pipeline issued for this very sale).
 */
export interface PayRequest {
  /** the client's idempotency key */
  key: string;
  /** the meal card's id as the reader typed it */
  card_id?: string;
  /** with `pin`: whose PIN it is */
  account_id?: string;
  pin?: string;
  /** the payment code the campus app shows */
  qr?: string;
  /** issued by issueFaceToken after a face match (gateway/biometrics), never over HTTP */
  face_token?: string;
  /** optional: when given it must be the method the credential proves */
  method?: CredentialMethod;
}

/** How long a face match may wait for the diner's confirmation before it must be matched again. */
export const FACE_TOKEN_MS = 120_000;

interface FaceToken { station: string; saleId: string; accountId: string; expiresAt: number }

/** The method a request's credential proves; a request with none, or with more than one, is a 400. */
export function credentialMethod(req: PayRequest): CredentialMethod {
  const given = (['card_id', 'qr', 'pin', 'face_token'] as const).filter((k) => req[k] !== undefined);
  if (given.length === 0) {
    throw new LedgerError(400, req.account_id !== undefined
      ? 'account_id: an account id is not a credential; present the meal card (card_id), the QR code (qr), the account\'s PIN (account_id with pin) or pay by face'
      : 'expected a credential: card_id, qr, or account_id with pin');
  }
  if (given.length > 1) throw new LedgerError(400, `expected one credential; got ${given.join(' and ')}`);
  const method = ({ card_id: 'card', qr: 'qr', pin: 'pin', face_token: 'face' } as const)[given[0]!];
  if (method === 'pin' && req.account_id === undefined) throw new LedgerError(400, 'pin: expected account_id, whose PIN it is');
  if (method !== 'pin' && req.account_id !== undefined) throw new LedgerError(400, `account_id: only sent with a PIN; the ${method === 'card' ? 'card' : method === 'qr' ? 'QR code' : 'face match'} names the account`);
  if (req.method !== undefined && req.method !== method) throw new LedgerError(400, `method "${req.method}" does not match the credential presented (${given[0]}: ${method})`);
  return method;
}

type PutFn = (stream: 'transactions', payload: unknown, key: string) => Promise<unknown>;

/** 张三明 → 张*明, 李四 → 李*: enough for the diner to recognise, not for a bystander. */
export function maskName(name: string): string {
  const chars = [...name];
  if (chars.length <= 1) return name;
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars.at(-1)}`;
}

export interface PaymentsOptions {
  db: Db;
  cfg: PaymentsConfig;
  /** the canteen's sales: which sale, its station and total; marking it paid */
  sales: SalesPort;
  /** where account:changed goes (biometrics reviews the account's templates) */
  bus: EventBus;
  put: PutFn;
  logger: Logger;
  now?: () => number;
  qrSecret?: string;
  dataDir?: string;
}

export class PaymentsModule {
  readonly ledger: PaymentLedger;
  readonly pins: PinStore;
  private readonly qrSecret: string | undefined;
  private readonly refs: CardRefs;
  private readonly faceTokens = new Map<string, FaceToken>();
  readonly db: Db;
  private readonly cfg: PaymentsConfig;
  private readonly sales: SalesPort;
  private readonly bus: EventBus;
  private readonly put: PutFn;
  private readonly logger: Logger;
  readonly now: () => number;

  constructor(opts: PaymentsOptions) {
    const { db, cfg } = opts;
    this.db = db;
    this.cfg = cfg;
    this.sales = opts.sales;
    this.bus = opts.bus;
    this.put = opts.put;
    this.logger = opts.logger;
    const now = (this.now = opts.now ?? Date.now);
    this.ledger = new PaymentLedger(db, { meals: cfg.meals, dailyCapFen: cfg.daily_cap_fen, bounds: { maxTopupFen: cfg.max_topup_fen, maxBalanceFen: cfg.max_balance_fen } });
    this.refs = new CardRefs(opts.dataDir);
    this.pins = new PinStore(db, { maxFailures: cfg.pin.max_failures, lockMs: cfg.pin.lock_minutes * 60_000 }, now);
    this.qrSecret = opts.qrSecret;
  }

  /** The meal and site-local day a payment made now belongs to. */
  mealNow(): { meal: string; day: string; at: number } {
    const at = this.now();
    return { meal: mealAt(at, this.sales.timeZone, this.sales.meals).meal, day: localDay(at, this.sales.timeZone), at };
  }

  start(): void {
    for (const a of this.cfg.accounts) {
      this.ledger.upsertAccount(a, this.now());
      if (a.birth_date !== undefined) setBirthDate(this.db, a.id, a.birth_date);
    }
  }

  /** Announces (account:changed on the bus) that an account was created or changed (closed, its birth date corrected …). */
  accountChanged(accountId: string, actor: string): void {
    this.bus.emitOrThrow('account:changed', { accountId, actor });
  }

  /**
   * A face match for a sale, as a credential: single use, bound to the station, the
   * sale and the matched account, valid FACE_TOKEN_MS. Only the face pipeline calls
   * this (gateway/biometrics/sessions.ts); no route hands one out.
   */
  issueFaceToken(m: { station: string; saleId: string; accountId: string }): string {
    const now = this.now();
    for (const [t, f] of this.faceTokens) if (f.expiresAt <= now) this.faceTokens.delete(t);
    const token = randomBytes(24).toString('base64url');
    this.faceTokens.set(token, { ...m, expiresAt: now + FACE_TOKEN_MS });
    return token;
  }

  private takeFaceToken(token: string, sale: { id: string; station: string }): string {
    const t = this.faceTokens.get(token);
    this.faceTokens.delete(token); // single use, whatever follows
    if (!t || t.expiresAt <= this.now()) throw new LedgerError(400, 'face_token: unknown, already used or expired; match the face again');
    if (t.saleId !== sale.id || t.station !== sale.station) throw new LedgerError(400, 'face_token: issued for another sale or station');
    return t.accountId;
  }

  /**
   * Pays a sale waiting at a station with the credential presented: the account is the
   * one the card, the verified QR code, the verified PIN or the face match names. Every
   * credential is checked on every request, a resubmitted one too; the key then only
   * decides whether this is the first request or the same one again (ledger.once).
   */
  async paySale(saleId: string, req: PayRequest): Promise<{ transaction: Transaction; person: string | null; balance_fen: number | null }> {
    const method = credentialMethod(req);
    const sale = this.sales.sale(saleId);
    if (!sale) throw new LedgerError(404, `no sale "${saleId}"`);
    if (sale.status === 'paid' && sale.reference !== req.key) throw new LedgerError(409, `sale ${sale.no} is already paid`);
    if (sale.status === 'cancelled') throw new LedgerError(409, `sale ${sale.no} was cancelled`);
    let accountId: string;
    switch (method) {
      case 'card':
        accountId = this.ledger.accountByCard(req.card_id!)?.id ?? this.refs.unknown(`card:${req.card_id}`);
        break;
      case 'qr':
        if (!this.qrSecret) throw new LedgerError(400, 'QR pay is not set up on this box (payments.qr_secret); pay by card, PIN or face');
        accountId = verifyQr(req.qr!, this.qrSecret, this.now(), this.cfg.qr_max_validity_s);
        break;
      case 'pin':
        accountId = this.ledger.account(req.account_id!)?.id ?? this.refs.unknown(`account:${req.account_id}`);
        break;
      case 'face':
        accountId = this.takeFaceToken(req.face_token!, sale);
        break;
    }
    const account = this.ledger.account(accountId);
    const { meal, day, at } = this.mealNow();
    const debit = { key: req.key, accountId, priceFen: sale.totalFen, method, saleId, station: sale.station, meal, day, at };
    let tx: Transaction;
    if (method === 'pin' && account) {
      const pin = await this.pins.check(account.id, req.pin!);
      tx = await this.settle(() => (pin === 'ok' ? this.ledger.debit(debit) : this.ledger.declined(debit, pin)));
      if (pin !== 'ok') this.logger.info({ account: account.id, sale: saleId, reason: pin }, 'PIN payment declined');
    } else tx = await this.settle(() => this.ledger.debit(debit));
    if (tx.status === 'approved') await this.sales.markPaid(saleId, method, tx.id);
    return { transaction: tx, person: account ? maskName(account.person) : null, balance_fen: tx.balance_after_fen };
  }

  async refund(key: string, originalId: string, amountFen: number | undefined, actor: string): Promise<Transaction> {
    const at = this.now();
    return this.settle(() => this.ledger.refund(key, originalId, amountFen, actor, at, localDay(at, this.sales.timeZone)));
  }

  async void(key: string, originalId: string, actor: string): Promise<Transaction> {
    const at = this.now();
    return this.settle(() => this.ledger.void(key, originalId, actor, at, localDay(at, this.sales.timeZone)));
  }

  async topUp(key: string, accountId: string, amountFen: number): Promise<Transaction> {
    const at = this.now();
    return this.settle(() => this.ledger.topUp(key, accountId, amountFen, at, localDay(at, this.sales.timeZone)));
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
      if (isDiskFull(err)) throw err; // the app's handler answers 507 with the reason
      if (err instanceof LedgerError) return reply.code(err.statusCode).send({ error: err.message });
      if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message });
      req.log.error({ err }, 'payment request failed');
      return reply.code(500).send({ error: 'internal error' });
    });
    // JSON types as sent, not coerced: the app's validator turns "100" into 100 and
    // true into 1; money takes no such guesses (a string amount is a 400, not a refund).
    app.addHook('preValidation', async (req) => {
      const wrong = wrongJsonTypes(req.routeOptions.schema?.body, req.body);
      if (wrong) throw new LedgerError(400, wrong);
    });
    const key = { type: 'string', minLength: 1, maxLength: 128 } as const;
    const idParam = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 63 } }, required: ['id'] } as const;
    // Who may call each route (gateway/auth/roles.ts; admin may call everything): only the
    // kiosk of the sale's station takes payments, and only with a credential; a cashier
    // confirms or cancels counter sales (/api/canteen/sales/:id/paid and /cancel), it does
    // not debit accounts; refunds and voids need a supervisor.
    const ownKiosk = { access: { roles: ['kiosk'], station: (req: FastifyRequest) => this.sales.sale((req.params as { id: string }).id)?.station } satisfies Rule };
    const supervisor = { access: ['supervisor'] } as const;
    const admin = { access: ['admin'] } as const;
    type PayBody = { key: string; card_id?: string; account_id?: string; pin?: string; qr?: string; method?: Exclude<CredentialMethod, 'face'> };
    app.post<{ Params: { id: string }; Body: PayBody }>(
      '/api/payments/sales/:id/pay',
      {
        config: ownKiosk,
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
            additionalProperties: false,
          },
        },
      },
      // which credential, and whether it fits the method, is checked with a reason by credentialMethod
      async (req) => this.paySale(req.params.id, req.body),
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
    const undoBody = { type: 'object', properties: { key, original_id: key, amount_fen: { type: 'integer', minimum: 1, maximum: MAX_FEN } }, required: ['key', 'original_id'], additionalProperties: false } as const;
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
      {
        config: admin,
        schema: {
          body: {
            type: 'object',
            properties: { key, account_id: { type: 'string', minLength: 1, maxLength: 63 }, amount_fen: { type: 'integer', minimum: 1, maximum: this.cfg.max_topup_fen } },
            required: ['key', 'account_id', 'amount_fen'],
            additionalProperties: false,
          },
        },
      },
      async (req) => this.topUp(req.body.key, req.body.account_id, req.body.amount_fen),
    );
    app.get('/api/payments/accounts', { config: admin }, async () => this.ledger.accounts());
    accountSyncRoute(app, this);
    app.get<{ Querystring: { date: string } }>(
      '/api/payments/reconciliation',
      { config: supervisor, schema: { querystring: { type: 'object', properties: { date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } }, required: ['date'], additionalProperties: false } } },
      async (req) => ({ date: req.query.date, rows: this.ledger.reconciliation(req.query.date) }),
    );
  };
}

/** The first body field whose JSON type is not the one its schema declares, as a reason; null when all fit. */
export function wrongJsonTypes(schema: unknown, body: unknown): string | null {
  const props = (schema as { properties?: Record<string, { type?: string }> } | undefined)?.properties;
  if (!props || !body || typeof body !== 'object') return null;
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    const want = props[name]?.type;
    if (!want) continue;
    const ok = want === 'integer' || want === 'number' ? typeof value === 'number' : want === 'string' ? typeof value === 'string' : want === 'boolean' ? typeof value === 'boolean' : true;
    if (!ok) return `body/${name}: got ${JSON.stringify(value)} (${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value}); expected a JSON ${want === 'integer' ? 'whole number' : want}, not in quotes`;
  }
  return null;
}
