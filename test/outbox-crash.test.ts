// kill -9 during heavy ingest and forwarding, many times over: afterwards every
// record whose append was acknowledged reaches the receiver, exactly once after
// de-duplication, in order per stream, with no gaps.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT } from './helpers/gateway.ts';

const PRODUCER = path.join(ROOT, 'test/peers/outbox-producer.ts');
const KILLS = 10;

function startProvince(): Promise<{ port: number; stop: () => void }> {
  const child = spawn(process.execPath, [BIN, 'sim', 'province', '--port', '0', '--token', 'tok', '--hmac-key', 'key'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      try {
        resolve({ port: JSON.parse(out).http.port, stop: () => child.kill('SIGTERM') });
      } catch {
        /* not the whole document yet */
      }
    });
    child.once('exit', (code) => reject(new Error(`sim province exited ${code}`)));
  });
}

function runProducer(dataDir: string, port: number, mode: 'produce' | 'drain', killAfterMs?: number): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', PRODUCER, dataDir, String(port), mode], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    if (killAfterMs !== undefined && out.startsWith('READY') && !child.killed) {
      setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      killAfterMs = undefined;
    }
  });
  return new Promise((resolve) => child.once('exit', () => resolve(out)));
}

describe('outbox under kill -9', () => {
  it(`loses nothing acknowledged and duplicates nothing in effect across ${KILLS} kills`, async () => {
    const province = await startProvince();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-crash-'));
    const acked = new Set<string>();
    try {
      for (let i = 0; i < KILLS; i++) {
        const out = await runProducer(dataDir, province.port, 'produce', 150 + Math.floor(Math.random() * 900));
        // only whole lines count: the kill may cut the last one
        for (const line of out.split('\n').slice(0, -1)) if (line.startsWith('ACK ')) acked.add(line.slice(4));
      }
      expect(acked.size).toBeGreaterThan(KILLS * 500);
      const drained = await runProducer(dataDir, province.port, 'drain');
      const held = JSON.parse(drained.split('DRAINED ')[1]!) as Record<string, number>;
      const report = (await (await fetch(`http://127.0.0.1:${province.port}/report`)).json()).streams;
      for (const stream of ['readings', 'intervals', 'transactions']) {
        const ids = new Set<string>(await (await fetch(`http://127.0.0.1:${province.port}/ids/${stream}`)).json());
        const ackedHere = [...acked].filter((id) => id.startsWith(`crashbox:${stream}:`));
        expect(ackedHere.filter((id) => !ids.has(id))).toEqual([]); // nothing acknowledged is missing
        expect(report[stream]).toMatchObject({ unique: held[stream], maxSeq: held[stream], gaps: 0, outOfOrder: 0 });
        console.log(`${stream}: ${ackedHere.length} acknowledged to producers, ${report[stream].unique} unique received, ${report[stream].duplicates} duplicates dropped by id`);
      }
    } finally {
      province.stop();
    }
  }, 180_000);
});
