// Fault 2 of issue 12: kill -9 between a record's write and its outbox append. Under
// repeated kill -9 during top-ups and food-safety morning checks (both answered over
// HTTP by the real gateway), every committed ledger row and every committed record
// has its outbox entry and reaches the province simulator; every request answered
// 2xx is among them. On the old code (outbox appended in a later tick, after the
// ledger's own commit) a kill in between left approved top-ups that never went up.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';
import { seededRandom, startProvince } from './helpers/province.ts';

const KILLS = 5;
const ALL_CLEAR = { fever: false, diarrhoea: false, vomiting: false, sore_throat: false, hand_wound: false, jaundice: false, uniform: true, cap: true, mask: true, no_jewellery: true };

/** Sends requests in a loop until the gateway dies; returns what was answered 2xx. */
async function hammer(gw: RunningGateway, headers: Record<string, string>, send: (i: number) => { path: string; body: unknown; key: string }): Promise<string[]> {
  const ok: string[] = [];
  for (let i = 0; ; i++) {
    const r = send(i);
    try {
      const res = await fetch(`${gw.url}${r.path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(r.body) });
      const body = (await res.json()) as { id?: string };
      if (res.status >= 200 && res.status < 300) ok.push(r.key || body.id!);
    } catch {
      return ok; // the gateway is gone
    }
  }
}

describe('a record and its outbox entry under kill -9', () => {
  it(`keeps every committed top-up and morning check in the outbox and delivers it, across ${KILLS} kills`, async () => {
    const seed = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000);
    console.log(`outbox-atomic-crash seed ${seed} (FAULT_SEED=${seed} to repeat)`);
    const random = seededRandom(seed);
    const province = await startProvince();
    const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-atomic-')), 'data');
    const accounts = ['a1', 'a2', 'a3', 'a4'];
    const config = {
      ...(await simulatorConfig()),
      payments: { accounts: accounts.map((id) => ({ id, person: `测试${id}`, card_id: `card-${id}`, opening_balance_fen: 0 })) },
      food_safety: { morning_check: { staff: [{ id: 'wang', name: '王师傅', health_certificate: { number: 'JKZ-1', expires: '2099-12-31' } }, { id: 'zhao', name: '赵师傅', health_certificate: { number: 'JKZ-2', expires: '2099-12-31' } }] } },
      uplinks: [{ id: 'province', type: 'http', url: `${province.url}/ingest/{stream}`, token: 'tok', hmac_key: 'key', timeout_ms: 2000, backoff: { min_ms: 100, max_ms: 1000 } }],
    };
    const env = { CANTEEN_EDGE_DATA_DIR: dataDir };
    const answered = { topups: new Set<string>(), checks: new Set<string>() };
    try {
      for (let round = 0; round < KILLS; round++) {
        const gw = await startGateway({ config, env });
        const admin = (await gw.loginAs('admin')).headers;
        const loops = [
          ...accounts.map((a) => hammer(gw, admin, (i) => ({ path: '/api/payments/topups', body: { key: `t${round}-${a}-${i}`, account_id: a, amount_fen: 100 }, key: `t${round}-${a}-${i}` }))),
          ...['wang', 'zhao'].map((staff) => hammer(gw, admin, () => ({ path: '/api/kitchen/checks', body: { staffId: staff, temperatureC: 36.5, answers: ALL_CLEAR }, key: '' }))),
        ];
        const killAfter = 400 + Math.floor(random() * 1200);
        await new Promise((r) => setTimeout(r, killAfter));
        expect((await gw.stop('SIGKILL')).signal).toBe('SIGKILL');
        const [c1, c2, ...t] = [...(await Promise.all(loops.slice(accounts.length))), ...(await Promise.all(loops.slice(0, accounts.length)))];
        t.flat().forEach((k) => answered.topups.add(k));
        [...c1!, ...c2!].forEach((id) => answered.checks.add(id));
      }
      expect(answered.topups.size).toBeGreaterThan(KILLS * 10);

      // what the database committed, read with every gateway down
      const db = new Database(path.join(dataDir, 'canteen-edge.db'), { readonly: true });
      const ledger = db.prepare("SELECT id FROM payment_transactions WHERE kind = 'topup'").pluck().all() as string[];
      const checks = db.prepare('SELECT id FROM food_morning_checks').pluck().all() as string[];
      const outboxIds = new Set(db.prepare('SELECT id FROM outbox_records').pluck().all() as string[]);
      const boxId = (db.prepare("SELECT id FROM outbox_records WHERE stream = 'transactions' LIMIT 1").pluck().get() as string).split(':')[0];
      db.close();
      const txId = (id: string) => `${boxId}:transactions:${id}`;
      const checkId = (id: string) => `${boxId}:events:${id}`;
      // nothing answered 2xx is missing from the ledger
      expect([...answered.topups].filter((k) => !ledger.includes(k))).toEqual([]);
      expect([...answered.checks].filter((k) => !checks.includes(k))).toEqual([]);
      // every committed top-up already has its outbox entry, before any recovery could run
      expect(ledger.filter((id) => !outboxIds.has(txId(id)))).toEqual([]);

      // one clean run delivers everything committed, exactly once after de-duplication
      const last = await startGateway({ config, env });
      try {
        await expect.poll(async () => { const got = await province.ids('transactions'); return ledger.filter((id) => !got.has(txId(id))).length; }, { timeout: 60_000, interval: 250 }).toBe(0);
        await expect.poll(async () => { const got = await province.ids('events'); return checks.filter((id) => !got.has(checkId(id))).length; }, { timeout: 60_000, interval: 250 }).toBe(0);
      } finally {
        await last.stop();
      }
      const report = (await province.report()).streams;
      expect(report.transactions).toMatchObject({ gaps: 0, outOfOrder: 0 });
      console.log(`${KILLS} kills: ${answered.topups.size} top-ups and ${answered.checks.size} morning checks answered 2xx; ${ledger.length} top-ups and ${checks.length} checks committed; transactions received ${report.transactions!.unique} unique (${report.transactions!.duplicates} duplicates dropped)`);
    } finally {
      province.stop();
    }
  }, 300_000);
});
