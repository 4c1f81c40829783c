// The forwarder's watchdog on a stalled MQTT uplink (issue 12, fault 1, on MQTT): the
// connection to the broker goes silent while it still looks up (a silent proxy between
// the real gateway and a real Mosquitto), so every PUBACK times out. Aborting the
// request is not enough — the next publish goes down the same dead connection until the
// keep-alive notices (here 10 minutes). The watchdog must report the link stalled and
// make the uplink connect again, so that a top-up answered 200 reaches the province.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';
import { Mosquitto } from './helpers/mosquitto.ts';
import { freePort } from './helpers/ports.ts';
import { SilentProxy } from './helpers/silent-proxy.ts';

let broker: Mosquitto;
let proxy: SilentProxy;
let gw: RunningGateway;
let provincePort: number;

beforeAll(async () => {
  broker = await Mosquitto.start();
  proxy = await SilentProxy.start(broker.port);
  provincePort = await freePort();
  const base = await simulatorConfig();
  gw = await startGateway({
    config: {
      ...base,
      // the province simulator subscribes to the broker directly; the gateway publishes through the proxy
      simulators: { ...(base.simulators as object), province: { enabled: true, port: provincePort, token: 't', hmac_key: 'k', mqtt_url: broker.url } },
      payments: { accounts: [{ id: 'zhang', person: '张三明', card_id: 'C001', opening_balance_fen: 0 }] },
      uplinks: [{ id: 'province-mqtt', type: 'mqtt', url: `mqtt://127.0.0.1:${proxy.port}`, streams: ['transactions'], timeout_ms: 1000, keepalive_s: 600, backoff: { min_ms: 100, max_ms: 500 } }],
    },
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await proxy?.close();
  await broker?.dispose();
});

const received = async () => (await (await fetch(`http://127.0.0.1:${provincePort}/ids/transactions`)).json()) as string[];
const uplinkState = async () => ((await (await fetch(`${gw.url}/readyz`)).json()) as { uplinks: { uplink: string; state: string }[] }).uplinks.find((u) => u.uplink === 'province-mqtt')?.state;

it('reconnects a stalled MQTT uplink whose connection went silent, and delivers what waited', async () => {
  const admin = (await gw.loginAs('admin')).headers;
  const topUp = async (key: string) =>
    (await fetch(`${gw.url}/api/payments/topups`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ key, account_id: 'zhang', amount_fen: 100 }) })).status;

  expect(await topUp('before')).toBe(200);
  await expect.poll(async () => (await received()).some((id) => id.endsWith(':transactions:before')), { timeout: 30_000, interval: 250 }).toBe(true);
  const connectionsBefore = proxy.connections;
  expect(proxy.silence()).toBeGreaterThan(0);

  expect(await topUp('during')).toBe(200);
  // no PUBACK: stalled (never online), then the watchdog has the uplink connect again
  await expect.poll(uplinkState, { timeout: 20_000, interval: 100 }).toBe('stalled');
  await expect.poll(async () => (await received()).some((id) => id.endsWith(':transactions:during')), { timeout: 30_000, interval: 250 }).toBe(true);
  expect(proxy.connections).toBeGreaterThan(connectionsBefore);
  await expect.poll(uplinkState, { timeout: 20_000, interval: 200 }).toBe('online');
}, 120_000);
