// The running gateway sends upstream over every kind of uplink its config names:
// HTTP and MQTT to the province simulator, with the same record ids on both.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';
import { Mosquitto } from './helpers/mosquitto.ts';
import { freePort } from './helpers/ports.ts';

let broker: Mosquitto;
let gw: RunningGateway;
let provincePort: number;

beforeAll(async () => {
  broker = await Mosquitto.start();
  provincePort = await freePort();
  const base = await simulatorConfig();
  gw = await startGateway({
    config: {
      ...base,
      simulators: { ...(base.simulators as object), province: { enabled: true, port: provincePort, token: 't', hmac_key: 'k', mqtt_url: broker.url } },
      outbox: { readings_every_ms: 0 },
      uplinks: [
        { id: 'province-http', type: 'http', url: `http://127.0.0.1:${provincePort}/ingest/{stream}`, token: 't', hmac_key: 'k', streams: ['readings'] },
        { id: 'province-mqtt', type: 'mqtt', url: broker.url, streams: ['readings'] },
      ],
    },
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await broker?.dispose();
});

it('delivers the same readings over HTTP and MQTT, each id once per uplink', async () => {
  const report = async () => (await (await fetch(`http://127.0.0.1:${provincePort}/report`)).json()) as { streams: Record<string, { unique: number; duplicates: number }>; mqtt?: { taken: number } };
  await expect.poll(async () => (await report()).mqtt?.taken ?? 0, { timeout: 20_000 }).toBeGreaterThan(0);
  await expect.poll(async () => (await report()).streams.readings?.duplicates ?? 0, { timeout: 20_000 }).toBeGreaterThan(0);
  // every id the gateway sent came in on both uplinks: the second copy is a duplicate
  const r = (await report()).streams.readings!;
  expect(r.unique).toBeGreaterThan(0);
  const readyz = await (await fetch(`${gw.url}/readyz`)).json();
  expect(readyz.uplinks.map((u: { uplink: string; state: string }) => `${u.uplink}:${u.state}`).sort()).toEqual(['province-http:online', 'province-mqtt:online']);
});
