// Face pay's credential on its own: the face pipeline gets a match token for one sale,
// station and account; paySale takes it once, for that sale only, before it expires.
// (No route hands one out or accepts one: test/payments-attacks.test.ts.) The canteen
// side is the real Ledger on a real database; only its module is reduced to what
// payments use.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { canteenConfigSchema } from '../gateway/canteen/config.ts';
import { Ledger } from '../gateway/canteen/ledger.ts';
import { EventBus } from '../gateway/bus/event-bus.ts';
import { createLogger } from '../gateway/log.ts';
import { paymentsConfigSchema } from '../gateway/payments/config.ts';
import { FACE_TOKEN_MS, PaymentsModule } from '../gateway/payments/module.ts';
import { openDatabase } from '../gateway/store/sqlite.ts';
import { SaleSeeder } from './helpers/sales.ts';

it('takes a face match token once, for its own sale and station, before it expires', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-face-token-'));
  const db = openDatabase(dataDir);
  const seeder = new SaleSeeder(dataDir);
  const ledger = new Ledger(db);
  let now = Date.now();
  const canteen = {
    ledger,
    timeZone: 'Asia/Shanghai',
    cfg: canteenConfigSchema.parse({}),
    markPaid: async (saleId: string, method: 'face', reference: string) => ledger.setStatus(saleId, 'paid', now, method, method, reference),
  };
  const cfg = paymentsConfigSchema.parse({ accounts: [{ id: 'zhang', person: '张三明', opening_balance_fen: 5000 }, { id: 'li', person: '李四', opening_balance_fen: 5000 }] });
  const payments = new PaymentsModule({ db, cfg, sales: { timeZone: canteen.timeZone, meals: canteen.cfg.meals, sale: (id) => canteen.ledger.sale(id), markPaid: canteen.markPaid }, bus: new EventBus(), put: async () => undefined, logger: createLogger('silent'), now: () => now, dataDir });
  payments.start();
  const [a, b] = [seeder.sale(700), seeder.sale(700)];

  const forA = payments.issueFaceToken({ station: 'checkout-1', saleId: a.id, accountId: 'zhang' });
  await expect(payments.paySale(b.id, { key: 'f-1', method: 'face', face_token: forA })).rejects.toThrow(/issued for another sale or station/);
  await expect(payments.paySale(a.id, { key: 'f-2', method: 'face', face_token: forA })).rejects.toThrow(/unknown, already used or expired/); // spent by the try above
  const wrongStation = payments.issueFaceToken({ station: 'checkout-2', saleId: a.id, accountId: 'zhang' });
  await expect(payments.paySale(a.id, { key: 'f-3', method: 'face', face_token: wrongStation })).rejects.toThrow(/another sale or station/);
  const late = payments.issueFaceToken({ station: 'checkout-1', saleId: a.id, accountId: 'zhang' });
  now += FACE_TOKEN_MS;
  await expect(payments.paySale(a.id, { key: 'f-4', method: 'face', face_token: late })).rejects.toThrow(/expired/);
  await expect(payments.paySale(a.id, { key: 'f-5', method: 'face', account_id: 'zhang' })).rejects.toThrow(/not a credential/);

  const ok = payments.issueFaceToken({ station: 'checkout-1', saleId: a.id, accountId: 'li' });
  const paid = await payments.paySale(a.id, { key: 'f-6', method: 'face', face_token: ok });
  expect(paid.transaction).toMatchObject({ status: 'approved', method: 'face', account_id: 'li', amount_fen: 700 });
  await expect(payments.paySale(a.id, { key: 'f-6', method: 'face', face_token: ok })).rejects.toThrow(/already used/); // single use
  expect(payments.ledger.account('zhang')!.balance_fen).toBe(5000);
  expect(payments.ledger.account('li')!.balance_fen).toBe(4300);
  seeder.close();
  db.close();
});
