// The last bug of issue 12 (fault harness, FAULT_SEED=554855): while the disk budget
// refused `events` (a disk-full phase: free space below outbox.min_free_disk_mb), a
// morning check was answered 201 and committed, but its outbox entry was refused and the
// row committed alone — outside the outbox, not in the backlog, so the outbox "drained"
// with 33 committed checks never sent. Here the budget refuses events from the start
// (min_free_disk_mb far above any disk), deterministically, on the real gateway: a check
// answered 201 must be in the outbox's backlog at once and reach the province.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';
import { startProvince, type ProvinceProcess } from './helpers/province.ts';

const ALL_CLEAR = { fever: false, diarrhoea: false, vomiting: false, sore_throat: false, hand_wound: false, jaundice: false, uniform: true, cap: true, mask: true, no_jewellery: true };
let gw: RunningGateway;
let province: ProvinceProcess;

beforeAll(async () => {
  province = await startProvince();
  await province.fault({ mode: 'error', status: 503 }); // nothing delivered yet: the backlog shows what the outbox holds
  gw = await startGateway({
    config: {
      ...(await simulatorConfig()),
      food_safety: { morning_check: { staff: [{ id: 'wang', name: '王师傅', health_certificate: { number: 'HC-2026-001', expires: '2099-12-31' } }] } },
      // no disk has a petabyte free: the budget refuses new readings and events from its first run
      outbox: { min_free_disk_mb: 1e9 },
      uplinks: [{ id: 'province', type: 'http', url: `${province.url}/ingest/{stream}`, token: 'tok', hmac_key: 'key', timeout_ms: 2000, backoff: { min_ms: 100, max_ms: 500 } }],
    },
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  province?.stop();
});

const eventsBacklog = async (headers: Record<string, string>) => {
  const text = await (await fetch(`${gw.url}/metrics`, { headers })).text();
  return Number(/^canteen_edge_outbox_backlog\{stream="events",uplink="province"\} (\d+)/m.exec(text)?.[1]);
};

it('puts a morning check answered 201 into the outbox with its row while the budget refuses events, and delivers it', async () => {
  const admin = (await gw.loginAs('admin')).headers;
  const ready = (await (await fetch(`${gw.url}/readyz`)).json()) as { alarms: string[] };
  expect(ready.alarms.join(' ')).toMatch(/refusing new events/);
  const before = await eventsBacklog(admin);

  const r = await fetch(`${gw.url}/api/kitchen/checks`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ staffId: 'wang', temperatureC: 36.5, answers: ALL_CLEAR }) });
  expect(r.status).toBe(201);
  const { id } = (await r.json()) as { id: string };
  // committed together with its outbox entry: waiting in the backlog, not outside it
  expect(await eventsBacklog(admin)).toBe(before + 1);

  await province.fault({ mode: 'ok' });
  await expect.poll(async () => [...(await province.ids('events'))].some((x) => x.endsWith(`:events:${id}`)), { timeout: 30_000, interval: 250 }).toBe(true);
}, 60_000);
