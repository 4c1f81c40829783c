// The MQTT uplink against a Mosquitto that wants TLS and a password: the CA file
// is what makes the broker's certificate trusted, and a wrong password or an
// untrusted certificate is a link problem (backing off, records kept), never
// dead letters.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Forwarder } from '../gateway/outbox/forwarder.ts';
import { Outbox } from '../gateway/outbox/outbox.ts';
import { Ledger } from '../gateway/sim/province/ledger.ts';
import { MqttReceiver } from '../gateway/sim/province/mqtt-receiver.ts';
import { openDatabase } from '../gateway/store/sqlite.ts';
import { MqttUplink, type MqttUplinkOptions } from '../gateway/uplink/mqtt.ts';
import { Mosquitto } from './helpers/mosquitto.ts';
import { freePort } from './helpers/ports.ts';

let broker: Mosquitto;
let tlsPort: number;
let certs: string;
const stops: (() => Promise<void>)[] = [];

/** A CA and a server certificate for 127.0.0.1, made with openssl. */
function makeCerts(dir: string): void {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=canteen-edge test CA');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext');
}

beforeAll(async () => {
  certs = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-mqtt-certs-'));
  makeCerts(certs);
  execFileSync('mosquitto_passwd', ['-b', '-c', path.join(certs, 'passwd'), 'box7', 's3cret-密码'], { stdio: 'pipe' });
  execFileSync('mosquitto_passwd', ['-b', path.join(certs, 'passwd'), 'province', 'prov-pass'], { stdio: 'pipe' });
  tlsPort = await freePort();
  broker = await Mosquitto.start({
    allowAnonymous: false,
    extraConfig: () => [
      `password_file ${certs}/passwd`,
      `listener ${tlsPort} 127.0.0.1`,
      `cafile ${certs}/ca.crt`,
      `certfile ${certs}/server.crt`,
      `keyfile ${certs}/server.key`,
    ],
  });
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await broker?.dispose();
  if (certs) rmSync(certs, { recursive: true, force: true });
});

function rig(opts: Partial<MqttUplinkOptions>) {
  const outbox = new Outbox(openDatabase(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-mqtt-tls-'))), 'box7');
  const uplink = new MqttUplink({ id: 'province-mqtt', url: `mqtts://127.0.0.1:${tlsPort}`, streams: ['transactions'], boxId: 'box7', timeoutMs: 2000, reconnectMs: 200, ...opts });
  const fwd = new Forwarder(outbox, uplink, { batchSize: 50, minBackoffMs: 20, maxBackoffMs: 200, offlineAfterMs: 300 });
  stops.push(() => uplink.close(), () => fwd.stop());
  return { outbox, uplink, fwd };
}

it('delivers over TLS with the CA file and the password', async () => {
  const ledger = new Ledger();
  const rx = new MqttReceiver(ledger, { url: broker.url, clientId: 'province-tls', username: 'province', password: 'prov-pass' });
  await rx.start();
  stops.push(() => rx.stop());
  const { outbox, uplink, fwd } = rig({ caFile: path.join(certs, 'ca.crt'), username: 'box7', password: 's3cret-密码' });
  await Promise.all(Array.from({ length: 120 }, (_, i) => outbox.append('transactions', { i })));
  fwd.start();
  await expect.poll(() => outbox.backlog('province-mqtt', 'transactions'), { timeout: 10_000 }).toBe(0);
  expect(uplink.connected).toBe(true);
  await expect.poll(() => ledger.report().transactions?.unique, { timeout: 5000 }).toBe(120);
  expect(ledger.report().transactions).toMatchObject({ duplicates: 0, gaps: 0, outOfOrder: 0 });
});

it('treats a wrong password or an untrusted certificate as a link problem, keeping the records', async () => {
  const wrong = rig({ caFile: path.join(certs, 'ca.crt'), username: 'box7', password: 'wrong' });
  const untrusted = rig({ username: 'box7', password: 's3cret-密码' }); // system CAs only
  for (const { outbox, fwd } of [wrong, untrusted]) {
    await outbox.append('transactions', { amount: 12.5 });
    fwd.start();
  }
  await expect.poll(() => wrong.fwd.link.state, { timeout: 5000 }).toBe('offline');
  await expect.poll(() => untrusted.fwd.link.state, { timeout: 5000 }).toBe('offline');
  expect(wrong.uplink.lastError).toMatch(/Bad User Name or Password|Not authorized/);
  expect(wrong.fwd.link.lastError).toMatch(/not connected to mqtts:\/\/127\.0\.0\.1:\d+: .*(Bad User Name or Password|Not authorized)/);
  expect(untrusted.uplink.lastError).toMatch(/self[- ]signed certificate|unable to (get|verify)/i);
  for (const { outbox } of [wrong, untrusted]) {
    expect(outbox.deadLetters()).toEqual([]);
    expect(outbox.backlog('province-mqtt', 'transactions')).toBe(1);
  }
});

it('says which CA file it cannot read', () => {
  expect(() => new MqttUplink({ id: 'm', url: 'mqtts://127.0.0.1:1', streams: ['events'], boxId: 'box7', timeoutMs: 1000, caFile: '/nonexistent/ca.pem' })).toThrow(
    'MQTT uplink m: cannot read CA file /nonexistent/ca.pem (ENOENT)',
  );
});
